"""Helpers of the membership tests: a type, a customer, an enrolment, a site's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import ApiClient

ZONE = "Europe/Amsterdam"  # the test merchants' site


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


def local_noon(day: date) -> datetime:
    """An instant on ``day`` at the site (noon, far from either midnight)."""
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def make_type(client: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Monthly unlimited", "rate": {"amount": 3900, "currency": "EUR"}, "billing_period": "monthly"}
    body.update(fields)
    response = client.post("/v1/membership-types", body)
    assert response.status == 201, response.text
    return response.json()


def make_customer(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", {"given_name": "Ana", **fields})
    assert response.status == 201, response.text
    return response.json()


def enrol(client: ApiClient, type_id: str, customer_id: str | None = None, **fields: Any) -> dict[str, Any]:
    customer_id = customer_id or make_customer(client)["id"]
    body: dict[str, Any] = {"type_id": type_id, "payment_method": "manual"}
    body.update({k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()})
    response = client.post(f"/v1/customers/{customer_id}/memberships", body)
    assert response.status == 201, response.text
    return response.json()


def days(n: int) -> timedelta:
    return timedelta(days=n)


def run_site(stack: Any, merchant_id: str, site_id: str, when: datetime) -> dict[str, Any]:
    """One site's dues run at ``when``, through the dues function (its configuration and IAM policy)."""
    from clientele.kernel import clock

    event = {"time": clock.isoformat(when), "merchant_id": merchant_id, "site_id": site_id}
    return dict(stack.runtime.invoke("MembershipDuesFunction", event))
