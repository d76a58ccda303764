"""A customer fills in an intake form on a phone-sized Chromium, in English, French and Dutch, without
JavaScript: the link shown at the desk, a required question left blank refused in their language, the answers
sent with their consent. No axe violation on the form, its error page or a dead link's page, no request to
any other host."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.browser.conftest import axe_violations, get_json

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"title": "Health questionnaire", "required": "Answer this question.", "done": "Your answers were sent"},
    "fr": {"title": "Questionnaire de santé", "required": "Répondez à cette question.", "done": "Vos réponses ont"},
    "nl": {"title": "Gezondheidsvragenlijst", "required": "Beantwoord deze vraag.", "done": "Je antwoorden zijn"},
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


def _intake_link(live_stack: dict[str, Any], locale: str) -> tuple[str, str]:
    from tests.intake.conftest import QUESTIONS

    api_url, key = live_stack["api_url"], live_stack["demo"]["api_key"]
    title = {"en": WORDS["en"]["title"], "fr": WORDS["fr"]["title"], "nl": WORDS["nl"]["title"]}
    form = _send(api_url, key, "POST", "/v1/intake-forms", {"title": title, "questions": QUESTIONS})
    email = f"intake.{locale}.{uuid.uuid4().hex[:8]}@example.net"
    customer = _send(api_url, key, "POST", "/v1/customers", {"given_name": "Mira", "email": email, "locale": locale})
    sent = _send(
        api_url,
        key,
        "POST",
        f"/v1/customers/{customer['id']}/intake-requests",
        {"form_id": form["id"], "channel": "link"},
    )
    return sent["url"], customer["id"]


@pytest.mark.parametrize("locale", ["en", "fr", "nl"])
def test_a_customer_fills_in_an_intake_form_on_a_phone(live_stack: dict[str, Any], visits: Any, locale: str) -> None:
    own_host = urlsplit(live_stack["api_url"]).netloc
    link, customer_id = _intake_link(live_stack, locale)
    words = WORDS[locale]

    assert axe_violations(visits, locale, link) == []
    assert axe_violations(visits, locale, link, submit_empty=True) == []
    assert axe_violations(visits, locale, f"{live_stack['api_url']}/f/not-a-token?lang={locale}") == []

    visit = visits(locale)
    page = visit.page
    page.goto(link)  # the link carries the customer's language
    assert words["title"] in page.inner_text("h1")
    visit.shot(f"intake-{locale}-1-form")
    page.check("#q_pregnant-no")
    page.click("button[type=submit]")
    assert words["required"] in page.content()
    visit.shot(f"intake-{locale}-2-required")
    page.fill("#q_allergies", "Latex")
    page.check("#q_pregnant-no")
    page.check("#q_skin-dry")
    page.check("#q_conditions-asthma")
    page.fill("#q_last_treatment", "2026-03-14")
    page.check("#consent")
    page.click("button[type=submit]")
    assert words["done"] in page.inner_text("[role=status]")
    visit.shot(f"intake-{locale}-3-done")
    assert visit.hosts() <= {own_host}

    answers = get_json(
        f"{live_stack['api_url']}/v1/customers/{customer_id}/intake-forms", live_stack["demo"]["api_key"]
    )["items"]
    [submitted] = answers
    assert submitted["locale"] == locale and submitted["form_version"] == 1
    by_id = {a["question_id"]: a["value"] for a in submitted["answers"]}
    assert by_id == {
        "allergies": "Latex",
        "pregnant": False,
        "skin": "dry",
        "conditions": ["asthma"],
        "last_treatment": "2026-03-14",
    }
