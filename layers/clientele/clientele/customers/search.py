"""The directory's use case: search and list a merchant's customers (``GET /v1/customers``).

Exact email and phone go through the uniqueness guards (one read); everything else reads the merchant's
directory (:mod:`clientele.customers.directory`: one ``BatchGetItem``), filters and orders it with the
pure rules of :mod:`clientele.customers.rules`, then reads the page's profiles (one ``BatchGetItem``).
Both reads are strongly consistent: a customer is found immediately after being created or changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from clientele.customers.directory import DirectoryStore, entry_of
from clientele.customers.model import Customer
from clientele.customers.repository import CustomerRepository, to_customer
from clientele.customers.rules import (
    Order,
    Position,
    Query,
    SortKey,
    arrange,
    attribute_filter,
    holds_attribute,
    position,
)
from clientele.kernel import contact, crypto
from clientele.kernel.entity import Page
from clientele.kernel.errors import BadRequest, ValidationFailed
from clientele.kernel.permissions import Permission, Principal
from clientele.storage import partitions

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository

CURSOR_PURPOSE = "directory-cursor"


def _bad_cursor() -> BadRequest:
    return BadRequest("The cursor is not valid for this list.", field="cursor", code="INVALID_CURSOR")


class DirectoryService:
    def __init__(
        self,
        customers: CustomerRepository,
        store: DirectoryStore,
        secret: Callable[[], bytes],
        merchants: MerchantRepository | None = None,
    ) -> None:
        self.customers = customers
        self.store = store
        self._secret = secret
        self.merchants = merchants

    def search(self, principal: Principal, query: Query, *, limit: int, cursor: str | None) -> Page[Customer]:
        contact = principal.can(Permission.CUSTOMERS_CONTACT)
        query = replace(query, country_code=_calling_code(principal.country), contact=contact)
        if query.attributes:
            self._check_attributes(principal, query.attributes)
        if query.email is not None or query.phone is not None:
            return self._exact(principal, query, cursor)
        after = self._open(principal, query, cursor) if cursor else None
        shards = self.store.load(principal.merchant_id)
        entries = [e for shard in shards for e in shard.entries.values()]
        page, more = arrange(entries, query, after, limit)
        self.store.pack_due(principal.merchant_id, shards)
        customers = self._profiles(principal.merchant_id, [e.id for e in page])
        next_cursor = self._seal(principal, query, position(page[-1], query.sort)) if more and page else None
        return Page[Customer](items=customers, cursor=next_cursor)

    def label_counts(self, principal: Principal) -> dict[str, int]:
        """Customers per label, from the directory (one read)."""
        counts: dict[str, int] = {}
        for shard in self.store.load(principal.merchant_id):
            for entry in shard.entries.values():
                for label in entry.labels:
                    counts[label] = counts.get(label, 0) + 1
        return counts

    def holders(self, principal: Principal, label_id: str) -> list[str]:
        """The ids of every customer with the label, from the directory (one read)."""
        return [
            e.id
            for shard in self.store.load(principal.merchant_id)
            for e in shard.entries.values()
            if label_id in e.labels
        ]

    def backfill(self, merchant_id: str) -> dict[str, int]:
        """Give every customer created before the directory existed their entry (idempotent: run it again
        and it adds nothing). Reads the customers newest first (C4), 100 per call."""
        known = {e.id for shard in self.store.load(merchant_id) for e in shard.entries.values()}
        seen = added = 0
        cursor = None
        while True:
            page = self.customers.list(merchant_id, source=None, limit=100, cursor=cursor)
            for customer in page.items:
                seen += 1
                if customer.id not in known and self.store.add_missing(customer):
                    added += 1
            cursor = page.cursor
            if not cursor:
                return {"customers": seen, "added": added}

    def attribute_holders(self, principal: Principal, key: str) -> list[str]:
        """The ids of every customer with a value of the custom attribute, from the directory (one read)."""
        return [
            e.id
            for shard in self.store.load(principal.merchant_id)
            for e in shard.entries.values()
            if holds_attribute(e, key)
        ]

    def _check_attributes(self, principal: Principal, filters: tuple[str, ...]) -> None:
        """Each attribute.{key} must name a boolean or select definition, with a value it can take."""
        known = {d.key: d for d in self.merchants.list_attributes(principal.merchant_id)} if self.merchants else {}
        for pair in filters:
            key, value = pair.split("=", 1)
            attribute_filter(known.get(key), key, value)

    def _exact(self, principal: Principal, query: Query, cursor: str | None) -> Page[Customer]:
        """At most one customer has an email or a phone: one guard read, then the other filters."""
        if cursor:
            raise _bad_cursor()
        secret = self._secret()
        if query.email is not None:
            found = self.customers.find_by_contact(
                principal.merchant_id, "email", contact.email_hash(secret, query.email)
            )
        else:
            found = self.customers.find_by_contact(
                principal.merchant_id, "phone", contact.phone_hash(secret, query.phone or "")
            )
        if found is None:
            return Page[Customer](items=[], cursor=None)
        entry = entry_of(found)
        if query.groups or query.has_membership is not None:  # kept by other contexts: the directory knows
            entry = self.store.entry(principal.merchant_id, found.id) or entry
        if not query.matches(entry):
            return Page[Customer](items=[], cursor=None)
        return Page[Customer](items=[found], cursor=None)

    def _profiles(self, merchant_id: str, ids: list[str]) -> list[Customer]:
        from clientele.customers import keys

        items = self.customers.table.batch_get(
            [(partitions.customer_pk(merchant_id, cid), keys.CUSTOMER_SK) for cid in ids], consistent=True
        )
        by_id = {item["id"]: to_customer(item) for item in items}
        return [by_id[cid] for cid in ids if cid in by_id]

    # Cursors: the last position, sealed (a folded name never shows in a URL) and bound to the merchant
    # and the query, so another merchant's or another query's cursor is refused, never followed.
    def _context(self, principal: Principal, query: Query) -> str:
        return f"{principal.merchant_id}|{query.fingerprint()}"

    def _seal(self, principal: Principal, query: Query, at: Position) -> str:
        payload = json.dumps(list(at), separators=(",", ":")).encode()
        return crypto.seal(self._secret(), CURSOR_PURPOSE, payload, self._context(principal, query))

    def _open(self, principal: Principal, query: Query, cursor: str) -> Position:
        payload = crypto.unseal(self._secret(), CURSOR_PURPOSE, cursor, self._context(principal, query))
        if payload is None:
            raise _bad_cursor()
        try:
            missing, value, customer_id = json.loads(payload)
        except ValueError as exc:
            raise _bad_cursor() from exc
        if not isinstance(missing, bool) or not isinstance(value, str | int) or not isinstance(customer_id, str):
            raise _bad_cursor()
        return (missing, value, customer_id)


def _calling_code(country: str) -> str:
    import phonenumbers

    return str(phonenumbers.country_code_for_region((country or "").upper()) or "")


def normalised_email(raw: str) -> str:
    """An exact email as the guards know it (lower-cased); one that cannot be valid matches nobody."""
    try:
        return contact.email_key(contact.normalise_email(raw))
    except ValidationFailed:
        return contact.email_key(raw.strip())


def normalised_phone(raw: str, country: str) -> str:
    """An exact phone in E.164 (any formatting); one that cannot be valid matches nobody."""
    try:
        return contact.normalise_phone(raw, country)
    except ValidationFailed:
        return "+0"


__all__ = ["DirectoryService", "Order", "Query", "SortKey", "normalised_email", "normalised_phone"]
