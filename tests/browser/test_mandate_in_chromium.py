"""A member gives a SEPA direct-debit mandate on a phone-sized Chromium, in English, French and Dutch,
without JavaScript: the emailed link, a wrong IBAN refused in their language, the mandate given with the bank
shown. No axe violation on the form or its error page, no request to any other host."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.browser.conftest import axe_violations, get_json, wait_for_email

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"title": "SEPA direct debit mandate", "checksum": "wrong check digit", "done": "Your mandate is recorded"},
    "fr": {"title": "Mandat de prélèvement SEPA", "checksum": "clé de contrôle erronée", "done": "Votre mandat est"},
    "nl": {"title": "Machtiging SEPA-incasso", "checksum": "verkeerd controlegetal", "done": "Je machtiging is"},
}


def _send(api_url: str, key: str, method: str, path: str, body: dict[str, Any]) -> Any:
    request = Request(
        f"{api_url}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    with urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _mandate_link(live_stack: dict[str, Any], locale: str) -> str:
    api_url, key = live_stack["api_url"], live_stack["demo"]["api_key"]
    settings = get_json(f"{api_url}/v1/membership-settings", key)
    if not settings.get("creditor_id"):
        _send(
            api_url,
            key,
            "PATCH",
            "/v1/membership-settings",
            {
                "version": settings["version"],
                "creditor_name": "Gym Noord",
                "creditor_id": "NL57ZZZ999999999999",
                "collection_iban": "NL91ABNA0417164300",
            },
        )
    kind = _send(
        api_url,
        key,
        "POST",
        "/v1/membership-types",
        {"name": "Monthly", "rate": {"amount": 3900, "currency": "EUR"}, "billing_period": "monthly"},
    )
    email = f"mandate.{locale}.{uuid.uuid4().hex[:8]}@example.net"
    customer = _send(api_url, key, "POST", "/v1/customers", {"given_name": "Mira", "email": email, "locale": locale})
    member = _send(
        api_url,
        key,
        "POST",
        f"/v1/customers/{customer['id']}/memberships",
        {"type_id": kind["id"], "payment_method": "direct_debit"},
    )
    _send(api_url, key, "POST", f"/v1/memberships/{member['id']}/mandate-requests", {})
    message = wait_for_email(api_url, email)
    return next(link for link in message["links"] if "/m/" in link)


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_a_member_gives_a_mandate_on_a_phone(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    own_host = urlsplit(live_stack["api_url"]).netloc
    link = _mandate_link(live_stack, locale)
    words = WORDS[locale]

    assert axe_violations(visits, locale, f"{link}?lang={locale}") == []
    assert axe_violations(visits, locale, f"{link}?lang={locale}", submit_empty=True) == []

    visit = visits(locale)
    page = visit.page
    page.goto(f"{link}?lang={locale}")
    assert words["title"] in page.inner_text("main") or words["title"] in page.content()
    assert "NL57ZZZ999999999999" in page.content()
    visit.shot(f"mandate-{locale}-1-form")
    page.fill("#holder", "Mira Jansen")
    page.fill("#iban", "NL03 ABNA 0123 4567 89")
    page.check("#consent")
    page.click("button[type=submit]")
    assert words["checksum"] in page.content()
    visit.shot(f"mandate-{locale}-2-wrong-iban")
    page.fill("#iban", "NL02 ABNA 0123 4567 89")
    page.check("#consent")
    page.click("button[type=submit]")
    assert words["done"] in page.inner_text("[role=status]")
    assert "ABN AMRO" in page.content()
    visit.shot(f"mandate-{locale}-3-done")
    assert visit.hosts() <= {own_host}
