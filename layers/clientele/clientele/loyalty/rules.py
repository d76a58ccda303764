"""Pure rules of loyalty: what a sale earns, what a refund takes back, when points expire, what a balance buys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clientele.loyalty.model import Accrual, Program, Reward

MAX_POINTS = 1_000_000  # one adjustment, one reward, one tier: larger is a typo


@dataclass(frozen=True)
class Earned:
    points: int
    remainder: int  # the new remainder (per-amount programs)


def earn(program: Program, amount: int, remainder: int) -> Earned:
    """What spending ``amount`` (minor units, > 0) earns, with ``remainder`` carried from earlier visits.

    Per visit: the visit's points once the spend reaches the minimum; the remainder is untouched.
    Per amount: every full ``unit_amount`` of (remainder + amount) makes ``points_per_unit``; the rest carries.
    """
    if amount <= 0:
        return Earned(0, remainder)
    if program.accrual is Accrual.PER_VISIT:
        return Earned(program.points_per_visit if amount >= program.minimum_spend else 0, remainder)
    total = remainder + amount
    units, rest = divmod(total, program.unit_amount)
    return Earned(units * program.points_per_unit, rest)


@dataclass(frozen=True)
class Original:
    """A sale's accrual as its marker keeps it: the points it earned, for which amount, and how many went back."""

    points: int
    amount: int
    reversed: int


def points_to_reverse(program: Program, amount: int, original: Original | None) -> int:
    """The points a refund of ``amount`` takes back (before the balance's floor).

    A refund naming its sale takes back that sale's points in proportion to the money returned (all of what
    is left for a full refund), never more than the sale earned. Otherwise: per amount, the points that
    ``amount`` would earn (without the remainder); per visit, none (a visit is not undone by an unnamed refund).
    """
    if amount <= 0:
        return 0
    if original is not None:
        left = max(original.points - original.reversed, 0)
        if original.amount <= 0 or amount >= original.amount:
            return left
        return min(left, original.points * amount // original.amount)
    if program.accrual is Accrual.PER_VISIT:
        return 0
    return (amount // program.unit_amount) * program.points_per_unit


def floor(points: int, balance: int, *, allow_negative: bool) -> int:
    """Points that may be taken from ``balance``: all of them when negative balances are allowed, else down to 0."""
    if allow_negative:
        return points
    return max(0, min(points, balance))


def expiry_due(program: Program, balance: int, last_visit_at: str, now: datetime) -> datetime | None:
    """When the balance expired (no visit for ``expiry_months``), if it has by ``now``; else None."""
    if program.expiry_months is None or balance <= 0:
        return None
    from dateutil.relativedelta import relativedelta

    from clientele.kernel import clock

    due = clock.parse(last_visit_at) + relativedelta(months=program.expiry_months)
    return due if due <= now else None


def affordable(program: Program, balance: int) -> list[Reward]:
    return sorted((r for r in program.rewards if r.points <= balance), key=lambda r: (r.points, r.id))
