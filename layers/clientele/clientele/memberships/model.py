"""Membership types, memberships, their charges and the merchant's membership settings (SPEC 6.9)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from clientele.kernel.entity import Entity
from clientele.kernel.money import Money


class BillingPeriod(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class LengthUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


class FixedLength(Entity):
    count: int
    unit: LengthUnit


class UnusedCredits(StrEnum):
    EXPIRE = "expire"  # a period's unused credits expire with its last day
    CARRY_OVER = "carry_over"  # they carry into the next period, at most ``carry_over_cap`` of each kind


class CreditAllowance(Entity):
    name: str  # the merchant's word for the kind ("Class", "Sauna")
    count: int


class CreditPlan(Entity):
    """The credits a membership type includes per billing period ("4 classes a month"), and what happens to
    unused ones. A membership keeps the plan of its type as it was at enrolment (like the rate)."""

    per_period: list[CreditAllowance]
    unused: UnusedCredits = UnusedCredits.EXPIRE
    carry_over_cap: int | None = None  # per kind; None: no cap


class MembershipType(Entity):
    id: str
    name: str
    rate: Money
    billing_period: BillingPeriod
    fixed_length: FixedLength | None = None
    credits: CreditPlan | None = None
    archived: bool = False
    created_at: str
    updated_at: str


class MembershipPaymentMethod(StrEnum):
    MANUAL = "manual"
    DIRECT_DEBIT = "direct_debit"


class Status(StrEnum):
    UPCOMING = "upcoming"
    ACTIVE = "active"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Reason(StrEnum):
    NO_MANDATE = "no_mandate"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_OUTSTANDING = "payment_outstanding"
    MANDATE_REVOKED = "mandate_revoked"


class Cancellation(Entity):
    at: str  # when it was asked
    by: str  # API key id
    reason: str
    effective: date  # the last day of the membership
    at_period_end: bool


class Membership(Entity):
    id: str
    merchant_id: str
    customer_id: str
    site_id: str
    type_id: str
    number: str
    rate: Money
    billing_period: BillingPeriod
    payment_method: MembershipPaymentMethod
    start_date: date
    end_date: date | None = None  # the last day, inclusive
    status: Status
    reason: Reason | None = None
    mandate_id: str | None = None
    billed_periods: int = 0  # charges raised so far: the next one is for period ``billed_periods``
    open_charges: list[date] = Field(default_factory=list)  # period starts raised and not yet paid, oldest first
    cancellation: Cancellation | None = None
    credits: CreditPlan | None = None  # the type's plan at enrolment (or at a change of type)
    credited_periods: int = 0  # periods whose credits were issued (or skipped): the next is this one
    created_at: str
    updated_at: str
    version: int = 1


class ChargeState(StrEnum):
    DUE = "due"  # raised, waiting for a payment at the desk
    PENDING_COLLECTION = "pending_collection"  # direct debit: goes into the next batch
    PAID = "paid"
    FAILED = "failed"  # the bank returned it; collected again in the next batch
    DROPPED = "dropped"  # never collected: its member was erased before it went to the bank
    COLLECTING = "collecting"  # in a bank file; paid unless the bank returns it


class Charge(Entity):
    membership_id: str
    period_start: date
    period_end: date  # inclusive
    amount: Money
    state: ChargeState
    raised_at: str
    paid_at: str | None = None
    payment_type: str | None = None
    batch_id: str | None = None  # the direct-debit batch that last collected it
    attempts: int = 0  # times it went to the bank
    return_reason: str | None = None  # the bank's ISO reason code of its last return


class MembershipSettings(Entity):
    grace_days: int = 7
    prenotification_days: int = 14
    reminder_days: int = 3
    ending_notice_days: int = 7
    payment_types: list[str] = Field(default_factory=lambda: ["cash", "card", "bank_transfer"])
    # SEPA direct debit: who collects (named in the mandate text) and into which account
    creditor_name: str | None = None
    creditor_id: str | None = None
    collection_iban: str | None = None
    collection_bic: str | None = None
    version: int = 1


class MandateStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Mandate(Entity):
    """A SEPA direct-debit mandate given on the hosted page. ``holder_name`` and the sealed IBAN are the
    member's personal data (erased with them); the API shows the IBAN masked only."""

    id: str
    membership_id: str
    reference: str  # unique per creditor
    creditor_id: str
    creditor_name: str
    holder_name: str | None = None
    iban_sealed: str | None = None  # kernel.crypto.seal, purpose "iban", context: merchant and mandate
    iban_masked: str
    bank_name: str | None = None
    bic: str | None = None
    signed_at: str
    text: str  # the mandate text the member consented to
    text_version: str
    status: MandateStatus = MandateStatus.ACTIVE
    first_collected: bool = False  # FRST until the first debit went out, then RCUR
    revoked_reason: str | None = None


class MandateRequest(Entity):
    id: str
    membership_id: str
    created_at: str
    open_until: str
    sent_count: int = 1
    used_at: str | None = None


class Debit(Entity):
    """One collection in a batch: IDs and money only (the holder and IBAN are only in the bank file)."""

    end_to_end_id: str
    membership_id: str
    period_start: date
    amount: Money
    sequence: str  # FRST or RCUR
    returned: str | None = None  # the bank's reason code, once returned


class DirectDebitBatch(Entity):
    id: str
    site_id: str
    collection_date: date
    count: int
    total: Money
    file_key: str  # in the direct-debit bucket
    schema_version: str = "pain.008.001.08"
    created_at: str
    debits: list[Debit] = Field(default_factory=list)


class CreditState(StrEnum):
    AVAILABLE = "available"
    USED = "used"
    REVOKED = "revoked"
    EXPIRED = "expired"


class CreditSource(StrEnum):
    MEMBERSHIP = "membership"  # issued by the dues run with a period's charge
    MANUAL = "manual"  # issued by hand ("+ Issue"), with a reason


class Credit(Entity):
    """One credit a customer can redeem at the desk. ``reason`` and ``revoked_reason`` are the merchant's free
    text about the person: personal data, erased with them."""

    id: str
    merchant_id: str
    customer_id: str
    site_id: str
    name: str
    source: CreditSource
    membership_id: str | None = None
    period: int | None = None  # the membership's period it was issued for
    period_start: date | None = None
    period_end: date | None = None
    expires_on: date | None = None  # the last day it can be redeemed (the site's date); None: no expiry
    carries_over: bool = False  # a period credit under the carry-over rule (capped at each period start)
    state: CreditState = CreditState.AVAILABLE
    issued_at: str
    issued_by: str  # an API key id, or "dues"
    reason: str | None = None
    used_at: str | None = None
    used_by: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None
    revoked_reason: str | None = None
    expired_at: str | None = None

    def status_on(self, today: date) -> CreditState:
        """The state as the desk sees it on ``today`` (the site's date): an available credit past its last day
        is expired even before a dues run marks it so."""
        if self.state is CreditState.AVAILABLE and self.expires_on is not None and self.expires_on < today:
            return CreditState.EXPIRED
        return self.state
