"""Text messages through SNS (``Publish`` to a phone number), with backoff when SNS throttles."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from clientele.platform.aws import client
from clientele.platform.mail import SendFailed

_THROTTLED = {"Throttled", "Throttling", "ThrottlingException", "TooManyRequestsException"}
_PERMANENT = {"InvalidParameter", "InvalidParameterValue", "OptedOut", "AuthorizationError"}


class SmsSender:
    def __init__(
        self,
        *,
        sender_id: str | None = None,
        attempts: int = 4,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sender_id = sender_id
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep

    def send(self, phone_e164: str, text: str) -> str:
        """Send ``text`` as a transactional SMS; SNS's message id, or :class:`SendFailed`."""
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id[:11]}
        for attempt in range(self.attempts):
            try:
                response = client("sns").publish(PhoneNumber=phone_e164, Message=text, MessageAttributes=attributes)
                return str(response["MessageId"])
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "Unknown")
                if code in _THROTTLED and attempt + 1 < self.attempts:
                    self.sleep(self.base_delay * 2**attempt * (1 + random.random()))  # noqa: S311 - jitter
                    continue
                raise SendFailed(code, permanent=code in _PERMANENT) from exc
            except BotoCoreError as exc:
                raise SendFailed(type(exc).__name__, permanent=False) from exc
        raise SendFailed("Throttled", permanent=False)  # pragma: no cover
