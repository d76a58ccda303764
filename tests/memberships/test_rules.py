"""The pure rules of memberships: billing dates anchored to the start day, statuses and reasons, the dues
agenda and what a day's events do."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clientele.kernel.money import Money
from clientele.memberships import rules
from clientele.memberships.model import (
    BillingPeriod,
    FixedLength,
    LengthUnit,
    Membership,
    MembershipPaymentMethod,
    MembershipSettings,
    Reason,
    Status,
)
from clientele.memberships.rules import Event


def _membership(**overrides: object) -> Membership:
    fields: dict[str, object] = {
        "id": "mbr_1",
        "merchant_id": "m",
        "customer_id": "c",
        "site_id": "s",
        "type_id": "t",
        "number": "M000001",
        "rate": Money(amount=3900, currency="EUR"),
        "billing_period": BillingPeriod.MONTHLY,
        "payment_method": MembershipPaymentMethod.MANUAL,
        "start_date": date(2026, 1, 31),
        "status": Status.ACTIVE,
        "created_at": "2026-01-31T10:00:00.000Z",
        "updated_at": "2026-01-31T10:00:00.000Z",
    }
    fields.update(overrides)
    return Membership.model_validate(fields)


class TestBillingDates:
    def test_the_31st_bills_on_the_last_day_of_shorter_months_and_comes_back(self) -> None:
        start = date(2026, 1, 31)
        got = [rules.period_start(start, BillingPeriod.MONTHLY, n) for n in range(6)]
        assert got == [
            date(2026, 1, 31),
            date(2026, 2, 28),
            date(2026, 3, 31),  # never chained from the 28th
            date(2026, 4, 30),
            date(2026, 5, 31),
            date(2026, 6, 30),
        ]

    def test_leap_years(self) -> None:
        assert rules.period_start(date(2028, 1, 31), BillingPeriod.MONTHLY, 1) == date(2028, 2, 29)
        assert rules.period_start(date(2028, 2, 29), BillingPeriod.YEARLY, 1) == date(2029, 2, 28)
        assert rules.period_start(date(2028, 2, 29), BillingPeriod.YEARLY, 4) == date(2032, 2, 29)
        assert rules.period_start(date(2027, 11, 30), BillingPeriod.QUARTERLY, 1) == date(2028, 2, 29)

    def test_weekly_and_quarterly(self) -> None:
        assert rules.period_start(date(2026, 3, 27), BillingPeriod.WEEKLY, 2) == date(2026, 4, 10)
        assert rules.period_start(date(2026, 8, 31), BillingPeriod.QUARTERLY, 2) == date(2027, 2, 28)

    def test_a_period_ends_the_day_before_the_next_starts(self) -> None:
        assert rules.period_end(date(2026, 1, 31), BillingPeriod.MONTHLY, 0) == date(2026, 2, 27)
        assert rules.period_end(date(2026, 1, 31), BillingPeriod.MONTHLY, 1) == date(2026, 3, 30)

    @pytest.mark.parametrize(
        ("day", "index"),
        [(date(2026, 1, 31), 0), (date(2026, 2, 27), 0), (date(2026, 2, 28), 1), (date(2026, 3, 31), 2)],
    )
    def test_the_period_a_day_falls_in(self, day: date, index: int) -> None:
        assert rules.period_index(date(2026, 1, 31), BillingPeriod.MONTHLY, day) == index

    def test_a_fixed_length_ends_the_day_before_its_anniversary(self) -> None:
        assert rules.end_of_fixed_length(date(2026, 1, 31), FixedLength(count=12, unit=LengthUnit.MONTHS)) == date(
            2027, 1, 30
        )
        assert rules.end_of_fixed_length(date(2028, 2, 29), FixedLength(count=1, unit=LengthUnit.YEARS)) == date(
            2029, 2, 27
        )

    def test_no_charge_after_the_end(self) -> None:
        m = _membership(end_date=date(2026, 2, 27), billed_periods=1)
        assert rules.next_charge_date(m) is None

    def test_a_manual_membership_shows_its_oldest_unpaid_charge_as_next_billing(self) -> None:
        m = _membership(billed_periods=2, open_charges=[date(2026, 1, 31), date(2026, 2, 28)])
        assert rules.next_billing_date(m) == date(2026, 1, 31)
        assert rules.next_billing_date(_membership(billed_periods=2)) == date(2026, 3, 31)


class TestLocalDay:
    def test_both_sides_of_midnight(self) -> None:
        instant = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
        assert rules.local_today(instant, "Europe/Amsterdam") == date(2026, 7, 1)  # 00:30 CEST
        assert rules.local_today(instant, "Europe/London") == date(2026, 6, 30)  # 23:30 BST
        assert rules.local_today(instant, "America/New_York") == date(2026, 6, 30)
        assert rules.local_today(instant, "Asia/Kolkata") == date(2026, 7, 1)

    def test_daylight_saving_days(self) -> None:
        # 29 March 2026: Amsterdam skips 02:00-03:00; 25 October 2026: it lives 02:00-03:00 twice.
        assert rules.local_today(datetime(2026, 3, 28, 22, 59, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 3, 28)
        assert rules.local_today(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 3, 29)
        assert rules.local_today(datetime(2026, 3, 29, 21, 59, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 3, 29)
        assert rules.local_today(datetime(2026, 3, 29, 22, 0, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 3, 30)
        assert rules.local_today(datetime(2026, 10, 24, 22, 0, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 10, 25)
        assert rules.local_today(datetime(2026, 10, 25, 22, 59, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 10, 25)
        assert rules.local_today(datetime(2026, 10, 25, 23, 0, tzinfo=UTC), "Europe/Amsterdam") == date(2026, 10, 26)


class TestStatus:
    def test_a_direct_debit_without_a_mandate_needs_attention(self) -> None:
        m = rules.settle(_membership(payment_method=MembershipPaymentMethod.DIRECT_DEBIT), date(2026, 1, 31))
        assert (m.status, m.reason) == (Status.NEEDS_ATTENTION, Reason.NO_MANDATE)
        assert rules.needs_mandate(m)

    def test_a_mandate_clears_it(self) -> None:
        m = _membership(
            payment_method=MembershipPaymentMethod.DIRECT_DEBIT, reason=Reason.NO_MANDATE, mandate_id="mnd_1"
        )
        assert rules.settle(m, date(2026, 2, 1)).status is Status.ACTIVE

    def test_a_future_start_is_upcoming(self) -> None:
        assert rules.settle(_membership(), date(2026, 1, 30)).status is Status.UPCOMING
        assert rules.settle(_membership(), date(2026, 1, 31)).status is Status.ACTIVE

    def test_an_outstanding_payment_stays_until_nothing_is_open(self) -> None:
        m = _membership(reason=Reason.PAYMENT_OUTSTANDING, open_charges=[date(2026, 1, 31)], billed_periods=1)
        assert rules.settle(m, date(2026, 2, 10)).status is Status.NEEDS_ATTENTION
        paid = rules.settle(m.model_copy(update={"open_charges": []}), date(2026, 2, 10))
        assert (paid.status, paid.reason) == (Status.ACTIVE, None)

    def test_cancelled_and_expired_are_final(self) -> None:
        m = _membership(status=Status.CANCELLED, payment_method=MembershipPaymentMethod.DIRECT_DEBIT)
        assert rules.settle(m, date(2026, 3, 1)).status is Status.CANCELLED

    def test_an_ended_membership_expires_or_is_cancelled(self) -> None:
        m = _membership(end_date=date(2026, 2, 27))
        assert rules.finished(m, date(2026, 2, 27)).status is Status.ACTIVE
        assert rules.finished(m, date(2026, 2, 28)).status is Status.EXPIRED


class TestAgendaAndEvents:
    settings = MembershipSettings()

    def test_a_manual_membership_plans_a_reminder_and_its_charge(self) -> None:
        m = _membership(billed_periods=1)
        planned = rules.agenda(m, self.settings, date(2026, 2, 1))
        assert (date(2026, 2, 28), Event.CHARGE) in planned
        assert (date(2026, 2, 25), Event.REMIND) in planned

    def test_a_direct_debit_plans_its_pre_notification_14_days_ahead(self) -> None:
        m = _membership(payment_method=MembershipPaymentMethod.DIRECT_DEBIT, billed_periods=2)
        planned = rules.agenda(m, self.settings, date(2026, 2, 1))
        assert (date(2026, 3, 17), Event.PRENOTIFY) in planned

    def test_a_day_already_done_moves_to_the_next_but_a_late_notice_is_dropped(self) -> None:
        m = _membership(billed_periods=0)
        planned = rules.agenda(m, self.settings, date(2026, 2, 1))
        assert (date(2026, 2, 1), Event.CHARGE) in planned
        assert not any(event == Event.REMIND for _, event in planned if _ < date(2026, 2, 25))

    def test_charges_catch_up_every_period_due(self) -> None:
        m = _membership(start_date=date(2026, 1, 31), billed_periods=0)
        outcome = rules.apply_events(m, {Event.CHARGE}, date(2026, 3, 31), self.settings)
        assert [c.start for c in outcome.charges] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
        assert outcome.membership.billed_periods == 3
        again = rules.apply_events(outcome.membership, {Event.CHARGE}, date(2026, 3, 31), self.settings)
        assert again.charges == ()

    def test_past_its_grace_period_an_unpaid_charge_is_outstanding(self) -> None:
        m = _membership(billed_periods=1, open_charges=[date(2026, 1, 31)])
        assert rules.apply_events(m, {Event.GRACE}, date(2026, 2, 7), self.settings).membership.reason is None
        late = rules.apply_events(m, {Event.GRACE}, date(2026, 2, 8), self.settings).membership
        assert (late.status, late.reason) == (Status.NEEDS_ATTENTION, Reason.PAYMENT_OUTSTANDING)

    def test_a_pending_direct_debit_changes_nothing(self) -> None:
        m = _membership(payment_method=MembershipPaymentMethod.DIRECT_DEBIT, mandate_id="mnd_1")
        outcome = rules.apply_events(m, {Event.CHARGE, Event.GRACE}, date(2026, 3, 1), self.settings)
        assert outcome.membership.status is Status.ACTIVE and outcome.membership.open_charges == []

    def test_quick_view_entries(self) -> None:
        m = _membership(end_date=date(2026, 6, 30), billed_periods=1)
        views = {e.view for e in rules.view_entries(m)}
        assert views == {"status:active", rules.View.ENDS, rules.View.DUE}
        dd = rules.settle(_membership(payment_method=MembershipPaymentMethod.DIRECT_DEBIT), date(2026, 2, 1))
        assert rules.View.NEEDS_MANDATE in {e.view for e in rules.view_entries(dd)}
