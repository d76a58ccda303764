"""Every email and SMS the functions sent, read from moto's SES and SNS emulations.

Nothing is delivered locally: moto's SES keeps each ``SendEmail`` / ``SendRawEmail`` (v1 and v2) and moto's
SNS each ``Publish`` to a phone number. The local stack runs moto in this process (``ThreadedMotoServer``,
or ``mock_aws`` in tests), so the outbox reads those backends directly rather than through an API; moto
has no API that returns sent messages.

moto does not record when a message was sent, and the outbox lists newest first across email and SMS, so
:func:`install_clock` wraps the backends' send methods to stamp each message as it is accepted. Messages
sent before it was installed are listed last, in the order moto kept them.

moto keeps every message forever; a local stack that runs all day would hold every email it ever sent. The
outbox keeps the newest :data:`OUTBOX_LIMIT` messages of each backend (``OUTBOX_LIMIT`` in the environment,
default 500) and forgets older ones, with their stamps, as new ones arrive.

Raw MIME messages are parsed with the standard ``email`` package, so ``text``, ``html`` and ``headers``
(``List-Unsubscribe`` included) are exactly what was sent. A "simple" (non-raw) message keeps a single
body in moto, the HTML one when both were given.
"""

from __future__ import annotations

import email
import email.policy
import functools
import itertools
import os
import re
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

from infra.local.emulator import EMULATOR_LOCK

DEFAULT_ACCOUNT_ID = "123456789012"

_STAMPS: dict[str, tuple[datetime, int]] = {}
_SEQUENCE = itertools.count()
_STAMP_LOCK = threading.Lock()
_INSTALLED = False


def _limit() -> int:
    try:
        return max(1, int(os.environ.get("OUTBOX_LIMIT", "500")))
    except ValueError:
        return 500


OUTBOX_LIMIT = _limit()


def _stamp(message_id: str) -> None:
    with _STAMP_LOCK:
        _STAMPS[message_id] = (datetime.now(UTC), next(_SEQUENCE))


def _forget(message_ids: list[str]) -> None:
    with _STAMP_LOCK:
        for message_id in message_ids:
            _STAMPS.pop(message_id, None)


def _trim_ses(backend: Any) -> None:
    """Keep the newest OUTBOX_LIMIT messages moto's SES recorded (called with the emulator's lock held)."""
    excess = len(backend.sent_messages) - OUTBOX_LIMIT
    if excess > 0:
        dropped = backend.sent_messages[:excess]
        del backend.sent_messages[:excess]
        _forget([str(getattr(message, "id", "")) for message in dropped])


def _trim_sns(backend: Any) -> None:
    excess = len(backend.sms_messages) - OUTBOX_LIMIT
    if excess > 0:
        dropped = list(backend.sms_messages)[:excess]
        for message_id in dropped:
            backend.sms_messages.pop(message_id, None)
            backend.sms_message_objects.pop(message_id, None)
        _forget([str(message_id) for message_id in dropped])


