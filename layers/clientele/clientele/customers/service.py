"""The customer list: create, read, update, search; notes; audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from clientele.customers.model import (
    Address,
    AttributeValue,
    AuditEntry,
    Consent,
    ContactHashes,
    Customer,
    Note,
    PreferenceChoice,
    Source,
)
from clientele.kernel import clock, contact, ids
from clientele.kernel.entity import Page
from clientele.kernel.errors import MergedAway, NotFound, ValidationFailed, VersionMismatch
from clientele.kernel.permissions import Principal

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository
    from clientele.customers.repository import CustomerRepository

ADMIN_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "birthday",
    "locale",
    "addresses",
    "labels",
    "marketing",
    "attributes",
)


@dataclass
class CustomerDraft:
    """What a caller may set on a customer; on update only the fields in ``provided`` change."""

    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    locale: str | None = None
    addresses: list[Address] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    marketing: dict[str, bool] = field(default_factory=dict)
    attributes: dict[str, Any] | None = field(default_factory=dict)  # custom attribute key -> value (None: remove)
    consent: Consent | None = None
    source: Source = Source.MANUAL
    site_ids: list[str] = field(default_factory=list)
    provided: frozenset[str] = frozenset()
    # The marketing preference ids come from a form this service's caller signed (the hosted signup):
    # they were the merchant's own when shown, so they need no second read.
    preferences_verified: bool = False


class CustomerService:
    def __init__(
        self, customers: CustomerRepository, merchants: MerchantRepository, secret: Callable[[], bytes]
    ) -> None:
        self.customers = customers
        self.merchants = merchants
        self._secret = secret

    # Helpers ----------------------------------------------------------------------------------
    def _hashes(self, email: str | None, phone: str | None) -> ContactHashes:
        if not email and not phone:
            return ContactHashes(None, None)
        secret = self._secret()
        return ContactHashes(
            contact.email_hash(secret, email) if email else None, contact.phone_hash(secret, phone) if phone else None
        )

    def _check_definitions(self, merchant_id: str, labels: list[str], marketing: dict[str, bool]) -> None:
        """Labels and preferences must be the merchant's own (a read only when some are given)."""
        if labels:
            known = {label.id for label in self.merchants.list_labels(merchant_id)}
            for label_id in labels:
                if label_id not in known:
                    raise ValidationFailed(f"Unknown label: {label_id}.", field="labels", code="UNKNOWN_LABEL")
        if marketing:
            defined = {p.id: p for p in self.merchants.list_preferences(merchant_id)}
            for preference_id, opted_in in marketing.items():
                # An archived preference can still be opted out of, never into.
                if preference_id not in defined or (opted_in and defined[preference_id].archived_at):
                    raise ValidationFailed(
                        f"Unknown marketing preference: {preference_id}.", field="marketing", code="UNKNOWN_PREFERENCE"
                    )

    def _attributes(
        self, merchant_id: str, current: dict[str, AttributeValue], changes: dict[str, Any] | None
    ) -> dict[str, AttributeValue]:
        """``current`` with ``changes`` applied (a value of None removes the key; ``changes`` None removes
        every one), each value checked against its definition (a read only when values are given)."""
        from clientele.customers.rules import attribute_value

        if changes is None:
            return {}
        merged = dict(current)
        definitions = {}
        if any(raw is not None for raw in changes.values()):
            definitions = {d.key: d for d in self.merchants.list_attributes(merchant_id) if not d.deleting_since}
        for key, raw in changes.items():
            if raw is None:
                merged.pop(key, None)
            elif key not in definitions:
                name = f"attributes.{key}"
                raise ValidationFailed(f"Unknown custom attribute: {key}.", field=name, code="UNKNOWN_ATTRIBUTE")
            else:
                merged[key] = attribute_value(definitions[key], raw)
        return merged

    @staticmethod
    def _audit(customer_id: str, actor: str, action: str, fields: list[str], at: str) -> AuditEntry:
        return AuditEntry(
            id=ids.new_sortable_id("audit"),
            customer_id=customer_id,
            at=at,
            actor=actor,
            action=action,
            fields=sorted(fields),
        )

    # Create / read / update -------------------------------------------------------------------
    def create(self, principal: Principal, draft: CustomerDraft) -> Customer:
        email = contact.normalise_email(draft.email) if draft.email else None
        phone = contact.normalise_phone(draft.phone, principal.country) if draft.phone else None
        self._check_definitions(
            principal.merchant_id, draft.labels, {} if draft.preferences_verified else draft.marketing
        )
        now = clock.now_iso()
        how = draft.source.value
        # Customers saved by an earlier system start opted out until they confirm (SPEC 6.7).
        marketing = {
            pid: PreferenceChoice(
                opted_in=opted and draft.source is not Source.LEGACY,
                changed_at=now,
                source=how,
                consent_text=draft.consent.text if draft.consent else None,
            )
            for pid, opted in draft.marketing.items()
        }
        customer = Customer(
            id=ids.new_id("cus"),
            merchant_id=principal.merchant_id,
            given_name=draft.given_name,
            family_name=draft.family_name,
            email=email,
            phone=phone,
            birthday=draft.birthday,
            locale=draft.locale,
            addresses=draft.addresses,
            labels=sorted(set(draft.labels)),
            marketing=marketing,
            attributes=self._attributes(principal.merchant_id, {}, draft.attributes),
            consent=draft.consent,
            site_ids=draft.site_ids,
            source=draft.source,
            created_at=now,
            updated_at=now,
            version=1,
        )
        provided = [f for f in ADMIN_FIELDS if getattr(draft, f)]
        audit = self._audit(customer.id, principal.key_id, "created", provided, now)
        self.customers.create(customer, self._hashes(email, phone), audit)
        return customer

    def get(self, principal: Principal, customer_id: str) -> Customer:
        try:
            return self.customers.get(principal.merchant_id, customer_id)
        except NotFound:
            survivor = self.customers.merged_into(principal.merchant_id, customer_id)
            if survivor is None:
                raise
            raise MergedAway(
                f"This customer was merged into {survivor}; read that profile instead.", merged_into=survivor
            ) from None

    def update(self, principal: Principal, customer_id: str, version: int, draft: CustomerDraft) -> Customer:
        current = self.customers.get(principal.merchant_id, customer_id)
        if current.version != version:
            raise VersionMismatch("The customer was changed meanwhile; read it again and retry.", field="version")
        changes: dict[str, Any] = {}
        now = clock.now_iso()
        for name in draft.provided & set(ADMIN_FIELDS):
            value = getattr(draft, name)
            if name == "email":
                value = contact.normalise_email(value) if value else None
            elif name == "phone":
                value = contact.normalise_phone(value, principal.country) if value else None
            elif name == "labels":
                value = sorted(set(value or []))
            elif name == "marketing":
                value = self._merge_marketing(current, value or {}, now)
            elif name == "attributes":
                value = self._attributes(principal.merchant_id, current.attributes, value)
            if value != getattr(current, name):
                changes[name] = value
        if not changes:
            return current
        self._check_definitions(
            principal.merchant_id,
            changes.get("labels", []) if "labels" in changes else [],
            draft.marketing if "marketing" in changes else {},
        )
        updated = current.model_copy(update={**changes, "version": version + 1, "updated_at": now})
        audit = self._audit(customer_id, principal.key_id, "updated", list(changes), now)
        self.customers.update(
            updated,
            version,
            self._hashes(current.email, current.phone),
            self._hashes(updated.email, updated.phone),
            audit,
        )
        return updated

    # Labels on one customer, without a version round-trip --------------------------------------------
    LABEL_TRIES = 5

    def set_label(self, principal: Principal, customer_id: str, label_id: str, *, on: bool) -> Customer:
        """Put a label on a customer (``on``) or take it off. Idempotent; the caller sends no version: a
        concurrent change makes this read again and retry. An administrative change: version, ``updated_at``,
        audit trail and directory move with it."""
        checked = not on
        for attempt in range(self.LABEL_TRIES):
            current = self.customers.get(principal.merchant_id, customer_id)  # a foreign id is 404 first
            if not checked:
                self._check_definitions(principal.merchant_id, [label_id], {})
                checked = True
            labels = set(current.labels) | {label_id} if on else set(current.labels) - {label_id}
            if sorted(labels) == current.labels:
                return current
            now = clock.now_iso()
            updated = current.model_copy(
                update={"labels": sorted(labels), "version": current.version + 1, "updated_at": now}
            )
            hashes = self._hashes(current.email, current.phone)
            audit = self._audit(
                customer_id, principal.key_id, "label_added" if on else "label_removed", ["labels"], now
            )
            try:
                self.customers.update(updated, current.version, hashes, hashes, audit)
            except VersionMismatch:
                if attempt == self.LABEL_TRIES - 1:
                    raise
                continue
            return updated
        raise VersionMismatch("The customer kept changing; retry.", field="version")  # pragma: no cover

    def take_label_off_everyone(self, principal: Principal, label_id: str, holders: list[str]) -> int:
        """After a label's definition is deleted: take it off each of ``holders`` (from the directory).
        Returns how many customers lost it."""
        removed = 0
        for customer_id in holders:
            try:
                before = self.customers.get(principal.merchant_id, customer_id)
                after = self.set_label(principal, customer_id, label_id, on=False)
            except NotFound:
                continue
            removed += int(before.labels != after.labels)
        return removed

    def remove_attribute(self, principal: Principal, key: str, holders: list[str]) -> int:
        """After a custom attribute's definition is marked for removal: take its value off each of
        ``holders`` (a bounded batch, from the directory), as an administrative change without a version
        round-trip (a concurrent change: read again and retry). Returns how many customers lost it."""
        removed = 0
        for customer_id in holders:
            for attempt in range(self.LABEL_TRIES):
                try:
                    current = self.customers.get(principal.merchant_id, customer_id)
                except NotFound:
                    break
                if key not in current.attributes:
                    break
                now = clock.now_iso()
                kept = {k: v for k, v in current.attributes.items() if k != key}
                updated = current.model_copy(
                    update={"attributes": kept, "version": current.version + 1, "updated_at": now}
                )
                hashes = self._hashes(current.email, current.phone)
                audit = self._audit(customer_id, principal.key_id, "attribute_removed", ["attributes"], now)
                try:
                    self.customers.update(updated, current.version, hashes, hashes, audit)
                except VersionMismatch:
                    if attempt == self.LABEL_TRIES - 1:
                        raise
                    continue
                removed += 1
                break
        return removed

    @staticmethod
    def _merge_marketing(current: Customer, choices: dict[str, bool], now: str) -> dict[str, PreferenceChoice]:
        merged = dict(current.marketing)
        for preference_id, opted_in in choices.items():
            before = merged.get(preference_id)
            if before is None or before.opted_in != opted_in:
                merged[preference_id] = PreferenceChoice(opted_in=opted_in, changed_at=now, source="merchant")
        return merged

    def list(
        self,
        principal: Principal,
        *,
        email: str | None,
        phone: str | None,
        source: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Customer]:
        if email or phone:
            # Exact look-ups go through the uniqueness guards: one read, however long the list.
            if email:
                found = self.customers.find_by_contact(
                    principal.merchant_id, "email", self._hashes(self._lenient_email(email), None).email or ""
                )
            else:
                e164 = self._lenient_phone(phone or "", principal.country)
                found = (
                    self.customers.find_by_contact(principal.merchant_id, "phone", self._hashes(None, e164).phone or "")
                    if e164
                    else None
                )
            matches = [found] if found and (not source or found.source.value == source) else []
            return Page[Customer](items=matches, cursor=None)
        return self.customers.list(principal.merchant_id, source=source, limit=limit, cursor=cursor)

    @staticmethod
    def _lenient_email(raw: str) -> str:
        try:
            return contact.normalise_email(raw)
        except ValidationFailed:
            return raw.strip()

    @staticmethod
    def _lenient_phone(raw: str, country: str) -> str | None:
        try:
            return contact.normalise_phone(raw, country)
        except ValidationFailed:
            return None

    # Notes ------------------------------------------------------------------------------------
    def add_note(self, principal: Principal, customer_id: str, text: str) -> Note:
        now = clock.now_iso()
        note = Note(
            id=ids.new_sortable_id("note"),
            customer_id=customer_id,
            text=text,
            created_at=now,
            created_by=principal.key_id,
        )
        self.customers.add_note(
            principal.merchant_id, note, self._audit(customer_id, principal.key_id, "note_added", ["notes"], now)
        )
        return note

    def notes(self, principal: Principal, customer_id: str, *, limit: int, cursor: str | None) -> Page[Note]:
        self.customers.get(principal.merchant_id, customer_id)
        return self.customers.list_notes(principal.merchant_id, customer_id, limit=limit, cursor=cursor)

    def delete_note(self, principal: Principal, customer_id: str, note_id: str) -> None:
        self.customers.get(principal.merchant_id, customer_id)
        now = clock.now_iso()
        self.customers.delete_note(
            principal.merchant_id,
            customer_id,
            note_id,
            self._audit(customer_id, principal.key_id, "note_deleted", ["notes"], now),
        )

    # Audit ------------------------------------------------------------------------------------
    def audit(self, principal: Principal, customer_id: str, *, limit: int, cursor: str | None) -> Page[AuditEntry]:
        self.customers.get(principal.merchant_id, customer_id)
        return self.customers.list_audit(principal.merchant_id, customer_id, limit=limit, cursor=cursor)


__all__ = ["CustomerDraft", "CustomerService", "NotFound"]
