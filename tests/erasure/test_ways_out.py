"""A way out from everything: a shopper who signed up with a phone only gets a text with their link; the
preferences page offers erasure; every hosted page links to the privacy portal and offers the other
languages, dead links included, and a dead erase or preferences link says how to go on."""

from __future__ import annotations

import re
import uuid
from typing import Any

import boto3
import pytest

from clientele.platform.secrets import link_signer
from clientele.rendering import sms
from tests.conftest import ApiClient, Stack
from tests.signup.conftest import Shopper
from tests.signup.forms import FORM, path_of

PORTAL = '<p class="portal"><a href="/privacy?lang='


@pytest.fixture
def visitor(api: ApiClient, merchant: dict[str, Any]) -> Shopper:
    """A shopper on the merchant's signup link."""
    return Shopper(api, merchant["signup_url"])


def _phone() -> str:
    return f"+3161{uuid.uuid4().int % 10**7:07d}"


def _texts_to(stack: Stack, phone: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if m.get("to") == phone]


class TestAPhoneOnlySignup:
    def test_gets_a_welcome_text_whose_link_leads_to_choices_and_erasure(
        self, stack: Stack, api: ApiClient, visitor: Shopper, merchant: dict[str, Any]
    ) -> None:
        phone = _phone()
        response = visitor.submit({"given_name": "Bram", "phone": phone, "consent": "yes"})
        assert response.status == 303
        stack.drain()
        [text] = _texts_to(stack, phone)
        assert text["text"].startswith("Welcome to the customer list of ")
        assert "Bram" not in text["text"]  # a text message holds no name: it may be read on a lock screen
        # Measured: the link alone is about 120 characters locally (190 behind an API Gateway host), more than
        # one segment holds with any words around it, so the welcome takes two segments, never more.
        assert sms.segments(text["text"]) == 2
        [link] = re.findall(r"https?://\S+/p/\S+", text["text"])

        page = api.get(path_of(link))
        assert page.status == 200
        erase = re.search(r'href="[^"]*(/e/[^"?]+)"', page.text)
        assert erase, page.text
        customer_id = link_signer().verify("erase", erase.group(1)[3:])["c"]
        done = api.request("POST", erase.group(1), data="locale=en", headers=FORM)
        assert done.status == 200, done.text
        tombstone = boto3.client("dynamodb").get_item(
            TableName=stack.info.tables["DataTable"],
            Key={
                "PK": {"S": f"MERCHANT#{merchant['merchant_id']}#CUSTOMER#{customer_id}"},
                "SK": {"S": "TOMBSTONE"},
            },
        )["Item"]
        assert tombstone["path"]["S"] == "preferences_link"

    def test_a_signup_with_an_email_gets_no_text(self, stack: Stack, visitor: Shopper) -> None:
        phone = _phone()
        email = f"both.{uuid.uuid4().hex[:8]}@example.net"
        assert visitor.submit({"given_name": "Bo", "phone": phone, "email": email, "consent": "yes"}).status == 303
        stack.drain()
        assert _texts_to(stack, phone) == []
        assert [m["to"] for m in stack.outbox() if m.get("to") == email] == [email]


class TestDeadLinks:
    @pytest.mark.parametrize(("path", "status"), [("/e/forged-token", 404), ("/p/forged-token", 404), ("/e/%ZZ", 404)])
    def test_a_dead_erase_or_preferences_link_leads_to_the_privacy_portal(
        self, stack: Stack, api: ApiClient, path: str, status: int
    ) -> None:
        page = api.get(path, headers={"accept-language": "fr"})
        assert page.status == status
        assert "portail de confidentialité" in page.text and 'href="/privacy?lang=fr"' in page.text
        assert "ask at the counter" not in page.text.lower() and "comptoir" not in page.text

    def test_an_expired_erase_link_too(
        self, stack: Stack, api: ApiClient, merchant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import itsdangerous.timed

        with monkeypatch.context() as then:  # signed three years ago
            then.setattr(itsdangerous.timed.time, "time", lambda: 1_700_000_000 - 3 * 365 * 86_400)
            token = link_signer().sign("erase", {"m": merchant["merchant_id"], "c": "cus_x"})
        page = api.get(f"/e/{token}")
        assert page.status == 410
        assert "This link has expired" in page.text, page.text
        assert PORTAL in page.text and "Go to the privacy portal" in page.text

    @pytest.mark.parametrize("path", ["/e/forged", "/r/forged", "/s/forged", "/p/forged"])
    def test_every_dead_link_page_offers_the_other_languages(self, stack: Stack, api: ApiClient, path: str) -> None:
        page = api.get(path, headers={"accept-language": "nl"})
        assert page.status == 404
        assert f'href="{path}?lang=en"' in page.text and f'href="{path}?lang=fr"' in page.text
        assert PORTAL in page.text


class TestEveryPageLinksToThePortal:
    def test_signup_receipt_erase_and_preferences_pages(
        self, stack: Stack, api: ApiClient, client: ApiClient, visitor: Shopper, merchant: dict[str, Any]
    ) -> None:
        assert PORTAL in visitor.open().text
        customer = client.post("/v1/customers", {"given_name": "Ada", "phone": _phone()}).json()
        sale = client.post("/v1/sales", {"type": "purchase", "total": {"amount": 500, "currency": "EUR"}}).json()
        signer, ids = link_signer(), {"m": merchant["merchant_id"], "c": customer["id"]}
        for path in (
            f"/r/{signer.receipt_token(merchant['merchant_id'], sale['id'])}",
            f"/p/{signer.sign('preferences', ids)}",
            f"/e/{signer.sign('erase', ids)}",
        ):
            page = api.get(path)
            assert page.status == 200 and PORTAL in page.text, path
        done = api.request("POST", f"/e/{signer.sign('erase', ids)}", data="locale=nl", headers=FORM)
        assert done.status == 200 and 'href="/privacy?lang=nl"' in done.text
        assert "?lang=fr" in done.text  # the done page offers the other languages too

    def test_the_portal_does_not_link_to_itself(self, stack: Stack, api: ApiClient) -> None:
        page = api.get("/privacy")
        assert page.status == 200 and 'class="portal"' not in page.text
