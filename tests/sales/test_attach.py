"""A customer attached to a recorded sale after payment, or taken off it: every counter the sale moves moves
exactly once, and back exactly, whatever the concurrency; tenants, site-limited keys and erasure hold."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import frozen_time, money, new_customer, record, sale_body, serialised_aws


def attach(client: ApiClient, sale_id: str, customer_id: str) -> Any:
    return client.put(f"/v1/sales/{sale_id}/customer", {"customer_id": customer_id})


def detach(client: ApiClient, sale_id: str) -> Any:
    return client.delete(f"/v1/sales/{sale_id}/customer")


def all_sales(client: ApiClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/sales", params=params).json()
        found += body["items"]
        cursor = body.get("cursor")
        if not cursor:
            return found


def overview(client: ApiClient, **params: str) -> dict[str, int]:
    body = client.get("/v1/insights", params=params).json()
    return {k: body[k] for k in ("total_customers", "total_sales", "returning_customers")}


def recomputed_overview(sales: list[dict[str, Any]]) -> dict[str, int]:
    """What one site's (or one day's) overview must say, from the sales themselves."""
    mine = [s for s in sales if s["customer_id"]]
    purchases = Counter(s["customer_id"] for s in mine if s["type"] == "purchase")
    return {
        "total_customers": len({s["customer_id"] for s in mine}),
        "total_sales": len(mine),
        "returning_customers": sum(1 for n in purchases.values() if n >= 2),
    }


def insights(client: ApiClient, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer_id}/insights")
    assert response.status == 200, response.text
    body = response.json()
    return {k: body[k] for k in ("total_spent", "purchase_count", "refund_count", "first_visit_at", "last_visit_at")}


def recomputed_insights(sales: list[dict[str, Any]], customer_id: str) -> dict[str, Any]:
    mine = [s for s in sales if s["customer_id"] == customer_id]
    spent = sum(-s["total"]["amount"] if s["type"] == "refund" else s["total"]["amount"] for s in mine)
    return {
        "total_spent": money(spent) if mine else None,
        "purchase_count": sum(1 for s in mine if s["type"] == "purchase"),
        "refund_count": sum(1 for s in mine if s["type"] == "refund"),
        "first_visit_at": min((s["occurred_at"] for s in mine), default=None),
        "last_visit_at": max((s["occurred_at"] for s in mine), default=None),
    }


def assert_counters_match(client: ApiClient, customers: list[str]) -> None:
    sales = all_sales(client)
    site = sales[0]["site_id"]
    days = sorted(s["local_date"] for s in sales)
    assert overview(client, site_id=site) == recomputed_overview(sales)
    assert overview(client, **{"from": days[0], "to": days[-1]}) == recomputed_overview(sales)
    assert overview(client)["total_sales"] == recomputed_overview(sales)["total_sales"]
    assert overview(client)["returning_customers"] == recomputed_overview(sales)["returning_customers"]
    for customer in customers:
        assert insights(client, customer) == recomputed_insights(sales, customer), customer
        activity = client.get(f"/v1/customers/{customer}/activity", params={"limit": 100}).json()["items"]
        assert sorted(s["id"] for s in activity) == sorted(s["id"] for s in sales if s["customer_id"] == customer)


class TestAttachAndDetach:
    def test_attach_moves_every_counter_once_and_detach_moves_them_back(self, client: ApiClient) -> None:
        """Given a paid sale without a customer, when the till attaches Ana, then her insights come back in the
        answer and every counter counts the sale once; repeats change nothing; taking her off undoes it all."""
        ana = new_customer(client)
        earlier = record(client, sale_body(400, customer_id=ana))
        sale = record(client, sale_body(1250))
        before = overview(client)

        answer = attach(client, sale["id"], ana)
        assert answer.status == 200, answer.text
        body = answer.json()
        assert body["sale"]["customer_id"] == ana and body["customer_id"] == ana
        assert body["insights"]["total_spent"] == money(1650)
        assert body["insights"]["purchase_count"] == 2 and body["insights"]["last_visit_at"] == sale["occurred_at"]
        assert client.get(f"/v1/sales/{sale['id']}").json()["customer_id"] == ana
        assert overview(client) == {**before, "total_sales": before["total_sales"] + 1, "returning_customers": 1}
        assert client.get(f"/v1/customers/{ana}").json()["last_visit_at"] == sale["occurred_at"]
        assert_counters_match(client, [ana])

        again = attach(client, sale["id"], ana)  # the till retried: nothing moves twice
        assert again.status == 200 and again.json()["insights"] == body["insights"]
        assert_counters_match(client, [ana])

        taken = detach(client, sale["id"])
        assert taken.status == 200, taken.text
        assert taken.json()["customer_id"] == ana and taken.json()["sale"]["customer_id"] is None
        assert taken.json()["insights"]["total_spent"] == money(400)
        assert overview(client) == before
        assert client.get(f"/v1/customers/{ana}").json()["last_visit_at"] == earlier["occurred_at"]
        assert_counters_match(client, [ana])

        repeat = detach(client, sale["id"])  # idempotent: the sale has no customer any more
        assert repeat.status == 200 and repeat.json()["customer_id"] is None and repeat.json()["insights"] is None
        assert overview(client) == before

    def test_a_sale_with_another_customer_is_a_conflict_naming_it(self, client: ApiClient) -> None:
        ana, bram = new_customer(client), new_customer(client, given_name="Bram")
        sale = record(client, sale_body(900, customer_id=ana))
        refused = attach(client, sale["id"], bram)
        assert refused.status == 409 and refused.error_codes() == ["SALE_HAS_CUSTOMER"]
        assert ana in refused.json()["errors"][0]["detail"]
        assert detach(client, sale["id"]).status == 200
        assert attach(client, sale["id"], bram).status == 200  # taken off, it can go to the right customer
        assert_counters_match(client, [ana, bram])

    def test_the_only_sale_taken_off_leaves_no_customer_counted(self, client: ApiClient) -> None:
        site = client.get("/v1/sites").json()["items"][0]["id"]
        ana = new_customer(client)
        sale = record(client, sale_body(700))
        before = overview(client, site_id=site)
        assert attach(client, sale["id"], ana).status == 200
        assert overview(client, site_id=site) == {
            "total_customers": before["total_customers"] + 1,
            "total_sales": before["total_sales"] + 1,
            "returning_customers": 0,
        }
        assert detach(client, sale["id"]).status == 200
        assert overview(client, site_id=site) == before
        assert insights(client, ana) == recomputed_insights([], ana)

    def test_the_directory_forgets_a_visit_taken_off(self, client: ApiClient) -> None:
        ana, bo = new_customer(client), new_customer(client)
        record(client, sale_body(300, customer_id=bo))
        later = record(client, sale_body(700))

        def by_last_visit() -> list[str]:
            params = {"sort": "last_visit", "order": "desc"}
            return [c["id"] for c in client.get("/v1/customers", params=params).json()["items"]]

        assert attach(client, later["id"], ana).status == 200
        assert by_last_visit() == [ana, bo]
        assert detach(client, later["id"]).status == 200
        assert by_last_visit() == [bo, ana]  # no visit left: after everyone who has one

    def test_an_older_sale_attached_and_taken_off_leaves_each_day_as_it_was(
        self, client: ApiClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The customer was counted as new on the day of their first sale; a sale of an earlier day attached
        later makes them returning on that earlier day (as recorded), and taking both off empties both days."""
        ana = new_customer(client)
        with frozen_time(monkeypatch, "2026-04-01T10:00:00Z"):
            older = record(client, sale_body(300))
        with frozen_time(monkeypatch, "2026-04-03T10:00:00Z"):
            first = record(client, sale_body(500, customer_id=ana))
        days = {"from": "2026-04-01", "to": "2026-04-01"}, {"from": "2026-04-03", "to": "2026-04-03"}
        assert attach(client, older["id"], ana).status == 200
        assert [overview(client, **d) for d in days] == [
            {"total_customers": 0, "total_sales": 1, "returning_customers": 1},
            {"total_customers": 1, "total_sales": 1, "returning_customers": 0},
        ]
        assert insights(client, ana)["first_visit_at"] == older["occurred_at"]
        assert_counters_match(client, [ana])
        assert detach(client, first["id"]).status == 200
        assert insights(client, ana)["last_visit_at"] == older["occurred_at"]
        assert detach(client, older["id"]).status == 200
        assert [overview(client, **d) for d in days] == [
            {"total_customers": 0, "total_sales": 0, "returning_customers": 0}
        ] * 2
        assert client.get(f"/v1/customers/{ana}").json()["last_visit_at"] is None

    def test_unknown_ids_and_bad_bodies(self, client: ApiClient) -> None:
        sale = record(client, sale_body(500))
        assert attach(client, sale["id"], "cus_nobody").status == 404
        assert attach(client, "sale_nothing", new_customer(client)).status == 404
        assert detach(client, "sale_nothing").status == 404
        assert client.put(f"/v1/sales/{sale['id']}/customer", {}).status == 422
        assert client.get(f"/v1/sales/{sale['id']}").json()["customer_id"] is None


