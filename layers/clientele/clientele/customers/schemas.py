"""Request and response shapes of the customer list: customers, notes, audit trail."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints, field_validator

from clientele.customers.model import Address, AuditEntry, Customer, Note, Source
from clientele.http.schemas import Country, Id, Input, Locale, Name, Output, ShortText


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
