"""Groups and the facts that decide who is in them.

A group is a *definition* (system, smart or manual) kept in the merchant's groups configuration; who is in
it is materialised as member items and a count. The facts a smart group needs about one customer (their
visits within the longest period any rule looks at, what their profile says) are kept in one item of the
customer's partition, so a sale or a day passing re-decides the customer's groups from one read.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from clientele.kernel.entity import Entity
from clientele.kernel.money import Money


class Kind(StrEnum):
    SYSTEM = "system"  # all customers, instant profiles, reachable: fixed rules
    SMART = "smart"  # Regulars, Lapsed and the merchant's own: criteria
    MANUAL = "manual"  # members put and taken off by hand


class SystemKey(StrEnum):
    ALL = "all"
    INSTANT_PROFILES = "instant_profiles"
    REACHABLE = "reachable"
    REGULARS = "regulars"
    LAPSED = "lapsed"


class Unit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Period(Entity):
    count: int
    unit: Unit = Unit.DAYS


class VisitsCriterion(Entity):
    """At least ``min`` visits (purchases and exchanges) within the last ``period`` (today included)."""

    min: int
    period: Period


class SpendCriterion(Entity):
    """A net spend (purchases and exchanges less refunds) of at least ``min`` within the last ``period``."""

    min: Money
    period: Period


class LastVisit(Entity):
    """A moment to compare the last visit with: a fixed day, or a period before today."""

    on: date | None = None
    ago: Period | None = None


class Criteria(Entity):
    """Every criterion given must hold (AND). ``site_id`` limits visits and spend to one site."""

    visits: VisitsCriterion | None = None
    spend: SpendCriterion | None = None
    last_visit_before: LastVisit | None = None
    last_visit_after: LastVisit | None = None
    labels: list[str] = Field(default_factory=list)
    site_id: str | None = None
    sources: list[str] = Field(default_factory=list)
    marketing_preference: str | None = None


class Group(Entity):
    id: str
    name: str
    kind: Kind
    system: SystemKey | None = None  # the fixed groups (and Regulars / Lapsed, whose rules are editable)
    criteria: Criteria | None = None  # smart groups (Regulars: visits; Lapsed: lapse_after)
    lapse_after: Period | None = None  # Lapsed only: how long a Regular may stay away
    created_at: str
    updated_at: str
    version: int = 1


class Visit(Entity):
    """One sale as the groups see it: its local day, site and signed net amount (refunds negative)."""

    sale_id: str
    day: date
    site_id: str
    type: str
    amount: int
    currency: str


class Profile(Entity):
    """What the customer's profile says that a group may ask about (ids and flags only)."""

    source: str = "manual"
    labels: list[str] = Field(default_factory=list)
    preferences: list[str] = Field(default_factory=list)  # marketing preferences opted into
    has_email: bool = False
    version: int = 0  # the profile's update counter when read: an older read never replaces a newer one


class Facts(Entity):
    """Everything the groups know about one customer (their partition's ``GROUPS`` item)."""

    customer_id: str
    profile: Profile = Field(default_factory=Profile)
    visits: list[Visit] = Field(default_factory=list)  # within the longest period any rule looks at
    last_visit: date | None = None
    sites: list[str] = Field(default_factory=list)  # every site ever visited
    card_paid: bool = False
    manual: list[str] = Field(default_factory=list)  # manual groups the customer was put in
    groups: dict[str, date] = Field(default_factory=dict)  # group id -> member since
    due: date | None = None  # the next day a group changes for this customer unless something happens
    version: int = 0


class Reason(Entity):
    """Why a customer is in a group, and when they leave it unless something changes."""

    group_id: str
    facts: list[str] = Field(default_factory=list)  # stable fact codes: e.g. "visit:2026-03-03"
    visits: list[date] = Field(default_factory=list)
    spent: Money | None = None
    last_visit: date | None = None
    leaves_on: date | None = None
    since: date | None = None


class Job(Entity):
    """A re-evaluation of one group for every customer of the merchant."""

    id: str
    group_id: str
    status: str  # running, done
    processed: int = 0
    total: int | None = None
    changed: int = 0
    created_at: str
    finished_at: str | None = None
