"""The quick views: each count of the summary equals the length of the list it names, through enrolments,
payments, cancellations and dues runs; the summary is read in two calls."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import days, enrol, local_noon, make_type, run_site, today

VIEWS = ("needs_mandate", "payment_failed", "ending_soon", "payment_due")


def _all(client: ApiClient, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}  # small pages: the cursor is exercised too
    url, _, query = path.partition("?")
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        params[name] = value
    while True:
        response = client.get(url, params=params)
        assert response.status == 200, response.text
        items.extend(response.json()["items"])
        if not response.json().get("cursor"):
            return items
        params["cursor"] = response.json()["cursor"]


def _check(client: ApiClient) -> dict[str, int]:
    summary = client.get("/v1/memberships/summary").json()
    counts = {}
    for view in VIEWS:
        listed = _all(client, summary[view]["list_url"])
        assert summary[view]["count"] == len(listed), view
        assert len({m["id"] for m in listed}) == len(listed)
        counts[view] = len(listed)
    return counts


def test_each_count_equals_its_list(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> None:
    kind = make_type(client)
    site_id = client.get("/v1/sites").json()["items"][0]["id"]
    mandates = [enrol(client, kind["id"], payment_method="direct_debit") for _ in range(3)]
    ending = [enrol(client, kind["id"], start_date=today() - days(3), end_date=today() + days(n)) for n in (0, 3, 7)]
    enrol(client, kind["id"], start_date=today() - days(3), end_date=today() + days(8))  # not within 7 days
    late = enrol(client, kind["id"], start_date=today() - days(12))
    enrol(client, kind["id"], start_date=today() + days(30))  # upcoming, due later
    counts = _check(client)
    assert counts["needs_mandate"] == 3 and counts["ending_soon"] == 3
    assert counts["payment_due"] == 3  # the direct debits start today; the others were due days ago or later

    # the dues run raises charges and makes `late` outstanding; the counts follow
    run_site(stack, merchant["merchant_id"], site_id, local_noon(today() + days(1)))
    run_site(stack, merchant["merchant_id"], site_id, local_noon(today() + days(2)))
    failed = _all(client, "/v1/memberships?view=payment_failed")
    assert [m["id"] for m in failed] == [late["id"]]
    _check(client)

    # cancelling and paying take memberships off their lists
    client.post(f"/v1/memberships/{mandates[0]['id']}/cancel", {"reason": "changed their mind"})
    client.post(f"/v1/memberships/{ending[1]['id']}/cancel", {"reason": "moved"})
    client.post(f"/v1/memberships/{late['id']}/payments", {"payment_type": "cash"})
    counts = _check(client)
    # (the run for tomorrow expired the one ending today)
    assert counts["needs_mandate"] == 2 and counts["payment_failed"] == 0 and counts["ending_soon"] == 1


def test_filters(client: ApiClient) -> None:
    monthly = make_type(client)
    weekly = make_type(client, name="Weekly", billing_period="weekly", rate={"amount": 1200, "currency": "EUR"})
    a = enrol(client, monthly["id"], end_date=today() + days(40))
    b = enrol(client, weekly["id"], payment_method="direct_debit")
    c = enrol(client, weekly["id"], start_date=today() + days(9))

    def ids(**params: Any) -> set[str]:
        response = client.get("/v1/memberships", params=params)
        assert response.status == 200, response.text
        return {m["id"] for m in response.json()["items"]}

    assert ids() == {a["id"], b["id"], c["id"]}
    assert ids(type_id=weekly["id"]) == {b["id"], c["id"]}
    assert ids(status="needs_attention") == {b["id"]}
    assert ids(status="upcoming") == {c["id"]}
    assert ids(ends_from=today().isoformat(), ends_to=(today() + days(40)).isoformat()) == {a["id"]}
    assert ids(ends_to=(today() + days(39)).isoformat()) == set()
    assert ids(next_billing_from=(today() + days(1)).isoformat()) == {c["id"]}
    assert ids(next_billing_to=today().isoformat(), type_id=weekly["id"]) == {b["id"]}
    assert ids(created_from=today().isoformat()) == {a["id"], b["id"], c["id"]}
    assert ids(created_to=(today() - days(2)).isoformat()) == set()
    assert client.get("/v1/memberships", params={"view": "everything"}).status == 422
    assert client.get("/v1/memberships", params={"status": "paused"}).status == 422


def test_a_site_limited_key_counts_and_lists_its_sites_only(client: ApiClient) -> None:
    kind = make_type(client)
    main_site = client.get("/v1/sites").json()["items"][0]["id"]
    other_site = client.post(
        "/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
    ).json()
    enrol(client, kind["id"], payment_method="direct_debit", site_id=main_site)
    theirs = enrol(client, kind["id"], payment_method="direct_debit", site_id=other_site["id"])
    limited = client.as_key(
        client.post("/v1/api-keys", {"role": "manager", "site_ids": [other_site["id"]]}).json()["secret"]
    )
    summary = limited.get("/v1/memberships/summary").json()
    assert summary["needs_mandate"]["count"] == 1
    assert [m["id"] for m in _all(limited, summary["needs_mandate"]["list_url"])] == [theirs["id"]]
    assert client.get("/v1/memberships/summary").json()["needs_mandate"]["count"] == 2
