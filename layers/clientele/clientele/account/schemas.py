"""Request and response shapes of the account: terms, settings, sites, API keys, labels, preference definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints, field_validator

from clientele.account.model import (
    ApiKey,
    AttributeType,
    CustomAttributeDefinition,
    Label,
    MarketingPreferenceDefinition,
    Merchant,
    PreferenceWording,
    Site,
)
from clientele.http.schemas import Country, Currency, Id, Input, Locale, Name, Output, ShortText, Url, known_time_zone
from clientele.kernel.contact import Channel
from clientele.kernel.permissions import Role

if TYPE_CHECKING:
    from clientele.account.service import Terms


class TermsOut(Output):
    version: str = Field(description="The current version of the customer-list terms.")
    url: str
    accepted: bool
    accepted_version: str | None = None
    accepted_at: str | None = None
    accepted_by: str | None = None

    @classmethod
    def of(cls, terms: Terms) -> TermsOut:
        accepted = terms.accepted
        return cls(
            version=terms.version,
            url=terms.url,
            accepted=accepted is not None,
            accepted_version=accepted.version if accepted else None,
            accepted_at=accepted.accepted_at if accepted else None,
            accepted_by=accepted.accepted_by if accepted else None,
        )


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

    @field_validator("contact_email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        """A real address (it becomes every email's Reply-To): never a CR, LF or anything else a header
        could be injected with."""
        if value is None:
            return None
        from clientele.kernel.contact import normalise_email
        from clientele.kernel.errors import ValidationFailed

        if any(ch in value for ch in "\r\n\x00"):
            raise ValueError("an email address is one line")
        try:
            return normalise_email(value)
        except ValidationFailed as exc:
            raise ValueError("not a valid email address") from exc

    def changes(self) -> dict[str, Any]:
        mapping = {"business_name": "name"}
        return {mapping.get(k, k): getattr(self, k) for k in self.model_fields_set if k != "version"}


SiteAddress = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ADDRESS_DESCRIPTION = "The shop's address as printed on its receipts; separate lines with a line break (\\n)."


class SiteIn(Input):
    name: Name
    address: SiteAddress | None = Field(default=None, description=ADDRESS_DESCRIPTION)
    country: Country
    time_zone: Annotated[str, StringConstraints(max_length=64)]
    currency: Currency

    _tz = field_validator("time_zone")(known_time_zone)


class SitePatch(Input):
    name: Name | None = None
    address: SiteAddress | None = Field(default=None, description=ADDRESS_DESCRIPTION)
    country: Country | None = None
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = None
    currency: Currency | None = None

    _tz = field_validator("time_zone")(known_time_zone)

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if getattr(self, k) is not None}


class SiteOut(Output):
    id: str
    name: str
    address: str | None = None
    country: str
    time_zone: str
    currency: str
    created_at: str

    @classmethod
    def of(cls, site: Site) -> SiteOut:
        return cls(
            id=site.id,
            name=site.name,
            address=site.address,
            country=site.country,
            time_zone=site.time_zone,
            currency=site.currency,
            created_at=site.created_at,
        )


class SiteList(Output):
    items: list[SiteOut]


class ApiKeyIn(Input):
    role: Role
    site_ids: Annotated[list[Id], Field(min_length=1, max_length=50)] | None = None
    name: ShortText | None = None


class ApiKeyOut(Output):
    id: str
    name: str | None = None
    role: Role
    site_ids: list[str] | None = None
    hint: str = Field(description="The last characters of the secret, to recognise it in a list.")
    created_at: str
    created_by: str | None = None
    revoked_at: str | None = None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            site_ids=key.site_ids,
            hint=key.hint,
            created_at=key.created_at,
            created_by=key.created_by,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The API key. Shown once: store it now.")

    @classmethod
    def issued(cls, key: ApiKey, secret: str) -> ApiKeyCreated:
        return cls(**ApiKeyOut.of(key).model_dump(), secret=secret)


class ApiKeyList(Output):
    items: list[ApiKeyOut]


class LabelIn(Input):
    name: Name


class LabelOut(Output):
    id: str
    name: str
    created_at: str
    customer_count: int | None = Field(default=None, description="Customers with this label (in lists).")

    @classmethod
    def of(cls, label: Label, customer_count: int | None = None) -> LabelOut:
        return cls(id=label.id, name=label.name, created_at=label.created_at, customer_count=customer_count)


class LabelList(Output):
    items: list[LabelOut]


Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Language = Literal["en", "fr", "nl"]


class WordingIn(Input):
    name: Name
    description: Description | None = None

    def to_domain(self) -> PreferenceWording:
        return PreferenceWording(name=self.name, description=self.description or None)


class PreferenceIn(Input):
    name: Name
    channel: Channel
    description: Description | None = None
    wording: dict[Language, WordingIn] = Field(
        default={}, description="The words per language (en, fr, nl) the hosted pages show; `name` otherwise."
    )

    def wording_domain(self) -> dict[str, PreferenceWording]:
        return {locale: words.to_domain() for locale, words in self.wording.items()}


class PreferencePatch(Input):
    name: Name | None = None
    description: Description | None = None
    wording: dict[Language, WordingIn | None] | None = Field(
        default=None, description="Each language sent replaces its words; null removes them."
    )
    archived: StrictBool | None = Field(
        default=None, description="Archived: no longer offered on the hosted pages nor settable; choices stay."
    )

    def changes(self) -> dict[str, Any]:
        """What the request changes: a null name or archived flag changes nothing (a preference always has a
        name and is archived or not); a null description removes it."""
        sent = self.model_fields_set & {"name", "description", "archived"}
        return {k: getattr(self, k) for k in sent if k == "description" or getattr(self, k) is not None}

    def wording_domain(self) -> dict[str, PreferenceWording | None] | None:
        if self.wording is None:
            return None
        return {locale: words.to_domain() if words else None for locale, words in self.wording.items()}


class WordingOut(Output):
    name: str
    description: str | None = None


class PreferenceOut(Output):
    id: str
    name: str
    channel: Channel
    description: str | None = None
    wording: dict[str, WordingOut] = {}
    archived: bool = False
    archived_at: str | None = None
    created_at: str

    @classmethod
    def of(cls, preference: MarketingPreferenceDefinition) -> PreferenceOut:
        return cls(
            id=preference.id,
            name=preference.name,
            channel=preference.channel,
            description=preference.description,
            wording={k: WordingOut(name=v.name, description=v.description) for k, v in preference.wording.items()},
            archived=preference.archived_at is not None,
            archived_at=preference.archived_at,
            created_at=preference.created_at,
        )


class PreferenceList(Output):
    items: list[PreferenceOut]


AttributeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Options = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=50)]


class CustomAttributeIn(Input):
    key: AttributeKey = Field(description="Lower-case letters, digits and _; the filter is attribute.{key}.")
    name: Name
    type: AttributeType
    options: Options = Field(default=[], description="A select's options (required for a select only).")


class CustomAttributePatch(Input):
    name: Name | None = None
    options: Options | None = Field(default=None, description="A select's options: existing ones must stay.")


class CustomAttributeOut(Output):
    key: str
    name: str
    type: AttributeType
    options: list[str] = []
    filterable: bool = Field(description="Boolean and select attributes filter the list (attribute.{key}).")
    created_at: str

    @classmethod
    def of(cls, definition: CustomAttributeDefinition) -> CustomAttributeOut:
        from clientele.account.model import FILTERABLE_TYPES

        return cls(
            key=definition.key,
            name=definition.name,
            type=definition.type,
            options=definition.options,
            filterable=definition.type in FILTERABLE_TYPES,
            created_at=definition.created_at,
        )


class CustomAttributeList(Output):
    items: list[CustomAttributeOut]
