"""Fixed-window rate-limit counters (signup per client IP and per merchant).

Each counter is one item per window, incremented with a condition that it is still under its
limit; several counters move together in one transaction, so a refused request counts nowhere.
The items expire by TTL shortly after their window.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from clientele.storage import partitions
from clientele.storage.table import ConditionFailed, Item, Table, TransactionCancelled


@dataclass(frozen=True)
class Bucket:
    scope: str  # "signup-ip", "signup-merchant", ...
    subject: str  # a merchant id or a keyed hash: never an address in clear
    limit: int
    window_seconds: int


class LimitReached(Exception):
    def __init__(self, bucket: Bucket, retry_after: int) -> None:
        super().__init__(f"rate limit reached: {bucket.scope}")
        self.bucket = bucket
        self.retry_after = retry_after


class AlreadyCounted(Exception):
    """The request's ``first_use`` marker was there: it was counted before, and is not counted again."""


class RateLimitRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, bucket: Bucket, count: int, *, now_epoch: int) -> None:
        """Count ``count`` requests at once in ``bucket`` while it is under its limit (one conditional
        UpdateItem); :class:`LimitReached` once it is full (what overshoots is counted by the last step)."""
        window = now_epoch - now_epoch % bucket.window_seconds
        try:
            self.table.update(
                partitions.rate_limit_pk(bucket.scope, bucket.subject),
                partitions.rate_limit_sk(window),
                "ADD #n :count SET expires_at = :expires, entity = :entity",
                condition="attribute_not_exists(#n) OR #n < :limit",
                names={"#n": "count"},
                vals={
                    ":count": count,
                    ":limit": bucket.limit,
                    ":expires": window + 2 * bucket.window_seconds,
                    ":entity": "rate_limit",
                },
            )
        except ConditionFailed as exc:
            raise LimitReached(bucket, bucket.window_seconds - now_epoch % bucket.window_seconds) from exc

    def consume(self, buckets: list[Bucket], *, now_epoch: int, first_use: Item | None = None) -> None:
        """Count one request in every bucket, or in none and raise :class:`LimitReached`.

        ``first_use``: a marker written in the same transaction on condition it is new, so a request sent
        twice (the same signup form) is refused with :class:`AlreadyCounted` and counts nowhere.
        """
        operations = []
        for bucket in buckets:
            window = now_epoch - now_epoch % bucket.window_seconds
            operations.append(
                self.table.update_op(
                    partitions.rate_limit_pk(bucket.scope, bucket.subject),
                    partitions.rate_limit_sk(window),
                    "ADD #n :one SET expires_at = :expires, entity = :entity",
                    condition="attribute_not_exists(#n) OR #n < :limit",
                    names={"#n": "count"},
                    vals={
                        ":one": 1,
                        ":limit": bucket.limit,
                        ":expires": window + 2 * bucket.window_seconds,
                        ":entity": "rate_limit",
                    },
                )
            )
        if first_use is not None:
            operations.append(self.table.put_op(first_use, "attribute_not_exists(PK)"))
        if (
            len(buckets) == 1 and first_use is None
        ):  # one counter: a conditional UpdateItem (half a transaction's write cost)
            bucket, update = buckets[0], operations[0]["Update"]
            try:
                self.table._client.update_item(**update)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                raise LimitReached(bucket, bucket.window_seconds - now_epoch % bucket.window_seconds) from exc
            return
        try:
            self.table.transact(operations)
        except TransactionCancelled as exc:
            if first_use is not None and exc.cancelled.failed(len(buckets)):
                raise AlreadyCounted() from exc
            for position, bucket in enumerate(buckets):
                if exc.cancelled.failed(position):
                    retry_after = bucket.window_seconds - now_epoch % bucket.window_seconds
                    raise LimitReached(bucket, retry_after) from exc
            raise
