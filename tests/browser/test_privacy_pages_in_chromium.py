"""The shopper's privacy pages on a phone-sized Chromium, in English, French and Dutch: the
preferences link and the erase link of a real welcome email, and the privacy portal with its
one-time code. No axe violation on any page shown, no request to any other host."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import axe_violations, get_json, wait_for_email

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"saved": "Your choices are saved.", "erased": "Your details are erased", "none": "No shop keeps"},
    "fr": {"saved": "Vos choix sont enregistrés.", "erased": "Vos données sont effacées", "none": "Aucun commerce"},
    "nl": {"saved": "Je keuzes zijn opgeslagen.", "erased": "Je gegevens zijn gewist", "none": "Geen enkele winkel"},
}


def _signed_up(live_stack: dict[str, Any], visits: Any, locale: str) -> tuple[str, dict[str, Any]]:
    """A shopper who signed up on the demo merchant's page; their address and welcome email."""
    email = f"privacy.{locale}.{uuid.uuid4().hex[:8]}@example.net"
    visit = visits(locale)
    visit.page.goto(live_stack["demo"]["signup_url"])
    visit.page.fill("#given_name", "Prudence")
    visit.page.fill("#email", email)
    visit.page.check("#consent")
    visit.page.click("button[type=submit]")
    return email, wait_for_email(live_stack["api_url"], email)


def _link(email: dict[str, Any], marker: str) -> str:
    return next(link for link in email["links"] if marker in link)


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_preferences_then_erase_from_the_welcome_email(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    own_host = urlsplit(live_stack["api_url"]).netloc
    address, welcome = _signed_up(live_stack, visits, locale)
    preferences, erase = _link(welcome, "/p/"), _link(welcome, "/e/")

    visit = visits(locale)
    visit.page.goto(preferences)
    assert visit.page.locator("input[name=marketing]").count() >= 1
    visit.shot(f"preferences-{locale}-1")
    visit.page.check("#marketing-0")
    visit.page.click("button[type=submit]")
    assert WORDS[locale]["saved"] in visit.page.inner_text("[role=status]")
    assert visit.page.is_checked("#marketing-0")
    visit.shot(f"preferences-{locale}-2-saved")
    assert axe_violations(visits, locale, preferences) == []

    assert axe_violations(visits, locale, erase) == []
    visit.page.goto(erase)
    visit.shot(f"erase-{locale}-1-confirm")
    visit.page.click("button[type=submit]")
    assert WORDS[locale]["erased"] in visit.page.inner_text("h1")
    visit.shot(f"erase-{locale}-2-done")
    assert visit.hosts() == {own_host}, visit.requests
    found = get_json(f"{live_stack['api_url']}/v1/customers?email={address}", live_stack["demo"]["api_key"])
    assert found["items"] == []
    assert axe_violations(visits, locale, erase) == []  # the "nothing left" page


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_the_privacy_portal_with_a_one_time_code(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    api_url = live_stack["api_url"]
    own_host = urlsplit(api_url).netloc
    address, _ = _signed_up(live_stack, visits, locale)
    assert axe_violations(visits, locale, f"{api_url}/privacy") == []

    visit = visits(locale, javascript=True)  # axe runs on the pages the session posts lead to
    visit.page.goto(f"{api_url}/privacy")
    visit.shot(f"privacy-{locale}-1-start")
    visit.page.fill("#contact", address)
    visit.page.click("button[type=submit]")
    visit.shot(f"privacy-{locale}-2-code")
    code_mail = next(
        m for m in get_json(f"{api_url}/_local/outbox") if m["to"] == address and "/e/" not in str(m["links"])
    )
    code = re.search(r"\b(\d{6})\b", code_mail["text"]).group(1)  # type: ignore[union-attr]
    visit.page.fill("#code", code)
    visit.page.click("button[type=submit]")
    assert "Demo" in visit.page.inner_text("section.shop h2")
    visit.shot(f"privacy-{locale}-3-holders")
    assert _axe_here(visit) == []

    visit.page.click("section.shop form:has(input[value=data]) button")
    assert address in visit.page.inner_text("main")  # the readable "download my data" page
    visit.shot(f"privacy-{locale}-4-my-data")
    assert _axe_here(visit) == []
    with visit.page.expect_download() as download:
        visit.page.click("form:has(input[value=data_file]) button")
    assert download.value.suggested_filename.endswith(".json")
    visit.page.click("form:has(input[value=holders]) button")

    visit.page.click("section.shop form:has(input[value=erase_shop]) button")
    visit.shot(f"privacy-{locale}-5-confirm")
    assert _axe_here(visit) == []
    visit.page.click("form:has(input[value=erase_shop_confirmed]) button")
    visit.shot(f"privacy-{locale}-6-erased")
    assert visit.page.locator("[role=status]").count() == 1
    assert _axe_here(visit) == []
    assert visit.hosts() == {own_host}, visit.requests
    found = get_json(f"{api_url}/v1/customers?email={address}", live_stack["demo"]["api_key"])
    assert found["items"] == []


def _axe_here(visit: Any) -> list[str]:
    """axe on the page a form post led to (it cannot be opened again by its address)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(visit.page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]
