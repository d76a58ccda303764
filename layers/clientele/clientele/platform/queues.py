"""Sending messages to SQS queues. Bodies carry IDs only, never personal data."""

from __future__ import annotations

import json
from typing import Any

from clientele.platform.aws import client


class Queue:
    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, body: dict[str, Any]) -> None:
        if not self.url:
            raise RuntimeError("the queue URL is not configured")
        client("sqs").send_message(QueueUrl=self.url, MessageBody=json.dumps(body, separators=(",", ":")))
