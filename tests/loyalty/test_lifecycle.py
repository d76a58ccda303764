"""An account's life beyond the till: points that expire, two customers merged, and erasure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data
from tests.loyalty.helpers import account, adjust, assert_ledger_adds_up, enroll, ledger, set_program
from tests.sales.helpers import frozen_time, new_customer, record, sale_body


class TestExpiry:
    def test_points_expire_after_months_without_a_visit_the_same_whether_read_or_sold(
        self, client: ApiClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        set_program(client, expiry_months=6)
        ana, bram = new_customer(client), new_customer(client, given_name="Bram")
        with frozen_time(monkeypatch, "2026-01-10T09:00:00Z"):
            enroll(client, ana, "+31612345678")
            enroll(client, bram, "+31611111111")
        with frozen_time(monkeypatch, "2026-02-15T09:00:00Z"):  # the last visit of each
            record(client, sale_body(3000, customer_id=ana))
            record(client, sale_body(3000, customer_id=bram))
        with frozen_time(monkeypatch, "2026-08-14T09:00:00Z"):  # a day before the six months are up
            assert account(client, ana)["balance"] == 30
        with frozen_time(monkeypatch, "2026-09-20T09:00:00Z"):
            assert account(client, ana)["balance"] == 0  # applied on reading
            sold = record(client, sale_body(500, customer_id=bram))  # applied on the next sale, then it accrues
            assert sold["loyalty"] == {"points_earned": 5, "balance": 5}
            assert_ledger_adds_up(client, ana)
            assert_ledger_adds_up(client, bram)
        expired = [[e for e in ledger(client, c) if e["type"] == "expire"] for c in (ana, bram)]
        assert [(e["points"], e["at"]) for e in expired[0]] == [(-30, "2026-08-15T09:00:00.000Z")]
        assert [(e["points"], e["at"]) for e in expired[1]] == [(-30, "2026-08-15T09:00:00.000Z")]
        with frozen_time(monkeypatch, "2026-12-01T09:00:00Z"):
            assert account(client, ana)["balance"] == 0
            assert len([e for e in ledger(client, ana) if e["type"] == "expire"]) == 1  # an empty balance: no event

    def test_no_expiry_without_months_in_the_program(self, client: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
        set_program(client)
        ana = new_customer(client)
        with frozen_time(monkeypatch, "2025-01-10T09:00:00Z"):
            enroll(client, ana)
            record(client, sale_body(1000, customer_id=ana))
        with frozen_time(monkeypatch, "2026-09-20T09:00:00Z"):
            assert account(client, ana)["balance"] == 10


def _merge(merchant: dict[str, Any], source: str, survivor: str) -> Any:
    from clientele.loyalty.wiring import loyalty_service

    return loyalty_service().merge_accounts(merchant["merchant_id"], source, survivor)


class TestMerge:
    def test_two_enrolled_profiles_add_up_with_a_merge_event_each_side(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        set_program(client)
        ana, twin = new_customer(client), new_customer(client, given_name="Ana B")
        enroll(client, ana, "+31612345678")
        enroll(client, twin, "+31611111111")
        record(client, sale_body(3000, customer_id=ana))
        record(client, sale_body(2000, customer_id=twin))
        adjust(client, twin, -5, "mistake")

        merged = _merge(merchant, twin, ana)
        assert merged.balance == 45 and merged.lifetime_earned == 50
        held = assert_ledger_adds_up(client, ana)
        assert held["balance"] == 45
        assert ledger(client, ana)[0] | {"id": "", "at": ""} == {
            "id": "",
            "at": "",
            "type": "merge",
            "points": 15,
            "balance_after": 45,
            "sale_id": None,
            "reward_id": None,
            "reason": None,
            "other_customer_id": twin,
        }
        twin_ledger = ledger(client, twin)
        assert twin_ledger[0]["type"] == "merge" and twin_ledger[0]["points"] == -15
        assert sum(e["points"] for e in twin_ledger) == 0
        assert client.get(f"/v1/customers/{twin}/loyalty").error_codes() == ["NOT_ENROLLED"]
        # The source's phone is free; the survivor keeps its own.
        assert client.get("/v1/loyalty/accounts", params={"phone": "+31611111111"}).status == 404
        assert client.get("/v1/loyalty/accounts", params={"phone": "+31612345678"}).json()["customer_id"] == ana
        # Again: nothing more moves.
        assert _merge(merchant, twin, ana).balance == 45
        assert account(client, ana)["balance"] == 45

    def test_when_only_the_source_is_enrolled_its_account_moves(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        set_program(client)
        ana, twin = new_customer(client), new_customer(client, given_name="Ana B")
        enroll(client, twin, "+31611111111")
        record(client, sale_body(2550, customer_id=twin))
        moved = _merge(merchant, twin, ana)
        assert moved.customer_id == ana and moved.balance == 25 and moved.remainder == 50
        found = client.get("/v1/loyalty/accounts", params={"phone": "+31611111111"}).json()
        assert found["customer_id"] == ana and found["balance"] == 25
        assert_ledger_adds_up(client, ana)
        # The remainder moved too: 0.50 + 0.50 makes a point at the survivor's next sale.
        assert record(client, sale_body(50, customer_id=ana))["loyalty"] == {"points_earned": 1, "balance": 26}
        assert client.get(f"/v1/customers/{twin}/loyalty").status == 404

    def test_neither_enrolled_changes_nothing(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        ana, twin = new_customer(client), new_customer(client, given_name="Ana B")
        assert _merge(merchant, twin, ana) is None
        assert client.get(f"/v1/customers/{ana}/loyalty").status == 404


class TestErasure:
    def test_erasure_takes_the_phone_and_words_and_keeps_the_points(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from clientele.loyalty.wiring import loyalty
        from clientele.storage import partitions

        set_program(client)
        ana = new_customer(client, given_name="Ottoline")
        enroll(client, ana, "06 13572468")
        record(client, sale_body(4200, customer_id=ana))
        assert adjust(client, ana, 5, "birthday of Ottoline").status == 201
        assert find_personal_data(stack.info, ["+31613572468"])  # the scan sees the phone before

        assert client.delete(f"/v1/customers/{ana}").status == 204
        assert find_personal_data(stack.info, ["+31613572468", "0613572468", "Ottoline"]) == []
        assert client.get("/v1/loyalty/accounts", params={"phone": "06 13572468"}).status == 404
        assert client.get(f"/v1/customers/{ana}/loyalty").status == 404
        # The ledger stays, anonymised, and still adds up to the kept balance (the merchant's totals).
        items, _ = loyalty().table.query(
            partition=("PK", partitions.customer_pk(merchant["merchant_id"], ana)), begins_with=("SK", "LOYALTY#")
        )
        kept = {i["entity"] for i in items}
        assert {"loyalty_account", "loyalty_event", "loyalty_sale", "loyalty_op"} <= kept
        held = next(i for i in items if i["entity"] == "loyalty_account")
        assert held["balance"] == 47 and "phone" not in held and held["erased"] is True
        assert sum(i["points"] for i in items if i["entity"] == "loyalty_event") == 47
        # The number can enrol someone else.
        bram = new_customer(client, given_name="Bram")
        enroll(client, bram, "+31613572468")
