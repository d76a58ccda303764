"""Digital receipts through the gateway on moto: ask for one, watch it go from queued to sent, read what
the customer got (an email with lines, totals and links, or a short text linking to the hosted receipt)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from clientele.messaging.wiring import delivery_service
from clientele.platform.secrets import link_signer
from clientele.rendering import sms
from tests.conftest import ApiClient
from tests.receipts.conftest import Shop, change_settings, new_shopper, sale_for
from tests.sales.helpers import money, record


def _token(link: str, marker: str) -> str:
    return link.split(marker, 1)[1]


class TestAskingForAReceipt:
    def test_an_email_receipt_is_queued_then_sent(self, stack: Any, shop: Shop) -> None:
        response = shop.ask("email")

        assert response.status == 202, response.text
        delivery = response.json()
        assert delivery["status"] == "queued" and delivery["channel"] == "email" and delivery["kind"] == "receipt"
        assert delivery["customer_id"] == shop.customer["id"]
        assert response.headers["location"] == f"/v1/sales/{shop.sale['id']}/receipts"
        assert [d["status"] for d in shop.receipts()] == ["queued"]

        stack.drain()

        [sent] = shop.receipts()
        assert sent["id"] == delivery["id"] and sent["status"] == "sent" and sent["sent_at"] and sent["attempts"] == 1
        assert len(_to(stack, shop.customer["email"])) == 1

    def test_an_sms_receipt_is_queued_then_sent(self, stack: Any, shop: Shop) -> None:
        response = shop.ask("sms")
        assert response.status == 202, response.text
        stack.drain()
        [sent] = shop.receipts()
        assert sent["status"] == "sent" and sent["channel"] == "sms"
        assert len(_to(stack, shop.customer["phone"])) == 1

    def test_the_same_idempotency_key_answers_the_first_delivery_and_sends_once(self, stack: Any, shop: Shop) -> None:
        key = uuid.uuid4().hex
        first = shop.ask("email", key=key)
        again = shop.ask("email", key=key)

        assert first.status == again.status == 202
        assert again.json()["id"] == first.json()["id"]
        assert again.headers.get("idempotent-replayed") == "true"
        other_body = shop.ask("sms", key=key)
        assert other_body.status == 422 and other_body.error_codes() == ["IDEMPOTENCY_KEY_REUSED"]
        stack.drain()
        assert len(shop.receipts()) == 1
        assert len(_to(stack, shop.customer["email"])) == 1

    def test_the_same_key_for_another_sale_is_refused(self, stack: Any, shop: Shop) -> None:
        key = uuid.uuid4().hex
        assert shop.ask("email", key=key).status == 202
        other = sale_for(shop.client, shop.customer["id"])
        response = shop.ask("email", sale_id=other["id"], key=key)
        assert response.status == 422 and response.error_codes() == ["IDEMPOTENCY_KEY_REUSED"]
        stack.drain()

    def test_without_a_key_each_request_sends_another_receipt(self, stack: Any, shop: Shop) -> None:
        for _ in range(2):
            assert shop.client.post(f"/v1/sales/{shop.sale['id']}/receipts", {"channel": "email"}).status == 202
        stack.drain()
        assert [d["status"] for d in shop.receipts()] == ["sent", "sent"]
        assert len(_to(stack, shop.customer["email"])) == 2

    def test_a_receipt_lists_with_the_welcome_email_that_carried_the_same_sale(self, stack: Any, shop: Shop) -> None:
        delivery_service().enqueue(
            "welcome", shop.merchant["merchant_id"], shop.customer["id"], "email", {"sale_id": shop.sale["id"]}
        )
        assert shop.ask("sms").status == 202
        stack.drain()
        listed = shop.receipts()
        assert sorted((d["kind"], d["channel"], d["status"]) for d in listed) == [
            ("receipt", "sms", "sent"),
            ("welcome", "email", "sent"),
        ]

    def test_the_list_is_paginated(self, stack: Any, shop: Shop) -> None:
        for _ in range(3):
            assert shop.ask("email").status == 202
        first = shop.client.get(f"/v1/sales/{shop.sale['id']}/receipts", params={"limit": 2}).json()
        assert len(first["items"]) == 2 and first["cursor"]
        rest = shop.client.get(
            f"/v1/sales/{shop.sale['id']}/receipts", params={"limit": 2, "cursor": first["cursor"]}
        ).json()
        assert len(rest["items"]) == 1 and rest.get("cursor") is None
        assert len({d["id"] for d in first["items"] + rest["items"]}) == 3
        stack.drain()


class TestRefusals:
    def test_a_sale_without_a_customer(self, stack: Any, client: ApiClient) -> None:
        sale = record(client, {"type": "purchase", "total": money(450)})
        response = client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": "email"})
        assert response.status == 422 and response.error_codes() == ["SALE_WITHOUT_CUSTOMER"]

    def test_a_customer_without_that_address(self, stack: Any, client: ApiClient) -> None:
        no_phone = new_shopper(client, phone=None)
        no_email = new_shopper(client, email=None)
        for customer, channel, code in (
            (no_phone, "sms", "CUSTOMER_WITHOUT_PHONE"),
            (no_email, "email", "CUSTOMER_WITHOUT_EMAIL"),
        ):
            sale = sale_for(client, customer["id"])
            response = client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": channel})
            assert response.status == 422 and response.error_codes() == [code]
            assert response.json()["errors"][0]["field"] == "channel"

    def test_an_erased_customers_sale(self, stack: Any, shop: Shop) -> None:
        assert shop.client.delete(f"/v1/customers/{shop.customer['id']}").status == 204
        response = shop.ask("email")
        assert response.status == 422 and response.error_codes() == ["SALE_WITHOUT_CUSTOMER"]

    def test_a_missing_or_foreign_sale_is_404(self, stack: Any, shop: Shop, api: ApiClient) -> None:
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.post(f"/v1/sales/{shop.sale['id']}/receipts", {"channel": "email"}).status == 404
        assert other.get(f"/v1/sales/{shop.sale['id']}/receipts").status == 404
        assert shop.client.post("/v1/sales/sale_missing/receipts", {"channel": "email"}).status == 404
        assert shop.client.get("/v1/sales/sale_missing/receipts").status == 404

    def test_bad_bodies(self, stack: Any, shop: Shop) -> None:
        path = f"/v1/sales/{shop.sale['id']}/receipts"
        for body in ({"channel": "fax"}, {}, {"channel": "email", "to": "someone@example.com"}):
            assert shop.client.post(path, body).status == 422, body

    def test_permissions(self, stack: Any, shop: Shop, api: ApiClient) -> None:
        staff_key = shop.client.post("/v1/api-keys", {"role": "staff"}).json()["secret"]
        staff = api.as_key(staff_key)
        # Staff record sales, so they may send their receipts; every role reads them.
        assert staff.post(f"/v1/sales/{shop.sale['id']}/receipts", {"channel": "email"}).status == 202
        assert staff.get(f"/v1/sales/{shop.sale['id']}/receipts").status == 200
        assert api.post(f"/v1/sales/{shop.sale['id']}/receipts", {"channel": "email"}).status == 401
        stack.drain()


class TestTheEmail:
    def test_lines_totals_links_and_unsubscribe_headers(self, stack: Any, shop: Shop) -> None:
        change_settings(shop.client, privacy_policy_url="https://shop.example/privacy")
        shop.ask("email")
        stack.drain()
        [email] = _to(stack, shop.customer["email"])

        name = shop.client.get("/v1/settings").json()["business_name"]
        assert email["subject"] == f"Your receipt from {name}"
        assert email["headers"]["From"].startswith(name)
        assert "multipart/alternative" in email["headers"]["Content-Type"]
        for part in (email["text"], email["html"]):
            assert "Thank you, Zoë!" in part
            assert "Flat white" in part and "Croissant aux amandes" in part
            assert "€7.00" in part and "€10.50" in part and "€17.50" in part
        assert "2 x Flat white: €7.00" in email["text"]
        assert "Total: €17.50" in email["text"]
        links = email["links"]
        assert "https://shop.example/privacy" in links
        preferences = next(link for link in links if "/p/" in link)
        erase = next(link for link in links if "/e/" in link)
        online = next(link for link in links if "/r/" in link)
        signer = link_signer()
        mid, cid, sid = shop.merchant["merchant_id"], shop.customer["id"], shop.sale["id"]
        assert signer.verify("preferences", _token(preferences, "/p/"), max_age_seconds=60) == {"m": mid, "c": cid}
        assert signer.verify("erase", _token(erase, "/e/"), max_age_seconds=60) == {"m": mid, "c": cid, "v": "receipt"}
        assert signer.verify("receipt", _token(online, "/r/"), max_age_seconds=60) == {"m": mid, "s": sid}
        # The erase and preferences links close the email, after the receipt.
        text = email["text"]
        assert text.index("Total:") < text.index(preferences) and text.index("Total:") < text.index(erase)
        html = email["html"]
        assert html.index("Croissant") < html.rindex(preferences.replace("&", "&amp;"))
        assert email["headers"]["List-Unsubscribe"].startswith(f"<{preferences}>")
        assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_in_the_customers_language(self, stack: Any, client: ApiClient) -> None:
        for locale, subject, total, thanks in (
            ("fr", "Votre ticket de ", "17,50\u00a0€", "Merci, Zoë !"),
            ("nl", "Je kassabon van ", "€\u00a017,50", "Bedankt, Zoë!"),
        ):
            customer = new_shopper(client, locale=locale)
            sale = sale_for(client, customer["id"])
            assert client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": "email"}).status == 202
            stack.drain()
            [email] = _to(stack, customer["email"])
            assert email["subject"].startswith(subject), email["subject"]
            assert total in email["text"] and thanks in email["text"], email["text"]

    def test_a_refund_paid_by_card(self, stack: Any, client: ApiClient) -> None:
        customer = new_shopper(client)
        card = {"fingerprint": f"fp_{uuid.uuid4().hex[:12]}", "brand": "visa", "last4": "4242"}
        sale = record(client, {"type": "refund", "total": money(700), "customer_id": customer["id"], "card": card})
        assert client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": "email"}).status == 202
        stack.drain()
        [email] = _to(stack, customer["email"])
        assert "Refunded: €7.00" in email["text"] and "Card: VISA ending in 4242" in email["text"]


class TestTheTextMessage:
    def test_a_short_text_with_the_total_and_the_hosted_receipt_link(self, stack: Any, shop: Shop) -> None:
        shop.ask("sms")
        stack.drain()
        [message] = _to(stack, shop.customer["phone"])

        text = message["text"]
        assert text.startswith("Your receipt from Shop ") and "€17.50" in text
        assert sms.is_gsm7(text) and sms.segments(text) <= 2
        link = re.search(r"https?://\S+/r/(\S+)$", text)
        assert link, text
        payload = link_signer().verify("receipt", link.group(1), max_age_seconds=60)
        assert payload == {"m": shop.merchant["merchant_id"], "s": shop.sale["id"]}
        page = shop.client.get(f"/r/{link.group(1)}")
        assert page.status == 200 and "Croissant aux amandes" in page.text
        assert shop.customer["email"] not in text and "Zoë" not in text

    def test_long_and_foreign_merchant_names_still_fit_two_segments(self, stack: Any, client: ApiClient) -> None:
        customer = new_shopper(client, locale="fr")
        sale = sale_for(client, customer["id"])
        for name in (
            "Boulangerie-Pâtisserie Artisanale « Au Bon Croissant Doré » de la Place de l\u2019Hôtel de Ville " * 2,
            "東京カフェ・ロースタリー 本店",
            "Ωmega Çafé ŠŠŠ €€€ [[[ ]]] " * 6,
        ):
            change_settings(client, business_name=name[:100])
            assert client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": "sms"}).status == 202
            stack.drain()
        texts = [m["text"] for m in _to(stack, customer["phone"])]
        assert len(texts) == 3
        for text in texts:
            assert sms.segments(text) <= 2, (len(text), text)
            assert "/r/" in text and "17,50 €" in text


def _to(stack: Any, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if str(m["to"]).lower() == address.lower()]
