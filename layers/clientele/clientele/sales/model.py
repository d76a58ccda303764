"""Sales, the cards that paid them, and the counters they keep (a customer's insights, the overview)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from clientele.kernel.entity import Entity
from clientele.kernel.money import Money
from clientele.loyalty.model import SalePoints


class SaleType(StrEnum):
    PURCHASE = "purchase"
    REFUND = "refund"
    EXCHANGE = "exchange"


class SaleLine(Entity):
    description: str
    quantity: int = 1
    unit_price: Money
    total: Money


class TaxLine(Entity):
    """A tax the receipt shows, e.g. "VAT 21%". ``included``: already in the lines' prices (European VAT);
    otherwise added on top of them (a sales tax), and part of the total."""

    name: str
    rate: str | None = None  # as printed, e.g. "21%"
    amount: Money
    included: bool = True


class PaymentMethod(StrEnum):
    CARD = "card"
    CASH = "cash"
    VOUCHER = "voucher"
    OTHER = "other"


class CardRef(Entity):
    """The card a sale was paid with, as a sale keeps it: never a card number, never the holder's name."""

    card_id: str
    brand: str
    last4: str


class Sale(Entity):
    id: str
    merchant_id: str
    site_id: str
    type: SaleType
    total: Money
    lines: list[SaleLine] = Field(default_factory=list)
    customer_id: str | None = None
    card: CardRef | None = None
    taxes: list[TaxLine] = Field(default_factory=list)
    payment_method: PaymentMethod | None = None  # None: not said (a sale with a card was paid by card)
    occurred_at: str
    local_date: date  # the day in the site's time zone, for per-day counters
    created_by: str  # API key id
    instant_profile: bool = False  # the sale created its customer from the card
    refund_of: str | None = None  # a refund or exchange: the sale it gives money back for
    loyalty: SalePoints | None = None  # the customer's loyalty account: points the sale moved, balance after


class Card(Entity):
    """A payment card linked to a customer. ``fingerprint`` is the processor's opaque card identifier."""

    id: str
    customer_id: str
    fingerprint: str
    brand: str
    last4: str
    cardholder_name: str | None = None
    linked_at: str


class CustomerInsights(Entity):
    """A customer's counters, kept exactly once per sale. ``spent``: net amount per currency."""

    customer_id: str
    spent: dict[str, int] = Field(default_factory=dict)
    purchase_count: int = 0
    refund_count: int = 0
    exchange_count: int = 0
    first_visit_at: str | None = None
    last_visit_at: str | None = None


class Overview(Entity):
    total_customers: int = 0
    total_sales: int = 0
    returning_customers: int = 0
