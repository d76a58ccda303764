"""Request and response shapes of membership types, memberships, payments, cancellation, quick views and
the membership settings (documented in the OpenAPI document)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints

from clientele.http.schemas import Currency, Id, Input, IsoDay, Name, Output
from clientele.kernel.money import Money
from clientele.memberships import rules
from clientele.memberships.model import (
    BillingPeriod,
    Charge,
    ChargeState,
    CreditAllowance,
    CreditPlan,
    CreditSource,
    CreditState,
    Debit,
    DirectDebitBatch,
    FixedLength,
    LengthUnit,
    Mandate,
    MandateRequest,
    MandateStatus,
    Membership,
    MembershipPaymentMethod,
    MembershipSettings,
    MembershipType,
    Reason,
    Status,
    UnusedCredits,
)

Amount = Annotated[StrictInt, Field(ge=0, le=10**9, description="Minor units (cents), an integer.")]


class MembershipMoneyIO(Input):
    amount: Amount
    currency: Currency = Field(description="ISO 4217, the site's currency.")

    def to_domain(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


if TYPE_CHECKING:
    from clientele.memberships.credits import CreditView
    from clientele.memberships.service import Detail, Enrolment, Summary

Number = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-/]+$")
]
Reasontext = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
PaymentType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class FixedLengthIO(Input):
    count: Annotated[StrictInt, Field(ge=1, le=1000)]
    unit: LengthUnit

    def to_domain(self) -> FixedLength:
        return FixedLength(count=self.count, unit=self.unit)


class CreditAllowanceIO(Input):
    name: Name = Field(description='The kind of credit, in the merchant\'s words ("Class", "Sauna").')
    count: Annotated[StrictInt, Field(ge=1, le=rules.MAX_CREDITS_PER_PERIOD, description="Credits per period.")]


class CreditPlanIO(Input):
    per_period: Annotated[list[CreditAllowanceIO], Field(min_length=1, max_length=10)] = Field(
        description="The credits each billing period includes, per kind (at most 40 in all, names unique)."
    )
    unused: UnusedCredits = Field(
        default=UnusedCredits.EXPIRE,
        description="`expire`: unused credits expire with the period's last day. `carry_over`: they stay, at most "
        "`carry_over_cap` of each kind carried into the next period (the oldest expire first).",
    )
    carry_over_cap: Annotated[StrictInt, Field(ge=0, le=1000)] | None = Field(
        default=None, description="With `carry_over`: the most unused credits of one kind carried over; none: no cap."
    )

    def to_domain(self) -> CreditPlan:
        return CreditPlan(
            per_period=[CreditAllowance(name=a.name, count=a.count) for a in self.per_period],
            unused=self.unused,
            carry_over_cap=self.carry_over_cap,
        )


class MembershipTypeIn(Input):
    name: Name
    rate: MembershipMoneyIO = Field(description="Per billing period, in a currency one of the merchant's sites takes.")
    billing_period: BillingPeriod
    fixed_length: FixedLengthIO | None = Field(
        default=None, description="A membership of this type ends after this long (e.g. 12 months); none: open-ended."
    )
    credits: CreditPlanIO | None = Field(
        default=None, description='Credits included per billing period ("4 classes a month"), issued with its charge.'
    )


class MembershipTypePatch(Input):
    name: Name | None = None
    rate: MembershipMoneyIO | None = None
    archived: StrictBool | None = Field(default=None, description="An archived type takes no new enrolments.")
    credits: CreditPlanIO | None = Field(
        default=None,
        description="For new enrolments (like the rate): a membership keeps the plan it was enrolled with. "
        "`null` takes the credits off the type.",
    )

    def changes(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None and name != "credits":
                continue
            found[name] = value.to_domain() if isinstance(value, (MembershipMoneyIO, CreditPlanIO)) else value
        return found


class MembershipTypeOut(Output):
    id: str
    name: str
    rate: Money
    billing_period: BillingPeriod
    fixed_length: FixedLength | None = None
    credits: CreditPlan | None = None
    archived: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, t: MembershipType) -> MembershipTypeOut:
        return cls.model_validate(t.model_dump())


class MembershipTypeList(Output):
    items: list[MembershipTypeOut]


class EnrolmentIn(Input):
    type_id: Id
    payment_method: MembershipPaymentMethod = Field(description="`manual` (paid at the desk) or `direct_debit` (SEPA).")
    start_date: date | None = Field(default=None, description="Default: today at the site.")
    end_date: date | None = Field(default=None, description="The last day; default: the type's fixed length, if any.")
    rate: MembershipMoneyIO | None = Field(default=None, description="Default: the type's rate.")
    number: Number | None = Field(default=None, description="Unique per merchant; generated when not given.")
    site_id: Id | None = Field(default=None, description="Default: the first site the key may use.")

    def to_domain(self) -> Enrolment:
        from clientele.memberships.service import Enrolment

        return Enrolment(
            type_id=self.type_id,
            payment_method=self.payment_method,
            start_date=self.start_date,
            end_date=self.end_date,
            rate=self.rate.to_domain() if self.rate else None,
            number=self.number,
            site_id=self.site_id,
        )


class MembershipPatch(Input):
    version: StrictInt = Field(description="The version read: a stale one is 409 `VERSION_MISMATCH`.")
    type_id: Id | None = None
    rate: MembershipMoneyIO | None = None
    start_date: date | None = None
    end_date: date | None = None

    def changes(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in self.model_fields_set - {"version"}:
            value = getattr(self, name)
            if value is None and name != "end_date":
                continue
            found[name] = value.to_domain() if isinstance(value, MembershipMoneyIO) else value
        return found


class ChargeOut(Output):
    period_start: date
    period_end: date
    amount: Money
    state: ChargeState
    raised_at: str
    paid_at: str | None = None
    payment_type: str | None = None

    @classmethod
    def of(cls, c: Charge) -> ChargeOut:
        return cls.model_validate(c.model_dump(exclude={"membership_id"}))


class MandateOut(Output):
    id: str
    reference: str
    status: MandateStatus
    iban: str = Field(description="Masked: country and the last four characters.")
    bank_name: str | None = None
    signed_at: str
    text_version: str

    @classmethod
    def of(cls, mandate: Mandate) -> MandateOut:
        return cls(
            id=mandate.id,
            reference=mandate.reference,
            status=mandate.status,
            iban=mandate.iban_masked,
            bank_name=mandate.bank_name,
            signed_at=mandate.signed_at,
            text_version=mandate.text_version,
        )


class MandateRequestIn(Input):
    resend: StrictBool = Field(default=False, description="Send the open request's link again (a fresh 14 days).")


class MandateRequestOut(Output):
    id: str
    membership_id: str
    created_at: str
    open_until: str
    sent_count: int

    @classmethod
    def of(cls, request: MandateRequest) -> MandateRequestOut:
        return cls.model_validate(request.model_dump(exclude={"used_at"}))


class MembershipOut(Output):
    id: str
    customer_id: str
    site_id: str
    type_id: str
    number: str
    rate: Money
    billing_period: BillingPeriod
    payment_method: MembershipPaymentMethod
    start_date: date
    end_date: date | None = None
    status: Status
    reason: Reason | None = Field(default=None, description="Why it needs attention (only then).")
    needs_mandate: bool
    payment_failed: bool
    payment_up_to_date: bool
    next_billing_date: date | None = None
    cancelled_at: str | None = None
    cancellation_reason: str | None = None
    credits: CreditPlan | None = Field(default=None, description="The credits each period includes (its type's plan).")
    created_at: str
    updated_at: str
    version: int
    recent_charges: list[ChargeOut] | None = Field(default=None, description="Newest first (on a single read).")
    mandate: MandateOut | None = Field(default=None, description="The direct-debit mandate (on a single read).")

    @classmethod
    def of(cls, m: Membership, charges: list[Charge] | None = None) -> MembershipOut:
        return cls(
            id=m.id,
            customer_id=m.customer_id,
            site_id=m.site_id,
            type_id=m.type_id,
            number=m.number,
            rate=m.rate,
            billing_period=m.billing_period,
            payment_method=m.payment_method,
            start_date=m.start_date,
            end_date=m.end_date,
            status=m.status,
            reason=m.reason,
            needs_mandate=rules.needs_mandate(m),
            payment_failed=rules.payment_failed(m),
            payment_up_to_date=rules.payment_up_to_date(m),
            next_billing_date=rules.next_billing_date(m),
            cancelled_at=m.cancellation.at if m.cancellation else None,
            cancellation_reason=m.cancellation.reason if m.cancellation else None,
            credits=m.credits,
            created_at=m.created_at,
            updated_at=m.updated_at,
            version=m.version,
            recent_charges=[ChargeOut.of(c) for c in charges] if charges is not None else None,
        )

    @classmethod
    def detail(cls, d: Detail, mandate: Mandate | None = None) -> MembershipOut:
        out = cls.of(d.membership, d.charges)
        if mandate is not None:
            out.mandate = MandateOut.of(mandate)
        return out


class MembershipList(Output):
    items: list[MembershipOut]
    cursor: str | None = None


class QuickView(Output):
    count: int
    list_url: str = Field(description="The list this count stands for (`GET` it: its length is the count).")


class SummaryOut(Output):
    as_of: date = Field(description="Today at the site the counts are for.")
    needs_mandate: QuickView
    payment_failed: QuickView
    ending_soon: QuickView = Field(description="Ending within 7 days.")
    payment_due: QuickView = Field(description="Payment due within 7 days.")

    @classmethod
    def of(cls, s: Summary, site_id: str | None) -> SummaryOut:
        suffix = f"&site_id={site_id}" if site_id else ""

        def view(name: str, count: int) -> QuickView:
            return QuickView(count=count, list_url=f"/v1/memberships?view={name}{suffix}")

        return cls(
            as_of=s.day,
            needs_mandate=view("needs_mandate", s.needs_mandate),
            payment_failed=view("payment_failed", s.payment_failed),
            ending_soon=view("ending_soon", s.ending_soon),
            payment_due=view("payment_due", s.payment_due),
        )


class PaymentIn(Input):
    payment_type: PaymentType = Field(description="One of the settings' payment types.")
    amount: MembershipMoneyIO | None = Field(default=None, description="If given, must be the membership's rate.")


class CancelIn(Input):
    at_period_end: StrictBool = Field(
        default=False, description="Run until the current period ends; otherwise end now."
    )
    reason: Reasontext


class MembershipSettingsOut(Output):
    grace_days: int
    prenotification_days: int
    reminder_days: int
    ending_notice_days: int
    payment_types: list[str]
    creditor_name: str | None = None
    creditor_id: str | None = None
    collection_iban: str | None = None
    collection_bic: str | None = None
    version: int

    @classmethod
    def of(cls, s: MembershipSettings) -> MembershipSettingsOut:
        return cls.model_validate(s.model_dump())


class MembershipSettingsPatch(Input):
    version: StrictInt
    grace_days: Annotated[StrictInt, Field(ge=0, le=90)] | None = None
    prenotification_days: Annotated[StrictInt, Field(ge=1, le=60)] | None = None
    reminder_days: Annotated[StrictInt, Field(ge=0, le=60)] | None = None
    ending_notice_days: Annotated[StrictInt, Field(ge=0, le=90)] | None = None
    payment_types: Annotated[list[PaymentType], Field(min_length=1, max_length=20)] | None = None
    creditor_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)] | None = Field(
        default=None, description="Named in the mandate text and the bank file."
    )
    creditor_id: Annotated[str, StringConstraints(min_length=8, max_length=40)] | None = Field(
        default=None, description="The SEPA creditor identifier (checked: 422 `INVALID_CREDITOR_ID`)."
    )
    collection_iban: Annotated[str, StringConstraints(min_length=5, max_length=42)] | None = Field(
        default=None, description="The account debits are collected into (checked with its bank)."
    )
    collection_bic: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set - {"version"} if getattr(self, k) is not None}


class DebitOut(Output):
    end_to_end_id: str
    membership_id: str
    period_start: date
    amount: Money
    sequence: str = Field(description="`FRST` (the mandate's first collection) or `RCUR`.")
    returned: str | None = Field(default=None, description="The bank's ISO reason code, once returned.")

    @classmethod
    def of(cls, debit: Debit) -> DebitOut:
        return cls.model_validate(debit.model_dump())


class BatchOut(Output):
    id: str
    site_id: str
    collection_date: date
    count: int
    total: Money
    schema_version: str
    created_at: str
    download_url: str | None = Field(default=None, description="A presigned link to the file, valid 5 minutes.")
    debits: list[DebitOut] | None = None

    @classmethod
    def of(cls, batch: DirectDebitBatch, *, download_url: str | None = None, detail: bool = False) -> BatchOut:
        return cls(
            id=batch.id,
            site_id=batch.site_id,
            collection_date=batch.collection_date,
            count=batch.count,
            total=batch.total,
            schema_version=batch.schema_version,
            created_at=batch.created_at,
            download_url=download_url,
            debits=[DebitOut.of(d) for d in batch.debits] if detail else None,
        )


class BatchList(Output):
    items: list[BatchOut]


class ReturnIn(Input):
    end_to_end_id: Annotated[str, StringConstraints(min_length=1, max_length=35)]
    reason_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{4}$")] = Field(
        description="The ISO 20022 reason: `AM04` insufficient funds (collected again next time); `MD01`, `AC04`, "
        "`MD07` revoke the mandate."
    )


class MembershipExportIn(Input):
    format: Literal["csv", "xlsx"] = Field(default="xlsx", description="`csv` or `xlsx` (Excel).")
    status: Status | None = None
    type_id: Id | None = None
    site_id: Id | None = None


class MembershipExportOut(Output):
    id: str
    status: str = Field(description="`done`: the file is ready.")
    format: str
    count: int
    created_at: str
    download_url: str | None = Field(default=None, description="A presigned link to the file, valid 5 minutes.")


# Credits ---------------------------------------------------------------------------------------------------
class CreditIn(Input):
    name: Name = Field(description='The kind of credit ("Class").')
    reason: Reasontext = Field(description="Why it is issued (kept with the credit; erased with the customer).")
    expires_on: IsoDay | None = Field(default=None, description="The last day it can be redeemed; none: no expiry.")
    membership_id: Id | None = Field(default=None, description="One of the customer's memberships it belongs to.")
    site_id: Id | None = Field(default=None, description="Default: the membership's site, else the key's first site.")


class RevokeIn(Input):
    reason: Reasontext


class RedeemIn(Input):
    pass


class CreditOut(Output):
    id: str
    customer_id: str
    site_id: str
    membership_id: str | None = None
    name: str
    source: CreditSource = Field(description="`membership` (issued with a period's charge) or `manual`.")
    status: CreditState = Field(description="`available`, `used`, `revoked` or `expired` (today at its site).")
    period_start: date | None = None
    period_end: date | None = None
    expires_on: date | None = Field(default=None, description="The last day it can be redeemed.")
    issued_at: str
    reason: str | None = None
    used_at: str | None = None
    revoked_at: str | None = None
    revoked_reason: str | None = None
    expired_at: str | None = None

    @classmethod
    def of(cls, view: CreditView) -> CreditOut:
        c = view.credit
        return cls(
            **c.model_dump(
                include={
                    "id",
                    "customer_id",
                    "site_id",
                    "membership_id",
                    "name",
                    "source",
                    "period_start",
                    "period_end",
                    "expires_on",
                    "issued_at",
                    "reason",
                    "used_at",
                    "revoked_at",
                    "revoked_reason",
                    "expired_at",
                }
            ),
            status=view.status,
        )


class CreditList(Output):
    items: list[CreditOut]
    cursor: str | None = None
