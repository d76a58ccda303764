"""The standing hostile-input suite: every documented operation, fed each class of hostile input (bodies,
path parameters, query values, headers), with and without a valid key, answers below 500 in the error
shape; an unknown key always gets 401 and never a validation detail."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import ApiClient

BODIES: dict[str, str] = {
    "deep": "[" * 5_000,
    "deep object": '{"a":' * 300 + "0" + "}" * 300,
    "huge number": '{"version": ' + "7" * 4_500 + "}",
    "huge negative": '{"total": {"amount": -' + "1" * 400 + ', "currency": "EUR"}}',
    "float money": '{"type": "purchase", "total": {"amount": 1e308, "currency": "EUR"}}',
    "nan": '{"version": NaN}',
    "array": "[1, 2, 3]",
    "string": '"text"',
    "null": "null",
    "empty object": "{}",
    "nulls": '{"given_name": null, "name": null, "version": null, "role": null, "type": null}',
    "wrong types": '{"given_name": 7, "name": [], "version": "1", "role": {}, "site_ids": "x", "type": 1}',
    "long strings": '{"given_name": "' + "A" * 60_000 + '"}',
    "control characters": '{"given_name": "\\u0000\\u001b[2J\\u202e", "name": "\\u200b", "text": "\\u0000"}',
    "lone surrogate": '{"given_name": "\\ud800", "name": "\\udfff"}',
    "duplicate keys": '{"version": 1, "version": 2, "given_name": "A", "given_name": "B"}',
    "not json": "given_name=Ana&email=a@b.c",
    "truncated": '{"given_name": "Ana"',
}
PATH_VALUES = ["x" * 300, "%00", "..%2F..%2Fetc", "%E2%80%AE", "%FF%FE", "cus_%0d%0aX-Injected:1", "'--", "%20"]
QUERY_VALUES = ["\x00", "x" * 3_000, "99999999999999999999999", "%ZZ", "\u202e"]


def _operations(client: ApiClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/v1/openapi.json").json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            found.append((method.upper(), path, operation))
    return found


def _concrete(path: str, value: str = "cus_nope") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _error_shaped(response: Any) -> bool:
    errors = response.json().get("errors")
    return bool(errors) and all({"code", "detail", "field"} <= set(e) for e in errors)


def _check(response: Any, what: object) -> None:
    assert response.status < 500, (what, response.status, response.text[:300])
    if response.status >= 400 and "json" in response.headers.get("content-type", ""):
        assert _error_shaped(response), (what, response.text[:300])
    assert "Traceback" not in response.text, what


def test_every_body_class_on_every_operation(client: ApiClient) -> None:
    stranger = client.as_key("ck_unknown-key-0000000000000000000000000000")
    for method, path, _ in _operations(client):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        target = _concrete(path)
        for name, body in BODIES.items():
            json_headers = {"content-type": "application/json", "idempotency-key": f"hostile-{name}"}
            _check(client.request(method, target, data=body, headers=json_headers), (method, path, name))
            refused = stranger.request(method, target, data=body, headers=json_headers)
            assert refused.status == 401 and refused.error_codes() == ["UNAUTHORIZED"], (method, path, name)
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"):
            response = client.request(method, target, data="{}", headers={"content-type": content_type})
            _check(response, (method, path, content_type))


@pytest.mark.parametrize("value", PATH_VALUES)
def test_hostile_path_parameters(client: ApiClient, value: str) -> None:
    for method, path, _ in _operations(client):
        if "{" not in path:
            continue
        response = client.request(
            method, _concrete(path, value), data="{}", headers={"content-type": "application/json"}
        )
        _check(response, (method, path, value))
        assert response.status in (400, 401, 403, 404, 409, 422), (method, path, value, response.status)


def test_hostile_query_values(client: ApiClient) -> None:
    for method, path, operation in _operations(client):
        if method != "GET":
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"] + ["unknown"]
        for name in names:
            for value in QUERY_VALUES:
                _check(client.get(_concrete(path), params={name: value}), (path, name, value))


def test_hostile_headers(client: ApiClient, api: ApiClient) -> None:
    for authorization in ("Bearer", "Bearer " + "x" * 5_000, "Bearer ck_\x00", "bearer  ck_x ck_y", "Basic ck_x"):
        response = api.get("/v1/customers", headers={"authorization": authorization})
        _check(response, authorization[:20])
        assert response.status == 401
    for key in ("Idempotency-Key", "Accept-Language", "Content-Type"):
        for value in ("x" * 5_000, "\u202e", "a\tb"):
            response = client.post("/v1/customers", {"given_name": "Hdr"}, headers={key: value})
            _check(response, (key, value[:10]))


def test_the_log_scan_finds_what_must_never_be_logged() -> None:
    from tests.log_scan import findings

    leaked = [
        '{"message": "key ck_' + "a" * 43 + '"}',
        '{"message": "GET /e/eyJtIjoibWVyXzEiLCJjIjoiY3VzXzEifQ.aBcDeFgHiJkLmN"}',
        '{"email": "ana.person@example.net"}',
        '{"phone": "+31612345678"}',
        '{"iban": "NL91ABNA0417164300"}',
    ]
    assert len(findings(leaked)) == len(leaked)
    clean = ['{"message": "delivery sent", "delivery_id": "dlv_1", "sender": "no-reply@example.com"}']
    assert findings(clean) == []
