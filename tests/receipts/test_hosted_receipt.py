"""The hosted receipt page ``GET /r/{token}``: the page a receipt by SMS links to."""

from __future__ import annotations

from typing import Any

import pytest

from clientele.kernel.links import LIFETIME_SECONDS, Link
from clientele.platform.secrets import link_signer
from tests.conftest import ApiClient
from tests.receipts.conftest import Shop, change_settings


def _path(shop: Shop) -> str:
    return f"/r/{link_signer().receipt_token(shop.merchant['merchant_id'], shop.sale['id'])}"


class TestThePage:
    def test_shows_the_merchant_lines_and_total_without_personal_data(self, stack: Any, shop: Shop) -> None:
        change_settings(shop.client, privacy_policy_url="https://shop.example/privacy")
        page = shop.client.get(_path(shop), key="", headers={"accept-language": "en-GB,en;q=0.8"})

        assert page.status == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["content-language"] == "en"
        assert "Your receipt" in page.text and "Flat white" in page.text and "Croissant aux amandes" in page.text
        assert "€17.50" in page.text and "€7.00" in page.text and "2 &times; Flat white" in page.text
        assert 'href="https://shop.example/privacy"' in page.text
        for personal in (shop.customer["given_name"], shop.customer["email"], shop.customer["phone"]):
            assert personal not in page.text

    @pytest.mark.parametrize(
        ("accept", "words"),
        [("fr-BE,fr;q=0.9", ("Votre ticket", "17,50\u00a0€")), ("nl", ("Je kassabon", "€\u00a017,50"))],
    )
    def test_in_the_visitors_language(self, stack: Any, shop: Shop, accept: str, words: tuple[str, str]) -> None:
        page = shop.client.get(_path(shop), key="", headers={"accept-language": accept})
        assert page.status == 200
        assert all(word in page.text for word in words), page.text

    def test_the_language_can_be_switched(self, stack: Any, shop: Shop) -> None:
        page = shop.client.get(_path(shop), key="", params={"lang": "nl"})
        assert page.status == 200 and '<html lang="nl">' in page.text and "Je kassabon" in page.text
        assert f'href="{_path(shop)}?lang=fr"' in page.text

    def test_is_self_contained(self, stack: Any, shop: Shop) -> None:
        page = shop.client.get(_path(shop), key="")
        assert "<script" not in page.text and 'rel="stylesheet"' not in page.text and " src=" not in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]

    def test_an_erased_customers_receipt_still_shows(self, stack: Any, shop: Shop) -> None:
        assert shop.client.delete(f"/v1/customers/{shop.customer['id']}").status == 204
        assert shop.client.get(_path(shop), key="").status == 200
        assert shop.client.get(f"/v1/sales/{shop.sale['id']}").status == 200  # the anonymised sale reads too


class TestBadLinks:
    def test_a_forged_token_is_a_404_page(self, stack: Any, shop: Shop, api: ApiClient) -> None:
        token = link_signer().receipt_token(shop.merchant["merchant_id"], shop.sale["id"])
        for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", "x" * 300):
            page = api.get(f"/r/{bad}", headers={"accept-language": "fr"})
            assert page.status == 404, bad
            assert page.headers["content-type"].startswith("text/html")
            assert "Ce lien ne fonctionne pas" in page.text

    def test_another_purposes_token_is_a_404_page(self, stack: Any, shop: Shop, api: ApiClient) -> None:
        erase = link_signer().sign("erase", {"m": shop.merchant["merchant_id"], "s": shop.sale["id"]})
        assert api.get(f"/r/{erase}").status == 404

    def test_a_missing_sale_is_a_404_page(self, stack: Any, shop: Shop, api: ApiClient) -> None:
        token = link_signer().receipt_token(shop.merchant["merchant_id"], "sale_missing")
        page = api.get(f"/r/{token}")
        assert page.status == 404 and "This link does not work" in page.text

    def test_an_expired_link_is_a_410_page(
        self, stack: Any, shop: Shop, api: ApiClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import time

        issued = time.time() - LIFETIME_SECONDS[Link.RECEIPT] - 86_400
        monkeypatch.setattr(time, "time", lambda: issued)
        token = link_signer().receipt_token(shop.merchant["merchant_id"], shop.sale["id"])
        monkeypatch.undo()
        page = api.get(f"/r/{token}", headers={"accept-language": "nl"})
        assert page.status == 410 and "Deze link is verlopen" in page.text
