"""Direct-debit rules beyond the collection itself: SEPA is in euros only, and a mandate given shortly before a
debit still gives the member their pre-notification."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.memberships.conftest import enrol, make_customer, make_type


def test_a_direct_debit_in_another_currency_than_the_euro_is_refused(client: ApiClient) -> None:
    london = client.post(
        "/v1/sites", {"name": "London", "country": "GB", "time_zone": "Europe/London", "currency": "GBP"}
    )
    assert london.status == 201, london.text
    kind = make_type(client, rate={"amount": 3500, "currency": "GBP"})
    body: dict[str, Any] = {"type_id": kind["id"], "payment_method": "direct_debit", "site_id": london.json()["id"]}
    refused = client.post(f"/v1/customers/{make_customer(client)['id']}/memberships", body)
    assert refused.status == 422 and refused.error_codes() == ["DIRECT_DEBIT_EUR_ONLY"]
    assert "euros only" in refused.json()["errors"][0]["detail"]
    at_the_desk = enrol(client, kind["id"], site_id=london.json()["id"])
    assert at_the_desk["rate"] == {"amount": 3500, "currency": "GBP"}
    assert client.post(f"/v1/memberships/{at_the_desk['id']}/mandate-requests", {}).status == 422
