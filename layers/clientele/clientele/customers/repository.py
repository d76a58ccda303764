"""Customers, their uniqueness guards, notes and audit trail.

Email and phone are unique per merchant: a guard item keyed by a keyed hash of the value is
written in the same transaction as the customer, so two concurrent creations cannot both win.
"""

from __future__ import annotations

from typing import Any

from clientele.customers import keys
from clientele.customers.directory import DirectoryStore
from clientele.customers.model import AuditEntry, ContactHashes, Customer, Note
from clientele.kernel.entity import Page
from clientele.kernel.errors import AlreadyExists, NotFound, VersionMismatch
from clientele.storage import partitions
from clientele.storage.table import ConditionFailed, Item, Table, Transaction, TransactionCancelled, fields_of

# What an administrative change may write (``update``); sales own last_visit_at and site_ids.
ADMINISTRATIVE_FIELDS = (
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
    "consent",
)


def _customer_item(customer: Customer) -> Item:
    created_key = f"{customer.created_at}#{customer.id}"
    return {
        "PK": partitions.customer_pk(customer.merchant_id, customer.id),
        "SK": keys.CUSTOMER_SK,
        "entity": "customer",
        "GSI1PK": keys.customers_by_created_pk(customer.merchant_id),
        "GSI1SK": created_key,
        "GSI2PK": keys.customers_by_source_pk(customer.merchant_id, customer.source.value),
        "GSI2SK": created_key,
        **customer.model_dump(mode="json", exclude_none=True),
    }


def to_customer(item: Item) -> Customer:
    return Customer.model_validate(fields_of(item))


