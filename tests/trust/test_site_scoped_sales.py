"""Other sites' sales never leak to a site-limited key through the customer: activity (every sort, order
and type), insights and the sale-bound signup QR code all keep to the key's sites."""

from __future__ import annotations

import itertools
from typing import Any

from tests.conftest import ApiClient
from tests.sales.helpers import new_customer, record, sale_body


def _two_sites_and_a_customer(client: ApiClient) -> tuple[str, str, str, dict[str, Any], list[dict[str, Any]]]:
    first = client.get("/v1/sites").json()["items"][0]["id"]
    annex = client.post(
        "/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
    ).json()["id"]
    customer = new_customer(client)
    ours = [
        record(client, sale_body(1000, customer_id=customer, site_id=first)),
        record(client, sale_body(300, "refund", customer_id=customer, site_id=first)),
    ]
    theirs = [
        record(client, sale_body(5000 + n, kind, customer_id=customer, site_id=annex))
        for n, kind in enumerate(["purchase", "purchase", "refund", "exchange", "purchase"])
    ]
    return first, annex, customer, ours[0], theirs


def test_activity_and_insights_keep_to_the_keys_sites(client: ApiClient, api: ApiClient) -> None:
    first, _annex, customer, ours, theirs = _two_sites_and_a_customer(client)
    limited = api.as_key(client.post("/v1/api-keys", {"role": "staff", "site_ids": [first]}).json()["secret"])
    hidden = {s["id"] for s in theirs}

    for kind, sort, order in itertools.product([None, "refunds", "exchanges"], ["date", "amount"], ["asc", "desc"]):
        params: dict[str, Any] = {"sort": sort, "order": order, "limit": 2}
        if kind:
            params["type"] = kind
        seen: list[dict[str, Any]] = []
        for _ in range(20):
            page = limited.get(f"/v1/customers/{customer}/activity", params=params)
            assert page.status == 200, page.text
            seen += page.json()["items"]
            if not page.json().get("cursor"):
                break
            params["cursor"] = page.json()["cursor"]
        assert not hidden & {s["id"] for s in seen}, (kind, sort, order)
        assert all(s["site_id"] == first for s in seen)
    everything = limited.get(f"/v1/customers/{customer}/activity", params={"limit": 100}).json()["items"]
    assert len(everything) == 2 and ours["id"] in {s["id"] for s in everything}
    via_sales = limited.get("/v1/sales", params={"customer_id": customer}).json()["items"]
    assert {s["site_id"] for s in via_sales} == {first}

    insights = limited.get(f"/v1/customers/{customer}/insights").json()
    assert (insights["purchase_count"], insights["refund_count"], insights["exchange_count"]) == (1, 1, 0)
    assert insights["total_spent"]["amount"] == 700
    whole = client.get(f"/v1/customers/{customer}/insights").json()
    assert whole["purchase_count"] == 4 and whole["exchange_count"] == 1


def test_a_signup_qr_code_is_made_only_for_a_visible_sale_without_a_customer(client: ApiClient, api: ApiClient) -> None:
    first, annex, _, _, theirs = _two_sites_and_a_customer(client)
    limited = api.as_key(client.post("/v1/api-keys", {"role": "staff", "site_ids": [first]}).json()["secret"])
    elsewhere = record(client, sale_body(1200, site_id=annex))
    here = record(client, sale_body(1300, site_id=first))
    refused = limited.get("/v1/signup-qr", params={"sale_id": elsewhere["id"]})
    assert refused.status == 404 and refused.error_codes() == ["NOT_FOUND"]
    assert limited.get("/v1/signup-qr", params={"sale_id": here["id"]}).status == 200
    taken = client.get("/v1/signup-qr", params={"sale_id": theirs[0]["id"]})
    assert taken.status == 409 and taken.error_codes() == ["SALE_HAS_CUSTOMER"]
