"""Request and response shapes of loyalty (documented in the OpenAPI document).

Points are strict integers: ``"10"``, ``10.0`` or ``true`` are a 422, never a silent conversion.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints

from clientele.http.schemas import Id, Input, Output, ShortText
from clientele.kernel import ids
from clientele.loyalty import rules
from clientele.loyalty.model import Account, Accrual, Event, EventType, Program, Reward

Points = Annotated[StrictInt, Field(ge=1, le=rules.MAX_POINTS)]
SignedPoints = Annotated[
    StrictInt, Field(ge=-rules.MAX_POINTS, le=rules.MAX_POINTS, description="Not zero: add (> 0) or remove (< 0).")
]
Amount = Annotated[StrictInt, Field(ge=0, le=10**12, description="Minor units (cents), an integer.")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]


class LocalisedIn(Input):
    en: ShortText
    fr: ShortText | None = None
    nl: ShortText | None = None

    def to_domain(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class LongLocalisedIn(Input):
    en: Text
    fr: Text | None = None
    nl: Text | None = None

    def to_domain(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class RewardIn(Input):
    id: Id | None = Field(default=None, description="Kept when given; a new id otherwise.")
    name: LocalisedIn = Field(description="The reward's name in en (required), fr and nl.")
    points: Points
    description: LongLocalisedIn | None = None

    def to_domain(self) -> Reward:
        return Reward(
            id=self.id or ids.new_id("rwd"),
            points=self.points,
            name=self.name.to_domain(),
            description=self.description.to_domain() if self.description else {},
        )


class ProgramIn(Input):
    accrual: Literal["per_visit", "per_amount"] = Field(
        description="`per_visit`: points_per_visit for a sale of at least minimum_spend; `per_amount`: "
        "points_per_unit for every unit_amount spent, the remainder carried to the next visit."
    )
    points_per_visit: Points = 1
    minimum_spend: Amount = 0
    points_per_unit: Points = 1
    unit_amount: Annotated[StrictInt, Field(ge=1, le=10**9)] = Field(
        default=100, description="Minor units per step: 100 is one euro."
    )
    rewards: Annotated[list[RewardIn], Field(max_length=50)] = []
    expiry_months: Annotated[StrictInt, Field(ge=1, le=120)] | None = Field(
        default=None, description="Points expire after this many months without a visit; null: never."
    )
    allow_negative: StrictBool = False
    version: StrictInt | None = Field(default=None, description="The version read; a stale one is 409.")

    def to_domain(self) -> Program:
        return Program(
            accrual=Accrual(self.accrual),
            points_per_visit=self.points_per_visit,
            minimum_spend=self.minimum_spend,
            points_per_unit=self.points_per_unit,
            unit_amount=self.unit_amount,
            rewards=[r.to_domain() for r in self.rewards],
            expiry_months=self.expiry_months,
            allow_negative=self.allow_negative,
        )


class RewardOut(Output):
    id: str
    points: int
    name: dict[str, str]
    description: dict[str, str]

    @classmethod
    def of(cls, reward: Reward) -> RewardOut:
        return cls(id=reward.id, points=reward.points, name=reward.name, description=reward.description)


class ProgramOut(Output):
    accrual: Accrual
    points_per_visit: int
    minimum_spend: int
    points_per_unit: int
    unit_amount: int
    rewards: list[RewardOut]
    expiry_months: int | None
    allow_negative: bool
    version: int
    updated_at: str | None

    @classmethod
    def of(cls, program: Program) -> ProgramOut:
        return cls(**program.model_dump(exclude={"rewards"}), rewards=[RewardOut.of(r) for r in program.rewards])


class EnrollIn(Input):
    phone: Phone = Field(description="Any formatting; stored in E.164 (the merchant's country for local numbers).")


class PhoneIn(Input):
    phone: Phone


class AdjustmentIn(Input):
    points: SignedPoints
    reason: ShortText = Field(description="Why (required); shown in the ledger.")


class RedemptionIn(Input):
    reward_id: Id


class AccountOut(Output):
    customer_id: str
    phone: str | None = Field(default=None, description="With the customers:contact permission.")
    balance: int
    lifetime_earned: int
    redeemed: int
    enrolled_at: str
    last_visit_at: str
    rewards_available: list[RewardOut] = Field(description="The rewards the balance can buy.")

    @classmethod
    def of(cls, account: Account, affordable: list[Reward], *, contact: bool) -> AccountOut:
        return cls(
            customer_id=account.customer_id,
            phone=account.phone if contact else None,
            balance=account.balance,
            lifetime_earned=account.lifetime_earned,
            redeemed=account.redeemed,
            enrolled_at=account.enrolled_at,
            last_visit_at=account.last_visit_at,
            rewards_available=[RewardOut.of(r) for r in affordable],
        )


class EventOut(Output):
    id: str
    type: EventType
    points: int
    balance_after: int
    at: str
    sale_id: str | None = None
    reward_id: str | None = None
    reason: str | None = None
    other_customer_id: str | None = None

    @classmethod
    def of(cls, event: Event, *, reason: bool = True) -> EventOut:
        return cls(**event.model_dump(exclude={"customer_id", "reason"}), reason=event.reason if reason else None)


class EventList(Output):
    items: list[EventOut]
    cursor: str | None = Field(default=None, description="Present while more items remain.")


class SalePointsOut(Output):
    points_earned: int = Field(description="Points the sale added (negative: a refund took them back).")
    balance: int
