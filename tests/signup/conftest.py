"""Signup test helpers: open the page of a merchant's signup link, fill it in and send it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.signup import forms

DRAIN_SECONDS = 60  # a busy test worker may have many messages queued by earlier tests


class Shopper:
    """A shopper's phone (or the merchant's handed-over device) on one signup link."""

    def __init__(self, api: Any, signup_url: str, *, ip: str | None = None) -> None:
        self.api = api
        self.path = forms.path_of(signup_url)
        self.ip = ip or f"198.51.100.{uuid.uuid4().int % 250 + 1}"

    def open(self, query: str = "", headers: dict[str, str] | None = None) -> Any:
        path = self.path + (("&" if "?" in self.path else "?") + query if query else "")
        return self.api.get(path, headers=headers, source_ip=self.ip)

    def submit(
        self, fields: dict[str, Any], *, query: str = "", page: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        page = page or self.open(query)
        assert page.status == 200, page.text
        data = {
            "form_token": forms.hidden(page.text, "form_token"),
            "locale": forms.hidden(page.text, "locale"),
            **fields,
        }
        return self.api.post(
            forms.form_action(page.text),
            data=forms.body(data),
            headers={**forms.FORM, **(headers or {})},
            source_ip=self.ip,
        )


def unique_email(tag: str = "shopper") -> str:
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.net"


@pytest.fixture
def shopper(api: Any, merchant: dict[str, Any]) -> Shopper:
    return Shopper(api, merchant["signup_url"])


@pytest.fixture
def fresh_limits() -> Iterator[None]:
    """Restore the signup service's rate limits after a test that lowers them."""
    from clientele.signup.wiring import signup_service

    service = signup_service()
    before = service.limits
    yield
    service.limits = before


def record_sale(client: Any, *, key: str = "") -> str | None:
    """Record a purchase through the sales API; None while sales do not exist yet."""
    site_id = client.get("/v1/sites").json()["items"][0]["id"]
    lines = [
        {
            "description": "Latte",
            "quantity": 2,
            "unit_price": {"amount": 400, "currency": "EUR"},
            "total": {"amount": 800, "currency": "EUR"},
        },
        {
            "description": "Carrot cake",
            "quantity": 1,
            "unit_price": {"amount": 450, "currency": "EUR"},
            "total": {"amount": 450, "currency": "EUR"},
        },
    ]
    response = client.post(
        "/v1/sales",
        {"site_id": site_id, "type": "purchase", "lines": lines, "total": {"amount": 1250, "currency": "EUR"}},
        headers={"idempotency-key": key or uuid.uuid4().hex},
    )
    if response.status == 404:
        return None
    assert response.status == 201, response.text
    return str(response.json()["id"])
