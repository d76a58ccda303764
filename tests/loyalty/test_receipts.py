"""Receipts of a sale by an enrolled customer show the points it earned and the balance: by email and hosted."""

from __future__ import annotations

import uuid
from typing import Any

from clientele.platform.secrets import link_signer
from tests.conftest import ApiClient
from tests.loyalty.helpers import enroll, set_program
from tests.receipts.conftest import new_shopper, sale_for


def _emails_to(stack: Any, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if m["channel"] == "email" and str(m["to"]).lower() == address.lower()]


def _email_receipt(stack: Any, client: ApiClient, sale_id: str, address: str) -> dict[str, Any]:
    asked = client.post(
        f"/v1/sales/{sale_id}/receipts", {"channel": "email"}, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert asked.status == 202, asked.text
    stack.drain("DeliveryQueue")  # the receipt only: other tests' sales may still be on their way to consumers
    [email] = _emails_to(stack, address)
    return email


def test_the_email_and_hosted_receipts_show_points_and_balance(
    stack: Any, client: ApiClient, merchant: dict[str, Any]
) -> None:
    set_program(client)
    shopper = new_shopper(client)
    enroll(client, shopper["id"], "+31612345678")
    sale = sale_for(client, shopper["id"])  # €17.50
    assert sale["loyalty"] == {"points_earned": 17, "balance": 17}

    email = _email_receipt(stack, client, sale["id"], shopper["email"])
    assert "Loyalty points: +17 (balance 17)" in email["text"]
    assert "Loyalty points: +17 (balance 17)" in email["html"]
    assert email["text"].index("Total:") < email["text"].index("Loyalty points")

    token = link_signer().receipt_token(merchant["merchant_id"], sale["id"])
    page = client.get(f"/r/{token}", key="", headers={"accept-language": "fr"})
    assert page.status == 200 and "Points de fidélité : +17 (solde 17)" in page.text
    page = client.get(f"/r/{token}", key="", headers={"accept-language": "nl"})
    assert "Spaarpunten: +17 (saldo 17)" in page.text

    refund = sale_for(client, shopper["id"], type="refund", refund_of=sale["id"])
    token = link_signer().receipt_token(merchant["merchant_id"], refund["id"])
    assert "Loyalty points: -17 (balance 0)" in client.get(f"/r/{token}", key="").text


def test_receipts_of_customers_without_an_account_have_no_points_line(
    stack: Any, client: ApiClient, merchant: dict[str, Any]
) -> None:
    set_program(client)
    shopper = new_shopper(client)
    sale = sale_for(client, shopper["id"])
    email = _email_receipt(stack, client, sale["id"], shopper["email"])
    assert "Loyalty" not in email["text"] and "Loyalty" not in email["html"]
    token = link_signer().receipt_token(merchant["merchant_id"], sale["id"])
    assert "Loyalty" not in client.get(f"/r/{token}", key="").text
