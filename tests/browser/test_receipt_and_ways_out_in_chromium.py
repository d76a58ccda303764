"""The hosted receipt a text message links to, the preferences page it leads to, and a dead link's page, on a
phone-sized Chromium in English, French and Dutch: what a paper receipt shows, a way out from every page, no
axe violation, no request to any other host."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.browser.conftest import axe_violations, wait_for_email

pytestmark = pytest.mark.browser

WORDS = {
    "en": ("Receipt number", "VAT 21% (included)", "Erase your details"),
    "fr": ("Ticket n°", "VAT 21% (compris)", "Effacer mes données"),
    "nl": ("Bonnummer", "VAT 21% (inbegrepen)", "Mijn gegevens wissen"),
}
DEAD = {"en": "This link does not work", "fr": "Ce lien ne fonctionne pas", "nl": "Deze link werkt niet"}


def _post(url: str, key: str, body: dict[str, Any]) -> Any:
    request = Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "authorization": f"Bearer {key}",
            "content-type": "application/json",
            "idempotency-key": uuid.uuid4().hex,
        },
    )
    with urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _receipt_link(live_stack: dict[str, Any], locale: str) -> tuple[str, dict[str, Any]]:
    """A sale with a VAT line, sent by SMS to a new customer who reads ``locale``: the hosted receipt's link."""
    api, key = live_stack["api_url"], live_stack["demo"]["api_key"]
    phone = f"+3162{uuid.uuid4().int % 10**7:07d}"
    customer = _post(f"{api}/v1/customers", key, {"given_name": "Rita", "phone": phone, "locale": locale})
    eur = lambda amount: {"amount": amount, "currency": "EUR"}  # noqa: E731
    sale = _post(
        f"{api}/v1/sales",
        key,
        {
            "type": "purchase",
            "customer_id": customer["id"],
            "total": eur(1210),
            "lines": [{"description": "Espresso", "quantity": 2, "unit_price": eur(605), "total": eur(1210)}],
            "taxes": [{"name": "VAT", "rate": "21%", "amount": eur(210)}],
            "card": {"fingerprint": f"fp_{uuid.uuid4().hex[:12]}", "brand": "visa", "last4": "4242"},
        },
    )
    _post(f"{api}/v1/sales/{sale['id']}/receipts", key, {"channel": "sms"})
    text = wait_for_email(api, phone)["text"]
    [link] = re.findall(r"https?://\S+/r/\S+", text)
    return link, sale


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_the_hosted_receipt_and_its_ways_out(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    own_host = urlsplit(live_stack["api_url"]).netloc
    link, sale = _receipt_link(live_stack, locale)

    visit = visits(locale)
    visit.page.goto(link)
    text = visit.page.inner_text("main")
    number, tax, erase = WORDS[locale]
    assert number in text and sale["receipt_number"] in text and tax in text and "4242" in text
    visit.shot(f"receipt-{locale}")
    assert axe_violations(visits, locale, link) == []

    visit.page.click(f"text={erase}")
    assert "/e/" in visit.page.url
    visit.page.go_back()
    visit.page.click("a[href*='/p/']")
    assert "/p/" in visit.page.url
    preferences = visit.page.url
    visit.shot(f"preferences-with-erase-{locale}")
    assert visit.page.locator("a[href*='/e/']").count() == 1
    assert visit.page.locator("p.portal a[href^='/privacy']").count() == 1
    assert axe_violations(visits, locale, preferences) == []
    assert visit.hosts() == {own_host}, visit.requests


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_a_dead_erase_link_leads_to_the_portal(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    dead = f"{live_stack['api_url']}/e/not-a-real-token"
    visit = visits(locale)
    visit.page.goto(dead)
    assert DEAD[locale] in visit.page.inner_text("h1")
    visit.shot(f"dead-erase-link-{locale}")
    assert axe_violations(visits, locale, dead) == []
    visit.page.click("main p:not(.portal) a[href^='/privacy']")
    assert urlsplit(visit.page.url).path == "/privacy"
    assert visit.page.locator("html").get_attribute("lang") == locale
