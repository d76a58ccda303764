"""The receipt SMS stays within two segments: GSM-7 and UCS-2 counting, and the text it makes."""

from __future__ import annotations

from datetime import date

import pytest

from clientele.kernel.money import Money
from clientele.messaging.messages.receipt import text_message
from clientele.rendering import sms
from clientele.sales.model import Sale, SaleType

LINK = "https://abcdefghij.execute-api.eu-west-1.amazonaws.com/r/" + "x" * 134  # a real token's length


def _sale(amount: int = 1750, currency: str = "EUR") -> Sale:
    return Sale(
        id="sale_1",
        merchant_id="mer_1",
        site_id="site_1",
        type=SaleType.PURCHASE,
        total=Money(amount=amount, currency=currency),
        occurred_at="2026-11-23T10:00:00Z",
        local_date=date(2026, 11, 23),
        created_by="key_1",
    )


class TestSegments:
    @pytest.mark.parametrize(
        ("text", "count"),
        [
            ("a" * 160, 1),
            ("a" * 161, 2),
            ("a" * 306, 2),
            ("a" * 307, 3),
            ("€" * 80, 1),  # an extension character takes two septets
            ("€" * 81, 2),
            ("a" * 152 + "€" + "a" * 151, 2),  # the escape pair moves whole to the next segment...
            ("a" * 152 + "€" + "a" * 152, 3),  # ...so 306 septets can take three
            ("ê" * 70, 1),  # one character outside GSM-7: UCS-2 for the whole text
            ("ê" * 71, 2),
            ("ê" * 134, 2),
            ("ê" * 135, 3),
        ],
    )
    def test_counts(self, text: str, count: int) -> None:
        assert sms.segments(text) == count

    def test_accents_and_typography_become_gsm7(self) -> None:
        assert (
            sms.to_gsm7("Crêperie \u00abChez Loïc\u00bb \u2013 12,50\u00a0€ l\u2019unité\u2026")
            == 'Creperie "Chez Loic" - 12,50 € l\'unité...'
        )
        assert sms.is_gsm7(sms.to_gsm7("Crêperie \u2013 l\u2019unité\u2026"))
        assert sms.to_gsm7("東京") == "東京"  # no GSM-7 form: left for the caller to drop


class TestReceiptText:
    @pytest.mark.parametrize("locale", ["en", "fr", "nl"])
    @pytest.mark.parametrize(
        "name",
        [
            "Café Zoë",
            "Boulangerie-Pâtisserie Artisanale « Au Bon Croissant Doré » de la Place de l\u2019Hôtel de Ville",
            "東京カフェ・ロースタリー 本店",
            "€" * 100,
            "x" * 100,
        ],
    )
    def test_at_most_two_segments_with_the_link_and_the_total(self, name: str, locale: str) -> None:
        text = text_message(name, _sale(123456789), LINK, locale)
        assert sms.is_gsm7(text) and sms.segments(text) <= 2
        assert text.endswith(" " + LINK)
        assert "1" in text and "234" in text and "567" in text and "89" in text

    def test_a_short_name_is_kept_whole_and_accents_survive_where_gsm7_has_them(self) -> None:
        assert text_message("Café Zoë", _sale(), LINK, "en") == f"Your receipt from Café Zoe, €17.50: {LINK}"
        assert text_message("Café Zoë", _sale(), LINK, "fr").startswith("Votre ticket de Café Zoe, 17,50 € :")

    def test_a_long_name_is_shortened(self) -> None:
        text = text_message("Grand Café " + "de la Gare " * 20, _sale(), LINK, "en")
        assert text.startswith("Your receipt from Grand Café de la Gare") and "...," in text

    def test_a_name_with_no_gsm7_letters_is_left_out(self) -> None:
        assert text_message("東京カフェ", _sale(), LINK, "en") == f"Your receipt, €17.50: {LINK}"
