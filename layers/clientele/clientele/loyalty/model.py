"""The loyalty program, an account, and the events of its ledger."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from clientele.kernel.entity import Entity


class Accrual(StrEnum):
    PER_VISIT = "per_visit"  # ``points_per_visit`` for a sale of at least ``minimum_spend``
    PER_AMOUNT = "per_amount"  # ``points_per_unit`` for every ``unit_amount`` spent; the rest carries over


class Reward(Entity):
    id: str
    points: int
    name: dict[str, str]  # locale (en, fr, nl) -> text; ``en`` always present
    description: dict[str, str] = Field(default_factory=dict)


class Program(Entity):
    accrual: Accrual = Accrual.PER_AMOUNT
    points_per_visit: int = 1
    minimum_spend: int = 0  # minor units
    points_per_unit: int = 1
    unit_amount: int = 100  # minor units: 100 = one euro
    rewards: list[Reward] = Field(default_factory=list)
    expiry_months: int | None = None  # points expire after this many months without a visit
    allow_negative: bool = False
    version: int = 0
    updated_at: str | None = None

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)


class Account(Entity):
    merchant_id: str
    customer_id: str
    phone: str | None = None  # E.164; None once erased
    phone_hash: str | None = None  # keyed hash: the key of the phone look-up
    balance: int = 0
    lifetime_earned: int = 0
    redeemed: int = 0
    remainder: int = 0  # minor units spent that have not yet made a point (per-amount programs)
    enrolled_at: str
    last_visit_at: str
    version: int = 0
    erased: bool = False


class EventType(StrEnum):
    ENROLL = "enroll"
    ACCRUE = "accrue"
    REVERSE = "reverse"
    ADJUST = "adjust"
    REDEEM = "redeem"
    EXPIRE = "expire"
    MERGE = "merge"
    PHONE_CHANGED = "phone_changed"


class Event(Entity):
    """One change of an account, in its ledger. ``points`` is signed; the ledger's sum is the balance."""

    id: str
    customer_id: str
    type: EventType
    points: int
    balance_after: int
    at: str
    sale_id: str | None = None
    reward_id: str | None = None
    reason: str | None = None  # adjustments: the merchant's words; removed by erasure
    other_customer_id: str | None = None  # merges: the other side


class SalePoints(Entity):
    """What a sale did to its customer's account: reported in the sale's response and on its receipt."""

    points_earned: int
    balance: int
