"""Email feedback: SES's bounces and complaints mark their delivery and suppress the address for the merchant.

The notification names its delivery by the message tags every email carries (IDs only, ``rules.message_tags``).
A permanent bounce or a complaint puts the recipient's keyed hash on the merchant's suppression list, so the
delivery pipeline never mails the address again (``SUPPRESSED``). Both writes are conditional and idempotent:
SNS and SQS deliver at least once, and a redelivered notification changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from clientele.kernel import clock
from clientele.messaging.repository import DeliveryRepository
from clientele.messaging.rules import EmailFeedback
from clientele.messaging.suppression import SuppressionList
from clientele.platform.observability import logger


class FeedbackOutcome(StrEnum):
    RECORDED = "recorded"  # the delivery was marked, or an address was suppressed
    UNCHANGED = "unchanged"  # a redelivered notification, or a delivery that is gone: nothing changed
    UNTRACKED = "untracked"  # an email without a merchant's tags (e.g. the privacy portal's code)


class EmailFeedbackService:
    def __init__(self, deliveries: DeliveryRepository, suppressions: SuppressionList) -> None:
        self.deliveries = deliveries
        self.suppressions = suppressions

    def record(self, feedback: EmailFeedback) -> FeedbackOutcome:
        """Mark the delivery and suppress the address; raises ``NotSentYet`` to have the queue retry."""
        merchant_id = feedback.merchant_id
        # IDs that passed the id pattern (rules._tag) and a code from SES's fixed vocabulary: never an address.
        log = {"delivery_id": feedback.delivery_id, "merchant_id": merchant_id, "error": feedback.code}
        if not merchant_id:
            logger.warning("email feedback without a merchant's tags", extra=log)
            return FeedbackOutcome.UNTRACKED
        now = clock.now_iso()
        changed = False
        if feedback.suppress is not None:
            for address in feedback.recipients:
                changed |= self.suppressions.add(
                    merchant_id, address, reason=feedback.suppress, code=feedback.code, now=now
                )
        if feedback.delivery_id and feedback.customer_id:
            changed |= self.deliveries.mark_feedback(
                merchant_id,
                feedback.customer_id,
                feedback.delivery_id,
                status=feedback.status,
                error=feedback.code,
                now=now,
            )
        logger.info("email feedback", extra={**log, "status": feedback.status.value, "changed": changed})
        return FeedbackOutcome.RECORDED if changed else FeedbackOutcome.UNCHANGED
