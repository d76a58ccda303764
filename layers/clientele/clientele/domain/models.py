"""Domain entities. API shapes (clientele.api.models) and DynamoDB items
(clientele.repositories) are separate classes; conversions are explicit."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from clientele.domain.permissions import Permission, Role, permissions_of


class Entity(BaseModel):
    # defer_build: a model's validator is built on first use, not at import (cold start).
    model_config = ConfigDict(frozen=False, extra="forbid", defer_build=True)


class Principal(Entity):
    """Who is calling: resolved from an API key by the authorizer."""

    merchant_id: str
    key_id: str
    role: Role
    site_ids: list[str] | None = None  # None: every site of the merchant
    # A snapshot of the merchant's account kept on the key, so that a request needs no extra read.
    # ``terms_accepted`` may lag by the authorizer cache TTL; a False is re-checked before refusing.
    terms_accepted: bool = False
    country: str = "NL"
    locale: str = "en"

    def can(self, permission: Permission) -> bool:
        return permission in permissions_of(self.role)


class TermsAcceptance(Entity):
    version: str
    accepted_at: str
    accepted_by: str  # API key id


class Merchant(Entity):
    id: str
    name: str
    contact_email: str | None = None  # the business's own address, for account notices
    locale: str = "en"
    country: str = "NL"
    privacy_policy_url: str | None = None
    terms: TermsAcceptance | None = None
    created_at: str
    updated_at: str
    version: int = 1


class Site(Entity):
    id: str
    name: str
    country: str
    time_zone: str
    currency: str
    created_at: str


class ApiKey(Entity):
    id: str
    name: str | None = None
    role: Role
    site_ids: list[str] | None = None
    hint: str  # the last characters of the secret, to recognise it in a list
    created_at: str
    created_by: str | None = None
    revoked_at: str | None = None


class Label(Entity):
    id: str
    name: str
    created_at: str


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MarketingPreferenceDefinition(Entity):
    id: str
    name: str
    channel: Channel
    description: str | None = None
    created_at: str


class Source(StrEnum):
    MANUAL = "manual"
    QR_SIGNUP = "qr_signup"
    KIOSK = "kiosk"
    INSTANT_PROFILE = "instant_profile"
    IMPORT = "import"
    LEGACY = "legacy"


class PreferenceChoice(Entity):
    """One marketing preference of one customer: opted in or out, when, how, and the words shown."""

    opted_in: bool
    changed_at: str
    source: str
    consent_text: str | None = None


class Address(Entity):
    line1: str
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None


class Consent(Entity):
    text: str
    version: str
    given_at: str
    source: str


class Customer(Entity):
    id: str
    merchant_id: str
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    locale: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    marketing: dict[str, PreferenceChoice] = Field(default_factory=dict)
    consent: Consent | None = None
    site_ids: list[str] = Field(default_factory=list)
    source: Source = Source.MANUAL
    created_at: str
    updated_at: str
    last_visit_at: str | None = None
    version: int = 1


class Note(Entity):
    id: str
    customer_id: str
    text: str
    created_at: str
    created_by: str


class AuditEntry(Entity):
    """An administrative change: who, when, which fields (names only, never values)."""

    id: str
    customer_id: str
    at: str
    actor: str
    action: str
    fields: list[str] = Field(default_factory=list)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(defer_build=True)

    items: list[T]
    cursor: str | None = None


# ---------------------------------------------------------------------------------- sales and insights
class SaleType(StrEnum):
    PURCHASE = "purchase"
    REFUND = "refund"
    EXCHANGE = "exchange"


class Money(Entity):
    """An amount in minor units (cents) of an ISO 4217 currency."""

    amount: int
    currency: str


class SaleLine(Entity):
    description: str
    quantity: int = 1
    unit_price: Money
    total: Money


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
    occurred_at: str
    local_date: date  # the day in the site's time zone, for per-day counters
    created_by: str  # API key id
    instant_profile: bool = False  # the sale created its customer from the card


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
