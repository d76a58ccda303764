"""Pure rules of memberships: billing dates, statuses and reasons, the quick views, the dues agenda.

Billing dates are always computed from the start date (``relativedelta(start, months=n)``), never by adding
one period to the previous date: a membership that starts on the 31st bills on the 30th of April and on the
28th (or 29th) of February, and on the 31st again in May.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from clientele.memberships.model import (
    BillingPeriod,
    Credit,
    CreditPlan,
    CreditState,
    FixedLength,
    LengthUnit,
    Membership,
    MembershipPaymentMethod,
    MembershipSettings,
    Reason,
    Status,
    UnusedCredits,
)

# Statuses in which a membership still runs: it bills, it can end, it shows in the date quick views.
LIVE = frozenset({Status.UPCOMING, Status.ACTIVE, Status.NEEDS_ATTENTION})
# A customer "has a membership" for the directory while one is in one of these.
HOLDING = frozenset({Status.ACTIVE, Status.NEEDS_ATTENTION})
QUICK_VIEW_DAYS = 7
QUICK_VIEWS = ("needs_mandate", "payment_failed", "ending_soon", "payment_due")


def local_today(now: datetime, time_zone: str) -> date:
    """The date at a site at ``now``."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def period_start(start: date, period: BillingPeriod, n: int) -> date:
    """The first day of the ``n``-th period (0 is the start itself), always counted from ``start``."""
    if period is BillingPeriod.WEEKLY:
        return start + relativedelta(weeks=n)
    if period is BillingPeriod.MONTHLY:
        return start + relativedelta(months=n)
    if period is BillingPeriod.QUARTERLY:
        return start + relativedelta(months=3 * n)
    return start + relativedelta(years=n)


