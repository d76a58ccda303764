"""Request and response shapes of receipts and their deliveries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clientele.http.schemas import Input, Output
from clientele.kernel.contact import Channel
from clientele.messaging.model import Delivery, DeliveryStatus


class ReceiptIn(Input):
    channel: Channel = Field(description="`email` (HTML and text) or `sms` (a short text linking to the receipt).")


DeliveryState = Literal["queued", "sent", "failed", "bounced", "complained"]
# "sending" is the pipeline's short-lived claim: to the merchant the message is still on its way.
_STATUS: dict[DeliveryStatus, DeliveryState] = {
    DeliveryStatus.QUEUED: "queued",
    DeliveryStatus.SENDING: "queued",
    DeliveryStatus.SENT: "sent",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.BOUNCED: "bounced",
    DeliveryStatus.COMPLAINED: "complained",
}
_WITH_ERROR = {DeliveryStatus.FAILED, DeliveryStatus.BOUNCED, DeliveryStatus.COMPLAINED}


class DeliveryOut(Output):
    id: str
    kind: str = Field(description="`receipt`, or `welcome` when the sale came with a signup as its first receipt.")
    channel: Channel
    status: DeliveryState = Field(
        description="`queued` (on its way), `sent` (SES or SNS accepted it), `failed` (never sent: see `error`), "
        "`bounced` (the recipient's server refused it after sending) or `complained` (the recipient reported it "
        "as spam). A permanent bounce or a complaint puts the address on the merchant's suppression list: it is "
        "not mailed again."
    )
    customer_id: str
    created_at: str
    updated_at: str
    sent_at: str | None = None
    attempts: int = Field(description="Sending attempts so far (retries after throttling included).")
    error: str | None = Field(
        default=None,
        description="Why it failed or bounced, as a code (e.g. `NO_ADDRESS`, `SUPPRESSED`, "
        "`BOUNCE_PERMANENT_NO_EMAIL`, `BOUNCE_TRANSIENT_MAILBOX_FULL`, `COMPLAINT_ABUSE`).",
    )

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            kind=delivery.kind,
            channel=delivery.channel,
            status=_STATUS[delivery.status],
            customer_id=delivery.customer_id,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
            sent_at=delivery.sent_at,
            attempts=delivery.attempts,
            error=delivery.error if delivery.status in _WITH_ERROR else None,
        )


class DeliveryList(Output):
    items: list[DeliveryOut]
    cursor: str | None = Field(default=None, description="Present while more items remain.")
