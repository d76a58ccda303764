"""Who is in which group on a given day, when that changes next, and why (pure: no I/O).

Every rule is a step function of the day: between two *candidate* days (a visit's day plus a period a rule
uses, the last visit plus a lapse or a relative bound, a fixed bound's day) nothing changes. So the day a
customer's groups change next is found exactly by evaluating the candidates after today in order; the daily
run reads only the customers whose next change is due.

Days are local dates (the sale's ``local_date``: the site's time zone; "today": the merchant's time zone).
A visit is a purchase or an exchange; refunds lower the spend but are not visits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from clientele.groups.model import (
    Criteria,
    Facts,
    Group,
    Kind,
    LastVisit,
    Period,
    Profile,
    Reason,
    SystemKey,
    Unit,
    Visit,
    VisitsCriterion,
)
from clientele.kernel.money import Money

VISIT_TYPES = frozenset({"purchase", "exchange"})
REACHABLE_AFTER_VISIT = Period(count=12, unit=Unit.MONTHS)
DEFAULT_REGULARS = VisitsCriterion(min=3, period=Period(count=6, unit=Unit.MONTHS))
DEFAULT_LAPSE = Period(count=6, unit=Unit.WEEKS)

SYSTEM_IDS = {key: f"grp_{key.value}" for key in SystemKey}


# ---------------------------------------------------------------------------------------------- periods
def plus(day: date, period: Period) -> date:
    """``day`` moved forward by ``period`` (months keep the day of the month, clamped at its end)."""
    if period.unit is Unit.MONTHS:
        from dateutil.relativedelta import relativedelta

        return day + relativedelta(months=period.count)
    return day + timedelta(days=period.count * (7 if period.unit is Unit.WEEKS else 1))


def minus(day: date, period: Period) -> date:
    if period.unit is Unit.MONTHS:
        from dateutil.relativedelta import relativedelta

        return day - relativedelta(months=period.count)
    return day - timedelta(days=period.count * (7 if period.unit is Unit.WEEKS else 1))


def longest_days(groups: Iterable[Group]) -> int:
    """The longest period (in days, months counted as 31) that any rule looks back over."""
    longest = 0
    for group in groups:
        for period in _periods(group):
            longest = max(longest, period.count * {Unit.DAYS: 1, Unit.WEEKS: 7, Unit.MONTHS: 31}[period.unit])
    return longest


def _periods(group: Group) -> list[Period]:
    found: list[Period] = []
    if group.criteria is not None:
        if group.criteria.visits is not None:
            found.append(group.criteria.visits.period)
        if group.criteria.spend is not None:
            found.append(group.criteria.spend.period)
    return found


def prune(visits: list[Visit], last_visit: date | None, keep_days: int) -> list[Visit]:
    """The visits that can still count: within ``keep_days`` of the last visit (so the rules at the last
    visit, which Lapsed asks about, and at every later day can be decided), newest last."""
    if last_visit is None:
        return sorted(visits, key=lambda v: (v.day, v.sale_id))
    cutoff = last_visit - timedelta(days=keep_days)
    return sorted((v for v in visits if v.day > cutoff), key=lambda v: (v.day, v.sale_id))


def add_visit(facts: Facts, visit: Visit, *, card_paid: bool, keep_days: int) -> bool:
    """Fold one sale into the facts; ``False`` when the sale was already there (a replay)."""
    if any(v.sale_id == visit.sale_id for v in facts.visits):
        return False
    if visit.type in VISIT_TYPES and (facts.last_visit is None or visit.day > facts.last_visit):
        facts.last_visit = visit.day
    facts.sites = sorted({*facts.sites, visit.site_id})
    facts.card_paid = facts.card_paid or card_paid
    facts.visits = prune([*facts.visits, visit], facts.last_visit, keep_days)
    return True


def fresher(current: Profile, read: Profile) -> Profile:
    """The profile to decide on: ``read``, unless it is older than the one the facts already hold (a page of
    customers read from an index before a change whose event was applied first)."""
    return current if read.version < current.version else read


# ---------------------------------------------------------------------------------------------- the rules
def _counted(facts: Facts, day: date, period: Period, site_id: str | None) -> list[Visit]:
    """Visits that count on ``day`` for a rule over ``period``: ``v.day <= day < v.day + period``."""
    return [
        v
        for v in facts.visits
        if v.type in VISIT_TYPES and v.day <= day < plus(v.day, period) and (site_id is None or v.site_id == site_id)
    ]


def _spent(facts: Facts, day: date, period: Period, site_id: str | None, currency: str) -> int:
    return sum(
        v.amount
        for v in facts.visits
        if v.currency == currency and v.day <= day < plus(v.day, period) and (site_id is None or v.site_id == site_id)
    )


def _bound(bound: LastVisit, day: date) -> date:
    if bound.on is not None:
        return bound.on
    assert bound.ago is not None
    return minus(day, bound.ago)


def _profile_holds(criteria: Criteria, facts: Facts) -> bool:
    """The criteria that time does not change: labels, source, preference, a site visited."""
    return (
        set(criteria.labels) <= set(facts.profile.labels)
        and (not criteria.sources or facts.profile.source in criteria.sources)
        and (not criteria.marketing_preference or criteria.marketing_preference in facts.profile.preferences)
        and (not criteria.site_id or criteria.site_id in facts.sites)
    )


def _last_visit_holds(criteria: Criteria, last: date | None, day: date) -> bool:
    before, after = criteria.last_visit_before, criteria.last_visit_after
    if before is None and after is None:
        return True
    if last is None:
        return False
    if before is not None:
        bound = _bound(before, day)
        if not (last <= bound if before.ago else last < bound):
            return False
    return after is None or last > _bound(after, day)


def matches(criteria: Criteria, facts: Facts, day: date) -> Reason | None:
    """The reason the customer meets every criterion on ``day``, or ``None``."""
    if not _profile_holds(criteria, facts):
        return None
    reason = Reason(group_id="")
    if criteria.visits is not None:
        counted = _counted(facts, day, criteria.visits.period, criteria.site_id)
        if len(counted) < criteria.visits.min:
            return None
        reason.visits = [v.day for v in counted]
    if criteria.spend is not None:
        spent = _spent(facts, day, criteria.spend.period, criteria.site_id, criteria.spend.min.currency)
        if spent < criteria.spend.min.amount:
            return None
        reason.spent = Money(amount=spent, currency=criteria.spend.min.currency)
    last = facts.last_visit if facts.last_visit is not None and facts.last_visit <= day else None
    if not _last_visit_holds(criteria, last, day):
        return None
    if criteria.last_visit_before is not None or criteria.last_visit_after is not None:
        reason.last_visit = last
    return reason


def member(group: Group, facts: Facts, day: date, regulars: Group | None) -> Reason | None:
    """Why the customer is in ``group`` on ``day`` (``None``: not a member). "All" is not decided here."""
    reason: Reason | None = None
    if group.kind is Kind.MANUAL:
        reason = Reason(group_id=group.id) if group.id in facts.manual else None
    elif group.system is SystemKey.INSTANT_PROFILES:
        reason = Reason(group_id=group.id) if facts.profile.source == "instant_profile" else None
    elif group.system is SystemKey.REACHABLE:
        recent = (
            facts.profile.has_email
            and facts.last_visit is not None
            and facts.last_visit <= day < plus(facts.last_visit, REACHABLE_AFTER_VISIT)
        )
        if facts.card_paid or recent:
            reason = Reason(group_id=group.id, last_visit=facts.last_visit if recent else None)
    elif group.system is SystemKey.LAPSED:
        reason = _lapsed(group, facts, day, regulars)
    elif group.criteria is not None:
        reason = matches(group.criteria, facts, day)
    if reason is not None:
        reason.group_id = group.id
    return reason


def _lapsed(group: Group, facts: Facts, day: date, regulars: Group | None) -> Reason | None:
    """A Regular at their last visit who has not come back for ``lapse_after``: sticky until a new visit."""
    last = facts.last_visit
    if regulars is None or last is None or last > day or regulars.criteria is None:
        return None
    if day < plus(last, group.lapse_after or DEFAULT_LAPSE):
        return None
    was_regular = matches(regulars.criteria, facts, last)
    if was_regular is None:
        return None
    return Reason(group_id=group.id, last_visit=last, visits=was_regular.visits)


def regulars_of(groups: Iterable[Group]) -> Group | None:
    return next((g for g in groups if g.system is SystemKey.REGULARS), None)


def evaluated(groups: list[Group]) -> list[Group]:
    """The groups decided per customer (every group but "all", which is every customer)."""
    return [g for g in groups if g.system is not SystemKey.ALL]


def evaluate(groups: list[Group], facts: Facts, day: date) -> dict[str, Reason]:
    regulars = regulars_of(groups)
    found: dict[str, Reason] = {}
    for group in evaluated(groups):
        reason = member(group, facts, day, regulars)
        if reason is not None:
            found[group.id] = reason
    return found


def candidates(groups: list[Group], facts: Facts, day: date) -> list[date]:
    """Every day after ``day`` on which some rule may change its answer for this customer."""
    found: set[date] = set()
    periods = [p for g in groups for p in _periods(g)]
    for visit in facts.visits:
        found.update(plus(visit.day, p) for p in periods)
    last = facts.last_visit
    for group in groups:
        if group.system is SystemKey.LAPSED and last is not None:
            found.add(plus(last, group.lapse_after or DEFAULT_LAPSE))
        if group.system is SystemKey.REACHABLE and last is not None:
            found.add(plus(last, REACHABLE_AFTER_VISIT))
        if group.criteria is None:
            continue
        for bound in (group.criteria.last_visit_before, group.criteria.last_visit_after):
            if bound is None:
                continue
            if bound.on is not None:
                found.update({bound.on, bound.on + timedelta(days=1)})
            elif bound.ago is not None and last is not None:
                found.update({plus(last, bound.ago), plus(last, bound.ago) + timedelta(days=1)})
    return sorted(d for d in found if d > day)


def next_change(groups: list[Group], facts: Facts, day: date) -> date | None:
    """The first day after ``day`` when the customer's set of groups differs from ``day``'s."""
    today = set(evaluate(groups, facts, day))
    for candidate in candidates(groups, facts, day):
        if set(evaluate(groups, facts, candidate)) != today:
            return candidate
    return None


def leaving_days(groups: list[Group], facts: Facts, day: date, members: Iterable[str]) -> dict[str, date]:
    """For each group the customer is in, the day they leave it unless something changes."""
    staying = set(members)
    found: dict[str, date] = {}
    for candidate in candidates(groups, facts, day):
        if not staying:
            break
        now_in = set(evaluate(groups, facts, candidate))
        for group_id in list(staying):
            if group_id not in now_in:
                found[group_id] = candidate
                staying.discard(group_id)
    return found


# ---------------------------------------------------------------------------------------------- defaults
def default_groups(now: str) -> list[Group]:
    """The groups every merchant starts with; Regulars and Lapsed are editable (counts and periods)."""

    def system(key: SystemKey, name: str, kind: Kind = Kind.SYSTEM, **extra: object) -> Group:
        return Group.model_validate(
            {"id": SYSTEM_IDS[key], "name": name, "kind": kind, "system": key, "created_at": now, "updated_at": now}
            | extra
        )

    return [
        system(SystemKey.ALL, "All customers"),
        system(SystemKey.INSTANT_PROFILES, "Instant profiles"),
        system(SystemKey.REACHABLE, "Reachable"),
        system(SystemKey.REGULARS, "Regulars", Kind.SMART, criteria=Criteria(visits=DEFAULT_REGULARS)),
        system(SystemKey.LAPSED, "Lapsed", Kind.SMART, lapse_after=DEFAULT_LAPSE),
    ]
