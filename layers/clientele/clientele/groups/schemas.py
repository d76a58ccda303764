"""Request and response shapes of groups: definitions and criteria, members, a customer's groups explained."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StrictInt

from clientele.customers.model import Source
from clientele.groups.model import (
    Criteria,
    Group,
    Job,
    LastVisit,
    Period,
    SpendCriterion,
    Unit,
    VisitsCriterion,
)
from clientele.http.schemas import Currency, Id, Input, Name, Output
from clientele.kernel.money import Money

if TYPE_CHECKING:
    from clientele.groups.service import Explained

Count = Annotated[StrictInt, Field(ge=1, le=10_000)]


class PeriodIO(Input):
    count: Annotated[StrictInt, Field(ge=1, le=3660, description="How many units (at least 1).")]
    unit: Unit = Unit.DAYS

    def to_domain(self) -> Period:
        return Period(count=self.count, unit=self.unit)

    @classmethod
    def of(cls, period: Period) -> PeriodIO:
        return cls(count=period.count, unit=period.unit)


class AmountIO(Input):
    amount: Annotated[StrictInt, Field(ge=0, description="Minor units (cents), not negative.")]
    currency: Currency


class VisitsIO(Input):
    min: Count = Field(description="At least this many visits (purchases and exchanges).")
    period: PeriodIO


class SpendIO(Input):
    min: AmountIO = Field(description="At least this net spend (purchases and exchanges less refunds).")
    period: PeriodIO


class LastVisitIO(Input):
    on: date | None = Field(default=None, description="A fixed day (the merchant's time zone).")
    ago: PeriodIO | None = Field(default=None, description="Or a period before today.")


class CriteriaIO(Input):
    """Every criterion given must hold (AND)."""

    visits: VisitsIO | None = None
    spend: SpendIO | None = None
    last_visit_before: LastVisitIO | None = None
    last_visit_after: LastVisitIO | None = None
    labels: Annotated[list[Id], Field(max_length=20, description="Has every one of these labels.")] = []
    site_id: Id | None = Field(default=None, description="Visited this site; visits and spend count there only.")
    sources: Annotated[list[Source], Field(max_length=6, description="Created by one of these.")] = []
    marketing_preference: Id | None = Field(default=None, description="Opted into this marketing preference.")

    def to_domain(self) -> Criteria:
        def bound(value: LastVisitIO | None) -> LastVisit | None:
            if value is None:
                return None
            return LastVisit(on=value.on, ago=value.ago.to_domain() if value.ago else None)

        return Criteria(
            visits=VisitsCriterion(min=self.visits.min, period=self.visits.period.to_domain()) if self.visits else None,
            spend=(
                SpendCriterion(
                    min=Money(amount=self.spend.min.amount, currency=self.spend.min.currency),
                    period=self.spend.period.to_domain(),
                )
                if self.spend
                else None
            ),
            last_visit_before=bound(self.last_visit_before),
            last_visit_after=bound(self.last_visit_after),
            labels=list(dict.fromkeys(self.labels)),
            site_id=self.site_id,
            sources=[s.value for s in dict.fromkeys(self.sources)],
            marketing_preference=self.marketing_preference,
        )

    @classmethod
    def of(cls, criteria: Criteria) -> CriteriaIO:
        return cls.model_validate(criteria.model_dump(mode="json", exclude_none=True))


class GroupIn(Input):
    name: Name
    kind: Literal["smart", "manual"] = Field(description="`smart` (needs `criteria`) or `manual`.")
    criteria: CriteriaIO | None = None


class GroupPatch(Input):
    name: Name | None = None
    criteria: CriteriaIO | None = Field(default=None, description="Smart groups; Regulars: `visits` only.")
    lapse_after: PeriodIO | None = Field(default=None, description="Lapsed only: how long a Regular stays away.")
    version: StrictInt | None = Field(default=None, description="The version read (409 when it moved).")


class JobOut(Output):
    id: str
    group_id: str
    status: str = Field(description="`running` or `done`.")
    processed: int
    total: int | None = Field(default=None, description="Customers to go through (exact once done).")
    changed: int = Field(description="Customers whose groups changed so far.")
    created_at: str
    finished_at: str | None = None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls.model_validate(job.model_dump())


class GroupOut(Output):
    id: str
    name: str
    kind: str = Field(description="`system`, `smart` or `manual`.")
    system: str | None = Field(
        default=None, description="`all`, `instant_profiles`, `reachable`, `regulars`, `lapsed`."
    )
    criteria: CriteriaIO | None = None
    lapse_after: PeriodIO | None = None
    description: str = Field(description="Who is in the group, in plain words (the caller's language).")
    member_count: int
    created_at: str
    updated_at: str
    version: int
    job: JobOut | None = Field(default=None, description="The re-evaluation a rule change started.")

    @classmethod
    def of(cls, group: Group, count: int, description: str, job: Job | None = None) -> GroupOut:
        return cls(
            id=group.id,
            name=group.name,
            kind=group.kind.value,
            system=group.system.value if group.system else None,
            criteria=CriteriaIO.of(group.criteria) if group.criteria else None,
            lapse_after=PeriodIO.of(group.lapse_after) if group.lapse_after else None,
            description=description,
            member_count=count,
            created_at=group.created_at,
            updated_at=group.updated_at,
            version=group.version,
            job=JobOut.of(job) if job else None,
        )


class GroupList(Output):
    items: list[GroupOut]


class MemberOut(Output):
    customer_id: str
    since: str = Field(description="The day the customer joined (merchant's time zone).")


class MemberList(Output):
    items: list[MemberOut]
    cursor: str | None = None


class MoneyOut(Output):
    amount: int
    currency: str


class CustomerGroupOut(Output):
    group_id: str
    name: str
    kind: str
    since: date | None = None
    why: str = Field(description="The facts that put the customer in the group, in plain words.")
    criteria: str = Field(description="The group's criteria in plain words.")
    leaves_on: date | None = Field(default=None, description="The day they leave unless something changes.")
    visits: list[date] = Field(default=[], description="The visits that count.")
    spent: MoneyOut | None = None
    last_visit: date | None = None

    @classmethod
    def of(cls, explained: Explained) -> CustomerGroupOut:
        reason = explained.reason
        return cls(
            group_id=explained.group.id,
            name=explained.group.name,
            kind=explained.group.kind.value,
            since=reason.since,
            why=explained.why,
            criteria=explained.criteria_text,
            leaves_on=reason.leaves_on,
            visits=reason.visits,
            spent=MoneyOut(amount=reason.spent.amount, currency=reason.spent.currency) if reason.spent else None,
            last_visit=reason.last_visit,
        )


class CustomerGroupList(Output):
    items: list[CustomerGroupOut]
