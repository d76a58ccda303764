"""Pure rules of the directory (search and list): folding, tokens, matching and ordering.

The directory answers ``GET /v1/customers`` from a compact projection of every customer
(:mod:`clientele.customers.directory`); these rules decide what a query matches and in which order, on
one :class:`Entry` per customer, without AWS. The property test compares them, page after page, with a
brute-force filter and sort over the customers themselves.
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache

from clientele.account.model import AttributeType, CustomAttributeDefinition
from clientele.customers.model import AttributeValue
from clientele.kernel.errors import BadRequest, ValidationFailed

MAX_QUERY_LENGTH = 100
MIN_PHONE_DIGITS = 3
LAST_DIGITS = 4  # "the last four digits of a phone": a digits-only query this long also matches a phone's end

_SEPARATORS = re.compile(r"[^a-z0-9@.+_]+")  # what splits a name into tokens, once folded
_PHONE_QUERY = re.compile(r"^\+?[\d\s().\-/]+$")


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form: "ZOË" and "zoe", "Łukasz" and "lukasz", "O\u2019Brien" and "o'brien"."""
    if not text:
        return ""
    from anyascii import anyascii

    return anyascii(text).lower().strip()


def name_tokens(*names: str | None) -> list[str]:
    """The words of folded names, split on spaces, hyphens and apostrophes; a word with an apostrophe or a
    hyphen also counts whole without it ("o'brien" gives "o", "brien" and "obrien")."""
    tokens: list[str] = []
    for name in names:
        for word in fold(name).split():
            parts = [p for p in re.split(r"[^a-z0-9]+", word) if p]
            tokens += parts
            if len(parts) > 1:
                tokens.append("".join(parts))
    return tokens


