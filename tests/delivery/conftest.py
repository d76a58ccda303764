"""Delivery test helpers: customers made through the customer service, and a controllable SES."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from clientele.customers.service import CustomerDraft
from clientele.customers.wiring import customer_service
from clientele.kernel.permissions import Principal, Role
from clientele.messaging.wiring import delivery_service

DRAIN_SECONDS = 60  # a busy test worker may have many messages queued by earlier tests


def owner(merchant: dict[str, Any]) -> Principal:
    return Principal(merchant_id=merchant["merchant_id"], key_id="test", role=Role.OWNER, terms_accepted=True)


def new_customer(merchant: dict[str, Any], *, email: bool = True, **fields: Any) -> Any:
    draft = CustomerDraft(
        given_name=fields.pop("given_name", "Ana"),
        email=f"c.{uuid.uuid4().hex[:10]}@example.net" if email else None,
        **fields,
    )
    return customer_service().create(owner(merchant), draft)


def queue_url(stack: Any, logical_id: str = "DeliveryQueue") -> str:
    return str(stack.info.queues[logical_id].url)


def peek(stack: Any, logical_id: str = "DeliveryQueue") -> list[dict[str, Any]]:
    """The bodies of the messages waiting in a queue, left in it."""
    from clientele.platform.aws import client

    sqs = client("sqs")
    response = sqs.receive_message(QueueUrl=queue_url(stack, logical_id), MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def sent_to(stack: Any, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if m["to"].lower() == address.lower()]


class FakeSes:
    """Answers ``send_raw_email`` with the given errors first, then hands over to the real (moto) SES."""

    def __init__(self, errors: list[str], real: Any) -> None:
        self.errors = list(errors)
        self.real = real
        self.calls = 0

    def send_raw_email(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.errors:
            code = self.errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": "simulated"}}, "SendRawEmail")
        return self.real.send_raw_email(**kwargs)


@pytest.fixture
def ses_failing(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``ses_failing(["Throttling", ...])``: SES answers these errors before sending; backoff takes no time.

    Messages other tests left in the queue are delivered first, so the errors go to this test's message.
    """
    import clientele.platform.mail as mail
    from clientele.platform.aws import client

    stack.pollers.drain(timeout=DRAIN_SECONDS)
    real = client("ses")
    fakes: list[FakeSes] = []

    def install(errors: list[str]) -> FakeSes:
        fake = FakeSes(errors, real)
        fakes.append(fake)
        monkeypatch.setattr(mail, "client", lambda service: fake if service == "ses" else client(service))
        return fake

    monkeypatch.setattr(delivery_service().mailer, "sleep", lambda seconds: None)
    yield install