def install_clock() -> None:
    """Stamp every message moto's SES and SNS accept from now on (idempotent)."""
    global _INSTALLED  # noqa: PLW0603
    with _STAMP_LOCK:
        if _INSTALLED:
            return
        _INSTALLED = True
    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    def stamped_ses(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            message = method(self, *args, **kwargs)
            for message_id in getattr(message, "ids", None) or [getattr(message, "id", None)]:
                if message_id:
                    _stamp(str(message_id))
            _trim_ses(self)
            return message

        return wrapper

    for name in ("send_email", "send_raw_email", "send_templated_email", "send_bulk_templated_email"):
        setattr(SESBackend, name, stamped_ses(getattr(SESBackend, name)))

    publish = SNSBackend.publish

    @functools.wraps(publish)
    def stamped_publish(self: Any, *args: Any, **kwargs: Any) -> str:
        message_id = publish(self, *args, **kwargs)
        _stamp(str(message_id))
        _trim_sns(self)
        return message_id

    SNSBackend.publish = stamped_publish  # type: ignore[method-assign]


# ----------------------------------------------------------------------------------------------- parsing

_URL = re.compile(r"https?://[^\s<>\"')\]]+")


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value:
                    self.links.append(value.strip())


def extract_links(text: str | None, html: str | None) -> list[str]:
    """Links of the HTML part (``<a href>``) and the URLs of the text part, each once, in order."""
    found: list[str] = []
    if html:
        parser = _LinkParser()
        parser.feed(html)
        found.extend(parser.links)
    if text:
        found.extend(match.group(0).rstrip(".,;:!?") for match in _URL.finditer(text))
    return list(dict.fromkeys(found))


def _addresses(values: list[str]) -> list[str]:
    return [address for _, address in getaddresses(values) if address]


def _looks_like_html(body: str) -> bool:
    return bool(re.search(r"<(html|body|p|div|a|table|br)\b", body, re.IGNORECASE))


def parse_raw(raw: str | bytes) -> dict[str, Any]:
    """subject, from, to, text, html and headers of a raw MIME message."""
    # moto keeps the raw message as text decoded from UTF-8; parsing bytes (as SES does) keeps 8-bit parts
    # intact, where the parser of str would turn "€" into "\u20ac".
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else str(value)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return {
        "subject": str(message.get("Subject", "")) or None,
        "from": ", ".join(_addresses([str(message.get("From", ""))])) or None,
        "to": _addresses([str(value) for key in ("To", "Cc") for value in message.get_all(key, [])]),
        "text": text_part.get_content() if text_part is not None else None,
        "html": html_part.get_content() if html_part is not None else None,
        "headers": headers,
    }


# ----------------------------------------------------------------------------------------------- the outbox


class Outbox:
    """What moto's SES and SNS recorded for one account, newest first."""

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID, region: str | None = None) -> None:
        self.account_id = account_id
        self.region = region  # None: every region that was used
        install_clock()

    def messages(self) -> list[dict[str, Any]]:
        """Every email and SMS, newest first, as dicts with id, channel, to, subject, text, html, links,
        headers and sent_at (RFC 3339, or None when sent before the outbox was installed)."""
        found: list[tuple[tuple[int, datetime, int], dict[str, Any]]] = []
        position = itertools.count()
        with EMULATOR_LOCK:  # moto's backends change under other threads' requests
            sent = [*self._emails(), *self._sms()]
        for item in sent:
            stamp = _STAMPS.get(item["id"])
            if stamp is None:
                order = (0, datetime.min.replace(tzinfo=UTC), next(position))
                item["sent_at"] = None
            else:
                order = (1, stamp[0], stamp[1])
                item["sent_at"] = stamp[0].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            found.append((order, item))
        found.sort(key=lambda pair: pair[0], reverse=True)
        return [item for _, item in found]

    def emails(self, to: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m["channel"] == "email" and _sent_to(m, to)]

    def sms(self, to: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m["channel"] == "sms" and _sent_to(m, to)]

    def clear(self) -> None:
        """Forget every message sent so far (tests that share one stack start from an empty outbox)."""
        with EMULATOR_LOCK:
            for backend in self._backends("ses"):
                backend.sent_messages.clear()
            for backend in self._backends("sns"):
                backend.sms_messages.clear()
                backend.sms_message_objects.clear()

    # -- reading moto

    def _backends(self, service: str) -> list[Any]:
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        backends: Any = ses_backends if service == "ses" else sns_backends
        # Only the accounts and regions that were used exist; indexing would create the others.
        account = dict.get(backends, self.account_id)
        if account is None:
            return []
        return [backend for region, backend in dict.items(account) if self.region in (None, region)]

    def _emails(self) -> list[dict[str, Any]]:
        from moto.ses.models import Message, RawMessage, TemplateMessage

        items: list[dict[str, Any]] = []
        for backend in self._backends("ses"):
            for message in list(backend.sent_messages):
                if isinstance(message, RawMessage):
                    parsed = parse_raw(message.raw_data)
                    recipients = parsed["to"] or _addresses(list(message.destinations))
                    item = {**parsed, "to": recipients, "id": message.id}
                    item["from"] = item["from"] or message.source
                elif isinstance(message, Message):
                    body = message.body or ""
                    html = body if _looks_like_html(body) else None
                    item = {
                        "id": message.id,
                        "from": message.source,
                        "to": _addresses(
                            [*message.destinations.get("ToAddresses", []), *message.destinations.get("CcAddresses", [])]
                        ),
                        "subject": message.subject,
                        "text": None if html else body,
                        "html": html,
                        "headers": {},
                    }
                elif isinstance(message, TemplateMessage):
                    item = {
                        "id": message.id,
                        "from": message.source,
                        "to": _addresses(list((message.destinations or {}).get("ToAddresses", []))),
                        "subject": f"(template {message.template})",
                        "text": message.template_data,
                        "html": None,
                        "headers": {},
                    }
                else:
                    continue  # bulk templated messages: not used by Clientele
                item["channel"] = "email"
                item["to"] = ", ".join(item["to"])
                item["links"] = extract_links(item["text"], item["html"])
                items.append(item)
        return items

    def _sms(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for backend in self._backends("sns"):
            for message_id, (phone_number, text) in list(backend.sms_messages.items()):
                items.append(
                    {
                        "id": message_id,
                        "channel": "sms",
                        "from": None,
                        "to": phone_number,
                        "subject": None,
                        "text": text,
                        "html": None,
                        "links": extract_links(text, None),
                        "headers": {},
                    }
                )
        return items


def _sent_to(message: dict[str, Any], to: str | None) -> bool:
    if to is None:
        return True
    return to.lower() in [part.strip().lower() for part in str(message["to"]).split(",")]


def messages(region: str | None = None, account_id: str = DEFAULT_ACCOUNT_ID) -> list[dict[str, Any]]:
    """Shortcut for ``Outbox(account_id, region).messages()``."""
    return Outbox(account_id, region).messages()
