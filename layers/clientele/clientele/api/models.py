"""Request and response shapes of the merchant API (documented in the OpenAPI document).

Inputs forbid unknown fields so a typo is a 422, not a silently ignored value.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints, field_validator

from clientele.domain.models import (
    Address,
    ApiKey,
    AuditEntry,
    Channel,
    Customer,
    Label,
    MarketingPreferenceDefinition,
    Merchant,
    Note,
    Site,
    Source,
)
from clientele.domain.permissions import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locale = Annotated[str, StringConstraints(pattern=r"^(en|fr|nl)$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,2000}$", max_length=2048)]


class Output(BaseModel):
    # defer_build: a model's validator is built on first use, not at import (cold start).
    model_config = ConfigDict(defer_build=True)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


def _time_zone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError("unknown IANA time zone")
    return value


# ---------------------------------------------------------------------------------- account
class TermsOut(Output):
    version: str = Field(description="The current version of the customer-list terms.")
    url: str
    accepted: bool
    accepted_version: str | None = None
    accepted_at: str | None = None
    accepted_by: str | None = None


class TermsAcceptIn(Input):
    version: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class SettingsOut(Output):
    merchant_id: str
    business_name: str
    contact_email: str | None = None
    locale: str
    country: str
    privacy_policy_url: str | None = None
    terms_accepted: bool
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, merchant: Merchant) -> SettingsOut:
        return cls(
            merchant_id=merchant.id,
            business_name=merchant.name,
            contact_email=merchant.contact_email,
            locale=merchant.locale,
            country=merchant.country,
            privacy_policy_url=merchant.privacy_policy_url,
            terms_accepted=merchant.terms is not None,
            created_at=merchant.created_at,
            updated_at=merchant.updated_at,
            version=merchant.version,
        )


class SettingsPatch(Input):
    version: StrictInt = Field(ge=1)
    business_name: Name | None = None
    contact_email: Annotated[str, StringConstraints(max_length=254)] | None = None
    locale: Locale | None = None
    country: Country | None = None
    privacy_policy_url: Url | None = None

    def changes(self) -> dict[str, Any]:
        mapping = {"business_name": "name"}
        return {mapping.get(k, k): getattr(self, k) for k in self.model_fields_set if k != "version"}


class SiteIn(Input):
    name: Name
    country: Country
    time_zone: Annotated[str, StringConstraints(max_length=64)]
    currency: Currency

    _tz = field_validator("time_zone")(_time_zone)


class SitePatch(Input):
    name: Name | None = None
    country: Country | None = None
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = None
    currency: Currency | None = None

    _tz = field_validator("time_zone")(_time_zone)

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if getattr(self, k) is not None}


class SiteOut(Site):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class SiteList(Output):
    items: list[SiteOut]


class ApiKeyIn(Input):
    role: Role
    site_ids: Annotated[list[Id], Field(min_length=1, max_length=50)] | None = None
    name: ShortText | None = None


class ApiKeyOut(ApiKey):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The API key. Shown once: store it now.")


class ApiKeyList(Output):
    items: list[ApiKeyOut]


class LabelIn(Input):
    name: Name


class LabelOut(Label):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class LabelList(Output):
    items: list[LabelOut]


class PreferenceIn(Input):
    name: Name
    channel: Channel
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class PreferenceOut(MarketingPreferenceDefinition):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class PreferenceList(Output):
    items: list[PreferenceOut]


# ---------------------------------------------------------------------------------- customers
class AddressIn(Input):
    line1: ShortText
    line2: ShortText | None = None
    city: Name | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    region: Name | None = None
    country: Country | None = None

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


def _past_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= date.today():
        raise ValueError("birthday must be a past date after 1900")
    return value


Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]


class CustomerIn(Input):
    given_name: Name | None = None
    family_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    birthday: date | None = None
    locale: Locale | None = None
    addresses: Annotated[list[AddressIn], Field(max_length=5)] = []
    labels: Annotated[list[Id], Field(max_length=50)] = []
    marketing: Annotated[dict[Id, StrictBool], Field(max_length=20)] = Field(
        default={}, description="Marketing preference id -> opted in."
    )
    source: Source = Field(default=Source.MANUAL, description="`manual`, or `legacy` for migrations.")

    @field_validator("source")
    @classmethod
    def _creatable(cls, value: Source) -> Source:
        if value not in (Source.MANUAL, Source.LEGACY):
            raise ValueError("source must be manual or legacy")
        return value

    _birthday = field_validator("birthday")(_past_date)


class CustomerPatch(Input):
    version: StrictInt = Field(ge=1, description="The version you read; a stale one is 409 VERSION_MISMATCH.")
    given_name: Name | None = None
    family_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    birthday: date | None = None
    locale: Locale | None = None
    addresses: Annotated[list[AddressIn], Field(max_length=5)] | None = None
    labels: Annotated[list[Id], Field(max_length=50)] | None = None
    marketing: Annotated[dict[Id, StrictBool], Field(max_length=20)] | None = None

    _birthday = field_validator("birthday")(_past_date)


class PreferenceState(Output):
    opted_in: bool
    changed_at: str
    source: str


class CustomerOut(Output):
    id: str
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    locale: str | None = None
    addresses: list[Address] = []
    labels: list[str] = []
    marketing: dict[str, PreferenceState] = {}
    site_ids: list[str] = []
    source: Source
    created_at: str
    updated_at: str
    last_visit_at: str | None = None
    version: int

    @classmethod
    def of(cls, customer: Customer, *, contact: bool) -> CustomerOut:
        """``contact``: whether the key may see email, phone and addresses (customers:contact)."""
        return cls(
            id=customer.id,
            given_name=customer.given_name,
            family_name=customer.family_name,
            email=customer.email if contact else None,
            phone=customer.phone if contact else None,
            birthday=customer.birthday,
            locale=customer.locale,
            addresses=customer.addresses if contact else [],
            labels=customer.labels,
            marketing={
                k: PreferenceState(opted_in=v.opted_in, changed_at=v.changed_at, source=v.source)
                for k, v in customer.marketing.items()
            },
            site_ids=customer.site_ids,
            source=customer.source,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            last_visit_at=customer.last_visit_at,
            version=customer.version,
        )


class CustomerList(Output):
    items: list[CustomerOut]
    cursor: str | None = Field(default=None, description="Present while more items remain.")


class NoteIn(Input):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class NoteOut(Note):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class NoteList(Output):
    items: list[NoteOut]
    cursor: str | None = None


class AuditOut(AuditEntry):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class AuditList(Output):
    items: list[AuditOut]
    cursor: str | None = None
