"""SES's bounce and complaint events, rehearsed locally: moto's SES sends nothing and publishes no events.

In AWS, an email sent with a configuration set whose event destination is an SNS topic comes back on that
topic as a JSON notification when it bounces or draws a complaint (``eventType`` ``Bounce`` or
``Complaint``, the message's tags in ``mail.tags``). Locally:

* :func:`install` wraps moto's ``SendRawEmail`` to remember each message's configuration set and tags (moto
  drops them), and, like SES's mailbox simulator, answers a message to ``bounce@simulator.amazonses.com``
  with a permanent bounce and one to ``complaint@simulator.amazonses.com`` with a complaint, published to
  the topic of the configuration set's event destination (created from ``template.yaml`` by the local
  stack);
* :func:`publish` does the same for any message already sent (``POST /_local/ses-events``), so a bounce or
  complaint can be rehearsed for a real customer's email from the outbox.

The notification follows the shapes of SES's event publishing (Amazon SES Developer Guide, "Contents of
event data that Amazon SES publishes to Amazon SNS").
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_ACCOUNT_ID = "123456789012"
SIMULATOR_DOMAIN = "simulator.amazonses.com"
KINDS = ("bounce", "transient-bounce", "complaint")

_LOCK = threading.Lock()
_INSTALLED = False


@dataclass(frozen=True)
class SentMail:
    message_id: str
    account_id: str
    region: str
    source: str
    destinations: tuple[str, ...]
    configuration_set: str | None
    tags: dict[str, str] = field(default_factory=dict)
    sent_at: str = ""


_SENT: dict[str, SentMail] = {}


class NoSuchMessage(LookupError):
    pass


class NoEventDestination(LookupError):
    pass


def install() -> None:
    """Remember what each ``SendRawEmail`` carried; publish the simulator's events (idempotent)."""
    global _INSTALLED  # noqa: PLW0603
    with _LOCK:
        if _INSTALLED:
            return
        _INSTALLED = True
    from moto.ses.responses import EmailResponse

    send_raw_email = EmailResponse.send_raw_email

    @functools.wraps(send_raw_email)
    def remembered(self: Any) -> Any:
        result = send_raw_email(self)
        message_id = _message_id(result)
        if message_id:
            tags = {str(t.get("Name")): str(t.get("Value")) for t in self._get_param("Tags", []) or []}
            sent = SentMail(
                message_id=message_id,
                account_id=str(self.current_account),
                region=str(self.region),
                source=str(self._get_param("Source") or ""),
                destinations=tuple(str(d) for d in self._get_param("Destinations", []) or []),
                configuration_set=self._get_param("ConfigurationSetName"),
                tags=tags,
                sent_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            )
            with _LOCK:
                _SENT[message_id] = sent
            kind = simulated(sent.destinations)
            if kind is not None and sent.configuration_set:
                # A configuration set without an SNS destination for this event: SES publishes nothing.
                with contextlib.suppress(NoEventDestination):
                    publish(message_id, kind)
        return result

    EmailResponse.send_raw_email = remembered  # type: ignore[method-assign]


def _message_id(result: Any) -> str | None:
    body = getattr(result, "result", None)
    if isinstance(body, dict) and body.get("MessageId"):
        return str(body["MessageId"])
    return None


def simulated(destinations: tuple[str, ...] | list[str]) -> str | None:
    """The event SES's mailbox simulator answers for these recipients (``bounce@``, ``complaint@``), if any."""
    for destination in destinations:
        local, _, domain = destination.strip().strip("<>").rpartition("@")
        if domain.lower() != SIMULATOR_DOMAIN:
            continue
        box = local.lower().split("+", 1)[0]  # the simulator ignores labels: bounce+anything@...
        if box == "bounce":
            return "bounce"
        if box == "complaint":
            return "complaint"
    return None


def sent(message_id: str) -> SentMail:
    with _LOCK:
        found = _SENT.get(message_id)
    if found is None:
        raise NoSuchMessage(message_id)
    return found


def notification(mail: SentMail, kind: str) -> dict[str, Any]:
    """The JSON SES publishes to SNS for ``kind`` (``bounce``, ``transient-bounce``, ``complaint``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(KINDS)}")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    feedback_id = f"{uuid.uuid4().hex}-000000"
    tags: dict[str, list[str]] = {
        "ses:operation": ["SendRawEmail"],
        "ses:source-ip": ["127.0.0.1"],
        "ses:from-domain": [mail.source.rpartition("@")[2].rstrip(">")],
        "ses:caller-identity": ["local"],
    }
    if mail.configuration_set:
        tags["ses:configuration-set"] = [mail.configuration_set]
    tags.update({name: [value] for name, value in mail.tags.items()})
    document: dict[str, Any] = {
        "mail": {
            "timestamp": mail.sent_at or now,
            "source": mail.source,
            "sourceArn": f"arn:aws:ses:{mail.region}:{mail.account_id}:identity/{mail.source.rpartition('@')[2]}",
            "sendingAccountId": mail.account_id,
            "messageId": mail.message_id,
            "destination": list(mail.destinations),
            "headersTruncated": False,
            "tags": tags,
        }
    }
    recipients = [{"emailAddress": address} for address in mail.destinations]
    if kind == "complaint":
        document["eventType"] = "Complaint"
        document["complaint"] = {
            "feedbackId": feedback_id,
            "complaintSubType": None,
            "complainedRecipients": recipients,
            "timestamp": now,
            "userAgent": "Local rehearsal",
            "complaintFeedbackType": "abuse",
            "arrivalDate": now,
        }
    else:
        permanent = kind == "bounce"
        document["eventType"] = "Bounce"
        document["bounce"] = {
            "feedbackId": feedback_id,
            "bounceType": "Permanent" if permanent else "Transient",
            "bounceSubType": "General" if permanent else "MailboxFull",
            "bouncedRecipients": [
                {
                    **recipient,
                    "action": "failed",
                    "status": "5.1.1" if permanent else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown" if permanent else "smtp; 452 4.2.2 mailbox full",
                }
                for recipient in recipients
            ],
            "timestamp": now,
            "reportingMTA": "dsn; local.amazonses.com",
        }
    return document


def event_topic(mail: SentMail, kind: str) -> str:
    """The SNS topic of the configuration set's event destination that matches ``kind``."""
    from moto.ses.models import ses_backends

    if not mail.configuration_set:
        raise NoEventDestination("the message was sent without a configuration set")
    backend = ses_backends[mail.account_id][mail.region]
    destination = backend.config_set_event_destination.get(mail.configuration_set) or {}
    wanted = "complaint" if kind == "complaint" else "bounce"
    types = [str(t).lower() for t in destination.get("MatchingEventTypes") or []]
    topic = (destination.get("SNSDestination") or destination.get("SnsDestination") or {}).get("TopicARN")
    if not topic or wanted not in types or str(destination.get("Enabled", "true")).lower() == "false":
        raise NoEventDestination(f"{mail.configuration_set} publishes no {wanted} events to SNS")
    return str(topic)


def publish(message_id: str, kind: str) -> dict[str, Any]:
    """Publish ``kind`` for a sent message, as SES would; the notification that was published."""
    from moto.sns.models import sns_backends

    mail = sent(message_id)
    document = notification(mail, kind)
    topic = event_topic(mail, kind)
    sns_backends[mail.account_id][mail.region].publish(json.dumps(document), arn=topic)
    return document
