"""The merchant's contact email is validated (it becomes every email's Reply-To); a header value that
could inject a header fails the delivery for good; and whatever fails a delivery at its last receive
leaves it `failed` with a reason, never `queued` forever."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.receipts.conftest import Shop


@pytest.mark.parametrize(
    "address",
    [
        "shop@example.com\r\nBcc: victim@example.net",
        "shop@example.com\nX-Injected: 1",
        "shop@example.com\x00",
        "not an address",
        "shop@",
    ],
)
def test_the_contact_email_must_be_one_valid_address(client: ApiClient, address: str) -> None:
    version = client.get("/v1/settings").json()["version"]
    refused = client.patch("/v1/settings", {"version": version, "contact_email": address})
    assert refused.status == 422 and refused.json()["errors"][0]["field"] == "contact_email", refused.text
    assert client.get("/v1/settings").json()["version"] == version


def test_a_valid_contact_email_is_kept(client: ApiClient) -> None:
    version = client.get("/v1/settings").json()["version"]
    saved = client.patch("/v1/settings", {"version": version, "contact_email": "Hello@Example.COM"})
    assert saved.status == 200 and saved.json()["contact_email"] == "Hello@example.com"


def test_a_stored_header_injection_fails_the_delivery_with_a_reason(stack: Stack, shop: Shop) -> None:
    from clientele.account.wiring import merchants

    repository = merchants()
    merchant = repository.get(shop.merchant["merchant_id"])
    # An address stored before it was validated.
    repository.save(
        merchant.model_copy(update={"contact_email": "shop@example.com\r\nBcc: x@example.net",
                                    "version": merchant.version + 1}),
        merchant.version,
    )  # fmt: skip
    assert shop.ask("email").status == 202
    stack.pollers.drain(timeout=90)  # a busy machine: give the retries time
    (receipt,) = [d for d in shop.receipts() if d["kind"] == "receipt"]
    assert (receipt["status"], receipt["error"]) == ("failed", "INVALID_HEADER")


def test_an_unexpected_failure_at_the_last_receive_ends_failed(
    stack: Stack, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.messaging.wiring import delivery_service

    def broken(*_: Any, **__: Any) -> str:
        raise RuntimeError("the mail adapter broke")

    monkeypatch.setattr(delivery_service().mailer, "send", broken)
    assert shop.ask("email").status == 202
    stack.pollers.drain(timeout=90)
    (receipt,) = [d for d in shop.receipts() if d["kind"] == "receipt"]
    assert (receipt["status"], receipt["error"]) == ("failed", "SEND_ERROR")
