"""Pure rules of email feedback: the tags an email carries, and what an SES bounce or complaint means.

Every email is sent with message tags that carry IDs only (:func:`message_tags`), so SES's bounce and
complaint notifications name their delivery without anyone reading an address. :func:`parse_ses_event`
reads one notification, as SES publishes it for a configuration set (``eventType``) or for an identity
(``notificationType``), raw or inside an SNS envelope, and decides:

* a **permanent** bounce suppresses the address for the merchant and marks the delivery ``bounced``;
* a **transient** (or undetermined) bounce marks the delivery ``bounced`` and suppresses nothing: the
  next message may well arrive;
* a **complaint** suppresses the address and marks the delivery ``complained``, except a feedback report
  that says the message is *not* spam, which changes nothing.

Other event types (send, delivery, open, ...) are ignored. Codes never hold SES's diagnostic text (it can
quote the address); they are built from SES's fixed vocabularies only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from clientele.messaging.model import DeliveryStatus, SuppressionReason

TAG_DELIVERY = "delivery_id"
TAG_MERCHANT = "merchant_id"
TAG_CUSTOMER = "customer_id"
TAG_KIND = "kind"

_TAG_VALUE = re.compile(r"[^A-Za-z0-9_-]")  # SES allows letters, digits, underscores and dashes only
# What an id looks like (kernel.ids; a dedupe key's delivery id is a digest): only such tag values are read
# back, so nothing else that a notification carries can reach a log or a key.
_ID = re.compile(r"[a-z]{2,8}_[0-9a-z]{16,40}")

# SES's vocabularies (Amazon SES notification contents): anything else becomes the bare prefix.
_BOUNCE_TYPES = {"Undetermined", "Permanent", "Transient"}
_BOUNCE_SUBTYPES = {
    "Undetermined",
    "General",
    "NoEmail",
    "Suppressed",
    "OnAccountSuppressionList",
    "MailboxFull",
    "MessageTooLarge",
    "ContentRejected",
    "AttachmentRejected",
}
_COMPLAINT_TYPES = {"abuse", "auth-failure", "fraud", "not-spam", "other", "virus"}


def message_tags(*, delivery_id: str, merchant_id: str, customer_id: str, kind: str) -> dict[str, str]:
    """The SES message tags of a delivery's email: IDs and the message kind, never an address."""
    tags = {TAG_DELIVERY: delivery_id, TAG_MERCHANT: merchant_id, TAG_CUSTOMER: customer_id, TAG_KIND: kind}
    return {name: tag_value(value) for name, value in tags.items()}


def tag_value(value: str) -> str:
    return _TAG_VALUE.sub("_", value)[:256]


@dataclass(frozen=True)
class EmailFeedback:
    """One bounce or complaint, reduced to what the product keeps and acts on."""

    status: DeliveryStatus  # BOUNCED or COMPLAINED: what the delivery becomes
    code: str  # e.g. BOUNCE_PERMANENT_NO_EMAIL, BOUNCE_TRANSIENT_MAILBOX_FULL, COMPLAINT_ABUSE
    suppress: SuppressionReason | None  # None: the address may be mailed again
    message_id: str  # SES's message id (the delivery's provider_message_id)
    recipients: tuple[str, ...]  # the addresses concerned: hashed at once, never stored, logged or kept
    delivery_id: str | None = None
    merchant_id: str | None = None
    customer_id: str | None = None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).replace("-", "_").upper()


def bounce_code(bounce_type: str, subtype: str) -> str:
    if bounce_type not in _BOUNCE_TYPES:
        return "BOUNCE"
    code = f"BOUNCE_{_snake(bounce_type)}"
    return f"{code}_{_snake(subtype)}" if subtype in _BOUNCE_SUBTYPES else code


def complaint_code(feedback_type: str | None, subtype: str | None) -> str:
    if subtype == "OnAccountSuppressionList":
        return "COMPLAINT_ON_ACCOUNT_SUPPRESSION_LIST"
    if feedback_type in _COMPLAINT_TYPES:
        return f"COMPLAINT_{_snake(str(feedback_type))}"
    return "COMPLAINT"


def _unwrap(body: str | dict[str, Any]) -> dict[str, Any]:
    """The SES notification in an SQS body: raw delivery, or SNS's envelope (``Type: Notification``)."""
    document = json.loads(body) if isinstance(body, str) else body
    if not isinstance(document, dict):
        raise ValueError("an SES notification is a JSON object")
    if document.get("Type") == "Notification" and isinstance(document.get("Message"), str):
        return _unwrap(document["Message"])
    return document


def _tag(tags: dict[str, Any], name: str) -> str | None:
    """The id a tag carries, or None when it carries anything that is not an id."""
    value = tags.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _addresses(entries: Any) -> tuple[str, ...]:
    found = []
    for entry in entries or []:
        address = entry.get("emailAddress") if isinstance(entry, dict) else None
        if isinstance(address, str) and address.strip():
            found.append(address.strip())
    return tuple(found)


def parse_ses_event(body: str | dict[str, Any]) -> EmailFeedback | None:
    """The feedback in one SES notification; ``None`` for events that change nothing.

    Raises ``ValueError`` for a body that is not an SES notification at all (the queue retries it, then
    keeps it in its dead-letter queue for a look).
    """
    document = _unwrap(body)
    event_type = document.get("eventType") or document.get("notificationType")
    mail = document.get("mail")
    if not isinstance(event_type, str) or not isinstance(mail, dict):
        raise ValueError("not an SES notification (no eventType/notificationType and mail)")
    message_id = str(mail.get("messageId") or "")
    raw_tags = mail.get("tags")
    tags: dict[str, Any] = raw_tags if isinstance(raw_tags, dict) else {}
    ids = {
        "delivery_id": _tag(tags, TAG_DELIVERY),
        "merchant_id": _tag(tags, TAG_MERCHANT),
        "customer_id": _tag(tags, TAG_CUSTOMER),
    }
    destination = tuple(str(a).strip() for a in mail.get("destination") or [] if str(a).strip())
    if event_type == "Bounce":
        bounce = document.get("bounce") or {}
        bounce_type = str(bounce.get("bounceType") or "")
        code = bounce_code(bounce_type, str(bounce.get("bounceSubType") or ""))
        return EmailFeedback(
            status=DeliveryStatus.BOUNCED,
            code=code,
            suppress=SuppressionReason.BOUNCE if bounce_type == "Permanent" else None,
            message_id=message_id,
            recipients=_addresses(bounce.get("bouncedRecipients")) or destination,
            **ids,
        )
    if event_type == "Complaint":
        complaint = document.get("complaint") or {}
        feedback_type = complaint.get("complaintFeedbackType")
        if feedback_type == "not-spam":
            return None
        return EmailFeedback(
            status=DeliveryStatus.COMPLAINED,
            code=complaint_code(feedback_type, complaint.get("complaintSubType")),
            suppress=SuppressionReason.COMPLAINT,
            message_id=message_id,
            recipients=_addresses(complaint.get("complainedRecipients")) or destination,
            **ids,
        )
    return None
