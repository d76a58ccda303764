"""Builders and the ledger invariant shared by the loyalty tests."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import ApiClient

CAFE = {
    "accrual": "per_amount",
    "points_per_unit": 1,
    "unit_amount": 100,
    "rewards": [
        {"id": "coffee", "name": {"en": "Free coffee", "fr": "Café offert", "nl": "Gratis koffie"}, "points": 50},
        {"id": "cake", "name": {"en": "A cake", "fr": "Un gâteau", "nl": "Een taart"}, "points": 120},
    ],
}


def set_program(client: ApiClient, **changes: Any) -> dict[str, Any]:
    response = client.put("/v1/loyalty/program", {**CAFE, **changes})
    assert response.status == 200, response.text
    return dict(response.json())


def enroll(client: ApiClient, customer_id: str, phone: str = "+31 6 12345678") -> dict[str, Any]:
    response = client.post(f"/v1/customers/{customer_id}/loyalty", {"phone": phone})
    assert response.status == 201, response.text
    return dict(response.json())


def account(client: ApiClient, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer_id}/loyalty")
    assert response.status == 200, response.text
    return dict(response.json())


def ledger(client: ApiClient, customer_id: str) -> list[dict[str, Any]]:
    """Every event, newest first, page by page."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"/v1/customers/{customer_id}/loyalty/events", params=params)
        assert page.status == 200, page.text
        events += page.json()["items"]
        cursor = page.json().get("cursor")
        if not cursor:
            return events


def assert_ledger_adds_up(client: ApiClient, customer_id: str, *, chain: bool = True) -> dict[str, Any]:
    """The invariant: the balance is the ledger's sum; with ``chain``, each event's ``balance_after`` is the sum
    of the ledger up to it (changes made one after another, so time order is commit order)."""
    held = account(client, customer_id)
    events = ledger(client, customer_id)
    assert sum(e["points"] for e in events) == held["balance"], (held, events)
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)  # newest first
    if chain:
        running = 0
        for event in reversed(events):
            running += event["points"]
            assert event["balance_after"] == running, events
    return held


def adjust(client: ApiClient, customer_id: str, points: Any, reason: Any = "birthday", key: str | None = None) -> Any:
    return client.post(
        f"/v1/customers/{customer_id}/loyalty/adjustments",
        {"points": points, "reason": reason},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def redeem(client: ApiClient, customer_id: str, reward_id: str, key: str | None = None) -> Any:
    return client.post(
        f"/v1/customers/{customer_id}/loyalty/redemptions",
        {"reward_id": reward_id},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )
