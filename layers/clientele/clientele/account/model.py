"""The merchant's account: the merchant, its sites, API keys, and the definitions customers use
(labels, marketing preferences, custom attributes)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from clientele.kernel.contact import Channel
from clientele.kernel.entity import Entity
from clientele.kernel.permissions import Role


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
    # The signup links (QR codes, kiosk links) carry the generation they were made in; a rotation starts the
    # next one, and the links of the one before keep working until ``signup_previous_until`` (RFC 3339, UTC).
    signup_generation: int = 0
    signup_previous_until: str | None = None


class Site(Entity):
    id: str
    name: str
    address: str | None = None  # the shop's street address as printed on receipts, lines separated by "\n"
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


class PreferenceWording(Entity):
    """A preference's words in one language (en, fr, nl), as the hosted pages show them."""

    name: str
    description: str | None = None


class MarketingPreferenceDefinition(Entity):
    id: str
    name: str  # the default wording, shown in a language without its own
    channel: Channel
    description: str | None = None
    wording: dict[str, PreferenceWording] = Field(default_factory=dict)  # per language
    created_at: str
    archived_at: str | None = None  # archived: no longer offered nor settable; past choices stay as records

    def name_in(self, locale: str) -> str:
        own = self.wording.get(locale)
        return own.name if own else self.name

    def description_in(self, locale: str) -> str | None:
        own = self.wording.get(locale)
        return own.description if own else self.description


class AttributeType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    SELECT = "select"


# Boolean and select attributes are list filters: their values are what the directory keeps.
FILTERABLE_TYPES = frozenset({AttributeType.BOOLEAN, AttributeType.SELECT})


class CustomAttributeDefinition(Entity):
    """A custom attribute the merchant defines (as Square's); values live on the customers."""

    key: str  # stable: the name of the value on a customer and of the list filter attribute.{key}
    name: str
    type: AttributeType
    options: list[str] = Field(default_factory=list)  # select only
    created_at: str
    deleting_since: str | None = None  # being removed: its values are being taken off the customers
