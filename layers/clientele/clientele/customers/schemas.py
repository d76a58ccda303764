"""Request and response shapes of the customer list: customers, notes, audit trail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints, field_validator

from clientele.customers.model import Address, AuditEntry, Customer, Note, Source
from clientele.customers.rules import MAX_QUERY_LENGTH, Order, Query, SortKey
from clientele.customers.service import CustomerDraft
from clientele.http.schemas import Country, Id, Input, Locale, Name, Output, ShortText
from clientele.kernel.errors import BadRequest

if TYPE_CHECKING:
    from clientele.customers.photos import PhotoLink, Upload

EVERY_CUSTOMER_GROUP = "grp_all"  # the groups context's system group of all customers


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


AttributeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
AttributeRaw = StrictBool | StrictInt | float | Annotated[str, StringConstraints(max_length=500)]
Attributes = Annotated[
    dict[AttributeKey, AttributeRaw],
    Field(max_length=50, description="Custom attribute key -> value, checked against its definition's type."),
]
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
    attributes: Attributes = {}
    source: Source = Field(default=Source.MANUAL, description="`manual`, or `legacy` for migrations.")

    @field_validator("source")
    @classmethod
    def _creatable(cls, value: Source) -> Source:
        if value not in (Source.MANUAL, Source.LEGACY):
            raise ValueError("source must be manual or legacy")
        return value

    _birthday = field_validator("birthday")(_past_date)

    def to_draft(self) -> CustomerDraft:
        if not (self.given_name or self.family_name or self.email or self.phone):
            from clientele.kernel.errors import ValidationFailed

            raise ValidationFailed(
                "A customer needs at least a name, an email address or a phone number.",
                field="given_name",
                code="CUSTOMER_WITHOUT_DETAILS",
            )
        return CustomerDraft(
            **{k: v for k, v in self.model_dump().items() if k != "addresses"},
            addresses=[a.to_domain() for a in self.addresses],
        )


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
    attributes: (
        Annotated[
            dict[AttributeKey, AttributeRaw | None],
            Field(max_length=50, description="Only the keys sent change; a key sent as null is removed."),
        ]
        | None
    ) = None

    _birthday = field_validator("birthday")(_past_date)

    def to_draft(self) -> CustomerDraft:
        """The changes: only the fields sent (``provided``); a field sent as null is cleared."""
        provided = self.model_fields_set - {"version"}
        values = self.model_dump(exclude={"version", "addresses"})
        draft = CustomerDraft(
            **{k: v for k, v in values.items() if v is not None},
            addresses=[a.to_domain() for a in self.addresses or []],
            provided=frozenset(provided),
        )
        for name in provided:
            if values.get(name) is None and name != "addresses":
                setattr(draft, name, None)
        return draft


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
    attributes: dict[str, bool | int | float | str] = {}
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
            attributes={k: v.value for k, v in customer.attributes.items()},
            site_ids=customer.site_ids,
            source=customer.source,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            last_visit_at=customer.last_visit_at,
            version=customer.version,
        )


class PossibleDuplicate(Output):
    customer_id: str
    reasons: list[str] = Field(description="`same_email`, `same_phone`, `similar_name`.")


class CreatedCustomerOut(CustomerOut):
    possible_duplicates: list[PossibleDuplicate] = Field(
        default=[],
        description="Customers this one looks like (never blocking: merge them if they are one); only when any.",
    )


class CustomerList(Output):
    items: list[CustomerOut]
    cursor: str | None = Field(default=None, description="Present while more items remain.")


# GET /v1/customers: every parameter it knows; any other is a 400 naming it, never ignored.
DIRECTORY_PARAMETERS = frozenset(
    {
        "q",
        "email",
        "phone",
        "label",
        "marketing_preference",
        "site_id",
        "group_id",
        "has_membership",
        "source",
        "sort",
        "order",
        "limit",
        "cursor",
    }
)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


_ATTRIBUTE_PARAMETER = re.compile(r"^attribute\.[a-z][a-z0-9_]{0,39}$")


# A repeated id filter means all of them, as their comma-separated form does (?label=a&label=b is
# ?label=a,b); any other parameter given twice is a 400 naming it, never one of the values picked.
REPEATABLE_PARAMETERS = frozenset({"label", "marketing_preference", "site_id", "group_id"})


def check_directory_parameters(names: list[str], raw_query: str = "") -> None:
    from collections import Counter
    from urllib.parse import parse_qsl

    given = Counter(name for name, _ in parse_qsl(raw_query or "", keep_blank_values=True))
    for name, times in sorted(given.items()):
        if times > 1 and name not in REPEATABLE_PARAMETERS:
            raise BadRequest(f"{name} is given {times} times: give it once.", field=name, code="REPEATED_PARAMETER")
    for name in sorted(names):
        if name.startswith("attribute.") and _ATTRIBUTE_PARAMETER.match(name):
            continue
        if name not in DIRECTORY_PARAMETERS:
            raise BadRequest(f"Unknown query parameter: {name}.", field=name, code="UNKNOWN_PARAMETER")


def attribute_parameters(parameters: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The (key, value) of each ``attribute.{key}`` parameter (checked against the definitions later)."""
    return tuple((k.removeprefix("attribute."), v) for k, v in parameters.items() if k.startswith("attribute."))


