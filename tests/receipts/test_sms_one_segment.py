"""The receipt SMS in one segment: a 59-character receipt token, and a shop name cut (not below 16
characters) rather than a second segment paid for. Measured: the link is 83 characters locally, 87 behind a
short domain and 116 behind an API Gateway host; the text around it 35 to 45 with the name."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from clientele.kernel.ids import new_id, new_sortable_id
from clientele.kernel.links import SHORT_RECEIPT_LENGTH, InvalidLink, Link, LinkSigner, pack_id, unpack_id
from clientele.messaging.messages.receipt import ONE_SEGMENT_NAME, text_message
from clientele.rendering import sms
from tests.receipts.conftest import Shop, change_settings
from tests.receipts.test_sms_text import _sale

SECRET = b"k" * 32
HOSTS = {
    "local": "http://127.0.0.1:3000",
    "domain": "https://clientele.example",
    "api gateway": "https://abcdefghij.execute-api.eu-west-1.amazonaws.com",
}
LONG_NAME = "Boulangerie-Pâtisserie Artisanale « Au Bon Croissant Doré » de la Place de l\u2019Hôtel de Ville"


def _link(host: str) -> str:
    return LinkSigner(SECRET, host).receipt_url(new_id("mer"), new_sortable_id("sale"))


class TestTheShortReceiptToken:
    def test_holds_both_ids_in_59_characters(self) -> None:
        signer = LinkSigner(SECRET)
        merchant, sale = new_id("mer"), new_sortable_id("sale")
        token = signer.receipt_token(merchant, sale)
        assert len(token) == SHORT_RECEIPT_LENGTH and re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert signer.verify(Link.RECEIPT, token) == {"m": merchant, "s": sale}

    def test_ids_round_trip_and_other_shapes_take_the_long_token(self) -> None:
        for value in (new_id("mer"), "mer_" + "0" * 25, "mer_" + "z" * 24 + "0"):
            packed = pack_id(value, "mer")
            if packed is not None:
                assert unpack_id(packed, "mer") == value
        assert pack_id("mer_1", "mer") is None and pack_id("cus_" + "0" * 25, "mer") is None
        assert pack_id("mer_" + "z" * 25, "mer") is None  # beyond 128 bits
        signer = LinkSigner(SECRET)
        long = signer.receipt_token("mer_1", "sale_1")
        assert "." in long and signer.verify(Link.RECEIPT, long) == {"m": "mer_1", "s": "sale_1"}

    def test_a_forged_tampered_or_foreign_key_token_opens_nothing(self) -> None:
        signer = LinkSigner(SECRET)
        token = signer.receipt_token(new_id("mer"), new_sortable_id("sale"))
        flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
        for bad in (flipped, token[:-1], token + "A", "!" * SHORT_RECEIPT_LENGTH):
            with pytest.raises(InvalidLink):
                signer.verify(Link.RECEIPT, bad)
        with pytest.raises(InvalidLink):
            LinkSigner(b"other" * 8).verify(Link.RECEIPT, token)
        with pytest.raises(InvalidLink):
            signer.verify(Link.ERASE, token)  # a receipt token is for the receipt page only

    def test_keeps_working_through_a_key_rotation_and_expires_with_its_purpose(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old = LinkSigner(SECRET)
        token = old.receipt_token(new_id("mer"), new_sortable_id("sale"))
        assert LinkSigner([b"n" * 32, SECRET]).verify(Link.RECEIPT, token)  # newest first, the old still accepted
        later = time.time() + 401 * 86_400
        monkeypatch.setattr(time, "time", lambda: later)
        with pytest.raises(InvalidLink) as caught:
            old.verify(Link.RECEIPT, token)
        assert caught.value.reason == "expired"


class TestOneSegment:
    @pytest.mark.parametrize("locale", ["en", "fr", "nl"])
    @pytest.mark.parametrize("host", list(HOSTS))
    def test_a_usual_shop_name_fits_one_segment_whole(self, host: str, locale: str) -> None:
        text = text_message("Bakkerij Jansen", _sale(), _link(HOSTS[host]), locale)
        assert sms.segments(text) == 1, (len(text), text)
        assert "Bakkerij Jansen" in text

    @pytest.mark.parametrize("locale", ["en", "fr", "nl"])
    @pytest.mark.parametrize("host", ["local", "domain"])
    def test_a_long_name_is_cut_to_keep_one_segment(self, host: str, locale: str) -> None:
        text = text_message(LONG_NAME, _sale(), _link(HOSTS[host]), locale)
        assert sms.segments(text) == 1, (len(text), text)
        shown = re.search(r"(Boulangerie-Patisserie[^,]*\.\.\.)", text)
        assert shown and len(shown.group(1)) >= ONE_SEGMENT_NAME, text

    @pytest.mark.parametrize("locale", ["en", "fr", "nl"])
    def test_when_no_cut_saves_the_segment_the_name_stays_and_two_segments_go(self, locale: str) -> None:
        link = _link(HOSTS["api gateway"]) + "x" * 20  # a longer host still
        text = text_message(LONG_NAME, _sale(123456789), link, locale)
        assert sms.segments(text) == 2 and "Boulangerie-Patisserie" in text


def test_a_receipt_sent_by_sms_is_one_segment(stack: Any, shop: Shop) -> None:
    change_settings(shop.client, business_name="Bakkerij Jansen")
    assert shop.ask("sms").status == 202
    stack.drain()
    [message] = [m for m in stack.outbox() if m["to"] == shop.customer["phone"]]
    text = message["text"]
    assert sms.segments(text) == 1, (len(text), text)
    token = re.search(r"/r/(\S+)$", text).group(1)  # type: ignore[union-attr]
    assert len(token) == SHORT_RECEIPT_LENGTH
    page = shop.client.get(f"/r/{token}")
    assert page.status == 200 and "Croissant aux amandes" in page.text
