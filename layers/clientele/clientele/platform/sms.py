"""Text messages through SNS (``Publish`` to a phone number), with backoff when SNS throttles."""

from __future__ import annotations

import time
from collections.abc import Callable

from clientele.platform.aws import client
from clientele.platform.mail import with_backoff

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

        def send_once() -> str:
            response = client("sns").publish(PhoneNumber=phone_e164, Message=text, MessageAttributes=attributes)
            return str(response["MessageId"])

        return with_backoff(
            send_once,
            attempts=self.attempts,
            base_delay=self.base_delay,
            sleep=self.sleep,
            throttled=_THROTTLED,
            permanent=_PERMANENT,
        )
