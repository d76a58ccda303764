"""A customer of one merchant, their consent and marketing choices, notes and audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import Field

from clientele.kernel.entity import Entity


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


class AttributeValue(Entity):
    """A custom attribute's value on a customer, with its definition's type (the directory keeps boolean and
    select values as list filters, and only the key of the others)."""

    type: str  # the definition's AttributeType
    value: bool | int | float | str


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
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
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
    # Set on the entries of a profile merged into this one: the id they were recorded for.
    merged_from: str | None = None


@dataclass(frozen=True)
class ContactHashes:
    """Keyed hashes of a customer's normalised email and phone (``None`` when absent): what the uniqueness
    guards and the privacy portal's look-up are keyed by."""

    email: str | None
    phone: str | None
