"""Errors in our own words: no pydantic phrasing reaches a client, one code per kind of mistake, a field named
wherever one is at fault, and a customer with nothing to know them by is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

PYDANTIC = ("Input should", "Extra inputs", "Value error", "Field required", "String should", "pydantic", "type=")


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/v1/customers", {"given_name": "Ana", "email": "ab"}, "INVALID_EMAIL", "email"),
        ("/v1/customers", {"given_name": "Ana", "birthday": "2024-13-45"}, "INVALID_DATE", "birthday"),
        ("/v1/customers", {"given_name": "Ana", "nickname": "A"}, "UNKNOWN_FIELD", "nickname"),
        ("/v1/customers", {"given_name": "Ana", "locale": "de"}, "INVALID_LOCALE", "locale"),
        ("/v1/customers", {"given_name": 12}, "NOT_TEXT", "given_name"),
        (
            "/v1/sales",
            {"type": "purchase", "total": {"amount": 12.5, "currency": "EUR"}},
            "NOT_AN_INTEGER",
            "total.amount",
        ),
        (
            "/v1/sales",
            {"type": "purchase", "total": {"amount": 100, "currency": "euro"}},
            "INVALID_CURRENCY",
            "total.currency",
        ),
        ("/v1/sales", {"type": "gift", "total": {"amount": 100, "currency": "EUR"}}, "INVALID_CHOICE", "type"),
        ("/v1/sales", {"type": "purchase"}, "REQUIRED", "total"),
        ("/v1/sales", [], "INVALID_BODY", "body"),
    ],
)
def test_one_code_per_mistake_in_our_words(client: ApiClient, path: str, body: Any, code: str, field: str) -> None:
    response = client.post(path, body)
    assert response.status == 422, response.text
    errors = response.json()["errors"]
    assert (code, field) in [(e["code"], e["field"]) for e in errors], errors
    for error in errors:
        assert "field" in error and error["detail"]
        assert not any(words in error["detail"] for words in PYDANTIC), error


def test_a_body_that_is_not_json_names_the_body(client: ApiClient) -> None:
    response = client.request("POST", "/v1/customers", data="{not json", headers={"content-type": "application/json"})
    assert response.status == 400
    assert response.json()["errors"] == [
        {"code": "MALFORMED_JSON", "detail": "The request body is not valid JSON.", "field": "body"}
    ]


def test_a_customer_with_no_name_email_or_phone_is_refused(client: ApiClient) -> None:
    for body in ({}, {"locale": "fr"}, {"given_name": None, "email": None}):
        response = client.post("/v1/customers", body)
        assert response.status == 422, body
        assert response.json()["errors"][0]["code"] == "CUSTOMER_WITHOUT_DETAILS"
    assert client.post("/v1/customers", {"phone": "+31 6 12345678"}).status in (201, 409)
