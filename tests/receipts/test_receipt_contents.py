"""What a receipt shows, as a paper one would (SPEC 6.4): the shop (site) and its address, the local date and
time in the reader's locale, a receipt number, the lines, subtotal, taxes, total and how it was paid; in the
email and on the hosted page, which also carries the preferences and erase links."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clientele.platform.secrets import link_signer
from tests.conftest import ApiClient
from tests.receipts.conftest import LINES, new_shopper
from tests.sales.helpers import card, money, record

ADDRESS = "Prinsengracht 12\n1015 DX Amsterdam"
VAT = {"name": "BTW", "rate": "21%", "amount": money(304)}


def _site(client: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Café Zoë Centrum", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
    response = client.post("/v1/sites", {**body, **fields})
    assert response.status == 201, response.text
    return dict(response.json())


def _emails_to(stack: Any, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if m.get("to") == address]


def _hosted(client: ApiClient, merchant: dict[str, Any], sale: dict[str, Any], **headers: str) -> str:
    token = link_signer().receipt_token(merchant["merchant_id"], sale["id"])
    page = client.get(f"/r/{token}", key="", headers=headers)
    assert page.status == 200, page.text
    return page.text


class TestTheSaleAcceptsTaxLines:
    def test_included_taxes_leave_the_total_the_sum_of_the_lines(self, stack: Any, client: ApiClient) -> None:
        sale = record(client, {"type": "purchase", "total": money(1750), "lines": LINES, "taxes": [VAT]})
        assert sale["taxes"] == [{"name": "BTW", "rate": "21%", "amount": money(304), "included": True}]
        assert re.fullmatch(r"\d{8}-[0-9A-Z]{6}", sale["receipt_number"])
        assert sale["receipt_number"].startswith(sale["local_date"].replace("-", ""))
        assert client.get(f"/v1/sales/{sale['id']}").json()["taxes"] == sale["taxes"]

    def test_added_taxes_are_part_of_the_total(self, stack: Any, client: ApiClient) -> None:
        tax = {"name": "Sales tax", "rate": "8%", "amount": money(140), "included": False}
        body = {"type": "purchase", "lines": LINES, "taxes": [tax]}
        assert record(client, {**body, "total": money(1890)})["total"] == money(1890)
        response = client.post("/v1/sales", {**body, "total": money(1750)})
        assert response.status == 422
        assert response.json()["errors"][0]["code"] == "TOTAL_MISMATCH"

    def test_a_tax_in_another_currency_or_malformed_is_refused(self, stack: Any, client: ApiClient) -> None:
        other = client.post(
            "/v1/sales", {"type": "purchase", "total": money(100), "taxes": [{**VAT, "amount": money(17, "USD")}]}
        )
        assert other.status == 422 and other.json()["errors"][0]["code"] == "CURRENCY_MISMATCH"
        nameless = client.post("/v1/sales", {"type": "purchase", "total": money(100), "taxes": [{"amount": money(17)}]})
        assert nameless.status == 422

    def test_a_sale_without_taxes_or_method_reads_as_before(self, stack: Any, client: ApiClient) -> None:
        sale = record(client, {"type": "purchase", "total": money(1750), "lines": LINES})
        assert sale["taxes"] == [] and sale["payment_method"] is None
        assert record(client, {"type": "purchase", "total": money(500), "card": card()})["payment_method"] == "card"


class TestTheEmail:
    def test_shows_what_a_paper_receipt_shows(self, stack: Any, client: ApiClient, merchant: dict[str, Any]) -> None:
        site = _site(client, address=ADDRESS)
        customer = new_shopper(client)
        sale = record(
            client,
            {
                "type": "purchase",
                "site_id": site["id"],
                "customer_id": customer["id"],
                "total": money(1750),
                "lines": LINES,
                "taxes": [VAT],
                "card": card(last4="1881"),
            },
        )
        response = client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": "email"})
        assert response.status == 202, response.text
        stack.drain()
        [email] = _emails_to(stack, customer["email"])

        local = datetime.fromisoformat(sale["occurred_at"]).astimezone(ZoneInfo("Europe/Amsterdam"))
        day = f"{local.day} {local:%B %Y}"  # en_NL: the day before the month, a 24-hour clock
        text = email["text"]
        for part in (text, email["html"]):
            assert "Café Zoë Centrum" in part and "Prinsengracht 12" in part and "1015 DX Amsterdam" in part
            assert f"{day}, {local:%H:%M}" in part
            assert f"Receipt number: {sale['receipt_number']}" in part
            assert "Subtotal" in part and "BTW 21% (included)" in part and "€3.04" in part
            assert "Card: VISA ending in 1881" in part
        assert text.index("Subtotal: €17.50") < text.index("BTW 21% (included): €3.04") < text.index("Total: €17.50")

    @pytest.mark.parametrize(
        ("locale", "words"),
        [
            ("fr", ("Ticket n°", "Sous-total", "BTW 21% (compris)", "Payé en espèces")),
            ("nl", ("Bonnummer:", "Subtotaal", "BTW 21% (inbegrepen)", "Contant betaald")),
        ],
    )
    def test_in_the_customers_language(
        self, stack: Any, client: ApiClient, locale: str, words: tuple[str, ...]
    ) -> None:
        customer = new_shopper(client, locale=locale)
        sale = record(
            client,
            {
                "type": "purchase",
                "customer_id": customer["id"],
                "total": money(1750),
                "lines": LINES,
                "taxes": [VAT],
                "payment_method": "cash",
            },
        )
        assert client.post(f"/v1/sales/{sale['id']}/receipts", {"channel": "email"}).status == 202
        stack.drain()
        [email] = _emails_to(stack, customer["email"])
        assert all(word in email["text"] and word in email["html"] for word in words), email["text"]


class TestTheHostedPage:
    def test_shows_the_shop_its_address_the_number_and_the_taxes(
        self, stack: Any, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        site = _site(client, address=ADDRESS, name="Zoë Kiosk")
        customer = new_shopper(client)
        body = {"type": "purchase", "site_id": site["id"], "total": money(1750), "lines": LINES, "taxes": [VAT]}
        sale = record(client, {**body, "customer_id": customer["id"], "payment_method": "voucher"})
        page = _hosted(client, merchant, sale, **{"accept-language": "en-GB,en;q=0.8"})
        assert "Zoë Kiosk" in page and "Prinsengracht 12<br>1015 DX Amsterdam" in page
        assert sale["receipt_number"] in page and "BTW 21% (included)" in page and "Paid with a voucher" in page

    @pytest.mark.parametrize(
        ("accept", "country", "zone", "shape"),
        [
            ("en-GB,en;q=0.8", "US", "America/New_York", "{d} {B} {Y}, {H}:{M}"),  # the reader's region wins
            ("en-US,en;q=0.8", "GB", "Europe/London", "{B} {d}, {Y}, {I}:{M}\u202f{p}"),
            ("en", "GB", "Europe/London", "{d} {B} {Y}, {H}:{M}"),  # no region said: the shop's
        ],
    )
    def test_the_local_time_in_the_readers_locale(
        self, stack: Any, client: ApiClient, merchant: dict[str, Any], accept: str, country: str, zone: str, shape: str
    ) -> None:
        site = _site(client, country=country, time_zone=zone, currency="EUR")
        sale = record(client, {"type": "purchase", "site_id": site["id"], "total": money(500)})
        local = datetime.fromisoformat(sale["occurred_at"]).astimezone(ZoneInfo(zone))
        expected = shape.format(
            d=local.day,
            B=f"{local:%B}",
            Y=local.year,
            H=f"{local:%H}",
            M=f"{local:%M}",
            I=local.hour % 12 or 12,
            p="AM" if local.hour < 12 else "PM",
        )
        assert expected in _hosted(client, merchant, sale, **{"accept-language": accept})

    def test_links_to_preferences_and_erasure_of_the_sales_customer(
        self, stack: Any, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        customer = new_shopper(client)
        sale = record(client, {"type": "purchase", "customer_id": customer["id"], "total": money(500)})
        page = _hosted(client, merchant, sale)
        preferences = re.search(r'href="[^"]*/p/([^"?]+)"', page)
        erase = re.search(r'href="[^"]*/e/([^"?]+)"', page)
        assert preferences and erase
        signer, ids = link_signer(), {"m": merchant["merchant_id"], "c": customer["id"]}
        assert signer.verify("preferences", preferences.group(1)) == ids
        assert signer.verify("erase", erase.group(1)) == {**ids, "v": "receipt"}
        assert client.get(f"/e/{erase.group(1)}", key="").status == 200

        # Once the customer is erased, the anonymised sale's page has nobody left to link to.
        assert client.delete(f"/v1/customers/{customer['id']}").status == 204
        after = _hosted(client, merchant, sale)
        assert "/p/" not in after and "/e/" not in after

    def test_a_sale_without_a_customer_has_no_personal_links(
        self, stack: Any, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        sale = record(client, {"type": "purchase", "total": money(500)})
        page = _hosted(client, merchant, sale)
        assert "/p/" not in page and "/e/" not in page
