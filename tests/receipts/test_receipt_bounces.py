"""A receipt that bounces: its status says so, and the next email receipt to that address is refused at once."""

from __future__ import annotations

from typing import Any

from infra.local import ses_events
from tests.receipts.conftest import Shop, new_shopper, sale_for


def _bounce_the_receipt(stack: Any, shop: Shop, event: str = "bounce") -> dict[str, Any]:
    assert shop.ask("email").status == 202
    stack.drain()
    [sent] = shop.receipts()
    assert sent["status"] == "sent"
    from clientele.messaging.wiring import deliveries

    record = deliveries().get(shop.merchant["merchant_id"], shop.customer["id"], sent["id"])
    ses_events.publish(record.provider_message_id, event)
    stack.drain()
    return dict(sent)


def _emails_to(stack: Any, address: str) -> int:
    return sum(1 for m in stack.outbox() if m["channel"] == "email" and m["to"].lower() == address.lower())


def test_a_bounced_receipt_shows_bounced_with_its_code(stack: Any, shop: Shop) -> None:
    sent = _bounce_the_receipt(stack, shop)

    [bounced] = shop.receipts()
    assert bounced["id"] == sent["id"]
    assert bounced["status"] == "bounced" and bounced["error"] == "BOUNCE_PERMANENT_GENERAL"
    assert bounced["sent_at"] == sent["sent_at"]


def test_a_complained_receipt_shows_complained(stack: Any, shop: Shop) -> None:
    _bounce_the_receipt(stack, shop, "complaint")
    [complained] = shop.receipts()
    assert complained["status"] == "complained" and complained["error"] == "COMPLAINT_ABUSE"


def test_the_next_email_receipt_to_a_suppressed_address_is_refused_and_never_reaches_ses(
    stack: Any, shop: Shop
) -> None:
    _bounce_the_receipt(stack, shop)
    mailed = _emails_to(stack, shop.customer["email"])
    other_sale = sale_for(shop.client, shop.customer["id"])

    refused = shop.ask("email", sale_id=other_sale["id"])

    assert refused.status == 422, refused.text
    assert refused.error_codes() == ["CUSTOMER_EMAIL_SUPPRESSED"]
    assert refused.json()["errors"][0]["field"] == "channel"
    assert shop.customer["email"] not in refused.text
    stack.drain()
    assert shop.receipts(other_sale["id"]) == []
    assert _emails_to(stack, shop.customer["email"]) == mailed == 1
    # A text message still goes.
    assert shop.ask("sms", sale_id=other_sale["id"]).status == 202
    stack.drain()
    assert [d["status"] for d in shop.receipts(other_sale["id"])] == ["sent"]


def test_a_transient_bounce_does_not_stop_the_next_receipt(stack: Any, shop: Shop) -> None:
    _bounce_the_receipt(stack, shop, "transient-bounce")
    assert shop.ask("email").status == 202
    stack.drain()
    assert sorted(d["status"] for d in shop.receipts()) == ["bounced", "sent"]


def test_another_customer_of_the_shop_is_unaffected(stack: Any, shop: Shop) -> None:
    _bounce_the_receipt(stack, shop)
    neighbour = new_shopper(shop.client)
    sale = sale_for(shop.client, neighbour["id"])
    assert shop.ask("email", sale_id=sale["id"]).status == 202
    stack.drain()
    assert [d["status"] for d in shop.receipts(sale["id"])] == ["sent"]
