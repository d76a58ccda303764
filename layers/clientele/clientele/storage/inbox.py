"""Exactly-once effects from at-least-once events: a consumer's inbox.

Events reach consumers at least once (a stream record retried, an SNS or SQS redelivery). A consumer
makes its effect and an inbox marker for the event's key in one transaction, the marker conditional on
not existing yet: a second delivery of the same event fails on the marker, changes nothing, and is
acknowledged. Markers hold IDs only and expire after :data:`KEEP_SECONDS`, long past any redelivery
(stream records live 24 hours, queue messages at most 4 days).
"""

from __future__ import annotations

from clientele.kernel import clock
from clientele.storage import partitions
from clientele.storage.table import Item, Transaction, TransactionCancelled

KEEP_SECONDS = 14 * 86_400
OPERATION = "inbox"


class Inbox:
    def __init__(self, consumer: str) -> None:
        self.consumer = consumer  # e.g. "loyalty", "groups": each keeps its own markers

    def claim(self, tx: Transaction, merchant_id: str, event_key: str) -> Transaction:
        """Add the marker of ``event_key`` to the consumer's transaction (conditional: first time only)."""
        return tx.put(
            OPERATION,
            {
                "PK": partitions.inbox_pk(merchant_id, self.consumer),
                "SK": event_key,
                "entity": "inbox",
                "expires_at": int(clock.utcnow().timestamp()) + KEEP_SECONDS,
            },
            condition="attribute_not_exists(PK)",
        )

    def marker(self, merchant_id: str, event_key: str, *, keep_seconds: int = KEEP_SECONDS) -> Item:
        """The marker item of ``event_key``, for a transaction that is not a :class:`Transaction` (rate limits:
        a signup form's marker is written with the counters it moves, in one call)."""
        return {
            "PK": partitions.inbox_pk(merchant_id, self.consumer),
            "SK": event_key,
            "entity": "inbox",
            "expires_at": int(clock.utcnow().timestamp()) + keep_seconds,
        }

    @staticmethod
    def already_handled(exc: TransactionCancelled) -> bool:
        """Whether the transaction failed because the event had been handled before."""
        return exc.cancelled.failed(OPERATION)
