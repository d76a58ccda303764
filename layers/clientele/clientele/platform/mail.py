"""Sending email through SES as raw MIME (HTML and text parts, RFC 8058 unsubscribe headers), with the
stack's configuration set (its bounces and complaints come back through SNS) and IDs-only message tags.

SES throttling is retried here with exponential backoff and jitter; what still fails is
classified as permanent (this message will never go: rejected) or transient (try again later).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from clientele.kernel.clock import utcnow
from clientele.platform.aws import client
from clientele.platform.config import MailSettings, settings

_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException"}
_PERMANENT = {"MessageRejected", "InvalidParameterValue", "MailFromDomainNotVerifiedException"}


class SendFailed(Exception):
    def __init__(self, code: str, *, permanent: bool) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    sender_name: str
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # SES message tags (letters, digits, "_" and "-" only): IDs that tie SES's events back to the message.
    tags: dict[str, str] = field(default_factory=dict)


def _clean(value: str) -> str:
    """Header text without control characters (a name can never inject a header)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _header_safe(value: str) -> bool:
    return not any(ch in value for ch in "\r\n\x00")


def build_mime(email: OutgoingEmail, sender_address: str) -> bytes:
    """The raw message; :class:`SendFailed` (permanent, ``INVALID_HEADER``) when an address or a header
    value could inject a header or cannot be written at all: such a message would never go."""
    if not all(_header_safe(v) for v in (email.to, email.reply_to or "", *email.headers.values(), *email.headers)):
        raise SendFailed("INVALID_HEADER", permanent=True)
    try:
        return _mime(email, sender_address)
    except (ValueError, TypeError, IndexError) as exc:
        raise SendFailed("INVALID_HEADER", permanent=True) from exc


def _mime(email: OutgoingEmail, sender_address: str) -> bytes:
    message = EmailMessage()
    local, _, domain = sender_address.partition("@")
    message["From"] = Address(display_name=_clean(email.sender_name)[:70], username=local, domain=domain)
    message["To"] = email.to
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = _clean(email.subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain or None)
    message["MIME-Version"] = "1.0"
    for name, value in email.headers.items():
        message[name] = _clean(value)
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    return message.as_bytes()


class Mailer:
    def __init__(
        self,
        sender_address: str,
        *,
        attempts: int = 4,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        configuration_set: str | None = None,
    ) -> None:
        self.sender_address = sender_address
        # Its event destination publishes bounces and complaints (SES_CONFIGURATION_SET when not given).
        self.configuration_set = (
            configuration_set if configuration_set is not None else settings(MailSettings).ses_configuration_set
        )
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep

    def send(self, email: OutgoingEmail) -> str:
        """Send ``email``; SES's message id, or :class:`SendFailed`."""
        raw = build_mime(email, self.sender_address)
        options: dict[str, Any] = {}
        if self.configuration_set:
            options["ConfigurationSetName"] = self.configuration_set
        if email.tags:
            options["Tags"] = [{"Name": name, "Value": value} for name, value in email.tags.items()]

        def send_once() -> str:
            response = client("ses").send_raw_email(
                Source=self.sender_address, Destinations=[email.to], RawMessage={"Data": raw}, **options
            )
            return str(response["MessageId"])

        return with_backoff(
            send_once,
            attempts=self.attempts,
            base_delay=self.base_delay,
            sleep=self.sleep,
            throttled=_THROTTLED,
            permanent=_PERMANENT,
        )


def with_backoff(
    call: Callable[[], str],
    *,
    attempts: int,
    base_delay: float,
    sleep: Callable[[float], None],
    throttled: set[str],
    permanent: set[str],
) -> str:
    """``call()``, retried with exponential backoff and jitter while the service throttles; what still fails
    becomes :class:`SendFailed`, permanent for the error codes in ``permanent``."""
    code = "Throttling"
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code in throttled and attempt + 1 < attempts:
                sleep(base_delay * 2**attempt * (1 + random.random()))  # noqa: S311 - jitter
                continue
            raise SendFailed(code, permanent=code in permanent) from exc
        except BotoCoreError as exc:
            raise SendFailed(type(exc).__name__, permanent=False) from exc
    raise SendFailed(code, permanent=False)  # pragma: no cover - the loop always returns or raises
