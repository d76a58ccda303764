"""What the directory's jobs read and write: a merge's plan, the items it moves, its closing transaction,
and export records.

A merge moves more than one transaction can carry (every sale, activity entry, card and note of the
source), so it runs in steps that are each safe to repeat, under a plan item in the source's partition:
``moving`` (items copied to the survivor, then deleted from the source; sales and card look-ups
re-pointed), then one closing transaction (profile, guards, counters, directory, list size, the source
profile's removal and the plan marked ``done``). A merge that died half-way is resumed from its plan.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from clientele.customers import keys as customer_keys
from clientele.customers.model import AuditEntry, Customer, Note
from clientele.customers.repository import CustomerRepository, to_customer
from clientele.directory_jobs import keys
from clientele.directory_jobs.model import AttributeRemoval, ExportJob, ImportJob, MergeOutcome
from clientele.kernel.entity import Page
from clientele.kernel.errors import Conflict, NotFound
from clientele.sales import keys as sale_keys
from clientele.sales.repository import SaleRepository, add_merchant_counts
from clientele.sales.rules import MerchantCounts
from clientele.storage import partitions
from clientele.storage.table import Item, Table, Transaction, TransactionCancelled, fields_of, serialize

_BATCH = 25  # BatchWriteItem's limit
_TRANSACTION = 100  # TransactWriteItems' limit
# What stays in the source's partition: the plan (ids only, the pointer to the survivor) and a tombstone;
# its counters are replaced by the survivor's replayed ones in the closing transaction; what a merge
# participant moves itself (loyalty's account and ledger, the groups' facts) is left to it, as a plain copy
# would overwrite the survivor's. Everything else moves, the audit trail (each entry marked with the id it
# was recorded for) and the deliveries (a message queued under the source's id finds its delivery at the
# survivor: ``CustomerRepository.moved_to``) included, so that erasing the survivor reaches all of it.
_STAYS = ("TOMBSTONE", "LOYALTY#", "GROUPS")


class MergeRepository:
    def __init__(self, table: Table, customers: CustomerRepository, sales: SaleRepository) -> None:
        self.table = table
        self.customers = customers
        self.sales = sales

    # The plan --------------------------------------------------------------------------------------
    def plan(self, merchant_id: str, source_id: str) -> Item | None:
        return self.table.get(partitions.customer_pk(merchant_id, source_id), keys.merge_plan_sk(), consistent=True)

    def start(
        self, merchant_id: str, source_id: str, survivor_id: str, outcome: MergeOutcome, source_sales: list[str]
    ) -> None:
        """The plan, unless another merge of this source is under way (a 409 naming its survivor)."""
        from clientele.storage.table import ConditionFailed

        try:
            self.table.put(
                {
                    "PK": partitions.customer_pk(merchant_id, source_id),
                    "SK": keys.merge_plan_sk(),
                    "entity": "merge_plan",
                    "survivor_id": survivor_id,
                    "state": "moving",
                    "outcome": outcome.model_dump_json(),
                    "source_sales": source_sales,  # which sales were the source's, for the counters' replay
                },
                condition="attribute_not_exists(PK) OR survivor_id = :s",
                vals={":s": survivor_id},
            )
        except ConditionFailed as exc:
            raise Conflict(
                "This customer is being merged into another profile.",
                field="source_customer_id",
                code="MERGE_IN_PROGRESS",
            ) from exc

    def outcome(self, merchant_id: str, survivor_id: str, source_id: str) -> MergeOutcome | None:
        item = self.table.get(partitions.customer_pk(merchant_id, survivor_id), keys.merge_outcome_sk(source_id))
        return MergeOutcome.model_validate_json(item["outcome"]) if item else None

    # Moving ----------------------------------------------------------------------------------------
    def partition(self, merchant_id: str, customer_id: str) -> list[Item]:
        found: list[Item] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", partitions.customer_pk(merchant_id, customer_id)), limit=500, cursor=cursor
            )
            found.extend(items)
            if not cursor:
                return found

    @staticmethod
    def movable(items: list[Item]) -> list[Item]:
        return [
            i
            for i in items
            if i["SK"] not in (customer_keys.CUSTOMER_SK, customer_keys.MERGED_SK)
            and not str(i["SK"]).startswith(_STAYS)
            and i.get("entity") != "customer_stats"
        ]

    def move(self, merchant_id: str, source_id: str, survivor_id: str, items: list[Item]) -> dict[str, int]:
        """Re-point the sales and card look-ups of ``items`` at the survivor (transactions of up to 100), then
        copy the items into the survivor's partition and delete them from the source's (batches of 25)."""
        moved: dict[str, int] = {}
        repoint = []
        for item in items:
            entity = str(item.get("entity", ""))
            moved[entity] = moved.get(entity, 0) + (0 if entity == "activity" and not _overall(item) else 1)
            if entity == "activity" and _overall(item):
                repoint.append(
                    self.table.update_op(
                        sale_keys.sale_pk(merchant_id, item["id"]),
                        sale_keys.SALE_SK,
                        "SET customer_id = :s",
                        # a sale taken off the source meanwhile (or given to someone else) stays as it is
                        condition="customer_id = :from OR customer_id = :s",
                        vals={":s": survivor_id, ":from": source_id},
                    )
                )
            if entity == "card" and item.get("fingerprint_hash"):
                repoint.append(
                    self.table.update_op(
                        sale_keys.card_lookup_pk(merchant_id, item["fingerprint_hash"]),
                        sale_keys.CARD_LOOKUP_SK,
                        "SET customer_id = :s",
                        condition="customer_id = :from OR customer_id = :s",
                        vals={":s": survivor_id, ":from": source_id},
                    )
                )
        for start in range(0, len(repoint), _TRANSACTION):
            try:
                self.table.transact(repoint[start : start + _TRANSACTION])
            except TransactionCancelled as exc:
                raise Conflict(
                    "A sale of the customer was changed meanwhile; retry the merge.", code="MERGE_RETRY"
                ) from exc
        survivor_pk = partitions.customer_pk(merchant_id, survivor_id)
        deliveries = [item for item in items if item.get("entity") == "delivery"]
        plain = [item for item in items if item.get("entity") != "delivery"]
        self._move_deliveries(deliveries, source_id, survivor_id, survivor_pk)
        writes = [
            {"PutRequest": {"Item": serialize(_moved(item, source_id, survivor_id, survivor_pk))}} for item in plain
        ]
        writes += [{"DeleteRequest": {"Key": serialize({"PK": item["PK"], "SK": item["SK"]})}} for item in plain]
        # Every copy is written before any original goes: a crash leaves duplicates, never a loss.
        for start in range(0, len(writes), _BATCH):
            self._batch(writes[start : start + _BATCH])
        return {k: v for k, v in moved.items() if v}

    def _move_deliveries(self, items: list[Item], source_id: str, survivor_id: str, survivor_pk: str) -> None:
        """Each delivery is copied and removed in one transaction, only if no consumer changed it since it was
        read (its status and ``updated_at``): a message being sent meanwhile makes the merge retry, never a
        copy that says ``queued`` of a message already sent."""
        per_transaction = _TRANSACTION // 2
        for start in range(0, len(items), per_transaction):
            tx = self.table.transaction()
            for item in items[start : start + per_transaction]:
                tx.put("copy", _moved(item, source_id, survivor_id, survivor_pk))
                tx.delete(
                    "delivery",
                    item["PK"],
                    item["SK"],
                    condition="#s = :s AND updated_at = :u",
                    names={"#s": "status"},
                    vals={":s": item.get("status"), ":u": item.get("updated_at")},
                )
            try:
                tx.commit()
            except TransactionCancelled as exc:
                raise Conflict(
                    "A message to the customer was being sent meanwhile; retry the merge.", code="MERGE_RETRY"
                ) from exc

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table.name: requests}
        while pending:
            response = self.table._client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}

    # Closing ---------------------------------------------------------------------------------------
    def close(
        self,
        *,
        survivor: Customer,
        expected_version: int,
        source: Customer,
        guards: list[dict[str, Any]],
        stats: list[Item],
        stale_stats: list[tuple[str, str, int]],
        counters: list[MerchantCounts],
        audits: list[AuditEntry],
        note: Note | None,
        outcome: MergeOutcome,
    ) -> None:
        """One ``TransactWriteItems``: the survivor's merged profile (if its version still holds) and its
        replayed counters, the guards moved, the source's profile and counters gone, the merchant's counters
        corrected, both shown in the directory as they now are, the list one shorter, the plan done."""
        mid = survivor.merchant_id
        tx = self.table.transaction()
        tx.add("customer", self.customers.admin_update_op(survivor, expected_version, with_visits=True))
        source_pk = partitions.customer_pk(mid, source.id)
        tx.delete("source", source_pk, customer_keys.CUSTOMER_SK, condition="attribute_exists(PK)")
        for n, op in enumerate(guards):
            tx.add(f"guard{n}", op)
        _replace_stats(tx, stats, stale_stats)
        if note is not None:
            tx.put("note", self.customers.note_item(mid, note))
        for moved in counters:
            add_merchant_counts(tx, mid, moved)
        tx.update(
            "list_size",
            partitions.merchant_pk(mid),
            partitions.STATS_SK,
            "ADD total_customers :minus",
            vals={":minus": -1},
        )
        for audit in audits:
            tx.add("audit", self.customers.audit_op(mid, audit))
        self.customers.directory.upsert(tx, survivor)
        # The plan stays as the source's pointer (ids only); the outcome, with the values kept and dropped,
        # is the survivor's data and lives in the survivor's partition (erased with them).
        tx.put(
            "plan",
            {
                "PK": source_pk,
                "SK": keys.merge_plan_sk(),
                "entity": "merge_plan",
                "survivor_id": survivor.id,
                "state": "done",
                "outcome": outcome.model_copy(update={"conflicts": []}).model_dump_json(),
            },
        )
        tx.put(
            "outcome",
            {
                "PK": partitions.customer_pk(mid, survivor.id),
                "SK": keys.merge_outcome_sk(source.id),
                "entity": "merge_outcome",
                "outcome": outcome.model_dump_json(),
            },
        )
        try:
            tx.commit()
        except TransactionCancelled as exc:
            _explain(exc)
            raise

    def erase_from_directory(self, merchant_id: str, customer_id: str) -> None:
        """The source leaves the directory (its shard is read first, so this is a transaction of its own)."""
        tx = self.table.transaction()
        self.customers.directory.erase(tx, merchant_id, customer_id)
        try:
            tx.commit()
        except TransactionCancelled:
            tx = self.table.transaction()
            self.customers.directory.erase(tx, merchant_id, customer_id)
            tx.commit()

    def profiles(self, merchant_id: str, ids: list[str]) -> dict[str, Customer]:
        items = self.table.batch_get(
            [(partitions.customer_pk(merchant_id, cid), customer_keys.CUSTOMER_SK) for cid in ids], consistent=True
        )
        return {i["id"]: to_customer(i) for i in items}


def _replace_stats(tx: Transaction, stats: list[Item], stale: list[tuple[str, str, int]]) -> None:
    """The survivor's replayed counters replace what both profiles held, each only if no sale moved it."""
    seen = {(pk, sk): n for pk, sk, n in stale}
    for item in stats:
        was = seen.pop((item["PK"], item["SK"]), None)
        if was is None:
            tx.put("stats", item, condition="attribute_not_exists(PK)")
        else:
            tx.put("stats", item, condition="sale_count = :n", vals={":n": was})
    for (pk, sk), was in seen.items():
        tx.delete("stats", pk, sk, condition="sale_count = :n", vals={":n": was})


