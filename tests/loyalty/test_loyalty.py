"""Loyalty through the API: the program, enrolment, points that a sale earns exactly once and a refund takes
back, adjustments and redemptions, the phone at the till; the ledger adds up after every operation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.loyalty.helpers import (
    CAFE,
    account,
    adjust,
    assert_ledger_adds_up,
    enroll,
    ledger,
    redeem,
    set_program,
)
from tests.sales.helpers import card, new_customer, record, sale_body


@pytest.fixture
def cafe(client: ApiClient) -> ApiClient:
    set_program(client)
    return client


class TestProgram:
    def test_the_program_is_saved_read_and_versioned(self, client: ApiClient) -> None:
        assert client.get("/v1/loyalty/program").error_codes() == ["NO_LOYALTY_PROGRAM"]
        saved = set_program(client, expiry_months=12)
        assert saved["version"] == 1 and saved["expiry_months"] == 12
        assert [r["id"] for r in saved["rewards"]] == ["coffee", "cake"]
        assert saved["rewards"][0]["name"] == {"en": "Free coffee", "fr": "Café offert", "nl": "Gratis koffie"}
        assert client.get("/v1/loyalty/program").json() == saved
        stale = client.put("/v1/loyalty/program", {**CAFE, "version": 0})
        assert stale.status == 409 and stale.error_codes() == ["VERSION_MISMATCH"]
        again = client.put("/v1/loyalty/program", {**CAFE, "version": 1, "accrual": "per_visit"})
        assert again.status == 200 and again.json()["version"] == 2

    @pytest.mark.parametrize(
        "change",
        [
            {"accrual": "per_euro"},
            {"points_per_unit": 0},
            {"points_per_unit": "1"},
            {"unit_amount": 1.5},
            {"expiry_months": 0},
            {"rewards": [{"name": {"en": "Coffee"}, "points": 0}]},
            {"rewards": [{"name": {"fr": "Café"}, "points": 10}]},
            {"rewards": [{"name": {"en": "Coffee", "de": "Kaffee"}, "points": 10}]},
            {"rewards": [{"id": "a", "name": {"en": "A"}, "points": 1}, {"id": "a", "name": {"en": "B"}, "points": 2}]},
            {"allow_negative": "yes"},
        ],
    )
    def test_a_bad_program_is_refused_and_changes_nothing(self, client: ApiClient, change: dict[str, Any]) -> None:
        before = set_program(client)
        refused = client.put("/v1/loyalty/program", {**CAFE, **change})
        assert refused.status == 422, refused.text
        assert client.get("/v1/loyalty/program").json() == before

    def test_only_keys_with_loyalty_manage_set_it(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        assert api.get("/v1/loyalty/program").status == 401
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        assert staff.put("/v1/loyalty/program", CAFE).status == 200  # staff run the till: loyalty:manage


class TestEnrolment:
    def test_enrol_with_any_phone_format_and_find_at_the_till(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enrolled = enroll(cafe, ana, "06 12 34 56 78")
        assert enrolled["phone"] == "+31612345678" and enrolled["balance"] == 0
        assert enrolled["rewards_available"] == []
        for typed in ("+31612345678", "0031 6 1234 5678", "(06) 1234-5678"):
            found = cafe.get("/v1/loyalty/accounts", params={"phone": typed})
            assert found.status == 200 and found.json()["customer_id"] == ana, typed
        assert cafe.get("/v1/loyalty/accounts", params={"phone": "+31 6 87654321"}).status == 404
        assert cafe.get("/v1/loyalty/accounts", params={"phone": "not a phone"}).error_codes() == ["INVALID_PHONE"]
        assert_ledger_adds_up(cafe, ana)

    def test_enrolling_twice_or_with_a_held_phone_is_refused_and_names_the_holder(self, cafe: ApiClient) -> None:
        ana, bram = new_customer(cafe), new_customer(cafe, given_name="Bram")
        enroll(cafe, ana, "+31612345678")
        twice = cafe.post(f"/v1/customers/{ana}/loyalty", {"phone": "+31687654321"})
        assert twice.status == 409 and twice.error_codes() == ["ALREADY_ENROLLED"]
        taken = cafe.post(f"/v1/customers/{bram}/loyalty", {"phone": "06-12345678"})
        assert taken.status == 409 and taken.error_codes() == ["PHONE_TAKEN"]
        assert ana in taken.json()["errors"][0]["detail"]
        assert cafe.get(f"/v1/customers/{bram}/loyalty").error_codes() == ["NOT_ENROLLED"]
        assert account(cafe, ana)["phone"] == "+31612345678"
        for bad in ({"phone": "12"}, {"phone": "not a phone"}, {"phone": 612345678}, {}, {"phone": "+31611", "x": 1}):
            refused = cafe.post(f"/v1/customers/{bram}/loyalty", bad)
            assert refused.status == 422 and refused.json()["errors"][0]["field"] in ("phone", "x"), bad
        assert cafe.get(f"/v1/customers/{bram}/loyalty").error_codes() == ["NOT_ENROLLED"]

    def test_unknown_and_foreign_customers_are_404(self, cafe: ApiClient, stack: Stack, api: ApiClient) -> None:
        assert cafe.post("/v1/customers/cus_nobody/loyalty", {"phone": "+31612345678"}).status == 404
        other = api.as_key(stack.create_merchant()["api_key"])
        set_program(other)
        ana = new_customer(cafe)
        enroll(cafe, ana)
        assert other.get(f"/v1/customers/{ana}/loyalty").status == 404
        assert other.get(f"/v1/customers/{ana}/loyalty/events").status == 404
        assert other.post(f"/v1/customers/{ana}/loyalty", {"phone": "+31611111111"}).status == 404
        assert adjust(other, ana, 10).status == 404
        assert other.get("/v1/loyalty/accounts", params={"phone": "+31612345678"}).status == 404

    def test_changing_the_phone_keeps_the_points_and_is_in_the_ledger(self, cafe: ApiClient) -> None:
        ana, bram = new_customer(cafe), new_customer(cafe, given_name="Bram")
        enroll(cafe, ana, "+31612345678")
        enroll(cafe, bram, "+31611111111")
        assert adjust(cafe, ana, 40).status == 201
        taken = cafe.patch(f"/v1/customers/{ana}/loyalty", {"phone": "+31611111111"})
        assert taken.status == 409 and taken.error_codes() == ["PHONE_TAKEN"]
        changed = cafe.patch(f"/v1/customers/{ana}/loyalty", {"phone": "06 12398765"})
        assert changed.status == 200 and changed.json()["phone"] == "+31612398765"
        assert changed.json()["balance"] == 40
        assert cafe.get("/v1/loyalty/accounts", params={"phone": "+31612345678"}).status == 404
        assert cafe.get("/v1/loyalty/accounts", params={"phone": "+31612398765"}).json()["balance"] == 40
        assert ledger(cafe, ana)[0]["type"] == "phone_changed"
        assert_ledger_adds_up(cafe, ana)
        # The old number is free again.
        carla = new_customer(cafe, given_name="Carla")
        enroll(cafe, carla, "+31612345678")

    def test_loyalty_is_closed_until_the_terms_are_accepted(self, stack: Stack, api: ApiClient) -> None:
        fresh = api.as_key(stack.create_merchant(accept_terms=False)["api_key"])
        for response in (
            fresh.put("/v1/loyalty/program", CAFE),
            fresh.get("/v1/loyalty/accounts", params={"phone": "+31612345678"}),
            fresh.post("/v1/customers/cus_x/loyalty", {"phone": "+31612345678"}),
            fresh.get("/v1/customers/cus_x/loyalty/events"),
        ):
            assert response.status == 403 and response.error_codes() == ["TERMS_NOT_ACCEPTED"], response.text

    def test_the_account_shows_its_phone_in_e164_to_keys_that_see_contact_details(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana, "+31 (0)6 1234 5678")
        staff = cafe.as_key(cafe.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        assert account(cafe, ana)["phone"] == account(staff, ana)["phone"] == "+31612345678"


class TestSalesAccrue:
    def test_a_cafe_day_points_carry_redeem_refund(self, cafe: ApiClient) -> None:
        """1 point per euro, remainder carried; free coffee at 50."""
        ana = new_customer(cafe)
        enroll(cafe, ana)
        first = record(cafe, sale_body(5030, customer_id=ana))
        assert first["loyalty"] == {"points_earned": 50, "balance": 50}
        assert_ledger_adds_up(cafe, ana)
        second = record(cafe, sale_body(770, customer_id=ana))  # 0.30 carried + 7.70 = 8 points
        assert second["loyalty"] == {"points_earned": 8, "balance": 58}
        held = assert_ledger_adds_up(cafe, ana)
        assert [r["id"] for r in held["rewards_available"]] == ["coffee"]
        assert held["lifetime_earned"] == 58

        key = uuid.uuid4().hex
        redeemed = redeem(cafe, ana, "coffee", key)
        assert redeemed.status == 201 and redeemed.json()["points"] == -50 and redeemed.json()["balance_after"] == 8
        tapped_again = redeem(cafe, ana, "coffee", key)
        assert tapped_again.status == 201 and tapped_again.json() == redeemed.json()
        assert tapped_again.headers.get("idempotent-replayed") == "true"
        held = assert_ledger_adds_up(cafe, ana)
        assert (held["balance"], held["redeemed"]) == (8, 50)

        # A €20 sale, then its refund naming it: the 20 points go back.
        twenty = record(cafe, sale_body(2000, customer_id=ana))
        assert twenty["loyalty"] == {"points_earned": 20, "balance": 28}
        refund = record(cafe, sale_body(2000, "refund", customer_id=ana, refund_of=twenty["id"]))
        assert refund["loyalty"] == {"points_earned": -20, "balance": 8}
        # Refunding it again takes nothing more (the sale's points are back already).
        again = record(cafe, sale_body(2000, "refund", customer_id=ana, refund_of=twenty["id"]))
        assert again["loyalty"] == {"points_earned": 0, "balance": 8}
        assert_ledger_adds_up(cafe, ana)
        types = [e["type"] for e in ledger(cafe, ana)]
        assert types == ["reverse", "accrue", "redeem", "accrue", "accrue", "enroll"]

    def test_a_replayed_or_retried_sale_accrues_once(self, cafe: ApiClient, merchant: dict[str, Any]) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        key = uuid.uuid4().hex
        first = record(cafe, sale_body(1234, customer_id=ana), key=key)
        replay = record(cafe, sale_body(1234, customer_id=ana), key=key)
        assert first["loyalty"] == replay["loyalty"] == {"points_earned": 12, "balance": 12}
        assert cafe.get(f"/v1/sales/{first['id']}").json()["loyalty"] == first["loyalty"]
        # The same sale again through the service, past its idempotency record: storage refuses it.
        from clientele.kernel.money import Money
        from clientele.kernel.permissions import Principal, Role
        from clientele.sales.model import SaleType
        from clientele.sales.service import SaleDraft
        from clientele.sales.wiring import sales_service

        who = Principal(merchant_id=merchant["merchant_id"], key_id="till", role=Role.OWNER, terms_accepted=True)
        draft = SaleDraft(type=SaleType.PURCHASE, total=Money(amount=1234, currency="EUR"), customer_id=ana)
        again = sales_service().record(who, draft, idempotency_key=key)
        assert again.id == first["id"] and again.loyalty is not None and again.loyalty.balance == 12
        assert account(cafe, ana)["balance"] == 12
        assert_ledger_adds_up(cafe, ana)

    def test_a_refund_without_its_sale_takes_back_the_points_of_the_amount_never_below_zero(
        self, cafe: ApiClient
    ) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        record(cafe, sale_body(3000, customer_id=ana))
        refund = record(cafe, sale_body(1250, "refund", customer_id=ana))
        assert refund["loyalty"] == {"points_earned": -12, "balance": 18}
        big = record(cafe, sale_body(10000, "refund", customer_id=ana))
        assert big["loyalty"] == {"points_earned": -18, "balance": 0}
        assert_ledger_adds_up(cafe, ana)

    def test_negative_balances_when_the_program_allows_them(self, client: ApiClient) -> None:
        set_program(client, allow_negative=True)
        ana = new_customer(client)
        enroll(client, ana)
        refund = record(client, sale_body(1000, "refund", customer_id=ana))
        assert refund["loyalty"] == {"points_earned": -10, "balance": -10}
        assert adjust(client, ana, -5, "mistake").status == 201
        assert assert_ledger_adds_up(client, ana)["balance"] == -15

    def test_a_partial_refund_of_a_named_sale_takes_back_its_share(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        sale = record(cafe, sale_body(4000, customer_id=ana))
        part = record(cafe, sale_body(1000, "refund", customer_id=ana, refund_of=sale["id"]))
        assert part["loyalty"] == {"points_earned": -10, "balance": 30}
        rest = record(cafe, sale_body(3000, "refund", customer_id=ana, refund_of=sale["id"]))
        assert rest["loyalty"] == {"points_earned": -30, "balance": 0}
        assert_ledger_adds_up(cafe, ana)

    def test_exchanges_accrue_on_their_net_amount(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        record(cafe, sale_body(2000, customer_id=ana))
        up = record(cafe, sale_body(550, "exchange", customer_id=ana))
        assert up["loyalty"] == {"points_earned": 5, "balance": 25}
        down = record(cafe, sale_body(-300, "exchange", customer_id=ana))
        assert down["loyalty"] == {"points_earned": -3, "balance": 22}
        assert_ledger_adds_up(cafe, ana)

    def test_per_visit_points_over_a_minimum_spend(self, client: ApiClient) -> None:
        set_program(client, accrual="per_visit", points_per_visit=2, minimum_spend=500)
        ana = new_customer(client)
        enroll(client, ana)
        assert record(client, sale_body(499, customer_id=ana))["loyalty"] == {"points_earned": 0, "balance": 0}
        assert record(client, sale_body(500, customer_id=ana))["loyalty"] == {"points_earned": 2, "balance": 2}
        assert record(client, sale_body(9000, customer_id=ana))["loyalty"] == {"points_earned": 2, "balance": 4}
        assert_ledger_adds_up(client, ana)

    def test_changing_the_program_never_changes_earned_points(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        record(cafe, sale_body(4000, customer_id=ana))
        set_program(cafe, points_per_unit=10, rewards=[])
        assert account(cafe, ana)["balance"] == 40
        assert record(cafe, sale_body(100, customer_id=ana))["loyalty"] == {"points_earned": 10, "balance": 50}
        assert_ledger_adds_up(cafe, ana)

    def test_a_sale_paid_with_an_enrolled_customers_card_accrues_to_them(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        paid = card()
        record(cafe, sale_body(1000, customer_id=ana, card=paid))  # links the card to Ana
        by_card = record(cafe, sale_body(2500, card=paid))
        assert by_card["customer_id"] == ana and by_card["loyalty"] == {"points_earned": 25, "balance": 35}
        assert_ledger_adds_up(cafe, ana)

    def test_sales_of_customers_without_an_account_carry_no_loyalty(self, cafe: ApiClient) -> None:
        bram = new_customer(cafe)
        assert record(cafe, sale_body(1000, customer_id=bram)).get("loyalty") is None
        assert record(cafe, sale_body(1000)).get("loyalty") is None
        assert cafe.post("/v1/sales", sale_body(100, refund_of="sale_x")).error_codes() == ["INVALID_REFUND"]


class TestAdjustmentsAndRedemptions:
    def test_adjust_with_a_reason_add_and_remove(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        birthday = adjust(cafe, ana, 10, "birthday")
        assert birthday.status == 201 and birthday.json()["balance_after"] == 10
        assert adjust(cafe, ana, -5, "mistake").json()["balance_after"] == 5
        assert [(e["type"], e["points"], e["reason"]) for e in ledger(cafe, ana)[:2]] == [
            ("adjust", -5, "mistake"),
            ("adjust", 10, "birthday"),
        ]
        below = adjust(cafe, ana, -6, "too much")
        assert below.status == 422 and below.error_codes() == ["INSUFFICIENT_POINTS"]
        assert assert_ledger_adds_up(cafe, ana)["balance"] == 5

    @pytest.mark.parametrize(
        "body",
        [
            {"points": "10", "reason": "x"},
            {"points": 10.0, "reason": "x"},
            {"points": 10.5, "reason": "x"},
            {"points": 0, "reason": "x"},
            {"points": 10**9, "reason": "x"},
            {"points": -(10**9), "reason": "x"},
            {"points": True, "reason": "x"},
            {"points": 10},
            {"points": 10, "reason": "   "},
            {"points": 10, "reason": "x", "extra": 1},
        ],
    )
    def test_bad_adjustments_are_clear_errors_and_change_nothing(self, cafe: ApiClient, body: dict[str, Any]) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        adjust(cafe, ana, 7)
        refused = cafe.post(f"/v1/customers/{ana}/loyalty/adjustments", body, headers={"Idempotency-Key": "k1"})
        assert refused.status == 422, refused.text
        assert refused.json()["errors"][0]["field"] in ("points", "reason", "extra")
        assert assert_ledger_adds_up(cafe, ana)["balance"] == 7
        assert len(ledger(cafe, ana)) == 2

    def test_an_adjustment_key_reused_with_another_body_is_refused(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        assert adjust(cafe, ana, 10, key="same").status == 201
        replay = adjust(cafe, ana, 10, key="same")
        assert replay.status == 201 and replay.headers.get("idempotent-replayed") == "true"
        reused = adjust(cafe, ana, 11, key="same")
        assert reused.status == 422 and reused.error_codes() == ["IDEMPOTENCY_KEY_REUSED"]
        assert assert_ledger_adds_up(cafe, ana)["balance"] == 10

    def test_redeeming_needs_enough_points_and_a_known_reward(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        adjust(cafe, ana, 49)
        short = redeem(cafe, ana, "coffee")
        assert short.status == 422 and short.error_codes() == ["INSUFFICIENT_POINTS"]
        unknown = redeem(cafe, ana, "pony")
        assert unknown.status == 422 and unknown.error_codes() == ["UNKNOWN_REWARD"]
        assert cafe.post(f"/v1/customers/{ana}/loyalty/redemptions", {"reward_id": 5}).status == 422
        assert assert_ledger_adds_up(cafe, ana)["balance"] == 49
        adjust(cafe, ana, 1)
        assert redeem(cafe, ana, "coffee").status == 201
        assert assert_ledger_adds_up(cafe, ana)["balance"] == 0

    def test_not_enrolled_customers_cannot_be_adjusted_or_redeemed(self, cafe: ApiClient) -> None:
        bram = new_customer(cafe)
        assert adjust(cafe, bram, 5).error_codes() == ["NOT_ENROLLED"]
        assert redeem(cafe, bram, "coffee").error_codes() == ["NOT_ENROLLED"]
        assert cafe.patch(f"/v1/customers/{bram}/loyalty", {"phone": "+31612345678"}).status == 404

    def test_the_ledger_pages_newest_first(self, cafe: ApiClient) -> None:
        ana = new_customer(cafe)
        enroll(cafe, ana)
        for n in range(1, 10):
            adjust(cafe, ana, n)
        first = cafe.get(f"/v1/customers/{ana}/loyalty/events", params={"limit": 4}).json()
        assert [e["points"] for e in first["items"]] == [9, 8, 7, 6] and first["cursor"]
        events = ledger(cafe, ana)
        assert len(events) == 10 and events[-1]["type"] == "enroll"
        assert assert_ledger_adds_up(cafe, ana)["balance"] == 45
        bad = cafe.get(f"/v1/customers/{ana}/loyalty/events", params={"cursor": "garbage"})
        assert bad.status == 400