class CustomerRepository:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.directory = DirectoryStore(table)

    # Guards -------------------------------------------------------------------------------
    def _guard_pk(self, merchant_id: str, kind: str, value_hash: str) -> str:
        if kind == "email":
            return keys.email_guard_pk(merchant_id, value_hash)
        return keys.phone_guard_pk(merchant_id, value_hash)

    def _claim(self, merchant_id: str, kind: str, value_hash: str, customer_id: str) -> dict[str, Any]:
        return self.table.put_op(
            {
                "PK": self._guard_pk(merchant_id, kind, value_hash),
                "SK": keys.GUARD_SK,
                "entity": "guard",
                "kind": kind,
                "customer_id": customer_id,
                # The privacy portal's cross-merchant look-up: a keyed hash, never the address.
                "GSI1PK": keys.contact_index_pk(kind, value_hash),
                "GSI1SK": f"{merchant_id}#{customer_id}",
            },
            condition="attribute_not_exists(PK)",
        )

    def _release(self, merchant_id: str, kind: str, value_hash: str, customer_id: str) -> dict[str, Any]:
        return self.table.delete_op(
            self._guard_pk(merchant_id, kind, value_hash),
            keys.GUARD_SK,
            condition="customer_id = :c",
            vals={":c": customer_id},
        )

    def _raise_clash(self, exc: TransactionCancelled) -> None:
        for kind in ("email", "phone"):
            if exc.cancelled.failed(f"{kind}_guard"):
                old = exc.cancelled.old(f"{kind}_guard") or {}
                existing = old.get("customer_id")
                raise AlreadyExists(
                    f"Another customer already has this {kind}: {existing}.",
                    field=kind,
                    existing_id=existing,
                    code="EMAIL_TAKEN" if kind == "email" else "PHONE_TAKEN",
                ) from exc

    # Customers --------------------------------------------------------------------------------
    def create(
        self, customer: Customer, hashes: ContactHashes, audit: AuditEntry, extra: Transaction | None = None
    ) -> None:
        """One ``TransactWriteItems``: the profile, its guards, its first audit entry, the counter (and
        ``extra``: what a sale that made this profile writes with it)."""
        mid = customer.merchant_id
        tx = self.table.transaction()
        tx.put("customer", _customer_item(customer), condition="attribute_not_exists(PK)")
        self.directory.upsert(tx, customer)  # found by the directory as soon as the transaction commits
        for kind, value_hash in (("email", hashes.email), ("phone", hashes.phone)):
            if value_hash:
                tx.add(f"{kind}_guard", self._claim(mid, kind, value_hash, customer.id))
        tx.add("audit", self._audit_op(mid, audit))
        tx.update(
            "list_size", partitions.merchant_pk(mid), partitions.STATS_SK, "ADD total_customers :one", vals={":one": 1}
        )
        if extra is not None:
            tx.extend(extra)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            self._raise_clash(exc)
            raise

    def write_many(
        self,
        creates: list[tuple[Customer, ContactHashes, AuditEntry]],
        updates: list[tuple[Customer, int, ContactHashes, ContactHashes, AuditEntry]],
    ) -> None:
        """Several creations and updates (an import's chunk) in one ``TransactWriteItems``, each with the same
        conditions as :meth:`create` and :meth:`update`; the caller keeps them within the transaction's 100
        operations and one customer per directory shard. Any failed condition cancels them all
        (:class:`TransactionCancelled`): the caller then writes them one by one."""
        tx = self.table.transaction()
        for customer, hashes, audit in creates:
            mid = customer.merchant_id
            tx.put("customer", _customer_item(customer), condition="attribute_not_exists(PK)")
            self.directory.upsert(tx, customer)
            for kind, value_hash in (("email", hashes.email), ("phone", hashes.phone)):
                if value_hash:
                    tx.add(f"{kind}_guard", self._claim(mid, kind, value_hash, customer.id))
            tx.add("audit", self._audit_op(mid, audit))
        for customer, expected, old, new, audit in updates:
            mid = customer.merchant_id
            tx.add("customer", self._admin_update_op(customer, expected))
            for kind, before, after in (("email", old.email, new.email), ("phone", old.phone, new.phone)):
                if before != after and before:
                    tx.add(f"{kind}_release", self._release(mid, kind, before, customer.id))
                if before != after and after:
                    tx.add(f"{kind}_guard", self._claim(mid, kind, after, customer.id))
            tx.add("audit", self._audit_op(mid, audit))
            self.directory.upsert(tx, customer)
        if creates:
            mid = creates[0][0].merchant_id
            tx.update(
                "list_size",
                partitions.merchant_pk(mid),
                partitions.STATS_SK,
                "ADD total_customers :n",
                vals={":n": len(creates)},
            )
        if len(tx):
            tx.commit()

    def get(self, merchant_id: str, customer_id: str) -> Customer:
        item = self.table.get(partitions.customer_pk(merchant_id, customer_id), keys.CUSTOMER_SK)
        if not item:
            raise NotFound("No such customer.", field="id")
        return to_customer(item)

    def update(
        self, customer: Customer, expected_version: int, old: ContactHashes, new: ContactHashes, audit: AuditEntry
    ) -> None:
        """Write the profile's administrative fields if its version is still ``expected_version``; move the
        guards atomically. Fields that sales maintain (last visit, sites visited) are left as they are, so a
        sale recorded between the read and this write is never undone."""
        mid = customer.merchant_id
        tx = self.table.transaction().add("customer", self._admin_update_op(customer, expected_version))
        for kind, before, after in (("email", old.email, new.email), ("phone", old.phone, new.phone)):
            if before == after:
                continue
            if before:
                tx.add(f"{kind}_release", self._release(mid, kind, before, customer.id))
            if after:
                tx.add(f"{kind}_guard", self._claim(mid, kind, after, customer.id))
        tx.add("audit", self._audit_op(mid, audit))
        self.directory.upsert(tx, customer)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            if exc.cancelled.failed("customer"):
                if exc.cancelled.old("customer") is None:
                    raise NotFound("No such customer.", field="id") from exc
                raise VersionMismatch(
                    "The customer was changed meanwhile; read it again and retry.", field="version"
                ) from exc
            self._raise_clash(exc)
            raise

    def _admin_update_op(
        self, customer: Customer, expected_version: int, *, with_visits: bool = False
    ) -> dict[str, Any]:
        fields = ADMINISTRATIVE_FIELDS + (("site_ids", "last_visit_at") if with_visits else ())
        values = customer.model_dump(mode="json", include=set(fields))
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        to_set = [f"#f{i} = :f{i}" for i, name in enumerate(fields) if values.get(name) is not None]
        to_remove = [f"#f{i}" for i, name in enumerate(fields) if values.get(name) is None]
        expression = "SET " + ", ".join([*to_set, "version = :next", "updated_at = :updated"])
        if to_remove:
            expression += " REMOVE " + ", ".join(to_remove)
        vals = {f":f{i}": values[name] for i, name in enumerate(fields) if values.get(name) is not None}
        vals.update({":v": expected_version, ":next": customer.version, ":updated": customer.updated_at})
        return self.table.update_op(
            partitions.customer_pk(customer.merchant_id, customer.id),
            keys.CUSTOMER_SK,
            expression,
            condition="version = :v",
            names=names,
            vals=vals,
        )

    def merged_into(self, merchant_id: str, customer_id: str) -> str | None:
        """The survivor a merged-away customer was merged into (``None``: never merged away)."""
        item = self.table.get(partitions.customer_pk(merchant_id, customer_id), keys.MERGED_SK)
        if not item or item.get("state") != "done":
            return None
        return str(item["survivor_id"])

    def moved_to(self, merchant_id: str, customer_id: str) -> str | None:
        """Where a merge moves (or moved) this customer's items, a merge under way included (``None``: nowhere).

        Deliveries and audit entries follow the merge to the survivor, so a message queued under the
        source's id is looked for there (``messaging``); a survivor merged again is followed on."""
        seen = {customer_id}
        survivor = None
        while True:
            item = self.table.get(partitions.customer_pk(merchant_id, customer_id), keys.MERGED_SK, consistent=True)
            if not item or not item.get("survivor_id") or str(item["survivor_id"]) in seen:
                return survivor
            survivor = customer_id = str(item["survivor_id"])
            seen.add(survivor)

    # What a merge (directory_jobs) writes in its own transaction with a profile's guards and audit trail.
    def claim_op(self, merchant_id: str, kind: str, value_hash: str, customer_id: str) -> dict[str, Any]:
        return self._claim(merchant_id, kind, value_hash, customer_id)

    def release_op(self, merchant_id: str, kind: str, value_hash: str, customer_id: str) -> dict[str, Any]:
        return self._release(merchant_id, kind, value_hash, customer_id)

    def reassign_op(
        self, merchant_id: str, kind: str, value_hash: str, source_id: str, survivor_id: str
    ) -> dict[str, Any]:
        """A guard that passes from one customer to another (a merge keeps the source's email or phone)."""
        return self.table.update_op(
            self._guard_pk(merchant_id, kind, value_hash),
            keys.GUARD_SK,
            "SET customer_id = :s, GSI1SK = :listed",
            condition="customer_id = :from",
            vals={":s": survivor_id, ":from": source_id, ":listed": f"{merchant_id}#{survivor_id}"},
        )

    def note_item(self, merchant_id: str, note: Note) -> Item:
        pk = partitions.customer_pk(merchant_id, note.customer_id)
        return {"PK": pk, "SK": keys.note_sk(note.id), "entity": "note", **note.model_dump(mode="json")}

    def audit_op(self, merchant_id: str, audit: AuditEntry) -> dict[str, Any]:
        return self._audit_op(merchant_id, audit)

    def admin_update_op(
        self, customer: Customer, expected_version: int, *, with_visits: bool = False
    ) -> dict[str, Any]:
        """``with_visits``: also the fields sales keep (a merge unites two profiles' visits)."""
        return self._admin_update_op(customer, expected_version, with_visits=with_visits)

    def find_by_contact(self, merchant_id: str, kind: str, value_hash: str) -> Customer | None:
        guard = self.table.get(self._guard_pk(merchant_id, kind, value_hash), keys.GUARD_SK)
        if not guard:
            return None
        try:
            return self.get(merchant_id, guard["customer_id"])
        except NotFound:
            return None

    def holders(self, kind: str, value_hash: str) -> list[tuple[str, str]]:
        """Every ``(merchant_id, customer_id)`` whose customer has this email or phone (any merchant)."""
        found: list[tuple[str, str]] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("GSI1PK", keys.contact_index_pk(kind, value_hash)), index="GSI1", limit=100, cursor=cursor
            )
            found += [(i["GSI1SK"].split("#", 1)[0], i["customer_id"]) for i in items]
            if not cursor:
                return found

    def list(
        self, merchant_id: str, *, source: str | None, limit: int, cursor: str | None, newest_first: bool = True
    ) -> Page[Customer]:
        if source:
            partition = ("GSI2PK", keys.customers_by_source_pk(merchant_id, source))
            index = "GSI2"
        else:
            partition = ("GSI1PK", keys.customers_by_created_pk(merchant_id))
            index = "GSI1"
        items, next_cursor = self.table.query(
            partition=partition, index=index, limit=limit, cursor=cursor, forward=not newest_first
        )
        return Page[Customer](items=[to_customer(i) for i in items], cursor=next_cursor)

    # Notes ----------------------------------------------------------------------------------
    def add_note(self, merchant_id: str, note: Note, audit: AuditEntry) -> None:
        pk = partitions.customer_pk(merchant_id, note.customer_id)
        try:
            self.table.transact(
                [
                    self.table.check_op(pk, keys.CUSTOMER_SK, "attribute_exists(PK)"),
                    self.table.put_op(
                        {"PK": pk, "SK": keys.note_sk(note.id), "entity": "note", **note.model_dump(mode="json")}
                    ),
                    self._audit_op(merchant_id, audit),
                ]
            )
        except TransactionCancelled as exc:
            if exc.cancelled.failed(0):
                raise NotFound("No such customer.", field="id") from exc
            raise

    def list_notes(self, merchant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[Note]:
        items, next_cursor = self.table.query(
            partition=("PK", partitions.customer_pk(merchant_id, customer_id)),
            begins_with=("SK", "NOTE#"),
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[Note](
            items=[Note.model_validate(fields_of(i)) for i in items],
            cursor=next_cursor,
        )

    def delete_note(self, merchant_id: str, customer_id: str, note_id: str, audit: AuditEntry) -> None:
        pk = partitions.customer_pk(merchant_id, customer_id)
        try:
            self.table.transact(
                [
                    self.table.delete_op(pk, keys.note_sk(note_id), condition="attribute_exists(PK)"),
                    self._audit_op(merchant_id, audit),
                ]
            )
        except TransactionCancelled as exc:
            if exc.cancelled.failed(0):
                raise NotFound("No such note.", field="note_id") from exc
            raise

    # Audit ----------------------------------------------------------------------------------
    def _audit_op(self, merchant_id: str, audit: AuditEntry) -> dict[str, Any]:
        return self.table.put_op(
            {
                "PK": partitions.customer_pk(merchant_id, audit.customer_id),
                "SK": keys.audit_sk(audit.id),
                "entity": "audit",
                **audit.model_dump(mode="json"),
            }
        )

    def list_audit(self, merchant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[AuditEntry]:
        items, next_cursor = self.table.query(
            partition=("PK", partitions.customer_pk(merchant_id, customer_id)),
            begins_with=("SK", "AUDIT#"),
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[AuditEntry](
            items=[AuditEntry.model_validate(fields_of(i)) for i in items],
            cursor=next_cursor,
        )


__all__ = ["ConditionFailed", "CustomerRepository", "to_customer"]