def _explain(exc: TransactionCancelled) -> None:
    cancelled = exc.cancelled
    if cancelled.failed("customer"):
        raise Conflict(
            "The survivor was changed meanwhile; retry the merge.", field="id", code="VERSION_MISMATCH"
        ) from exc
    if cancelled.failed("stats") or cancelled.conflict:
        raise Conflict("A sale was recorded meanwhile; retry the merge.", code="MERGE_RETRY") from exc
    if cancelled.failed("source"):
        raise NotFound("No such customer.", field="source_customer_id") from exc
    if any(name.startswith("guard") for name in cancelled.failures()):
        raise Conflict(
            "A contact detail of the source was taken meanwhile; retry the merge.", code="MERGE_RETRY"
        ) from exc


def _overall(item: Item) -> bool:
    return str(item["SK"]).startswith(sale_keys.activity_prefix("all"))


def _moved(item: Item, source_id: str, survivor_id: str, survivor_pk: str) -> Item:
    copy = dict(item)
    copy["PK"] = survivor_pk
    marker = f"#CUSTOMER#{source_id}"
    for name in ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"):
        value = copy.get(name)
        if isinstance(value, str) and marker in value:
            copy[name] = value.replace(marker, f"#CUSTOMER#{survivor_id}")
    if copy.get("customer_id") == source_id:
        copy["customer_id"] = survivor_id
        if copy.get("entity") == "audit":
            copy.setdefault("merged_from", source_id)  # an entry moved by an earlier merge keeps its first id
    return copy


