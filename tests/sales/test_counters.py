"""Counters move exactly once per sale: per customer, per site, per day, under retries and concurrency."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import frozen_time, money, new_customer, record, sale_body, serialised_aws


def overview(client: ApiClient, **params: str) -> dict[str, int]:
    response = client.get("/v1/insights", params=params)
    assert response.status == 200, response.text
    body = response.json()
    return {k: body[k] for k in ("total_customers", "total_sales", "returning_customers")}


def figures(customers: int, sales: int, returning: int) -> dict[str, int]:
    return {"total_customers": customers, "total_sales": sales, "returning_customers": returning}


class TestOverviewPerSiteAndDay:
    def test_counters_answer_per_site_and_per_period(self, client: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
        site1 = client.get("/v1/sites").json()["items"][0]["id"]
        site2 = client.post(
            "/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
        ).json()["id"]
        ana, bram = new_customer(client), new_customer(client, given_name="Bram")
        # 23:30 UTC on 31 January is already 1 February in Amsterdam: days are the site's days.
        with frozen_time(monkeypatch, "2026-01-31T23:30:00Z"):
            record(client, sale_body(1000, customer_id=ana, site_id=site1))
            record(client, sale_body(1000, customer_id=bram, site_id=site2))
        with frozen_time(monkeypatch, "2026-02-02T10:00:00Z"):
            record(client, sale_body(1000, customer_id=ana, site_id=site1))  # Ana returns
        with frozen_time(monkeypatch, "2026-02-03T10:00:00Z"):
            record(client, sale_body(1000, customer_id=bram, site_id=site1))  # Bram returns, first time at site1
            record(client, sale_body(300, "refund", customer_id=bram, site_id=site1))

        assert overview(client) == figures(2, 5, 2)
        assert overview(client, **{"from": "2026-02-01", "to": "2026-02-01"}) == figures(2, 2, 0)
        assert overview(client, **{"from": "2026-01-31", "to": "2026-01-31"}) == figures(0, 0, 0)
        assert overview(client, **{"from": "2026-02-02", "to": "2026-02-03"}) == figures(0, 3, 2)
        assert overview(client, site_id=site1) == figures(2, 4, 1)
        assert overview(client, site_id=site2) == figures(1, 1, 0)
        assert overview(client, site_id=site1, **{"from": "2026-02-03", "to": "2026-03-03"}) == figures(1, 2, 0)

    def test_the_period_and_site_are_echoed_and_checked(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        body = client.get("/v1/insights", params={"from": "2026-01-01", "to": "2026-01-31"}).json()
        assert (body["from"], body["to"]) == ("2026-01-01", "2026-01-31")
        assert client.get("/v1/insights", params={"to": "2026-01-31"}).error_codes() == ["PERIOD_INCOMPLETE"]
        assert client.get("/v1/insights", params={"from": "2026-02-01", "to": "2026-01-01"}).status == 422
        assert client.get("/v1/insights", params={"from": "2020-01-01", "to": "2026-01-01"}).status == 422
        assert client.get("/v1/insights", params={"from": "yesterday"}).status == 422
        foreign_site = api.as_key(stack.create_merchant()["api_key"]).get("/v1/sites").json()["items"][0]["id"]
        assert client.get("/v1/insights", params={"site_id": foreign_site}).status == 404


def _principal(merchant: dict[str, Any]) -> Any:
    from clientele.kernel.permissions import Principal, Role

    return Principal(merchant_id=merchant["merchant_id"], key_id="till", role=Role.OWNER, terms_accepted=True)


class TestExactlyOnce:
    def test_parallel_sales_and_replays_for_one_customer_count_exactly(
        self, client: ApiClient, merchant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given 12 tills posting sales for one new customer at once, each sale sent three times in parallel
        under its own Idempotency-Key, then every counter equals what the distinct sales say."""
        from clientele.http.idempotency import idempotency
        from clientele.kernel.errors import Conflict
        from clientele.kernel.money import Money
        from clientele.sales.model import SaleType
        from clientele.sales.service import SaleDraft
        from clientele.sales.wiring import sales, sales_service

        customer = new_customer(client)
        who = _principal(merchant)
        plan = [(f"par-{i}", SaleType.REFUND if i % 4 == 3 else SaleType.PURCHASE, 100 + i) for i in range(12)]
        answers: dict[str, set[str]] = {key: set() for key, _, _ in plan}
        failures: list[BaseException] = []
        contended: list[str] = []
        repository = sales()
        original = repository.record

        def record_noting_contention(write: Any) -> None:
            from clientele.sales.repository import SaleAlreadyRecorded, StaleRead

            try:
                original(write)
            except (StaleRead, SaleAlreadyRecorded) as exc:
                contended.append(type(exc).__name__)
                raise

        monkeypatch.setattr(repository, "record", record_noting_contention)

        start = threading.Barrier(len(plan) * 3)

        def till(key: str, kind: SaleType, amount: int) -> None:
            draft = SaleDraft(type=kind, total=Money(amount=amount, currency="EUR"), customer_id=customer)
            start.wait(timeout=60)  # every till posts at the same moment: they must race
            try:
                for _ in range(200):
                    try:
                        outcome = idempotency().run(
                            scope="POST /v1/sales",
                            merchant_id=who.merchant_id,
                            key=key,
                            payload={"amount": amount, "type": kind.value},
                            action=lambda: {"id": sales_service().record(who, draft, idempotency_key=key).id},
                        )
                        answers[key].add(outcome.response["id"])
                        return
                    except Conflict:  # the same key still in progress on another till: retry like a client
                        time.sleep(0.01)
                raise AssertionError("never finished")
            except BaseException as exc:
                failures.append(exc)

        with serialised_aws():
            threads = [threading.Thread(target=till, args=step) for step in plan for _ in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        assert not failures, failures
        assert all(len(ids) == 1 for ids in answers.values()), answers
        assert contended, "the tills never raced: the test proves nothing"

        purchases = [amount for _, kind, amount in plan if kind is SaleType.PURCHASE]
        refunds = [amount for _, kind, amount in plan if kind is SaleType.REFUND]
        insights = client.get(f"/v1/customers/{customer}/insights").json()
        assert insights["purchase_count"] == len(purchases) and insights["refund_count"] == len(refunds)
        assert insights["total_spent"] == money(sum(purchases) - sum(refunds))
        assert overview(client) == figures(1, 12, 1)
        activity = client.get(f"/v1/customers/{customer}/activity", params={"limit": 100}).json()["items"]
        assert len(activity) == 12

    def test_parallel_first_sales_of_many_customers_count_each_once(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from clientele.kernel.money import Money
        from clientele.sales.model import SaleType
        from clientele.sales.service import SaleDraft
        from clientele.sales.wiring import sales_service

        customers = [new_customer(client, given_name=f"C{i}") for i in range(5)]
        who = _principal(merchant)
        failures: list[BaseException] = []

        def till(customer: str) -> None:
            try:
                for _ in range(2):
                    draft = SaleDraft(
                        type=SaleType.PURCHASE, total=Money(amount=500, currency="EUR"), customer_id=customer
                    )
                    sales_service().record(who, draft, idempotency_key=uuid.uuid4().hex)
            except BaseException as exc:
                failures.append(exc)

        with serialised_aws():
            threads = [threading.Thread(target=till, args=(c,)) for c in customers for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        assert not failures, failures
        assert overview(client) == figures(5, 20, 5)
        assert overview(client, site_id=client.get("/v1/sites").json()["items"][0]["id"]) == figures(5, 20, 5)