@lru_cache(maxsize=256)
def query_tokens(q: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[^a-z0-9]+", fold(q)) if p)


@lru_cache(maxsize=256)
def _folded_query(q: str) -> str:
    return fold(q)


@lru_cache(maxsize=256)
def is_phone_query(q: str) -> bool:
    return bool(_PHONE_QUERY.match(q.strip())) and sum(c.isdigit() for c in q) >= MIN_PHONE_DIGITS


@lru_cache(maxsize=256)
def _phone_prefixes(q: str, country_code: str) -> tuple[tuple[str, ...], str | None]:
    """What a phone query means: the E.164 digit prefixes it may start, and the ending it may be."""
    digits = "".join(c for c in q if c.isdigit())
    if q.strip().startswith("+"):
        return (digits,), None
    if digits.startswith("00"):
        return (digits[2:],), None
    prefixes = (digits, country_code + digits[1:]) if digits.startswith("0") else (digits,)
    return prefixes, digits if len(digits) >= LAST_DIGITS else None


def phone_matches(q: str, e164: str | None, country_code: str) -> bool:
    """A phone in any formatting: international ("+33 6 12", "0033 6 12"), national with the trunk zero
    ("06 12 34", in the merchant's country), or the last digits ("5678")."""
    if not e164:
        return False
    number = e164.lstrip("+")
    prefixes, ending = _phone_prefixes(q, country_code)
    return number.startswith(prefixes) or (ending is not None and number.endswith(ending))


def text_matches(q: str, tokens: list[str], email: str | None) -> bool:
    """Every word of ``q`` starts a word of the name (in any order), or ``q`` starts the email."""
    folded = _folded_query(q)
    if email and folded and email.startswith(folded):
        return True
    words = query_tokens(q)
    return bool(words) and all(any(t.startswith(w) for t in tokens) for w in words)


def to_millis(iso: str | None) -> int | None:
    """RFC 3339 (UTC, milliseconds, as the clock writes it) to epoch milliseconds: same order."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return int(moment.timestamp() * 1000)


class SortKey(StrEnum):
    NAME = "name"
    CREATED = "created"
    UPDATED = "updated"
    LAST_VISIT = "last_visit"


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass
class Entry:
    """One customer as the directory keeps them: what can be searched, filtered and sorted on."""

    id: str
    given: str = ""  # folded
    family: str = ""  # folded
    email: str = ""  # lower-cased
    phone: str = ""  # E.164
    created: int = 0  # epoch milliseconds
    updated: int = 0
    last_visit: int | None = None
    source: str = "manual"
    labels: tuple[str, ...] = ()
    opted_in: tuple[str, ...] = ()  # marketing preferences opted into
    sites: tuple[str, ...] = ()  # sites visited
    attributes: tuple[str, ...] = ()  # "key=value" of boolean and select attributes, "key" of the others
    groups: tuple[str, ...] = ()  # set by the groups context, in its own transactions
    member: bool = False  # has a membership: set by the memberships context, in its own transactions
    _tokens: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = name_tokens(self.given, self.family)
        return self._tokens

    def sort_value(self, key: SortKey) -> str | int | None:
        """The value ordered on; ``None`` (no name, never visited) sorts after every value, either order."""
        if key is SortKey.NAME:
            if not self.given and not self.family:
                return None
            return f"{self.family}\x01{self.given}"
        if key is SortKey.CREATED:
            return self.created
        if key is SortKey.UPDATED:
            return self.updated
        return self.last_visit


@dataclass(frozen=True)
class Query:
    """A directory query: every filter given must hold (AND)."""

    q: str | None = None
    email: str | None = None  # normalised, lower-cased
    phone: str | None = None  # E.164
    labels: tuple[str, ...] = ()
    preferences: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    source: str | None = None
    groups: tuple[str, ...] = ()
    has_membership: bool | None = None
    attributes: tuple[str, ...] = ()  # "key=value", each must hold
    sort: SortKey = SortKey.CREATED
    order: Order = Order.DESC
    country_code: str = ""  # the merchant's calling code, for national phone formats
    contact: bool = True  # whether q may match emails and phones (the caller may see contact details)

    def matches(self, entry: Entry) -> bool:
        exact = (self.email is None or entry.email == self.email) and (self.phone is None or entry.phone == self.phone)
        filters = (
            (not self.source or entry.source == self.source)
            and all(label in entry.labels for label in self.labels)
            and all(pref in entry.opted_in for pref in self.preferences)
            and all(site in entry.sites for site in self.sites)
            and all(group in entry.groups for group in self.groups)
            and (self.has_membership is None or entry.member is self.has_membership)
            and all(attribute in entry.attributes for attribute in self.attributes)
        )
        return exact and filters and (not self.q or self._searched(entry))

    def _searched(self, entry: Entry) -> bool:
        q = self.q or ""
        if text_matches(q, entry.tokens, entry.email if self.contact else None):
            return True
        return self.contact and is_phone_query(q) and phone_matches(q, entry.phone, self.country_code)

    def fingerprint(self) -> str:
        """What a cursor is bound to: the same query, page after page (not the page size)."""
        parts = [
            fold(self.q),
            self.email or "",
            self.phone or "",
            ",".join(self.labels),
            ",".join(self.preferences),
            ",".join(self.sites),
            self.source or "",
            self.sort.value,
            self.order.value,
        ]
        # Filters added later are appended only when used, so cursors issued before them stay valid.
        if self.groups:
            parts.append("g=" + ",".join(self.groups))
        if self.has_membership is not None:
            parts.append(f"h={self.has_membership}")
        if self.attributes:
            parts.append("a=" + ",".join(self.attributes))
        return "|".join(parts)


Position = tuple[bool, str | int, str]  # (no value, value, id)


def position(entry: Entry, key: SortKey) -> Position:
    value = entry.sort_value(key)
    return (value is None, "" if value is None else value, entry.id)


def _ahead(a: Position, b: Position, descending: bool) -> bool:
    """Whether ``a`` comes strictly before ``b``: entries without a value last, either order."""
    if a[0] != b[0]:
        return not a[0]
    if descending:
        return (a[1], a[2]) > (b[1], b[2])
    return (a[1], a[2]) < (b[1], b[2])


def arrange(entries: list[Entry], query: Query, after: Position | None, limit: int) -> tuple[list[Entry], bool]:
    """The page of matching entries that follows ``after`` (the last of the previous page), and whether
    more follow. The order is total (ties broken by id), so pages never miss nor repeat an entry."""
    descending = query.order is Order.DESC
    matching = [e for e in entries if query.matches(e)]
    if after is not None:
        matching = [e for e in matching if _ahead(after, position(e, query.sort), descending)]
    key = query.sort
    with_value = [e for e in matching if e.sort_value(key) is not None]
    without = [e for e in matching if e.sort_value(key) is None]
    wanted = limit + 1  # one more tells whether another page follows
    pick = heapq.nlargest if descending else heapq.nsmallest
    ordered = pick(wanted, with_value, key=lambda e: (e.sort_value(key), e.id))
    if len(ordered) < wanted:
        ordered += pick(wanted - len(ordered), without, key=lambda e: e.id)
    return ordered[:limit], len(with_value) + len(without) > limit


# Custom attributes -------------------------------------------------------------------------------
MAX_TEXT_ATTRIBUTE = 500


def attribute_value(definition: CustomAttributeDefinition, raw: object) -> AttributeValue:
    """A value checked against its definition's type (422 naming ``attributes.{key}`` otherwise)."""
    field_name = f"attributes.{definition.key}"
    kind = definition.type

    def refuse(expected: str) -> ValidationFailed:
        return ValidationFailed(f"{field_name} must be {expected}.", field=field_name, code="INVALID_ATTRIBUTE")

    if kind is AttributeType.BOOLEAN:
        if not isinstance(raw, bool):
            raise refuse("true or false")
        return AttributeValue(type=kind.value, value=raw)
    if kind is AttributeType.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise refuse("a number")
        return AttributeValue(type=kind.value, value=raw)
    if not isinstance(raw, str):
        raise refuse("a string")
    if kind is AttributeType.DATE:
        try:
            value = date.fromisoformat(raw).isoformat()
        except ValueError as exc:
            raise refuse("an ISO date (YYYY-MM-DD)") from exc
        return AttributeValue(type=kind.value, value=value)
    if kind is AttributeType.SELECT:
        if raw not in definition.options:
            raise refuse("one of: " + ", ".join(definition.options))
        return AttributeValue(type=kind.value, value=raw)
    text = raw.strip()
    if not text or len(text) > MAX_TEXT_ATTRIBUTE:
        raise refuse(f"a text of 1 to {MAX_TEXT_ATTRIBUTE} characters")
    return AttributeValue(type=kind.value, value=text)


def attribute_filter(definition: CustomAttributeDefinition | None, key: str, raw: str) -> str:
    """``attribute.{key}=raw`` as the directory matches it ("key=value"); only boolean and select filter."""
    name = f"attribute.{key}"
    if definition is None or definition.deleting_since:
        raise BadRequest(f"No custom attribute {key}.", field=name, code="UNKNOWN_ATTRIBUTE")
    if definition.type is AttributeType.BOOLEAN:
        if raw not in ("true", "false"):
            raise BadRequest(f"{name} must be true or false.", field=name, code="INVALID_PARAMETER")
        return f"{key}={raw}"
    if definition.type is AttributeType.SELECT:
        if raw not in definition.options:
            options = ", ".join(definition.options)
            raise BadRequest(f"{name} must be one of: {options}.", field=name, code="INVALID_PARAMETER")
        return f"{key}={raw}"
    raise BadRequest(f"{name}: only boolean and select attributes filter the list.", field=name, code="NOT_FILTERABLE")


def attribute_marks(attributes: dict[str, AttributeValue]) -> tuple[str, ...]:
    """What the directory keeps of a customer's attributes: filter values, and which keys they hold."""
    marks = []
    for key, held in sorted(attributes.items()):
        if held.type == AttributeType.BOOLEAN.value:
            marks.append(f"{key}={'true' if held.value else 'false'}")
        elif held.type == AttributeType.SELECT.value:
            marks.append(f"{key}={held.value}")
        else:
            marks.append(key)
    return tuple(marks)


def holds_attribute(entry: Entry, key: str) -> bool:
    return any(mark == key or mark.startswith(f"{key}=") for mark in entry.attributes)
