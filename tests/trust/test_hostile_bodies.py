"""Bodies are read only after the key is checked, and no JSON makes a route fail: every class of hostile
body is a 400 or 401 in the error shape, on every JSON route, with or without a valid key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

# One route of each function that takes a JSON body.
JSON_ROUTES = [
    ("POST", "/v1/customers"),
    ("POST", "/v1/sales"),
    ("PATCH", "/v1/settings"),
    ("POST", "/v1/api-keys"),
    ("POST", "/v1/labels"),
    ("POST", "/v1/sites"),
    ("POST", "/v1/terms/accept"),
]

HOSTILE = {
    "deep arrays": "[" * 20_000 + "]" * 20_000,
    "deep objects": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "deep in a field": '{"given_name": ' + "[" * 40 + "]" * 40 + "}",
    "long integer": '{"given_name": "Ana", "version": ' + "9" * 5_000 + "}",
    "long float": '{"version": 1.' + "5" * 5_000 + "}",
    "long exponent": '{"version": 1e' + "9" * 500 + "}",
    "NaN": '{"version": NaN}',
    "Infinity": '{"version": -Infinity}',
}


def _is_error_shape(response: Any) -> bool:
    errors = response.json()["errors"]
    return bool(errors) and all(set(e) == {"code", "detail", "field"} for e in errors)


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_an_unknown_key_gets_401_and_never_the_schema(api: ApiClient, method: str, path: str) -> None:
    for key in (None, "ck_not-a-real-key"):
        response = api.request(method, path, data='{"bogus": 1}', key=key, headers={"content-type": "application/json"})
        assert response.status == 401 and response.error_codes() == ["UNAUTHORIZED"], response.text
        assert "bogus" not in response.text and _is_error_shape(response)


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_hostile_json_is_a_400_with_or_without_a_key(client: ApiClient, method: str, path: str) -> None:
    for name, body in HOSTILE.items():
        for caller in (client, client.as_key("ck_not-a-real-key")):
            response = caller.request(method, path, data=body, headers={"content-type": "application/json"})
            expected = 400 if caller is client else 401
            assert response.status == expected, (name, response.status, response.text[:200])
            assert _is_error_shape(response), name


def test_gateway_errors_carry_field(api: ApiClient) -> None:
    for response in (api.get("/v1/no-such-route"), api.get("/v1/customers")):
        assert response.status in (401, 404)
        assert _is_error_shape(response)
