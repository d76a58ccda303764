"""Publishing events to SNS topics (the fan-out from one context to the queues of its consumers)."""

from __future__ import annotations

from clientele.platform.aws import client


class Topic:
    def __init__(self, arn: str) -> None:
        self.arn = arn

    def publish(self, body: str, *, event_type: str) -> str:
        """Publish ``body`` (IDs only) with its type as a message attribute, for subscription filters."""
        if not self.arn:
            raise RuntimeError("the topic ARN is not configured")
        response = client("sns").publish(
            TopicArn=self.arn,
            Message=body,
            MessageAttributes={"type": {"DataType": "String", "StringValue": event_type}},
        )
        return str(response["MessageId"])
