"""A sale-bound signup QR code hands the sale to its first signer only: the next person in the queue,
signing up through the same code, gets a welcome without anyone's receipt."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.signup.conftest import Shopper, unique_email


def test_only_the_customer_the_sale_was_attached_to_gets_it_in_the_welcome(
    stack: Stack, client: ApiClient, merchant: dict[str, Any]
) -> None:
    line = {"description": "Pistachio eclair", "quantity": 1, "unit_price": {"amount": 640, "currency": "EUR"},
            "total": {"amount": 640, "currency": "EUR"}}  # fmt: skip
    sale = client.post(
        "/v1/sales",
        {"type": "purchase", "total": {"amount": 640, "currency": "EUR"}, "lines": [line]},
        headers={"Idempotency-Key": "bound-qr"},
    ).json()
    link = client.get("/v1/signup-qr", params={"sale_id": sale["id"]}).headers["link"].split(";")[0].strip("<>")
    first, second = unique_email("first"), unique_email("second")
    for email in (first, second):
        shopper = Shopper(client.as_key(None), link)
        assert shopper.submit({"given_name": "Queue", "email": email, "consent": "yes"}).status == 303
    stack.pollers.drain(timeout=90)  # a busy machine: give the retries time
    mails = {m["to"]: m for m in stack.outbox() if m["to"] in (first, second)}
    assert "Pistachio eclair" in mails[first]["text"]
    assert "Pistachio eclair" not in mails[second]["text"] and "Pistachio" not in mails[second]["html"]
    assert "/r/" not in mails[second]["text"]
    (owner,) = client.get("/v1/customers", params={"email": first}).json()["items"]
    assert client.get(f"/v1/sales/{sale['id']}").json()["customer_id"] == owner["id"]
