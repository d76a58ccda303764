"""Creating merchants on the local stack, through the domain's onboarding and nothing else.

:func:`create_merchant` is the one seam between the local stack and the domain: the demo merchant at
start-up and ``POST /_local/merchants`` both go through it, so a local merchant is made by the same code
as one made by the admin CLI. :func:`parse_request` checks the body of ``POST /_local/merchants`` before
anything is created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_NAME_LENGTH = 200
MAX_LEGACY_CUSTOMERS = 10_000


def create_merchant(
    *,
    name: str,
    email: str | None,
    accept_terms: bool,
    demo_data: bool = False,
    legacy_customers: list[dict[str, Any]] | None = None,
) -> dict[str, str]:
    """``{"merchant_id", "api_key", "signup_url"}`` of a new merchant, made by the domain's onboarding.

    Runs in the caller's environment: call it inside ``Runtime.environment_of(...)`` so the domain finds
    the stack's tables and secret.
    """
    from infra.onboarding import create_merchant as onboard

    created = onboard(
        name=name,
        email=email,
        accept_terms=accept_terms,
        demo_data=demo_data,
        legacy_customers=legacy_customers,
    )
    return {key: str(created[key]) for key in ("merchant_id", "api_key", "signup_url")}


class RequestError(ValueError):
    """A bad ``/_local`` request: status, code and detail in the spec's error shape."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "detail": self.detail}
        if self.field is not None:
            error["field"] = self.field
        return {"errors": [error]}


@dataclass(frozen=True)
class MerchantRequest:
    name: str
    email: str | None
    legacy_customers: list[dict[str, Any]] | None


def parse_request(body: bytes) -> MerchantRequest:
    """Check ``{"name", "email"?, "legacy_customers"?}``: 400 when it is not JSON, 422 when it is wrong."""
    try:
        payload = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(400, "MALFORMED_JSON", "The body is not valid JSON.") from error
    if not isinstance(payload, dict):
        raise RequestError(400, "MALFORMED_JSON", "The body must be a JSON object.")
    unknown = sorted(set(payload) - {"name", "email", "legacy_customers"})
    if unknown:
        raise RequestError(422, "UNKNOWN_FIELD", f"Unknown field {unknown[0]}.", unknown[0])

    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RequestError(422, "VALIDATION_ERROR", "A merchant needs a name.", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise RequestError(422, "VALIDATION_ERROR", f"At most {MAX_NAME_LENGTH} characters.", "name")

    email = payload.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 254):
        raise RequestError(422, "INVALID_EMAIL", "Not an email address.", "email")

    legacy = payload.get("legacy_customers")
    if legacy is not None:
        if not isinstance(legacy, list) or not all(isinstance(item, dict) for item in legacy):
            raise RequestError(422, "VALIDATION_ERROR", "A list of objects.", "legacy_customers")
        if len(legacy) > MAX_LEGACY_CUSTOMERS:
            raise RequestError(422, "VALIDATION_ERROR", f"At most {MAX_LEGACY_CUSTOMERS} records.", "legacy_customers")
    return MerchantRequest(name=name.strip(), email=email, legacy_customers=legacy)


def domain_error(error: Exception) -> RequestError | None:
    """The spec's error shape for an error the domain raised about the input, if it is one.

    Domain errors carry ``status`` and ``details`` (code, detail, field); pydantic's carry ``errors()``.
    Anything else is a bug and is left to the caller (500).
    """
    status = getattr(error, "status", None)
    details = getattr(error, "details", None)
    if isinstance(status, int) and 400 <= status < 500 and details:
        first = details[0]
        return RequestError(
            status, str(getattr(first, "code", "BAD_REQUEST")), str(first.detail), getattr(first, "field", None)
        )
    errors = getattr(error, "errors", None)
    if type(error).__name__ == "ValidationError" and callable(errors):
        problems = errors()
        location = ".".join(str(part) for part in problems[0].get("loc", ())) if problems else None
        message = str(problems[0].get("msg", "Invalid value.")) if problems else "Invalid value."
        return RequestError(422, "VALIDATION_ERROR", message, location or None)
    return None
