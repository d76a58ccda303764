"""The directory's storage: a compact projection of every customer of a merchant (docs/data-model.md,
"Directory").

Customers are spread over :data:`keys.DIRECTORY_SHARDS` shards by a hash of their id. Each shard is two
items: ``PACKED`` (every entry, columnar JSON compressed with zlib) and ``PENDING`` (entries changed
since the shard was last packed, one top-level attribute per customer). Writers never read: creating or
updating a customer sets its ``e_{id}`` attribute in the customer's own transaction, a sale sets
``v_{id}`` (last visit) and appends to ``s_{id}`` (sites visited) in the sale's. Readers take all 32
items in one strongly consistent ``BatchGetItem``, so a list read after a write sees it. A reader that
finds a shard with many pending entries packs it (best effort, conditional on both items' ``rev``).
Erasure removes the customer's pending attributes and rewrites their packed shard without them.

Names, emails and phones are personal data: they are only ever attributes of these items (compressed),
keyed by the merchant's id and a shard number.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from clientele.customers import keys
from clientele.customers.model import Customer
from clientele.customers.rules import Entry, attribute_marks, fold, to_millis
from clientele.kernel.contact import email_key
from clientele.storage.table import ConditionFailed, Item, Table, Transaction, TransactionCancelled

PACK_AFTER = 48  # pending entries in one shard before a reader packs it
CACHED_MERCHANTS = 4  # merchants whose unpacked shards a container keeps between requests
_TRANSACTION_BYTES = 3_000_000  # TransactWriteItems carries at most 4 MB
_PENDING = ("e_", "v_", "s_", "g_", "h_")
PACKED_ENTITY = "directory_packed"
PENDING_ENTITY = "directory_pending"


def entry_of(customer: Customer) -> Entry:
    return Entry(
        id=customer.id,
        given=fold(customer.given_name),
        family=fold(customer.family_name),
        email=email_key(customer.email) if customer.email else "",
        phone=customer.phone or "",
        created=to_millis(customer.created_at) or 0,
        updated=to_millis(customer.updated_at) or 0,
        last_visit=to_millis(customer.last_visit_at),
        source=customer.source.value,
        labels=tuple(customer.labels),
        opted_in=tuple(sorted(p for p, choice in customer.marketing.items() if choice.opted_in)),
        sites=tuple(customer.site_ids),
        attributes=attribute_marks(customer.attributes),
    )


def _row(entry: Entry) -> list[Any]:
    return [
        entry.given,
        entry.family,
        entry.email,
        entry.phone,
        entry.created,
        entry.updated,
        entry.last_visit,
        entry.source,
        list(entry.labels),
        list(entry.opted_in),
        list(entry.sites),
        list(entry.attributes),
    ]


def _from_row(customer_id: str, row: list[Any]) -> Entry:
    given, family, email, phone, created, updated, last_visit, source, labels, opted_in, sites = row[:11]
    attributes = row[11] if len(row) > 11 else []  # entries written before custom attributes have none
    return Entry(
        customer_id, given, family, email, phone, created, updated, last_visit, source, tuple(labels),
        tuple(opted_in), tuple(sites), tuple(attributes),
    )  # fmt: skip


_COLUMNS = ("g", "f", "e", "p", "c", "u", "v", "o", "l", "m", "s", "a")  # "a": absent from older shards
# Columns written by other contexts' hooks (groups, membership), absent from shards packed before them.
_HOOK_COLUMNS = ("r", "h")


def pack(entries: list[Entry]) -> bytes:
    """Columnar JSON, zlib-compressed: ids without their prefix, times as offsets (updated and last visit
    from created), so 10,000 customers fit in a few hundred kilobytes."""
    ordered = sorted(entries, key=lambda e: e.created)
    columns: dict[str, list[Any]] = {name: [] for name in ("i", *_COLUMNS, *_HOOK_COLUMNS)}
    previous = 0
    for entry in ordered:
        row = _row(entry)
        columns["i"].append(entry.id)
        for name, value in zip(_COLUMNS, row, strict=True):
            columns[name].append(value)
        columns["r"].append(list(entry.groups))
        columns["h"].append(1 if entry.member else 0)
        created = entry.created
        columns["c"][-1] = created - previous
        columns["u"][-1] = entry.updated - created
        columns["v"][-1] = None if entry.last_visit is None else entry.last_visit - created
        previous = created
    return zlib.compress(json.dumps(columns, separators=(",", ":")).encode(), 9)


def unpack(blob: bytes | None) -> dict[str, Entry]:
    if not blob:
        return {}
    columns = json.loads(zlib.decompress(blob))
    found: dict[str, Entry] = {}
    created = 0
    groups, member = columns.get("r"), columns.get("h")
    present = [columns.get(name) for name in _COLUMNS]
    for n, customer_id in enumerate(columns["i"]):
        row = [[] if column is None else column[n] for column in present]
        created += row[4]
        row[4] = created
        row[5] = created + row[5]
        row[6] = None if row[6] is None else created + row[6]
        entry = _from_row(customer_id, row)
        if groups is not None:
            entry.groups = tuple(groups[n])
        if member is not None:
            entry.member = bool(member[n])
        found[customer_id] = entry
    return found


@dataclass
class Shard:
    number: int
    packed_rev: int | None = None  # None: no packed item yet
    pending_rev: int = 0
    entries: dict[str, Entry] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # attribute names folded in from PENDING
    packed_bytes: int = 0


def _merge(entries: dict[str, Entry], pending: Item) -> list[str]:
    """Apply a PENDING item's attributes to the packed entries; the names of the attributes applied."""
    applied = []
    for name, value in pending.items():
        if name.startswith("e_"):
            customer_id = name[2:]
            before = entries.get(customer_id)
            entry = _from_row(customer_id, json.loads(value))
            if before is not None:  # what sales recorded stays (a profile read may predate a sale)
                entry.last_visit = _latest(entry.last_visit, before.last_visit)
                entry.sites = tuple(dict.fromkeys((*entry.sites, *before.sites)))
                entry.groups, entry.member = before.groups, before.member  # other contexts' hooks stay
            entries[customer_id] = entry  # a new object: the packed entries (maybe cached) are never changed
            applied.append(name)
    for name, value in pending.items():
        if name.startswith(("v_", "s_", "g_", "h_")):
            entry = entries.get(name[2:])
            applied.append(name)
            if entry is None:
                continue
            if name.startswith("v_"):
                # the last sale's time, as set on the profile (0: no visit left)
                changed = replace(entry, last_visit=int(value) or None)
            elif name.startswith("s_"):
                changed = replace(entry, sites=tuple(dict.fromkeys((*entry.sites, *value))))
            elif name.startswith("g_"):
                changed = replace(entry, groups=tuple(value))
            else:
                changed = replace(entry, member=bool(value))
            entries[changed.id] = changed
    return applied


