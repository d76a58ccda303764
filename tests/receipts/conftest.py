"""Receipt test helpers: a shop with a customer and a sale, receipts asked for through the API, and AWS
clients that throttle their first calls (injected at the client, as SES and SNS would answer)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from clientele.messaging.wiring import delivery_service
from tests.conftest import ApiClient, ApiResponse
from tests.sales.helpers import money, record

LINES = [
    {"description": "Flat white", "quantity": 2, "unit_price": money(350), "total": money(700)},
    {"description": "Croissant aux amandes", "quantity": 1, "unit_price": money(1050), "total": money(1050)},
]


@dataclass
class Shop:
    client: ApiClient
    merchant: dict[str, Any]
    customer: dict[str, Any]
    sale: dict[str, Any]

    def ask(self, channel: str, *, sale_id: str | None = None, key: str | None = None) -> ApiResponse:
        """``POST /v1/sales/{id}/receipts`` with an ``Idempotency-Key``."""
        return self.client.post(
            f"/v1/sales/{sale_id or self.sale['id']}/receipts",
            {"channel": channel},
            headers={"Idempotency-Key": key or uuid.uuid4().hex},
        )

    def receipts(self, sale_id: str | None = None) -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/sales/{sale_id or self.sale['id']}/receipts")
        assert response.status == 200, response.text
        return list(response.json()["items"])


def unique_phone() -> str:
    return f"+3161{uuid.uuid4().int % 10**7:07d}"


def new_shopper(client: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {
        "given_name": "Zoë",
        "email": f"z.{uuid.uuid4().hex[:10]}@example.net",
        "phone": unique_phone(),
        **fields,
    }
    response = client.post("/v1/customers", {k: v for k, v in body.items() if v is not None})
    assert response.status == 201, response.text
    return dict(response.json())


def sale_for(client: ApiClient, customer_id: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "purchase", "total": money(1750), "lines": LINES, **extra}
    if customer_id:
        body["customer_id"] = customer_id
    return record(client, body)


@pytest.fixture
def shop(stack: Any, client: ApiClient, merchant: dict[str, Any]) -> Shop:
    customer = new_shopper(client)
    return Shop(client, merchant, customer, sale_for(client, customer["id"]))


@pytest.fixture
def no_backoff(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttling backoff takes no time (the waits are still asked for)."""
    service = delivery_service()
    monkeypatch.setattr(service.mailer, "sleep", lambda seconds: None)
    monkeypatch.setattr(service.sms, "sleep", lambda seconds: None)


class Throttle:
    """Answers the first ``count`` calls of one operation with a throttling error, before they reach AWS."""

    def __init__(self, service: str, operation: str, code: str, count: int) -> None:
        self.event = f"before-call.{service}.{operation}"
        self.operation = operation
        self.code = code
        self.remaining = count
        self.calls = 0
        self.throttled = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1
        if self.remaining > 0:
            self.remaining -= 1
            self.throttled += 1
            raise ClientError({"Error": {"Code": self.code, "Message": "Rate exceeded"}}, self.operation)


@pytest.fixture
def throttle(stack: Any, no_backoff: None) -> Iterator[Callable[[str, str, str, int], Throttle]]:
    """``throttle("ses", "SendRawEmail", "Throttling", 3)``: hooked on the product's own boto3 client."""
    from clientele.platform.aws import client

    stack.drain()  # messages other tests left on the shared queue must not meet these faults
    hooked: list[tuple[Any, Throttle]] = []

    def install(service: str, operation: str, code: str, count: int) -> Throttle:
        throttled = Throttle(service, operation, code, count)
        aws_client = client(service)
        aws_client.meta.events.register(throttled.event, throttled)
        hooked.append((aws_client, throttled))
        return throttled

    yield install
    for aws_client, throttled in hooked:
        aws_client.meta.events.unregister(throttled.event, throttled)


def change_settings(client: ApiClient, **changes: Any) -> dict[str, Any]:
    version = client.get("/v1/settings").json()["version"]
    response = client.patch("/v1/settings", {"version": version, **changes})
    assert response.status == 200, response.text
    return dict(response.json())
