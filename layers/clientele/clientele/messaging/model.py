"""Messages to customers (welcome, already-on-the-list, receipts, ...) and their delivery state.

A delivery holds IDs only: the address is resolved from the customer when it is sent, so an
erased customer's pending message has nowhere to go and nothing personal waits in a queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import Field

from clientele.kernel.contact import Channel
from clientele.kernel.entity import Entity


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by one consumer; a lease lets another take over after a crash
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"  # SES accepted it, then the recipient's server refused it (a bounce notification)
    COMPLAINED = "complained"  # delivered, then the recipient marked it as spam (a complaint notification)


class Delivery(Entity):
    id: str
    merchant_id: str
    customer_id: str
    kind: str  # a message kind with a renderer in clientele.messaging.messages
    channel: Channel
    refs: dict[str, str] = Field(default_factory=dict)  # ids the renderer needs (sale_id, ...)
    status: DeliveryStatus = DeliveryStatus.QUEUED
    attempts: int = 0
    created_at: str
    updated_at: str
    sent_at: str | None = None
    provider_message_id: str | None = None
    error: str | None = None  # a code, never a message that could hold an address


class SuppressionReason(StrEnum):
    BOUNCE = "bounce"  # a permanent bounce: the address does not exist or refuses mail
    COMPLAINT = "complaint"  # the recipient reported the merchant's mail as spam


class Suppression(Entity):
    """An address the merchant never mails again, known only by its keyed hash (no address, no customer)."""

    merchant_id: str
    email_hash: str
    reason: SuppressionReason
    code: str  # e.g. BOUNCE_PERMANENT_GENERAL, COMPLAINT_ABUSE
    suppressed_at: str


@dataclass(frozen=True)
class EmailContent:
    """A rendered email: both parts, and whether it carries unsubscribe headers (RFC 8058)."""

    subject: str
    text: str
    html: str
    unsubscribe: bool = True


@dataclass(frozen=True)
class SmsContent:
    text: str


@dataclass(frozen=True)
class Links:
    """The links every message carries at its bottom."""

    preferences: str
    erase: str
    privacy_policy: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
