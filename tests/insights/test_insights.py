"""Customer insights, activity history and the overview, through the gateway and the insights function."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import frozen_time, money, new_customer, record, sale_body


@pytest.fixture(scope="module")
def shop(stack: Stack) -> ApiClient:
    from tests.conftest import ApiClient as Client

    return Client(stack.gateway, stack.create_merchant()["api_key"])


@pytest.fixture(scope="module")
def history(shop: ApiClient) -> dict[str, Any]:
    """A customer with seven sales over a week: purchases, refunds and an exchange, amounts out of order.

    Built once for the module (read-only tests), through the API like every other sale.
    """
    customer = new_customer(shop)
    plan = [("purchase", 1500), ("purchase", 300), ("refund", 300), ("purchase", 9900), ("exchange", -250),
            ("purchase", 4200), ("refund", 1000)]  # fmt: skip
    sales = []
    with pytest.MonkeyPatch.context() as patch:
        for day, (kind, amount) in enumerate(plan, start=1):
            with frozen_time(patch, f"2026-03-0{day}T12:00:00Z"):
                sales.append(record(shop, sale_body(amount, kind, customer_id=customer)))
    return {"customer": customer, "sales": sales}


def activity(client: ApiClient, customer: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer}/activity", params=params)
    assert response.status == 200, response.text
    return response.json()


def amounts(page: dict[str, Any]) -> list[int]:
    return [s["total"]["amount"] for s in page["items"]]


class TestCustomerInsights:
    def test_insights_sum_the_history(self, shop: ApiClient, history: dict[str, Any]) -> None:
        body = shop.get(f"/v1/customers/{history['customer']}/insights").json()
        assert body["total_spent"] == money(1500 + 300 - 300 + 9900 - 250 + 4200 - 1000)
        assert (body["purchase_count"], body["refund_count"], body["exchange_count"]) == (4, 2, 1)
        assert body["first_visit_at"] == "2026-03-01T12:00:00.000Z"
        assert body["last_visit_at"] == "2026-03-07T12:00:00.000Z"

    def test_a_customer_without_sales_has_zero_counts_and_no_total(self, client: ApiClient) -> None:
        body = client.get(f"/v1/customers/{new_customer(client)}/insights").json()
        assert body["total_spent"] is None and body["purchase_count"] == 0 and body["last_visit_at"] is None

    def test_unknown_and_foreign_customers_are_404(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        assert client.get("/v1/customers/cus_nope/insights").status == 404
        assert client.get("/v1/customers/cus_nope/activity").status == 404
        mine = new_customer(client)
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/customers/{mine}/insights").status == 404
        assert other.get(f"/v1/customers/{mine}/activity").status == 404


class TestActivity:
    def test_newest_first_by_default(self, shop: ApiClient, history: dict[str, Any]) -> None:
        page = activity(shop, history["customer"])
        assert [s["id"] for s in page["items"]] == [s["id"] for s in reversed(history["sales"])]
        assert page.get("cursor") is None

    def test_filter_by_type_in_both_spellings(self, shop: ApiClient, history: dict[str, Any]) -> None:
        assert amounts(activity(shop, history["customer"], type="refund")) == [1000, 300]
        assert amounts(activity(shop, history["customer"], type="purchases", order="asc")) == [1500, 300, 9900, 4200]
        assert amounts(activity(shop, history["customer"], type="exchange")) == [-250]

    def test_sort_by_amount_either_order(self, shop: ApiClient, history: dict[str, Any]) -> None:
        assert amounts(activity(shop, history["customer"], sort="amount")) == [
            9900, 4200, 1500, 1000, 300, 300, -250]  # fmt: skip
        assert amounts(activity(shop, history["customer"], sort="amount", order="asc", type="purchase")) == [
            300, 1500, 4200, 9900]  # fmt: skip

    def test_pages_are_bounded_and_chain_by_cursor(self, shop: ApiClient, history: dict[str, Any]) -> None:
        seen: list[int] = []
        params: dict[str, Any] = {"sort": "amount", "limit": 3}
        for _ in range(5):
            page = activity(shop, history["customer"], **params)
            assert len(page["items"]) <= 3
            seen += amounts(page)
            if not page.get("cursor"):
                break
            params["cursor"] = page["cursor"]
        assert seen == [9900, 4200, 1500, 1000, 300, 300, -250]

    def test_entries_are_receipts_with_lines(self, client: ApiClient) -> None:
        customer = new_customer(client)
        line = {"description": "Haircut", "unit_price": money(3500), "total": money(3500)}
        record(client, sale_body(3500, customer_id=customer, lines=[line]))
        entry = activity(client, customer)["items"][0]
        assert entry["lines"][0]["description"] == "Haircut" and entry["type"] == "purchase"

    @pytest.mark.parametrize(("params", "field"), [
        ({"type": "gift"}, "type"), ({"sort": "name"}, "sort"), ({"order": "up"}, "order"), ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit")])  # fmt: skip
    def test_bad_parameters_are_422(self, shop: ApiClient, history: dict[str, Any], params: dict[str, Any],
                                    field: str) -> None:  # fmt: skip
        response = shop.get(f"/v1/customers/{history['customer']}/activity", params=params)
        assert response.status == 422 and response.json()["errors"][0]["field"] == field

    def test_a_cursor_from_another_query_is_400(self, shop: ApiClient, history: dict[str, Any]) -> None:
        cursor = activity(shop, history["customer"], limit=2)["cursor"]
        response = shop.get(f"/v1/customers/{history['customer']}/activity",
                              params={"cursor": cursor, "sort": "amount"})  # fmt: skip
        assert response.status == 400 and response.error_codes() == ["INVALID_CURSOR"]
        other = new_customer(shop)
        assert shop.get(f"/v1/customers/{other}/activity", params={"cursor": cursor}).status == 400
        assert shop.get(f"/v1/customers/{other}/activity", params={"cursor": "!!"}).status == 400


class TestSalesSearch:
    def test_all_sales_newest_first_paginated(self, client: ApiClient) -> None:
        ids = [record(client, sale_body(100 + n))["id"] for n in range(3)]
        first = client.get("/v1/sales", params={"limit": 2}).json()
        second = client.get("/v1/sales", params={"limit": 2, "cursor": first["cursor"]}).json()
        assert [s["id"] for s in first["items"] + second["items"]][:3] == list(reversed(ids))

    def test_a_staff_key_reads_but_a_foreign_sale_stays_hidden(self, client: ApiClient, stack: Stack,
                                                               api: ApiClient) -> None:  # fmt: skip
        staff = api.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        sale = record(staff, sale_body())
        assert staff.get(f"/v1/sales/{sale['id']}").status == 200
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get("/v1/sales").json()["items"] == []


class TestOverviewAccess:
    def test_a_site_limited_key_sees_only_its_sites(self, client: ApiClient, api: ApiClient) -> None:
        first = client.get("/v1/sites").json()["items"][0]["id"]
        annex = client.post("/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam",
                                          "currency": "EUR"}).json()["id"]  # fmt: skip
        customer = new_customer(client)
        record(client, sale_body(customer_id=customer, site_id=first))
        record(client, sale_body(customer_id=customer, site_id=annex))
        limited = api.as_key(client.post("/v1/api-keys", {"role": "manager", "site_ids": [annex]}).json()["secret"])
        body = limited.get("/v1/insights").json()
        assert (body["total_sales"], body["site_ids"]) == (1, [annex])
        assert limited.get("/v1/insights", params={"site_id": first}).status == 404
        assert limited.post("/v1/sales", sale_body(site_id=first)).status == 422
        assert record(limited, sale_body())["site_id"] == annex
