"""The body of POST /_local/merchants is checked before anything is created, in the spec's error shape."""

from __future__ import annotations

import pytest

from infra.local.merchants import RequestError, domain_error, parse_request


def test_a_good_request():
    request = parse_request(
        b'{"name": " Shop ", "email": "owner@shop.example", "legacy_customers": [{"email": "a@b.c"}]}'
    )
    assert (request.name, request.email, request.legacy_customers) == (
        "Shop",
        "owner@shop.example",
        [{"email": "a@b.c"}],
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{not json", 400, "MALFORMED_JSON", None),
        (b"[]", 400, "MALFORMED_JSON", None),
        (b"", 400, "MALFORMED_JSON", None),
        (b'{"email": "a@b.c"}', 422, "VALIDATION_ERROR", "name"),
        (b'{"name": "   "}', 422, "VALIDATION_ERROR", "name"),
        (b'{"name": "Shop", "email": "nope"}', 422, "INVALID_EMAIL", "email"),
        (b'{"name": "Shop", "legacy_customers": {"a": 1}}', 422, "VALIDATION_ERROR", "legacy_customers"),
        (b'{"name": "Shop", "role": "admin"}', 422, "UNKNOWN_FIELD", "role"),
    ],
)
def test_bad_requests(body: bytes, status: int, code: str, field: str | None):
    with pytest.raises(RequestError) as raised:
        parse_request(body)
    assert (raised.value.status, raised.value.code, raised.value.field) == (status, code, field)
    assert raised.value.body()["errors"][0]["code"] == code


def test_domain_errors_keep_their_status_and_code():
    from clientele.kernel.errors import ValidationFailed

    mapped = domain_error(ValidationFailed("Not a phone number.", field="phone", code="INVALID_PHONE"))
    assert mapped is not None and (mapped.status, mapped.code, mapped.field) == (422, "INVALID_PHONE", "phone")


def test_pydantic_errors_are_422():
    from pydantic import BaseModel, ValidationError

    class Customer(BaseModel):
        email: str

    with pytest.raises(ValidationError) as raised:
        Customer.model_validate({})
    mapped = domain_error(raised.value)
    assert mapped is not None and (mapped.status, mapped.field) == (422, "email")


def test_other_errors_are_not_the_callers_fault():
    assert domain_error(RuntimeError("boom")) is None