def period_index(start: date, period: BillingPeriod, day: date) -> int:
    """The period that ``day`` falls in (0 for the first); ``day`` on or after ``start``."""
    n = 0
    if period is BillingPeriod.WEEKLY:
        n = (day - start).days // 7
    else:
        months = {BillingPeriod.MONTHLY: 1, BillingPeriod.QUARTERLY: 3, BillingPeriod.YEARLY: 12}[period]
        n = max(0, ((day.year - start.year) * 12 + day.month - start.month) // months)
    while n > 0 and period_start(start, period, n) > day:
        n -= 1
    while period_start(start, period, n + 1) <= day:
        n += 1
    return n


def period_end(start: date, period: BillingPeriod, n: int) -> date:
    """The last day (inclusive) of the ``n``-th period."""
    return period_start(start, period, n + 1) - timedelta(days=1)


def end_of_fixed_length(start: date, length: FixedLength) -> date:
    """The last day of a membership of a fixed length that starts on ``start``."""
    delta = {
        LengthUnit.DAYS: relativedelta(days=length.count),
        LengthUnit.WEEKS: relativedelta(weeks=length.count),
        LengthUnit.MONTHS: relativedelta(months=length.count),
        LengthUnit.YEARS: relativedelta(years=length.count),
    }[length.unit]
    return start + delta - timedelta(days=1)


def next_charge_date(m: Membership) -> date | None:
    """When the next charge is raised (the first day of the next period not billed yet), if there is one."""
    if m.status not in LIVE:
        return None
    day = period_start(m.start_date, m.billing_period, m.billed_periods)
    if m.end_date is not None and day > m.end_date:
        return None
    return day


def next_billing_date(m: Membership) -> date | None:
    """The date shown as the next billing date: for payments at the desk, when the oldest unpaid charge was
    due (so paying moves it on); otherwise the next charge's date."""
    if m.status not in LIVE:
        return None
    if m.payment_method is MembershipPaymentMethod.MANUAL and m.open_charges:
        return m.open_charges[0]
    return next_charge_date(m)


def needs_mandate(m: Membership) -> bool:
    return m.status in LIVE and m.payment_method is MembershipPaymentMethod.DIRECT_DEBIT and m.mandate_id is None


def payment_failed(m: Membership) -> bool:
    return m.reason in (Reason.PAYMENT_FAILED, Reason.PAYMENT_OUTSTANDING)


def payment_up_to_date(m: Membership) -> bool:
    return not m.open_charges or (m.payment_method is MembershipPaymentMethod.DIRECT_DEBIT and not payment_failed(m))


def settle(m: Membership, today: date) -> Membership:
    """The status and reason that follow from the membership's facts on ``today`` (its site's date).

    Cancelled and expired are final. A failed or outstanding payment stays until nothing is left unpaid; a
    direct debit without a mandate needs one (a revoked mandate says so until a new one is given). A debit
    that is only pending never changes anything.
    """
    if m.status in (Status.CANCELLED, Status.EXPIRED):
        return m.model_copy(update={"reason": None})
    reason = m.reason
    if reason in (Reason.PAYMENT_FAILED, Reason.PAYMENT_OUTSTANDING) and not m.open_charges:
        reason = None
    if reason in (Reason.NO_MANDATE, Reason.MANDATE_REVOKED) and (
        m.mandate_id is not None or m.payment_method is MembershipPaymentMethod.MANUAL
    ):
        reason = None
    if reason is None and m.payment_method is MembershipPaymentMethod.DIRECT_DEBIT and m.mandate_id is None:
        reason = Reason.NO_MANDATE
    if reason is not None:
        status = Status.NEEDS_ATTENTION
    elif m.start_date > today:
        status = Status.UPCOMING
    else:
        status = Status.ACTIVE
    return m.model_copy(update={"status": status, "reason": reason})


def finished(m: Membership, today: date) -> Membership:
    """A live membership whose last day is over ends: cancelled if it was cancelled, expired otherwise."""
    if m.status not in LIVE or m.end_date is None or m.end_date >= today:
        return m
    status = Status.CANCELLED if m.cancellation is not None else Status.EXPIRED
    return m.model_copy(update={"status": status, "reason": None})


# Quick views and list indexes ------------------------------------------------------------------------


class View:
    """The list indexes a membership appears in; the quick views are some of them."""

    STATUS = "status"  # one per status, by creation
    NEEDS_MANDATE = "needs_mandate"  # by creation
    PAYMENT_FAILED = "payment_failed"  # by creation
    ENDS = "ends"  # live memberships with an end date, by end date
    DUE = "due"  # live memberships with a next billing date, by that date


@dataclass(frozen=True, order=True)
class ViewEntry:
    view: str  # View.* (for STATUS: "status:<status>")
    sort: str  # a date (ENDS, DUE) or the creation time
    dated: bool  # counted per day (ENDS, DUE) or in total


def view_entries(m: Membership) -> set[ViewEntry]:
    entries = {ViewEntry(f"{View.STATUS}:{m.status.value}", m.created_at, False)}
    if needs_mandate(m):
        entries.add(ViewEntry(View.NEEDS_MANDATE, m.created_at, False))
    if m.status in LIVE and payment_failed(m):
        entries.add(ViewEntry(View.PAYMENT_FAILED, m.created_at, False))
    if m.status in LIVE and m.end_date is not None:
        entries.add(ViewEntry(View.ENDS, m.end_date.isoformat(), True))
    billing = next_billing_date(m)
    if billing is not None:
        entries.add(ViewEntry(View.DUE, billing.isoformat(), True))
    return entries


def quick_view_range(today: date) -> tuple[date, date]:
    """Days counted by "ending within 7 days" and "payment due within 7 days": today and the next seven."""
    return today, today + timedelta(days=QUICK_VIEW_DAYS)


# The dues agenda ----------------------------------------------------------------------------------------


class Event:
    START = "start"  # an upcoming membership begins
    CREDIT = "credit"  # issue the credits of the period that starts that day (expire or cap the older ones)
    CHARGE = "charge"  # raise the charge of the period that starts that day
    PRENOTIFY = "prenotify"  # tell the member before a direct debit is collected
    REMIND = "remind"  # remind the member before a payment at the desk is due
    GRACE = "grace"  # an unpaid charge at the desk has run out of its grace period
    ENDING = "ending"  # tell the member the membership ends soon
    END = "end"  # the day after the last day: expired or cancelled


def agenda(m: Membership, settings: MembershipSettings, earliest: date) -> set[tuple[date, str]]:
    """What the dues run must do for this membership, on which (site-local) day.

    Days before ``earliest`` (the day after the one the site's run has already done) move to ``earliest``,
    so nothing is missed; nothing is planned for a membership that no longer runs.
    """
    if m.status not in LIVE:
        return set()
    planned: set[tuple[date, str]] = set()
    if m.status is Status.UPCOMING:
        planned.add((m.start_date, Event.START))
    charge = next_charge_date(m)
    if charge is not None:
        planned.add((charge, Event.CHARGE))
        if m.payment_method is MembershipPaymentMethod.DIRECT_DEBIT:
            planned.add((charge - timedelta(days=settings.prenotification_days), Event.PRENOTIFY))
        else:
            planned.add((charge - timedelta(days=settings.reminder_days), Event.REMIND))
    if (
        m.payment_method is MembershipPaymentMethod.MANUAL
        and m.open_charges
        and m.reason is not Reason.PAYMENT_OUTSTANDING
    ):
        planned.add((m.open_charges[0] + timedelta(days=settings.grace_days + 1), Event.GRACE))
    credit = next_credit_date(m)
    if credit is not None:
        planned.add((credit, Event.CREDIT))
    if m.end_date is not None:
        planned.add((m.end_date - timedelta(days=settings.ending_notice_days), Event.ENDING))
        planned.add((m.end_date + timedelta(days=1), Event.END))
    return {(max(day, earliest), event) for day, event in planned if not _stale_notice(day, earliest, event)}


def _stale_notice(day: date, earliest: date, event: str) -> bool:
    """A notice whose day has passed is not sent late (a charge, a start or an end always happens)."""
    return day < earliest and event in (Event.PRENOTIFY, Event.REMIND, Event.ENDING)


@dataclass(frozen=True)
class RaisedCharge:
    period: int
    start: date
    end: date


@dataclass(frozen=True)
class Outcome:
    """What one day's events do to a membership: its new state, the charges raised, the notices to send, the
    period whose credits are issued (if any) and whether it ended that day."""

    membership: Membership
    charges: tuple[RaisedCharge, ...] = ()
    notices: tuple[str, ...] = ()
    credits: RaisedCharge | None = None
    ended: bool = False


def apply_events(m: Membership, events: set[str], day: date, settings: MembershipSettings) -> Outcome:
    """Run one site-local ``day``'s events for ``m``. Each event checks the membership's own facts, so an
    event that is no longer true (a charge already raised, a membership already ended) does nothing."""
    charges: list[RaisedCharge] = []
    notices: list[str] = []
    if Event.CHARGE in events:
        due = next_charge_date(m)
        while due is not None and due <= day:
            n = m.billed_periods
            charges.append(RaisedCharge(n, due, period_end(m.start_date, m.billing_period, n)))
            opened = [*m.open_charges, due] if m.payment_method is MembershipPaymentMethod.MANUAL else m.open_charges
            m = m.model_copy(update={"billed_periods": n + 1, "open_charges": opened})
            due = next_charge_date(m)
    overdue = bool(m.open_charges) and m.open_charges[0] + timedelta(days=settings.grace_days) < day
    if Event.GRACE in events and overdue and m.payment_method is MembershipPaymentMethod.MANUAL:
        m = m.model_copy(update={"reason": Reason.PAYMENT_OUTSTANDING})
    was_live = m.status in LIVE
    m = settle(finished(m, day) if Event.END in events else m, day)
    credited = None
    if m.status in LIVE:
        for notice in (Event.PRENOTIFY, Event.REMIND, Event.ENDING):
            if notice in events:
                notices.append(notice)
        if Event.CREDIT in events:
            m, credited = issue_credits(m, day)
    return Outcome(m, tuple(charges), tuple(notices), credited, ended=was_live and m.status not in LIVE)


# Credits --------------------------------------------------------------------------------------------------

MAX_CREDITS_PER_PERIOD = 40  # issued in the transaction that saves the membership (100 operations at most)


def next_credit_date(m: Membership) -> date | None:
    """When the next period's credits are issued: the start of the first period not credited yet, while the
    membership runs and that period starts before its end."""
    if m.status not in LIVE or m.credits is None or not m.credits.per_period:
        return None
    day = period_start(m.start_date, m.billing_period, m.credited_periods)
    if m.end_date is not None and day > m.end_date:
        return None
    return day


def issue_credits(m: Membership, day: date) -> tuple[Membership, RaisedCharge | None]:
    """The period whose credits are issued on ``day``: the one ``day`` falls in, once. Periods that are already
    over (a membership enrolled with a past start, a run more than a period late) get none: credits are for
    the period they are used in. Returns the membership with ``credited_periods`` moved past it."""
    due = next_credit_date(m)
    if due is None or due > day:
        return m, None
    n = period_index(m.start_date, m.billing_period, day)
    if n < m.credited_periods:  # pragma: no cover - next_credit_date is on or before day
        return m, None
    start = period_start(m.start_date, m.billing_period, n)
    if m.end_date is not None and start > m.end_date:
        return m.model_copy(update={"credited_periods": n + 1}), None
    end = period_end(m.start_date, m.billing_period, n)
    return m.model_copy(update={"credited_periods": n + 1}), RaisedCharge(n, start, end)


def credit_expiry(plan: CreditPlan, period_last_day: date, end_date: date | None) -> date | None:
    """The last day a period's credit can be redeemed: with ``expire``, the period's last day (or the
    membership's, when it ends sooner); carried over, none."""
    if plan.unused is UnusedCredits.CARRY_OVER:
        return None
    return min(period_last_day, end_date) if end_date is not None else period_last_day


def period_credit_id(membership_id: str, period: int, kind: int, n: int) -> str:
    """A period credit's id, the same for the same membership, period, kind and number: issued twice, the
    second put fails its ``attribute_not_exists`` condition (never two credits for one)."""
    import hashlib

    digest = hashlib.sha256(f"{membership_id}|{period}|{kind}|{n}".encode()).hexdigest()
    return f"crd_{digest[:25]}"


def to_expire(
    open_credits: list[Credit], plan: CreditPlan | None, day: date, *, current_period: int | None
) -> list[Credit]:
    """The available period credits that expire on ``day``: past their last day (``expire``), or, carried over,
    those of each kind beyond the cap (the oldest go first; the current period's own are never counted)."""
    gone = [c for c in open_credits if c.status_on(day) is CreditState.EXPIRED]
    if plan is None or plan.unused is not UnusedCredits.CARRY_OVER or plan.carry_over_cap is None:
        return gone
    carried: dict[str, list[Credit]] = {}
    for c in open_credits:
        if c in gone or not c.carries_over or (current_period is not None and c.period == current_period):
            continue
        carried.setdefault(c.name, []).append(c)
    for kind in carried.values():
        kind.sort(key=lambda c: (c.period or 0, c.id), reverse=True)  # newest first
        gone.extend(kind[plan.carry_over_cap :])
    return gone
