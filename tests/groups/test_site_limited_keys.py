"""A key limited to sites sees, in every group and its count, only the members who belong to its sites: a site
they were created at or bought at, as the list's ``site_id`` filter has it."""

from __future__ import annotations

from tests.conftest import ApiClient, Stack
from tests.groups.helpers import ALL, REACHABLE
from tests.sales.helpers import card, new_customer, record, sale_body

SITE = {"country": "BE", "time_zone": "Europe/Brussels", "currency": "EUR"}


def limited_to(client: ApiClient, sites: list[str]) -> ApiClient:
    created = client.post("/v1/api-keys", {"role": "staff", "site_ids": sites})
    assert created.status == 201, created.text
    return client.as_key(created.json()["secret"])


def counted(client: ApiClient) -> dict[str, int]:
    response = client.get("/v1/groups")
    assert response.status == 200, response.text
    return {g["id"]: g["member_count"] for g in response.json()["items"]}


def paged(client: ApiClient, group: str) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        response = client.get(
            f"/v1/groups/{group}/customers", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status == 200, response.text
        found += [m["customer_id"] for m in response.json()["items"]]
        assert all(m["since"] for m in response.json()["items"])
        cursor = response.json().get("cursor")
        if not cursor:
            return found


def test_members_and_counts_stay_within_the_keys_sites(stack: Stack, client: ApiClient) -> None:
    ghent = client.post("/v1/sites", {"name": "Ghent", **SITE}).json()["id"]
    bruges = client.post("/v1/sites", {"name": "Bruges", **SITE}).json()["id"]
    staff = client.post("/v1/groups", {"name": "Staff", "kind": "manual"}).json()["id"]
    at_ghent = [new_customer(client) for _ in range(3)]
    at_bruges = new_customer(client)
    at_both = new_customer(client)
    nowhere = new_customer(client)  # never bought anywhere: belongs to no site
    for customer in at_ghent:
        record(client, sale_body(450, customer_id=customer, site_id=ghent, card=card()))
    record(client, sale_body(450, customer_id=at_bruges, site_id=bruges, card=card()))
    record(client, sale_body(450, customer_id=at_both, site_id=ghent, card=card()))
    record(client, sale_body(450, customer_id=at_both, site_id=bruges))
    everyone = [*at_ghent, at_bruges, at_both, nowhere]
    for customer in everyone:
        assert client.put(f"/v1/groups/{staff}/customers/{customer}").status == 204
    stack.drain()

    ghent_key, bruges_key = limited_to(client, [ghent]), limited_to(client, [bruges])
    both_keys = limited_to(client, [ghent, bruges])
    assert sorted(paged(ghent_key, staff)) == sorted([*at_ghent, at_both])
    assert sorted(paged(bruges_key, staff)) == sorted([at_bruges, at_both])
    assert sorted(paged(both_keys, staff)) == sorted([*at_ghent, at_bruges, at_both])  # each member once
    assert sorted(paged(client, staff)) == sorted(everyone)
    assert sorted(paged(ghent_key, ALL)) == sorted([*at_ghent, at_both])
    assert sorted(paged(bruges_key, REACHABLE)) == sorted([at_bruges, at_both])  # paid by card

    for key, seen in ((ghent_key, 4), (bruges_key, 2), (both_keys, 5)):
        found = counted(key)
        assert found[staff] == found[ALL] == seen  # each count is the length of the list it stands for
        assert found[REACHABLE] == len(paged(key, REACHABLE))
        assert key.get(f"/v1/groups/{staff}").json()["member_count"] == seen
    assert counted(client)[staff] == 6

    # A page's cursor belongs to its key's list: another key's cursor is refused, never followed.
    first = client.get(f"/v1/groups/{staff}/customers", params={"limit": 2}).json()["cursor"]
    refused = ghent_key.get(f"/v1/groups/{staff}/customers", params={"limit": 2, "cursor": first})
    assert refused.status == 400 and refused.error_codes() == ["INVALID_CURSOR"]


def test_a_customer_who_buys_at_a_new_site_shows_to_its_keys(stack: Stack, client: ApiClient) -> None:
    ghent = client.post("/v1/sites", {"name": "Ghent", **SITE}).json()["id"]
    staff = client.post("/v1/groups", {"name": "Staff", "kind": "manual"}).json()["id"]
    customer = new_customer(client)
    assert client.put(f"/v1/groups/{staff}/customers/{customer}").status == 204
    ghent_key = limited_to(client, [ghent])
    assert paged(ghent_key, staff) == [] and counted(ghent_key)[staff] == 0
    record(client, sale_body(450, customer_id=customer, site_id=ghent))
    assert paged(ghent_key, staff) == [customer] and counted(ghent_key)[staff] == 1
    assert client.delete(f"/v1/customers/{customer}").status == 204
    assert paged(ghent_key, staff) == [] and counted(ghent_key)[staff] == 0