# ------------------------------------------------------------------------------------------ exports
_IDS_PER_CHUNK = 8000


class ExportRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _item(self, job: ExportJob, expires_epoch: int) -> Item:
        return {
            "PK": keys.exports_pk(job.merchant_id),
            "SK": keys.export_sk(job.id),
            "entity": "export",
            "expires_at": expires_epoch,
            **job.model_dump(mode="json", exclude_none=True),
        }

    def save(self, job: ExportJob, expires_epoch: int) -> None:
        self.table.put(self._item(job, expires_epoch))

    def get(self, merchant_id: str, export_id: str) -> ExportJob:
        item = self.table.get(keys.exports_pk(merchant_id), keys.export_sk(export_id), consistent=True)
        if not item or item.get("entity") != "export":
            raise NotFound("No such export.", field="id")
        return ExportJob.model_validate(fields_of(item))

    def recent(self, merchant_id: str, *, limit: int, cursor: str | None) -> Page[ExportJob]:
        items, next_cursor = self.table.query(
            partition=("PK", keys.exports_pk(merchant_id)),
            begins_with=("SK", "EXPORT#"),
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[ExportJob](
            items=[ExportJob.model_validate(fields_of(i)) for i in items if i.get("entity") == "export"],
            cursor=next_cursor,
        )

    def save_ids(self, merchant_id: str, export_id: str, customer_ids: list[str], expires_epoch: int) -> None:
        """The ids an export holds, compressed in chunks (never names or contact details)."""
        writes = []
        for n, start in enumerate(range(0, len(customer_ids), _IDS_PER_CHUNK)):
            blob = zlib.compress(json.dumps(customer_ids[start : start + _IDS_PER_CHUNK]).encode(), 6)
            item = {
                "PK": keys.exports_pk(merchant_id),
                "SK": keys.export_ids_sk(export_id, n),
                "entity": "export_ids",
                "z": blob,
                "expires_at": expires_epoch,
            }
            writes.append({"PutRequest": {"Item": serialize(item)}})
        for start in range(0, len(writes), _BATCH):
            pending: dict[str, Any] = {self.table.name: writes[start : start + _BATCH]}
            while pending:
                response = self.table._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    def live_exports_holding(self, merchant_id: str, customer_id: str, now_iso: str) -> int:
        """How many finished exports whose file still exists hold the customer (their id chunks are read)."""
        live: set[str] = set()
        holding: set[str] = set()
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", keys.exports_pk(merchant_id)), begins_with=("SK", "EXPORT#"), limit=200, cursor=cursor
            )
            for item in items:
                if item.get("entity") == "export":
                    if item.get("status") == "done" and str(item.get("file_expires_at", "")) > now_iso:
                        live.add(str(item["id"]))
                elif item.get("entity") == "export_ids":
                    export_id = str(item["SK"]).split("#")[1]
                    if export_id not in holding and customer_id in _ids_of(item):
                        holding.add(export_id)
            if not cursor:
                return len(live & holding)


