"""What erasure reads and writes: a customer's whole partition, the items elsewhere that point at
them (uniqueness guards, card look-ups, sales), the counters, and the tombstone."""

from __future__ import annotations

from typing import Any

from clientele.customers import keys as customer_keys
from clientele.customers.directory import DirectoryStore
from clientele.sales import keys as sale_keys
from clientele.sales.repository import add_merchant_counts
from clientele.sales.rules import MerchantCounts
from clientele.storage import partitions
from clientele.storage.table import Item, Table, TransactionCancelled, serialize

TOMBSTONE_SK = "TOMBSTONE"
_BATCH = 25  # BatchWriteItem's limit
_DIRECTORY_TRIES = 5


class _DirectoryMoved(Exception):
    """The customer's directory shard was packed or rewritten between its read and the erasure."""


class ErasureRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def partition(self, merchant_id: str, customer_id: str) -> list[Item]:
        """Every item in the customer's partition (profile, notes, audit, cards, activity, deliveries, …)."""
        found: list[Item] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", partitions.customer_pk(merchant_id, customer_id)), limit=100, cursor=cursor
            )
            found.extend(items)
            if not cursor:
                return found

    def tombstone(self, merchant_id: str, customer_id: str) -> Item | None:
        return self.table.get(partitions.customer_pk(merchant_id, customer_id), TOMBSTONE_SK, consistent=True)

    def close_profile(
        self,
        merchant_id: str,
        customer_id: str,
        *,
        guards: list[tuple[str, str]],
        tombstone: dict[str, Any],
        counters: list[MerchantCounts],
    ) -> bool:
        """Atomically: delete the profile and its guards, write the tombstone, take the customer out of the
        list's size and out of the merchant's counters (``counters``, from :func:`sales.rules.erased_customer`).

        The customer leaves the directory in the same transaction (their shard is read first; if it moved
        meanwhile, the transaction is built again).

        ``False`` when the profile was already gone (a concurrent or earlier erasure did it).
        """
        for _ in range(_DIRECTORY_TRIES - 1):
            try:
                return self._close_profile(merchant_id, customer_id, guards, tombstone, counters)
            except _DirectoryMoved:
                continue
        return self._close_profile(merchant_id, customer_id, guards, tombstone, counters)

    def _close_profile(
        self,
        merchant_id: str,
        customer_id: str,
        guards: list[tuple[str, str]],
        tombstone: dict[str, Any],
        counters: list[MerchantCounts],
    ) -> bool:
        pk = partitions.customer_pk(merchant_id, customer_id)
        tx = self.table.transaction()
        tx.delete("customer", pk, customer_keys.CUSTOMER_SK, condition="attribute_exists(PK)")
        tx.put("tombstone", {"PK": pk, "SK": TOMBSTONE_SK, "entity": "tombstone", **tombstone})
        for guard_pk, guard_sk in guards:
            tx.delete("guard", guard_pk, guard_sk, condition="customer_id = :c", vals={":c": customer_id})
        tx.update(
            "list_size",
            partitions.merchant_pk(merchant_id),
            partitions.STATS_SK,
            "ADD total_customers :minus",
            vals={":minus": -1},
        )
        for moved in counters:
            add_merchant_counts(tx, merchant_id, moved)
        DirectoryStore(self.table).erase(tx, merchant_id, customer_id)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            if exc.cancelled.failed("customer"):
                return False
            if exc.cancelled.failed("directory_packed") or exc.cancelled.conflict:
                raise _DirectoryMoved from exc
            raise
        return True

    def delete(self, item_keys: list[tuple[str, str]]) -> None:
        client = self.table._client
        for start in range(0, len(item_keys), _BATCH):
            requests = [
                {"DeleteRequest": {"Key": serialize({"PK": pk, "SK": sk})}}
                for pk, sk in item_keys[start : start + _BATCH]
            ]
            pending: dict[str, Any] = {self.table.name: requests}
            while pending:
                response = client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    def delete_card_lookup(self, merchant_id: str, fingerprint_hash: str, customer_id: str) -> None:
        """The card's look-up item, if it still points at this customer."""
        from clientele.storage.table import ConditionFailed

        try:
            self.table.update(
                sale_keys.card_lookup_pk(merchant_id, fingerprint_hash),
                sale_keys.CARD_LOOKUP_SK,
                "REMOVE customer_id",
                condition="customer_id = :c",
                vals={":c": customer_id},
            )
        except ConditionFailed:
            return

    def anonymise_sale(self, merchant_id: str, sale_id: str) -> None:
        """Keep the sale, so totals stay right, without the link to the erased customer (a sale holds no
        name or card fingerprint of its own)."""
        from clientele.storage.table import ConditionFailed

        try:
            self.table.update(
                sale_keys.sale_pk(merchant_id, sale_id),
                sale_keys.SALE_SK,
                "REMOVE customer_id SET customer_erased = :t",
                condition="attribute_exists(PK)",
                vals={":t": True},
            )
        except ConditionFailed:
            return
