"""Helpers of the intake tests: a form with one question of each kind, a customer, a link, a post."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.conftest import ApiClient, Stack

FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "allergies",
        "kind": "text",
        "required": True,
        "label": {"en": "Any allergies?", "fr": "Des allergies ?", "nl": "Allergieën?"},
    },
    {
        "id": "pregnant",
        "kind": "yes_no",
        "required": True,
        "label": {"en": "Are you pregnant?", "fr": "Êtes-vous enceinte ?", "nl": "Ben je zwanger?"},
    },
    {
        "id": "skin",
        "kind": "single_choice",
        "label": {"en": "Your skin type", "fr": "Votre type de peau", "nl": "Je huidtype"},
        "choices": [
            {"value": "dry", "label": {"en": "Dry", "fr": "Sèche", "nl": "Droog"}},
            {"value": "oily", "label": {"en": "Oily", "fr": "Grasse", "nl": "Vet"}},
        ],
    },
    {
        "id": "conditions",
        "kind": "multiple_choice",
        "label": {"en": "Conditions", "fr": "Affections", "nl": "Aandoeningen"},
        "choices": [
            {"value": "asthma", "label": {"en": "Asthma", "fr": "Asthme", "nl": "Astma"}},
            {"value": "diabetes", "label": {"en": "Diabetes", "fr": "Diabète", "nl": "Diabetes"}},
            {"value": "epilepsy", "label": {"en": "Epilepsy", "fr": "Épilepsie", "nl": "Epilepsie"}},
        ],
    },
    {
        "id": "last_treatment",
        "kind": "date",
        "label": {
            "en": "Date of your last treatment",
            "fr": "Date du dernier soin",
            "nl": "Datum van je laatste behandeling",
        },
    },
]


def make_form(client: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"title": {"en": "Health questionnaire", "fr": "Questionnaire de santé", "nl": "Gezondheidsvragenlijst"}}
    body["questions"] = QUESTIONS
    body.update(fields)
    response = client.post("/v1/intake-forms", body)
    assert response.status == 201, response.text
    return response.json()


def make_customer(client: ApiClient, **fields: Any) -> dict[str, Any]:
    fields.setdefault("email", f"intake-{uuid.uuid4().hex[:8]}@example.com")
    response = client.post("/v1/customers", {"given_name": "Noor", **fields})
    assert response.status == 201, response.text
    return response.json()


def ask(client: ApiClient, customer_id: str, form_id: str, channel: str = "link") -> dict[str, Any]:
    response = client.post(f"/v1/customers/{customer_id}/intake-requests", {"form_id": form_id, "channel": channel})
    assert response.status == 201, response.text
    return response.json()


def path_of(url: str) -> str:
    return urlsplit(url).path


def emailed_link(stack: Stack, email: str) -> str:
    stack.drain("DeliveryQueue")
    [message] = [m for m in stack.outbox() if str(m["to"]).lower() == email]
    found = re.search(r"https?://\S+(/f/\S+)", message["text"])
    assert found, message["text"]
    return found.group(1)


def post(api: ApiClient, link: str, fields: dict[str, Any] | list[tuple[str, str]]) -> Any:
    return api.request("POST", link, data=urlencode(fields, doseq=True), headers=FORM_HEADERS)


def answers(version: int = 1, locale: str = "en", **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "locale": locale,
        "version": str(version),
        "q_allergies": "Latex",
        "q_pregnant": "no",
        "q_skin": "dry",
        "q_conditions": ["asthma", "epilepsy"],
        "q_last_treatment": "2026-03-14",
        "consent": "yes",
    }
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}