def _ids_of(item: Item) -> list[str]:
    raw = item["z"]
    return list(json.loads(zlib.decompress(bytes(raw.value if hasattr(raw, "value") else raw))))


class ImportRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def save(self, job: ImportJob, expires_epoch: int) -> None:
        self.table.put(
            {
                "PK": keys.imports_pk(job.merchant_id),
                "SK": keys.import_sk(job.id),
                "entity": "import",
                "expires_at": expires_epoch,
                **job.model_dump(mode="json", exclude_none=True),
            }
        )

    def get(self, merchant_id: str, import_id: str) -> ImportJob:
        item = self.table.get(keys.imports_pk(merchant_id), keys.import_sk(import_id), consistent=True)
        if not item:
            raise NotFound("No such import.", field="id")
        return ImportJob.model_validate(fields_of(item))


class AttributeRemovalRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def save(self, job: AttributeRemoval, expires_epoch: int) -> None:
        self.table.put(
            {
                "PK": keys.attribute_removals_pk(job.merchant_id),
                "SK": keys.attribute_removal_sk(job.id),
                "entity": "attribute_removal",
                "expires_at": expires_epoch,
                **job.model_dump(mode="json", exclude_none=True),
            }
        )

    def get(self, merchant_id: str, removal_id: str) -> AttributeRemoval:
        item = self.table.get(
            keys.attribute_removals_pk(merchant_id), keys.attribute_removal_sk(removal_id), consistent=True
        )
        if not item:
            raise NotFound("No such removal.", field="id")
        return AttributeRemoval.model_validate(fields_of(item))

    def unfinished(self, merchant_id: str, key: str) -> AttributeRemoval | None:
        """The removal of ``key`` still under way, if any (the newest 50 removals are looked at)."""
        items, _ = self.table.query(partition=("PK", keys.attribute_removals_pk(merchant_id)), limit=50, forward=False)
        for item in items:
            if item.get("key") == key and item.get("status") != "done":
                return AttributeRemoval.model_validate(fields_of(item))
        return None
