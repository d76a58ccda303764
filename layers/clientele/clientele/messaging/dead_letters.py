"""The delivery dead-letter queue's sweep: every delivery whose message is waiting there ends ``failed``.

The delivery consumer marks a delivery ``failed`` itself when a send fails on the queue's last receive. When
the consumer dies instead (a timeout, out of memory, a crash before it could answer), SQS moves the message
to the dead-letter queue and the delivery would stay ``queued`` or ``sending`` for ever. The sweep reads the
dead-letter queue on a schedule and marks those deliveries ``failed`` with ``DEAD_LETTERED``. It never
deletes a message: they stay for the operator to look at and redrive (a redriven delivery is sent again,
since a ``failed`` delivery can be claimed), and the queue's depth still raises the alarm.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clientele.kernel import clock
from clientele.messaging.delivery import DeliveryMessage
from clientele.messaging.repository import DeliveryRepository
from clientele.platform.observability import logger

# Long enough for one sweep to page through the queue without meeting a message twice; every message read is
# made visible again at the end of the run.
HIDE_SECONDS = 120


@dataclass(frozen=True)
class SweepReport:
    read: int  # dead-lettered messages read
    failed: int  # deliveries marked failed by this run (0 on a rerun)
    unreadable: int  # messages that name no delivery


class DeadLetterSweep:
    def __init__(self, deliveries: DeliveryRepository, queue_url: str, sqs: Any) -> None:
        self.deliveries = deliveries
        self.queue_url = queue_url
        self.sqs = sqs

    def run(self, now: datetime, *, time_left: Callable[[], float] = lambda: 60.0) -> SweepReport:
        """Settle every message in the queue (while more than 5 s of the invocation are left)."""
        if not self.queue_url:
            raise RuntimeError("the dead-letter queue URL is not configured")
        receipts: dict[str, str] = {}  # message id -> receipt handle, to show them again
        failed = unreadable = 0
        try:
            while time_left() > 5:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    VisibilityTimeout=HIDE_SECONDS,
                    WaitTimeSeconds=1,
                ).get("Messages", [])
                fresh = [m for m in messages if m["MessageId"] not in receipts]
                if not fresh:
                    break
                for message in fresh:
                    receipts[message["MessageId"]] = message["ReceiptHandle"]
                    settled = self._settle(message["Body"], now)
                    if settled is None:
                        unreadable += 1
                    failed += settled or 0
        finally:
            self._show_again(list(receipts.values()))
        logger.info("dead letters swept", extra={"read": len(receipts), "failed": failed, "unreadable": unreadable})
        return SweepReport(read=len(receipts), failed=failed, unreadable=unreadable)

    def _settle(self, body: str, now: datetime) -> int | None:
        try:
            message = DeliveryMessage.from_body(json.loads(body))
        except (ValueError, KeyError, TypeError):
            return None
        marked = self.deliveries.abandon(
            message.merchant_id,
            message.customer_id,
            message.delivery_id,
            now=clock.isoformat(now),
            now_epoch=int(now.timestamp()),
        )
        if marked:
            logger.warning("delivery dead-lettered", extra={"delivery_id": message.delivery_id})
        return int(marked)

    def _show_again(self, handles: list[str]) -> None:
        for start in range(0, len(handles), 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for n, handle in enumerate(handles[start : start + 10])
                ],
            )
