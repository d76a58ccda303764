"""Builders and tools shared by the sales, insights and receipts tests."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tests.conftest import ApiClient


def money(amount: int, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def sale_body(amount: int = 1250, kind: str = "purchase", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "total": money(amount), **extra}


def card(fingerprint: str | None = None, last4: str = "4242", name: str | None = None) -> dict[str, Any]:
    opaque = uuid.uuid4().hex[:16].translate(str.maketrans("0123456789", "ghijklmnop"))
    body = {"fingerprint": fingerprint or f"fp_{opaque}", "brand": "visa", "last4": last4}
    if name:
        body["cardholder_name"] = name
    return body


def record(client: ApiClient, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    response = client.post("/v1/sales", body, headers=headers)
    assert response.status == 201, response.text
    return response.json()


def new_customer(client: ApiClient, **fields: Any) -> str:
    response = client.post("/v1/customers", {"given_name": "Ana", **fields})
    assert response.status == 201, response.text
    return str(response.json()["id"])


@contextlib.contextmanager
def frozen_time(monkeypatch: Any, moment: str) -> Iterator[None]:
    """Pretend ``now`` is ``moment`` (RFC 3339) for everything that asks the clock."""
    from clientele.kernel import clock

    at = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)
    with monkeypatch.context() as patch:
        patch.setattr(clock, "utcnow", lambda: at)
        yield


@contextlib.contextmanager
def serialised_aws() -> Iterator[None]:
    """Make moto's in-process AWS answer one request at a time, as each DynamoDB request is atomic.

    Moto's backends are not thread-safe (a cancelled transaction restores a whole-table copy); real
    DynamoDB serialises conflicting writes itself. Requests still interleave freely between calls, which
    is what a concurrency test needs.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]
