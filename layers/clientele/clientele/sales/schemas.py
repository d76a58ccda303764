"""Request and response shapes of sales, cards and insights (documented in the OpenAPI document).

Inputs forbid unknown fields, so a typo (or a ``card_number`` field) is a 422, never silently ignored.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from clientele.http.schemas import Currency, Id, Input, Output
from clientele.kernel.money import Money
from clientele.loyalty.schemas import SalePointsOut
from clientele.sales.model import (
    Card,
    CustomerInsights,
    Overview,
    PaymentMethod,
    Sale,
    SaleLine,
    SaleType,
    TaxLine,
)

if TYPE_CHECKING:
    from clientele.sales.cards import CardInput
    from clientele.sales.service import Attachment, SaleDraft

Amount = Annotated[StrictInt, Field(ge=-(10**12), le=10**12, description="Minor units (cents), an integer.")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MoneyIO(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    amount: Amount
    currency: Currency = Field(description="ISO 4217, the site's currency.")

    def to_domain(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


class LineIn(Input):
    description: Text
    quantity: Annotated[StrictInt, Field(ge=1, le=10_000)] = 1
    unit_price: MoneyIO
    total: MoneyIO = Field(description="quantity times unit_price.")

    def to_domain(self) -> SaleLine:
        return SaleLine(
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price.to_domain(),
            total=self.total.to_domain(),
        )


class TaxLineIn(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = Field(
        description="The tax as the receipt prints it, e.g. `VAT`, `BTW`, `TVA`, `Sales tax`."
    )
    rate: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)] | None = Field(
        default=None, description="The rate as printed, e.g. `21%`."
    )
    amount: MoneyIO = Field(description="The tax amount, in the site's currency.")
    included: StrictBool = Field(
        default=True,
        description="True (the default): the tax is already in the lines' prices, as VAT is in Europe. False: it is "
        "added to the lines, and the sale's total is the lines plus these taxes.",
    )

    def to_domain(self) -> TaxLine:
        return TaxLine(name=self.name, rate=self.rate, amount=self.amount.to_domain(), included=self.included)


class CardIn(Input):
    fingerprint: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=4, max_length=128, pattern=r"^[A-Za-z0-9_\-:.+/=]+$")
    ] = Field(description="The payment processor's opaque identifier of the card (never the card number).")
    brand: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    last4: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
    cardholder_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = (
        None
    )

    def to_domain(self) -> CardInput:
        from clientele.sales.cards import CardInput  # the use cases load on the first sale, not at import

        return CardInput(
            fingerprint=self.fingerprint, brand=self.brand, last4=self.last4, cardholder_name=self.cardholder_name
        )


class SaleIn(Input):
    type: SaleType = Field(description="`purchase`, `refund` or `exchange` (an exchange's total may be negative).")
    total: MoneyIO
    lines: Annotated[list[LineIn], Field(max_length=200)] = []
    site_id: Id | None = Field(default=None, description="Default: the merchant's first site the key may use.")
    customer_id: Id | None = None
    card: CardIn | None = None
    refund_of: Id | None = Field(
        default=None, description="A refund (or exchange) of an earlier sale: that sale's loyalty points go back."
    )
    taxes: Annotated[list[TaxLineIn], Field(max_length=10)] = Field(
        default=[], description="Tax lines the receipt shows (optional)."
    )
    payment_method: PaymentMethod | None = Field(
        default=None,
        description="How the sale was paid, for the receipt: `card`, `cash`, `voucher` or `other`. A sale with a "
        "`card` was paid by card.",
    )

    def to_draft(self) -> SaleDraft:
        from clientele.sales.service import SaleDraft

        return SaleDraft(
            type=self.type,
            total=self.total.to_domain(),
            lines=[x.to_domain() for x in self.lines],
            site_id=self.site_id,
            customer_id=self.customer_id,
            card=self.card.to_domain() if self.card else None,
            refund_of=self.refund_of,
            taxes=[x.to_domain() for x in self.taxes],
            payment_method=self.payment_method,
        )


class LineOut(Output):
    description: str
    quantity: int
    unit_price: Money
    total: Money


class CardRefOut(Output):
    card_id: str
    brand: str
    last4: str


class TaxLineOut(Output):
    name: str
    rate: str | None = None
    amount: Money
    included: bool


class SaleOut(Output):
    id: str
    receipt_number: str = Field(description="The number printed on the sale's receipts (the day and a code).")
    site_id: str
    type: SaleType
    total: Money
    lines: list[LineOut]
    customer_id: str | None = None
    card: CardRefOut | None = None
    taxes: list[TaxLineOut] = []
    payment_method: PaymentMethod | None = None
    occurred_at: str
    local_date: date = Field(description="The day of the sale in the site's time zone.")
    instant_profile: bool = Field(description="The sale created its customer from the card (source instant_profile).")
    refund_of: str | None = None
    loyalty: SalePointsOut | None = Field(
        default=None, description="When the customer has a loyalty account: the points this sale moved, the balance."
    )

    @classmethod
    def of(cls, sale: Sale) -> SaleOut:
        from clientele.sales.rules import receipt_number

        return cls(
            id=sale.id,
            receipt_number=receipt_number(sale),
            site_id=sale.site_id,
            type=sale.type,
            total=sale.total,
            lines=[LineOut(**line.model_dump()) for line in sale.lines],
            customer_id=sale.customer_id,
            card=CardRefOut(**sale.card.model_dump()) if sale.card else None,
            taxes=[TaxLineOut(**tax.model_dump()) for tax in sale.taxes],
            payment_method=sale.payment_method,
            occurred_at=sale.occurred_at,
            local_date=sale.local_date,
            instant_profile=sale.instant_profile,
            refund_of=sale.refund_of,
            loyalty=SalePointsOut(**sale.loyalty.model_dump()) if sale.loyalty else None,
        )


class SaleList(Output):
    items: list[SaleOut]
    cursor: str | None = Field(default=None, description="Present while more items remain.")


class CardOut(Output):
    id: str
    brand: str
    last4: str
    cardholder_name: str | None = None
    linked_at: str

    @classmethod
    def of(cls, card: Card, *, contact: bool) -> CardOut:
        return cls(
            id=card.id,
            brand=card.brand,
            last4=card.last4,
            cardholder_name=card.cardholder_name if contact else None,
            linked_at=card.linked_at,
        )


class CardList(Output):
    items: list[CardOut]


class InsightsOut(Output):
    customer_id: str
    total_spent: Money | None = Field(
        description="Purchases less refunds (exchanges count their difference); null before the first sale."
    )
    total_spent_by_currency: list[Money] = Field(description="When the customer paid at sites in several currencies.")
    purchase_count: int
    refund_count: int
    exchange_count: int
    first_visit_at: str | None = None
    last_visit_at: str | None = None

    @classmethod
    def of(cls, insights: CustomerInsights) -> InsightsOut:
        by_currency = [Money(amount=a, currency=c) for c, a in sorted(insights.spent.items())]
        main = max(by_currency, key=lambda m: abs(m.amount), default=None)
        return cls(
            customer_id=insights.customer_id,
            total_spent=main,
            total_spent_by_currency=by_currency,
            purchase_count=insights.purchase_count,
            refund_count=insights.refund_count,
            exchange_count=insights.exchange_count,
            first_visit_at=insights.first_visit_at,
            last_visit_at=insights.last_visit_at,
        )


class OverviewOut(Output):
    total_customers: int = Field(
        description="All time, every site: the customers on the list. For a site or a "
        "period: the customers whose first visit fell there."
    )
    total_sales: int = Field(description="Sales linked to customers (erased ones included).")
    returning_customers: int = Field(
        description="Customers with two purchases or more (for a period: those whose second purchase fell in it)."
    )
    site_id: str | None = None
    site_ids: list[str] | None = Field(default=None, description="The sites counted; null for every site.")
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    @classmethod
    def of(
        cls,
        overview: Overview,
        *,
        site_id: str | None,
        site_ids: list[str] | None,
        first: date | None,
        last: date | None,
    ) -> OverviewOut:
        return cls(
            total_customers=overview.total_customers,
            total_sales=overview.total_sales,
            returning_customers=overview.returning_customers,
            site_id=site_id,
            site_ids=site_ids,
            from_=first,
            to=last,
        )


SortBy = Literal["date", "amount"]
Order = Literal["asc", "desc"]


class AttachIn(Input):
    customer_id: Id = Field(description="An existing customer of the merchant.")


class AttachmentOut(Output):
    """The sale after a customer was attached or taken off, and that customer's insights at that moment."""

    sale: SaleOut
    customer_id: str | None = Field(
        default=None, description="The customer attached (PUT) or taken off (DELETE); null: the sale had none."
    )
    insights: InsightsOut | None = Field(
        default=None, description="The customer's insights now: total spent, purchases, refunds, last visit."
    )

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentOut:
        return cls(
            sale=SaleOut.of(attachment.sale),
            customer_id=attachment.customer_id,
            insights=InsightsOut.of(attachment.insights) if attachment.insights is not None else None,
        )
