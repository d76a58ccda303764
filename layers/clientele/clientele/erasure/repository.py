"""What erasure reads and writes: a customer's whole partition, the items elsewhere that point at
them (uniqueness guards, card look-ups, sales), the counters, and the tombstone."""

from __future__ import annotations

from typing import Any

from clientele.storage import keys
from clientele.storage.table import Item, Table, TransactionCancelled, serialize

TOMBSTONE_SK = "TOMBSTONE"
_BATCH = 25  # BatchWriteItem's limit


class ErasureRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def partition(self, merchant_id: str, customer_id: str) -> list[Item]:
        """Every item in the customer's partition (profile, notes, audit, cards, activity, deliveries, …)."""
        found: list[Item] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", keys.customer_pk(merchant_id, customer_id)), limit=100, cursor=cursor
            )
            found.extend(items)
            if not cursor:
                return found

    def tombstone(self, merchant_id: str, customer_id: str) -> Item | None:
        return self.table.get(keys.customer_pk(merchant_id, customer_id), TOMBSTONE_SK, consistent=True)

    def close_profile(
        self,
        merchant_id: str,
        customer_id: str,
        *,
        guards: list[tuple[str, str]],
        tombstone: dict[str, Any],
        counters: list[tuple[str, dict[str, int]]],
    ) -> bool:
        """Atomically: delete the profile and its guards, write the tombstone, move the counters.

        ``False`` when the profile was already gone (a concurrent or earlier erasure did it).
        """
        pk = keys.customer_pk(merchant_id, customer_id)
        operations = [
            self.table.delete_op(pk, keys.CUSTOMER_SK, condition="attribute_exists(PK)"),
            self.table.put_op({"PK": pk, "SK": TOMBSTONE_SK, "entity": "tombstone", **tombstone}),
        ]
        for guard_pk, guard_sk in guards:
            operations.append(
                self.table.delete_op(guard_pk, guard_sk, condition="customer_id = :c", vals={":c": customer_id})
            )
        for sk, moves in counters:
            names = {f"#c{i}": name for i, name in enumerate(moves)}
            vals = {f":v{i}": -amount for i, amount in enumerate(moves.values())}
            expression = "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(moves)))
            operations.append(
                self.table.update_op(keys.merchant_pk(merchant_id), sk, expression, names=names, vals=vals)
            )
        try:
            self.table.transact(operations)
        except TransactionCancelled as exc:
            if exc.cancelled.failed(0):
                return False
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
                keys.card_lookup_pk(merchant_id, fingerprint_hash),
                keys.CARD_LOOKUP_SK,
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
                keys.sale_pk(merchant_id, sale_id),
                keys.SALE_SK,
                "REMOVE customer_id SET customer_erased = :t",
                condition="attribute_exists(PK)",
                vals={":t": True},
            )
        except ConditionFailed:
            return