class TestConcurrency:
    def test_concurrent_puts_through_the_gateway_one_customer_wins(self, client: ApiClient) -> None:
        """Given sales without a customer, when tills PUT the same and different customers at once (each
        several times), then each sale has exactly one of them and every counter equals a recompute."""
        customers = [new_customer(client, given_name=f"C{i}") for i in range(3)]
        sales = [record(client, sale_body(100 * (i + 1)))["id"] for i in range(4)]
        requests = [(sale, customer) for sale in sales for customer in customers for _ in range(2)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda job: (job, attach(client, *job)), requests))
        assert all(a.status in (200, 409) for _, a in answers), [a.text for _, a in answers]
        for sale in sales:
            owner = client.get(f"/v1/sales/{sale}").json()["customer_id"]
            mine = [(customer, a) for (s, customer), a in answers if s == sale]
            assert {c for c, a in mine if a.status == 200} == {owner}  # exactly one customer won
            assert all(a.error_codes() == ["SALE_HAS_CUSTOMER"] for c, a in mine if c != owner)
        assert_counters_match(client, customers)

    def test_racing_attaches_and_detaches_count_exactly(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        """The same race in the service itself, its AWS calls interleaving freely: attaches of different
        customers and detaches of the same sales at once, while another till records sales for one of the
        customers; the counters still equal a recompute."""
        from clientele.kernel.errors import Conflict
        from clientele.kernel.money import Money
        from clientele.kernel.permissions import Principal, Role
        from clientele.sales.model import SaleType
        from clientele.sales.repository import CustomerChanged, StaleRead
        from clientele.sales.service import SaleDraft
        from clientele.sales.wiring import sales, sales_service

        who = Principal(merchant_id=merchant["merchant_id"], key_id="till", role=Role.OWNER, terms_accepted=True)
        customers = [new_customer(client, given_name=f"R{i}") for i in range(3)]
        record(client, sale_body(300, customer_id=customers[0]))  # one customer already has a visit
        sale_ids = [record(client, sale_body(100 * (i + 1)))["id"] for i in range(3)]
        contended: list[str] = []
        failures: list[BaseException] = []
        repository = sales()
        original = repository.change_customer

        def noting(change: Any) -> None:
            try:
                original(change)
            except (StaleRead, CustomerChanged) as exc:
                contended.append(type(exc).__name__)
                raise

        start = threading.Barrier(len(sale_ids) * (len(customers) + 1) + 2)

        def till(sale_id: str, customer: str | None) -> None:
            start.wait(timeout=60)
            try:
                for _ in range(2):
                    if sale_id == "new":  # another till records sales for the first customer meanwhile
                        draft = SaleDraft(
                            type=SaleType.PURCHASE, total=Money(amount=250, currency="EUR"), customer_id=customer
                        )
                        sales_service().record(who, draft, idempotency_key=uuid.uuid4().hex)
                    elif customer is None:
                        sales_service().detach_customer(who, sale_id)
                    else:
                        try:
                            sales_service().attach_customer(who, sale_id, customer)
                        except Conflict as exc:
                            assert exc.details[0].code == "SALE_HAS_CUSTOMER", exc.details
            except BaseException as exc:
                failures.append(exc)

        with pytest.MonkeyPatch.context() as patch, serialised_aws():
            patch.setattr(repository, "change_customer", noting)
            jobs = [(s, c) for s in sale_ids for c in [*customers, None]] + [("new", customers[0])] * 2
            threads = [threading.Thread(target=till, args=job) for job in jobs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=180)
        assert not failures, failures
        assert contended, "the tills never raced: the test proves nothing"
        assert_counters_match(client, customers)


class TestWhoMayAttach:
    def test_another_merchants_sale_or_customer_is_not_found(
        self, stack: Stack, api: ApiClient, client: ApiClient
    ) -> None:
        other = api.as_key(stack.create_merchant()["api_key"])
        foreign_sale = record(other, sale_body(500))
        foreign_customer = new_customer(other)
        mine = record(client, sale_body(500))
        assert attach(client, foreign_sale["id"], new_customer(client)).status == 404
        assert detach(client, foreign_sale["id"]).status == 404
        assert attach(client, mine["id"], foreign_customer).status == 404
        assert other.get(f"/v1/sales/{foreign_sale['id']}").json()["customer_id"] is None
        assert client.get(f"/v1/sales/{mine['id']}").json()["customer_id"] is None

    def test_a_site_limited_key_attaches_only_sales_of_its_sites(self, client: ApiClient) -> None:
        main = client.get("/v1/sites").json()["items"][0]["id"]
        annex = client.post(
            "/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
        ).json()["id"]
        limited = client.as_key(client.post("/v1/api-keys", {"role": "manager", "site_ids": [annex]}).json()["secret"])
        ana = new_customer(client)
        at_main = record(client, sale_body(500, site_id=main))
        at_annex = record(client, sale_body(800, site_id=annex))
        assert attach(limited, at_main["id"], ana).status == 404
        answer = attach(limited, at_annex["id"], ana)
        assert answer.status == 200, answer.text
        assert answer.json()["insights"]["total_spent"] == money(800)  # its sites' figures only
        assert detach(limited, at_main["id"]).status == 404
        assert client.get(f"/v1/sales/{at_main['id']}").json()["customer_id"] is None


class TestErasure:
    def test_an_erased_customers_sale_is_nobodys_for_good(self, stack: Stack, client: ApiClient) -> None:
        ana, bram = new_customer(client), new_customer(client, given_name="Bram")
        sale = record(client, sale_body(600))
        assert attach(client, sale["id"], ana).status == 200
        assert client.delete(f"/v1/customers/{ana}").status == 204
        stack.drain()
        before = overview(client)
        refused = attach(client, sale["id"], bram)
        assert refused.status == 409 and refused.error_codes() == ["SALE_CUSTOMER_ERASED"]
        assert detach(client, sale["id"]).json()["customer_id"] is None  # nothing to take off
        assert overview(client) == before
        assert attach(client, record(client, sale_body(100))["id"], ana).status == 404  # the erased: nobody


class TestRefundsAndLoyalty:
    def test_points_accrue_once_on_attach_and_come_back_off_on_detach(self, client: ApiClient) -> None:
        from tests.loyalty.helpers import account, enroll, set_program

        set_program(client)
        ana = new_customer(client)
        enroll(client, ana)
        sale = record(client, sale_body(1250))
        answer = attach(client, sale["id"], ana).json()
        assert answer["sale"]["loyalty"] == {"points_earned": 12, "balance": 12}
        assert attach(client, sale["id"], ana).status == 200
        assert account(client, ana)["balance"] == 12
        assert detach(client, sale["id"]).status == 200
        assert account(client, ana)["balance"] == 0
        assert client.get(f"/v1/sales/{sale['id']}").json()["loyalty"] is None
        assert attach(client, sale["id"], ana).json()["sale"]["loyalty"] == {"points_earned": 12, "balance": 12}

    def test_points_already_spent_are_taken_back_down_to_zero_only(self, client: ApiClient) -> None:
        from tests.loyalty.helpers import account, enroll, redeem, set_program

        set_program(client)
        ana = new_customer(client)
        enroll(client, ana)
        sale = record(client, sale_body(6000))
        assert attach(client, sale["id"], ana).json()["sale"]["loyalty"]["balance"] == 60
        assert redeem(client, ana, "coffee").status in (200, 201)
        assert detach(client, sale["id"]).status == 200
        assert account(client, ana)["balance"] == 0  # 10 were left; the coffee stays had

    def test_a_refund_recorded_before_the_attach_is_attached_on_its_own(self, client: ApiClient) -> None:
        """Decided: attaching a sale moves that sale only. Its refund, recorded earlier without a customer, is
        a sale of its own: attached next, it counts as a refund and takes the sale's points back, as at the till."""
        from tests.loyalty.helpers import account, enroll, set_program

        set_program(client)
        ana = new_customer(client)
        enroll(client, ana)
        sale = record(client, sale_body(2000))
        refund = record(client, sale_body(500, "refund", refund_of=sale["id"]))
        assert attach(client, sale["id"], ana).json()["insights"]["refund_count"] == 0
        assert account(client, ana)["balance"] == 20
        answer = attach(client, refund["id"], ana).json()
        assert answer["insights"]["refund_count"] == 1 and answer["insights"]["total_spent"] == money(1500)
        assert answer["sale"]["loyalty"] == {"points_earned": -5, "balance": 15}
        assert_counters_match(client, [ana])
        assert detach(client, refund["id"]).status == 200  # the refund's points come back
        assert account(client, ana)["balance"] == 20
        assert detach(client, sale["id"]).status == 200
        assert account(client, ana)["balance"] == 0
        assert_counters_match(client, [ana])


class TestReceiptsAndEvents:
    def test_after_attach_the_receipt_goes_to_the_customer(self, stack: Stack, client: ApiClient) -> None:
        ana = new_customer(client, email=f"ana-{uuid.uuid4().hex[:8]}@example.com")
        sale = record(client, sale_body(750))
        send = {"channel": "email"}
        assert client.post(f"/v1/sales/{sale['id']}/receipts", send).error_codes() == ["SALE_WITHOUT_CUSTOMER"]
        assert attach(client, sale["id"], ana).status == 200
        sent = client.post(f"/v1/sales/{sale['id']}/receipts", send, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert sent.status == 202, sent.text
        assert detach(client, sale["id"]).status == 200
        refused = client.post(f"/v1/sales/{sale['id']}/receipts", send, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert refused.error_codes() == ["SALE_WITHOUT_CUSTOMER"]

    def test_groups_see_the_attach_and_the_detach(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from clientele.groups.wiring import groups

        ana = new_customer(client)
        sale = record(client, sale_body(900))
        stack.drain()
        assert attach(client, sale["id"], ana).status == 200
        stack.drain()
        facts = groups().facts(merchant["merchant_id"], ana)
        assert facts is not None and [v.sale_id for v in facts.visits] == [sale["id"]]
        assert detach(client, sale["id"]).status == 200
        stack.drain()
        facts = groups().facts(merchant["merchant_id"], ana)
        assert facts is not None and facts.visits == [] and facts.last_visit is None
        assert attach(client, sale["id"], ana).status == 200  # again: a new fact, not a duplicate
        stack.drain()
        facts = groups().facts(merchant["merchant_id"], ana)
        assert facts is not None and [v.sale_id for v in facts.visits] == [sale["id"]]

    def test_the_relay_tells_each_change_with_its_version(self) -> None:
        from clientele.sales.events import sale_customer_changed, sale_recorded
        from clientele.storage.table import serialize

        def record_of(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
            return {"eventName": "MODIFY", "dynamodb": {"OldImage": serialize(old), "NewImage": serialize(new)}}

        base = {"entity": "sale", "id": "sale_1", "merchant_id": "m_1", "site_id": "s_1", "type": "purchase"}
        base["occurred_at"] = "2026-03-03T10:00:00.000Z"
        attached = record_of(base, {**base, "customer_id": "cus_1", "customer_version": 1})
        detached = record_of({**base, "customer_id": "cus_1", "customer_version": 1}, {**base, "customer_version": 2})
        erased = record_of({**base, "customer_id": "cus_1"}, {**base, "customer_erased": True})
        first = sale_customer_changed(attached)
        assert first is not None and (first.customer_id, first.previous_customer_id, first.key) == (
            "cus_1",
            None,
            "sale_1#v1",
        )
        second = sale_customer_changed(detached)
        assert second is not None and (second.customer_id, second.customers, second.key) == (
            None,
            ["cus_1"],
            "sale_1#v2",
        )
        assert sale_customer_changed(erased) is None and sale_recorded(detached) is None
        assert sale_recorded(attached) is not None  # an attach is still a sale recorded for the customer
