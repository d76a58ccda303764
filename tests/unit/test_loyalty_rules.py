"""Loyalty's pure rules: what a sale earns, what a refund takes back, the balance's floor, expiry, rewards."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from clientele.loyalty import rules
from clientele.loyalty.model import Accrual, Program, Reward

PER_EURO = Program(accrual=Accrual.PER_AMOUNT, points_per_unit=1, unit_amount=100)
PER_VISIT = Program(accrual=Accrual.PER_VISIT, points_per_visit=3, minimum_spend=500)


def test_per_amount_carries_the_remainder_to_the_next_visit() -> None:
    first = rules.earn(PER_EURO, 5030, 0)
    assert (first.points, first.remainder) == (50, 30)
    second = rules.earn(PER_EURO, 770, first.remainder)
    assert (second.points, second.remainder) == (8, 0)
    double = Program(accrual=Accrual.PER_AMOUNT, points_per_unit=2, unit_amount=250)
    assert rules.earn(double, 1000, 100) == rules.Earned(8, 100)


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=30))
def test_carried_remainders_lose_nothing_over_many_visits(amounts: list[int]) -> None:
    remainder, points = 0, 0
    for amount in amounts:
        earned = rules.earn(PER_EURO, amount, remainder)
        points, remainder = points + earned.points, earned.remainder
        assert 0 <= remainder < 100
    assert points == sum(amounts) // 100 and remainder == sum(amounts) % 100


def test_per_visit_needs_the_minimum_spend_and_keeps_the_remainder() -> None:
    assert rules.earn(PER_VISIT, 499, 7) == rules.Earned(0, 7)
    assert rules.earn(PER_VISIT, 500, 7) == rules.Earned(3, 7)
    assert rules.earn(PER_VISIT, 0, 0) == rules.Earned(0, 0)


def test_a_refund_takes_back_its_sales_share_or_the_points_of_its_amount() -> None:
    original = rules.Original(points=40, amount=4000, reversed=0)
    assert rules.points_to_reverse(PER_EURO, 1000, original) == 10
    assert rules.points_to_reverse(PER_EURO, 4000, original) == 40
    assert rules.points_to_reverse(PER_EURO, 9999, rules.Original(40, 4000, 10)) == 30  # what is left
    assert rules.points_to_reverse(PER_EURO, 1000, rules.Original(40, 4000, 40)) == 0
    assert rules.points_to_reverse(PER_EURO, 1250, None) == 12
    assert rules.points_to_reverse(PER_VISIT, 1250, None) == 0  # an unnamed refund does not undo a visit
    assert rules.points_to_reverse(PER_VISIT, 100, rules.Original(3, 900, 0)) == 0  # 3 * 100 // 900
    assert rules.points_to_reverse(PER_VISIT, 900, rules.Original(3, 900, 0)) == 3


def test_the_floor_keeps_balances_at_zero_unless_negative_is_allowed() -> None:
    assert rules.floor(20, 8, allow_negative=False) == 8
    assert rules.floor(20, -3, allow_negative=False) == 0
    assert rules.floor(5, 8, allow_negative=False) == 5
    assert rules.floor(20, 8, allow_negative=True) == 20


def test_expiry_is_due_months_after_the_last_visit() -> None:
    yearly = Program(expiry_months=6)
    last = "2026-02-15T09:00:00.000Z"
    assert rules.expiry_due(yearly, 30, last, datetime(2026, 8, 15, 8, 59, tzinfo=UTC)) is None
    assert rules.expiry_due(yearly, 30, last, datetime(2026, 8, 15, 9, 0, tzinfo=UTC)) == datetime(
        2026, 8, 15, 9, 0, tzinfo=UTC
    )
    assert rules.expiry_due(yearly, 0, last, datetime(2030, 1, 1, tzinfo=UTC)) is None  # nothing to expire
    assert rules.expiry_due(PER_EURO, 30, last, datetime(2030, 1, 1, tzinfo=UTC)) is None  # never expires


def test_affordable_rewards_cheapest_first() -> None:
    program = Program(
        rewards=[
            Reward(id="cake", points=120, name={"en": "Cake"}),
            Reward(id="coffee", points=50, name={"en": "Coffee"}),
        ]
    )
    assert [r.id for r in rules.affordable(program, 49)] == []
    assert [r.id for r in rules.affordable(program, 50)] == ["coffee"]
    assert [r.id for r in rules.affordable(program, 500)] == ["coffee", "cake"]