def _latest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(frozen=True)
class _Cached:
    """A shard's packed entries as last read, and what proves they are still current: the packed item's
    ``rev``, and the ``PENDING`` item's ``rev`` when they were read (every rewrite of ``PACKED`` moves it)."""

    packed_rev: int | None
    pending_rev: int
    entries: dict[str, Entry]
    packed_bytes: int

    def current(self, pending: Item) -> bool:
        known = pending.get("packed_rev")
        if known is not None and self.packed_rev is not None and int(known) == self.packed_rev:
            return True
        return int(pending.get("rev", 0)) == self.pending_rev


class DirectoryStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        # Per container: each merchant's unpacked shards, re-validated on every read (see ``load``).
        self._cache: OrderedDict[str, dict[int, _Cached]] = OrderedDict()

    # Writes, each an operation of the caller's transaction -------------------------------------
    def upsert(self, tx: Transaction, customer: Customer) -> None:
        """The customer as created or changed (administrative fields), in the same transaction."""
        shard = keys.directory_shard(customer.id)
        tx.update(
            "directory",
            keys.directory_pk(customer.merchant_id),
            keys.directory_pending_sk(shard),
            "SET #e = :entry, entity = :entity ADD rev :one",
            names={"#e": f"e_{customer.id}"},
            vals={
                ":entry": json.dumps(_row(entry_of(customer)), separators=(",", ":")),
                ":one": 1,
                ":entity": PENDING_ENTITY,
            },
        )

    def visit(self, tx: Transaction, merchant_id: str, customer_id: str, at: str | None, new_site: str | None) -> None:
        """A sale's visit: the last visit, and the site when it is the customer's first there. ``None``: the
        customer has no visit left (their only sale was taken off them), written as 0."""
        expression = "SET #v = :at, entity = :entity"
        names = {"#v": f"v_{customer_id}"}
        vals: dict[str, Any] = {":at": to_millis(at) if at else 0, ":one": 1, ":entity": PENDING_ENTITY}
        if new_site:
            expression += ", #s = list_append(if_not_exists(#s, :empty), :site)"
            names["#s"] = f"s_{customer_id}"
            vals.update({":empty": [], ":site": [new_site]})
        tx.update(
            "directory",
            keys.directory_pk(merchant_id),
            keys.directory_pending_sk(keys.directory_shard(customer_id)),
            expression + " ADD rev :one",
            names=names,
            vals=vals,
        )

    def add_missing(self, customer: Customer) -> bool:
        """The backfill: the customer's entry, only if their shard's ``PENDING`` item has none (a write
        made meanwhile wins). ``False`` when one was there."""
        try:
            self.table.update(
                keys.directory_pk(customer.merchant_id),
                keys.directory_pending_sk(keys.directory_shard(customer.id)),
                "SET #e = :entry, entity = :entity ADD rev :one",
                condition="attribute_not_exists(#e)",
                names={"#e": f"e_{customer.id}"},
                vals={
                    ":entry": json.dumps(_row(entry_of(customer)), separators=(",", ":")),
                    ":one": 1,
                    ":entity": PENDING_ENTITY,
                },
            )
        except ConditionFailed:
            return False
        return True

    def set_groups(self, tx: Transaction, merchant_id: str, customer_id: str, group_ids: list[str]) -> None:
        """The groups the customer is in now (the whole set), in the groups context's transaction."""
        self.set_many(tx, merchant_id, groups={customer_id: group_ids})

    def set_has_membership(self, tx: Transaction, merchant_id: str, customer_id: str, flag: bool) -> None:
        """Whether the customer has a membership now, in the memberships context's transaction."""
        self.set_many(tx, merchant_id, memberships={customer_id: flag})

    def set_many(
        self,
        tx: Transaction,
        merchant_id: str,
        *,
        groups: dict[str, list[str]] | None = None,
        memberships: dict[str, bool] | None = None,
    ) -> None:
        """Groups and membership flags of several customers: one ``UpdateItem`` per shard touched (a
        transaction may touch an item once, so a caller writing several customers, or groups and membership
        together, passes them here at once). The caller's transaction must not also create or change the
        profile of a customer in the same shard (``upsert``)."""
        by_shard: dict[int, dict[str, Any]] = {}
        for customer_id, group_ids in (groups or {}).items():
            by_shard.setdefault(keys.directory_shard(customer_id), {})[f"g_{customer_id}"] = sorted(set(group_ids))
        for customer_id, flag in (memberships or {}).items():
            by_shard.setdefault(keys.directory_shard(customer_id), {})[f"h_{customer_id}"] = bool(flag)
        for shard, attributes in sorted(by_shard.items()):
            names = {f"#a{n}": name for n, name in enumerate(attributes)}
            vals: dict[str, Any] = {f":a{n}": value for n, value in enumerate(attributes.values())}
            sets = ", ".join(f"#a{n} = :a{n}" for n in range(len(attributes)))
            tx.update(
                "directory_hooks",
                keys.directory_pk(merchant_id),
                keys.directory_pending_sk(shard),
                f"SET {sets}, entity = :entity ADD rev :one",
                names=names,
                vals={**vals, ":one": 1, ":entity": PENDING_ENTITY},
            )

    def erase(self, tx: Transaction, merchant_id: str, customer_id: str) -> None:
        """Take the customer out of their shard (both items), in the erasure's transaction; the packed item
        is rewritten only if it holds them, conditional on its ``rev`` (a cancellation: read again)."""
        shard = keys.directory_shard(customer_id)
        pk = keys.directory_pk(merchant_id)
        names = {f"#{p[0]}": f"{p}{customer_id}" for p in _PENDING}
        vals: dict[str, Any] = {":one": 1, ":entity": PENDING_ENTITY}
        packed = self.table.get(pk, keys.directory_packed_sk(shard), consistent=True)
        entries = unpack(_bytes(packed.get("z"))) if packed else {}
        rewrite = packed is not None and customer_id in entries
        expression = "REMOVE #e, #v, #s, #g, #h SET entity = :entity"
        if rewrite:
            assert packed is not None
            expression += ", packed_rev = :next"
            vals[":next"] = int(packed["rev"]) + 1
        tx.update(
            "directory", pk, keys.directory_pending_sk(shard), expression + " ADD rev :one", names=names, vals=vals
        )
        if not rewrite:
            return
        assert packed is not None
        del entries[customer_id]
        tx.update(
            "directory_packed",
            pk,
            keys.directory_packed_sk(shard),
            "SET z = :z, rev = :next",
            condition="rev = :rev",
            vals={":z": pack(list(entries.values())), ":rev": packed["rev"], ":next": int(packed["rev"]) + 1},
        )

    # Reads --------------------------------------------------------------------------------------
    def entry(self, merchant_id: str, customer_id: str) -> Entry | None:
        """One customer's entry as a list would see it: their shard's two items, strongly consistent."""
        pk, shard = keys.directory_pk(merchant_id), keys.directory_shard(customer_id)
        wanted = [(pk, keys.directory_packed_sk(shard)), (pk, keys.directory_pending_sk(shard))]
        items = {item["SK"]: item for item in self.table.batch_get(wanted, consistent=True)}
        packed = items.get(keys.directory_packed_sk(shard))
        entries = unpack(_bytes(packed.get("z")) if packed else None)
        _merge(entries, items.get(keys.directory_pending_sk(shard)) or {})
        return entries.get(customer_id)

    def load(self, merchant_id: str) -> list[Shard]:
        """Every shard, strongly consistent: the 16 ``PENDING`` items in one ``BatchGetItem``, then only the
        ``PACKED`` items this container has not got current (a second ``BatchGetItem``; none when warm).

        A cached shard is current when its ``PENDING`` item names the same packed ``rev`` (the packer and
        erasure write it there in the transaction that rewrites ``PACKED``), or when the ``PENDING`` item's own
        ``rev`` has not moved since (every rewrite of ``PACKED`` moves it)."""
        pk = keys.directory_pk(merchant_id)
        numbers = range(keys.DIRECTORY_SHARDS)
        wanted = [(pk, keys.directory_pending_sk(n)) for n in numbers]
        pendings = {item["SK"]: item for item in self.table.batch_get(wanted, consistent=True)}
        cached = self._cache.pop(merchant_id, {})
        self._cache[merchant_id] = cached  # the most recently used merchant last
        while len(self._cache) > CACHED_MERCHANTS:
            self._cache.popitem(last=False)
        stale = [n for n in numbers if n not in cached or not cached[n].current(self._pending(pendings, n))]
        if stale:
            found = self.table.batch_get([(pk, keys.directory_packed_sk(n)) for n in stale], consistent=True)
            by_sk = {item["SK"]: item for item in found}
            for n in stale:
                packed = by_sk.get(keys.directory_packed_sk(n))
                blob = _bytes(packed.get("z")) if packed else None
                cached[n] = _Cached(
                    packed_rev=int(packed["rev"]) if packed else None,
                    pending_rev=int(self._pending(pendings, n).get("rev", 0)),
                    entries=unpack(blob),
                    packed_bytes=len(blob or b""),
                )
        shards = []
        for n in numbers:
            pending = self._pending(pendings, n)
            entries = dict(cached[n].entries)
            shard = Shard(
                number=n,
                packed_rev=cached[n].packed_rev,
                pending_rev=int(pending.get("rev", 0)),
                entries=entries,
                packed_bytes=cached[n].packed_bytes,
            )
            shard.pending = _merge(entries, pending)
            shards.append(shard)
        return shards

    @staticmethod
    def _pending(pendings: dict[str, Item], n: int) -> Item:
        return pendings.get(keys.directory_pending_sk(n)) or {}

    def pack_due(self, merchant_id: str, shards: list[Shard]) -> None:
        """Pack the shards with many pending entries: per shard, put ``PACKED`` and an empty ``PENDING``, each
        if its ``rev`` is unchanged, in transactions of at most ~3 MB; a concurrent write cancels its
        transaction (the next reader packs again)."""
        due = [s for s in shards if len(s.pending) >= PACK_AFTER]
        pk = keys.directory_pk(merchant_id)
        tx, size = self.table.transaction(), 0
        for shard in due:
            blob = pack(list(shard.entries.values()))
            if size + len(blob) > _TRANSACTION_BYTES and len(tx):
                _commit_quietly(tx)
                tx, size = self.table.transaction(), 0
            size += len(blob)
            item = {
                "PK": pk,
                "SK": keys.directory_packed_sk(shard.number),
                "entity": PACKED_ENTITY,
                "z": blob,
                "rev": (shard.packed_rev or 0) + 1,
            }
            if shard.packed_rev is None:
                tx.put("packed", item, condition="attribute_not_exists(PK)")
            else:
                tx.put("packed", item, condition="rev = :rev", vals={":rev": shard.packed_rev})
            emptied = {"PK": pk, "SK": keys.directory_pending_sk(shard.number), "entity": PENDING_ENTITY}
            tx.put(
                "pending",
                {**emptied, "rev": shard.pending_rev + 1, "packed_rev": item["rev"]},
                condition="rev = :rev",
                vals={":rev": shard.pending_rev},
            )
        if len(tx):
            _commit_quietly(tx)


def _commit_quietly(tx: Transaction) -> None:
    try:
        tx.commit()
    except TransactionCancelled:
        return


def _bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    return bytes(value.value if hasattr(value, "value") else value)


__all__ = ["DirectoryStore", "Shard", "entry_of", "pack", "unpack"]