def _ids(name: str, raw: str | None) -> tuple[str, ...]:
    """A comma-separated list of ids (a repeated parameter arrives so): every one must hold (AND)."""
    if raw is None:
        return ()
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",")))
    if not values or not all(_ID.match(v) for v in values) or len(values) > 20:
        raise BadRequest(f"{name} must be up to 20 comma-separated ids.", field=name, code="INVALID_PARAMETER")
    return values


def _flag(name: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false.", field=name, code="INVALID_PARAMETER")
    return raw == "true"


def directory_limit(raw: str | None) -> int:
    """``limit``: 1-100, 50 when absent; anything else is a 400 naming it."""
    if raw is None:
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise BadRequest("limit must be a whole number from 1 to 100.", field="limit", code="INVALID_PARAMETER")
    return int(raw)


def _choice(name: str, raw: str | None, allowed: type[SortKey] | type[Order] | type[Source]) -> str | None:
    if raw is None:
        return None
    if raw not in {m.value for m in allowed}:
        options = ", ".join(m.value for m in allowed)
        raise BadRequest(f"{name} must be one of: {options}.", field=name, code="INVALID_PARAMETER")
    return raw


@dataclass(frozen=True)
class DirectoryParams:
    """The directory's query parameters, checked; ``to_query`` gives the domain's query."""

    q: str | None = None
    email: str | None = None
    phone: str | None = None
    label: str | None = None
    marketing_preference: str | None = None
    site_id: str | None = None
    group_id: str | None = None
    has_membership: str | None = None
    source: str | None = None
    sort: str | None = None
    order: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # (key, value) of each attribute.{key} parameter

    def to_query(self, country: str) -> Query:
        from clientele.customers.search import normalised_email, normalised_phone  # the list's code, on first use

        q = (self.q or "").strip() or None
        if q is not None and len(q) > MAX_QUERY_LENGTH:
            raise BadRequest(f"q is longer than {MAX_QUERY_LENGTH} characters.", field="q", code="QUERY_TOO_LONG")
        sort = _choice("sort", self.sort, SortKey)
        order = _choice("order", self.order, Order)
        # Searching without a sort lists by name (the till); listing without one, newest first.
        default_sort = SortKey.NAME if q else SortKey.CREATED
        chosen = SortKey(sort) if sort else default_sort
        default_order = Order.ASC if chosen is SortKey.NAME else Order.DESC
        return Query(
            q=q,
            email=normalised_email(self.email) if self.email else None,
            phone=normalised_phone(self.phone, country) if self.phone else None,
            labels=_ids("label", self.label),
            preferences=_ids("marketing_preference", self.marketing_preference),
            sites=_ids("site_id", self.site_id),
            # The group of every customer ("grp_all", kept by the groups context) filters nothing.
            groups=tuple(g for g in _ids("group_id", self.group_id) if g != EVERY_CUSTOMER_GROUP),
            has_membership=_flag("has_membership", self.has_membership),
            attributes=tuple(f"{key}={value}" for key, value in sorted(self.attributes)),
            source=_choice("source", self.source, Source),
            sort=chosen,
            order=Order(order) if order else default_order,
        )


class NoteIn(Input):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class NoteOut(Output):
    id: str
    customer_id: str
    text: str
    created_at: str
    created_by: str = Field(description="The API key that wrote it.")

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        return cls(
            id=note.id,
            customer_id=note.customer_id,
            text=note.text,
            created_at=note.created_at,
            created_by=note.created_by,
        )


class NoteList(Output):
    items: list[NoteOut]
    cursor: str | None = None


class AuditOut(Output):
    """An administrative change: who, when, which fields (names only, never values)."""

    id: str
    customer_id: str
    at: str
    actor: str
    action: str
    fields: list[str] = []
    merged_from: str | None = Field(
        default=None, description="On entries of a profile merged into this one: the id they were recorded for."
    )

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            id=entry.id,
            customer_id=entry.customer_id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            fields=list(entry.fields),
            merged_from=entry.merged_from,
        )


class AuditList(Output):
    items: list[AuditOut]
    cursor: str | None = None


class PhotoUploadIn(Input):
    content_type: Literal["image/jpeg", "image/png", "image/webp"] = Field(
        description="The file's type; the upload is refused with any other."
    )


class PhotoUploadOut(Output):
    url: str
    fields: dict[str, str] = Field(description="Send them first, then the file as the form field `file`.")
    expires_at: str
    max_bytes: int

    @classmethod
    def of(cls, upload: Upload) -> PhotoUploadOut:
        return cls(url=upload.url, fields=upload.fields, expires_at=upload.expires_at, max_bytes=upload.max_bytes)


class PhotoOut(Output):
    url: str = Field(description="A presigned URL; it stops working at `expires_at`.")
    expires_at: str

    @classmethod
    def of(cls, link: PhotoLink) -> PhotoOut:
        return cls(url=link.url, expires_at=link.expires_at)
