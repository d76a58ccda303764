"""A shopper signs up on a phone-sized Chromium, in English, French and Dutch, without JavaScript.

Each run checks what a person would: the page in their language, the form filled and sent, the
customer on the list, the welcome email in the outbox, no request to any other host, no axe
violation on any page shown, and kiosk mode never showing the previous shopper's details.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import axe_violations, get_json, wait_for_email

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "title": "Join the customer list of",
        "done": "Thank you, you are on the list.",
        "subject": "Welcome to",
        "required": "Enter your first name.",
        "kiosk": "hand the device back",
    },
    "fr": {
        "title": "Rejoignez la liste de clients de",
        "done": "Merci, vous êtes sur la liste.",
        "subject": "Bienvenue chez",
        "required": "Indiquez votre prénom.",
        "kiosk": "rendre l\u2019appareil",
    },
    "nl": {
        "title": "Meld je aan voor de klantenlijst van",
        "done": "Bedankt, je staat op de lijst.",
        "subject": "Welkom bij",
        "required": "Vul je voornaam in.",
        "kiosk": "Geef het apparaat terug",
    },
}


def _mobile() -> str:
    """A Dutch mobile number no one on the demo list has."""
    return f"061{uuid.uuid4().int % 10**7:07d}"


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_a_shopper_signs_up_on_a_phone(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    api_url = live_stack["api_url"]
    demo = live_stack["demo"]
    own_host = urlsplit(api_url).netloc
    email = f"browser.{locale}.{uuid.uuid4().hex[:8]}@example.net"
    words = WORDS[locale]
    visit = visits(locale)
    page = visit.page

    page.goto(demo["signup_url"])
    assert words["title"] in page.inner_text("h1")
    assert page.locator("input[name=marketing]:checked").count() == 0
    assert not page.is_checked("#consent")
    visit.shot(f"signup-{locale}-1-form")

    page.click("button[type=submit]")  # nothing filled in: the server says what is missing, in the language
    assert words["required"] in page.inner_text("#given_name-error")
    visit.shot(f"signup-{locale}-2-errors")

    page.fill("#given_name", "Zoë")
    page.fill("#family_name", "O'Brien <b>")
    page.fill("#email", email)
    page.fill("#phone", _mobile())
    page.check("#marketing-0")
    page.check("#consent")
    visit.shot(f"signup-{locale}-3-filled")
    page.click("button[type=submit]")

    assert words["done"] in page.inner_text("[role=status]")
    visit.shot(f"signup-{locale}-4-done")
    assert visit.hosts() == {own_host}, visit.requests

    found = get_json(f"{api_url}/v1/customers?email={email}", demo["api_key"])["items"]
    assert [(c["given_name"], c["family_name"], c["locale"], c["source"]) for c in found] == [
        ("Zoë", "O'Brien <b>", locale, "qr_signup")
    ]
    assert sum(1 for state in found[0]["marketing"].values() if state["opted_in"]) == 1
    welcome = wait_for_email(api_url, email)
    assert welcome["subject"].startswith(words["subject"])
    assert "Zoë" in welcome["text"] and any("/e/" in link for link in welcome["links"])


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_every_page_has_no_axe_violation(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    url = live_stack["demo"]["signup_url"]
    assert axe_violations(visits, locale, url) == []
    assert axe_violations(visits, locale, url, submit_empty=True) == []
    kiosk = _kiosk_url(live_stack, locale)
    assert axe_violations(visits, locale, kiosk) == []
    assert axe_violations(visits, locale, kiosk + "&done=1") == []  # the kiosk's thank-you
    assert axe_violations(visits, locale, url.rsplit("/", 1)[0] + "/not-a-token") == []


def _kiosk_url(live_stack: dict[str, Any], locale: str) -> str:
    """A kiosk link, issued with the merchant's key (``GET /v1/signup-qr?mode=kiosk``)."""
    from urllib.request import Request, urlopen

    request = Request(
        f"{live_stack['api_url']}/v1/signup-qr?mode=kiosk&locale={locale}",
        headers={"authorization": f"Bearer {live_stack['demo']['api_key']}"},
    )
    with urlopen(request, timeout=10) as response:
        link = response.headers["Link"]
    return str(link[1 : link.index(">")])


def test_kiosk_mode_never_shows_the_previous_shopper(live_stack: dict[str, Any], visits: Any) -> None:
    api_url = live_stack["api_url"]
    demo = live_stack["demo"]
    visit = visits("en")  # the device's own language; the kiosk speaks Dutch, as the merchant chose
    page = visit.page
    email = f"kiosk.{uuid.uuid4().hex[:8]}@example.net"
    phone = _mobile()

    page.goto(_kiosk_url(live_stack, "nl"))
    assert page.get_attribute("html", "lang") == "nl"
    page.fill("#given_name", "Vorige")
    page.fill("#family_name", "Klant")
    page.fill("#email", email)
    page.fill("#phone", phone)
    page.check("#consent")
    page.click("button[type=submit]")

    assert WORDS["nl"]["kiosk"] in page.inner_text("[role=status]")
    assert page.locator("form").count() == 0  # the thank-you holds nothing to fill in
    visit.shot("signup-kiosk-thanks")
    page.click("a.next")  # the device is handed back
    assert page.get_attribute("html", "lang") == "nl" and page.locator("[role=status]").count() == 0
    visit.shot("signup-kiosk-after")
    for field in ("#given_name", "#family_name", "#email", "#phone"):
        assert page.input_value(field) == ""
        assert page.get_attribute(field, "autocomplete") == "off"
    assert not page.is_checked("#consent")
    content = page.content()
    for secret in ("Vorige", "Klant", email, phone, "+31" + phone[1:]):
        assert secret not in content
    page.go_back()  # the next shopper presses Back: the page is fetched again, empty (no-store)
    page.wait_for_load_state()
    for secret in ("Vorige", "Klant", email):
        assert secret not in page.content()
    assert visit.hosts() == {urlsplit(api_url).netloc}
    found = get_json(f"{api_url}/v1/customers?email={email}", demo["api_key"])["items"]
    assert [c["source"] for c in found] == ["kiosk"]
