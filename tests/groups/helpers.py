"""Builders shared by the groups' tests: sales on fixed days, the daily run on a given moment."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import frozen_time, record, sale_body

REGULARS = "grp_regulars"
LAPSED = "grp_lapsed"
REACHABLE = "grp_reachable"
INSTANT = "grp_instant_profiles"
ALL = "grp_all"


def sale_on(
    stack: Stack, client: ApiClient, monkeypatch: Any, moment: str, customer: str, amount: int = 450, **extra: Any
) -> dict[str, Any]:
    """Record a sale at ``moment`` (RFC 3339) and let the groups' consumer fold it in, at that moment."""
    with frozen_time(monkeypatch, moment):
        sale = record(client, sale_body(amount, customer_id=customer, **extra))
        stack.drain()
    return sale


def run_day(stack: Stack, moment: str) -> Any:
    """The groups' schedule, as ``POST /_local/schedules/GroupsDaily`` runs it, pretending it is ``moment``."""
    from clientele.kernel import clock
    from infra.local.scheduler import Scheduler

    return Scheduler(stack.runtime).run("GroupsDaily", clock.parse(moment))


def groups_of(client: ApiClient, customer: str, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get(f"/v1/customers/{customer}/groups", params=params or None)
    assert response.status == 200, response.text
    return {g["group_id"]: g for g in response.json()["items"]}


def counts(client: ApiClient) -> dict[str, int]:
    response = client.get("/v1/groups")
    assert response.status == 200, response.text
    return {g["id"]: g["member_count"] for g in response.json()["items"]}


def members(client: ApiClient, group: str) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        response = client.get(
            f"/v1/groups/{group}/customers", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status == 200, response.text
        found += [m["customer_id"] for m in response.json()["items"]]
        cursor = response.json().get("cursor")
        if not cursor:
            return found
