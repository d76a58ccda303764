"""The one place that turns errors into the spec's error shape:
``{"errors": [{"code", "detail", "field"}]}`` with the right status. Never a stack trace."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clientele.kernel.errors import DomainError, ErrorDetail, InvalidFields


class ErrorItem(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str = Field(description="Stable machine-readable code, e.g. INVALID_EMAIL.")
    detail: str = Field(description="Human-readable explanation.")
    field: str | None = Field(default=None, description="The input field at fault, when there is one.")
    merged_into: str | None = Field(
        default=None, description="On a 404 for a customer merged into another: the survivor's id."
    )


class ErrorResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    errors: list[ErrorItem]


def _shape(d: ErrorDetail) -> dict[str, Any]:
    shaped: dict[str, Any] = {"code": d.code, "detail": d.detail, "field": d.field}
    if d.merged_into:
        shaped["merged_into"] = d.merged_into
    return shaped


def body(details: list[ErrorDetail]) -> str:
    return json.dumps({"errors": [_shape(d) for d in details]})


def from_domain(error: DomainError | InvalidFields) -> tuple[int, str]:
    return error.status, body(error.details)


# Our own words for each kind of mistake pydantic finds: (code, detail); ``{...}`` is filled from its context.
_KINDS: dict[str, tuple[str, str]] = {
    "missing": ("REQUIRED", "This field is required."),
    "extra_forbidden": ("UNKNOWN_FIELD", "This field is not part of this request; check its spelling."),
    "string_too_long": ("TOO_LONG", "At most {max_length} characters."),
    "string_too_short": ("TOO_SHORT", "At least {min_length} characters."),
    "too_long": ("TOO_MANY", "At most {max_length} items."),
    "too_short": ("TOO_FEW", "At least {min_length} items."),
    "greater_than": ("OUT_OF_RANGE", "Must be more than {gt}."),
    "greater_than_equal": ("OUT_OF_RANGE", "Must be {ge} or more."),
    "less_than": ("OUT_OF_RANGE", "Must be less than {lt}."),
    "less_than_equal": ("OUT_OF_RANGE", "Must be {le} or less."),
    "int_type": ("NOT_AN_INTEGER", "A whole number, without quotes (money is in minor units: 1250 for 12.50)."),
    "int_parsing": ("NOT_AN_INTEGER", "A whole number."),
    "int_from_float": ("NOT_AN_INTEGER", "A whole number (money is in minor units: 1250 for 12.50)."),
    "string_type": ("NOT_TEXT", "Text, in quotes."),
    "bool_type": ("NOT_A_BOOLEAN", "true or false."),
    "bool_parsing": ("NOT_A_BOOLEAN", "true or false."),
    "list_type": ("NOT_A_LIST", "A list, in square brackets."),
    "dict_type": ("NOT_AN_OBJECT", "An object, in curly brackets."),
    "model_type": ("NOT_AN_OBJECT", "An object, in curly brackets."),
    "model_attributes_type": ("NOT_AN_OBJECT", "An object, in curly brackets."),
    "string_pattern_mismatch": ("INVALID_FORMAT", "This value is not in the expected format."),
    "literal_error": ("INVALID_CHOICE", "One of: {expected}."),
    "enum": ("INVALID_CHOICE", "One of: {expected}."),
    "url_parsing": ("INVALID_URL", "A full address starting with https://."),
    "uuid_parsing": ("INVALID_FORMAT", "This value is not in the expected format."),
    "value_error": ("INVALID_VALUE", "This value is not valid."),
}
_DATES = ("DATE", "A date as YYYY-MM-DD, e.g. 2026-03-31.")
_TIMES = ("DATETIME", "A date and time in RFC 3339, e.g. 2026-03-31T14:05:00Z.")
# One code per field whatever went wrong with it: an email of two characters is an invalid email, not "too short".
_FIELD_CODES: dict[str, tuple[str, str]] = {
    "email": ("INVALID_EMAIL", "Enter a valid email address, like name@example.com."),
    "phone": ("INVALID_PHONE", "Enter a valid phone number, in international form like +31 6 12345678."),
    "currency": ("INVALID_CURRENCY", "An ISO 4217 currency code in capitals, e.g. EUR."),
    "country": ("INVALID_COUNTRY", "An ISO 3166 country code in capitals, e.g. NL."),
    "locale": ("INVALID_LOCALE", "One of: en, fr, nl."),
    "time_zone": ("INVALID_TIME_ZONE", "An IANA time zone, e.g. Europe/Amsterdam."),
    "last4": ("INVALID_LAST4", "The card's last four digits."),
    "privacy_policy_url": ("INVALID_URL", "A full address starting with https://."),
    "birthday": ("INVALID_DATE", "A past date as YYYY-MM-DD."),
}


def _field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def _explain(kind: str, field: str | None, context: dict[str, Any]) -> tuple[str, str]:
    """The code and the detail of one mistake, in our own words (never pydantic's)."""
    last = (field or "").rsplit(".", 1)[-1]
    if last in _FIELD_CODES and kind not in ("missing", "extra_forbidden"):
        return _FIELD_CODES[last]
    if kind.startswith("datetime"):
        return "INVALID_" + _TIMES[0], _TIMES[1]
    if kind.startswith("date"):
        return "INVALID_" + _DATES[0], _DATES[1]
    code, detail = _KINDS.get(kind, ("INVALID", "This value is not valid."))
    try:
        detail = detail.format(**{k: v for k, v in context.items() if isinstance(v, str | int | float)})
    except (KeyError, IndexError):
        detail = detail.split(":")[0].split("{")[0].strip() or "This value is not valid."
    return code, detail


def from_validation(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """Powertools/pydantic validation errors: 400 for a body that is not JSON, else 422, in our own words."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, body([ErrorDetail("MALFORMED_JSON", "The request body is not valid JSON.", "body")])
    repeated = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("query",) and isinstance(e.get("input"), list)]
    if repeated:  # a query parameter that takes one value, given several times: never one of them picked
        name = _field(repeated[0].get("loc", ()))
        return 400, body([ErrorDetail("REPEATED_PARAMETER", f"{name} is given more than once: give it once.", name)])
    details = []
    for error in errors:
        kind = str(error.get("type", "invalid"))
        loc = tuple(error.get("loc", ()))
        field = _field(loc)
        if field is None and kind.endswith("_type"):
            details.append(ErrorDetail("INVALID_BODY", "The request body is a JSON object.", "body"))
            continue
        code, detail = _explain(kind, field, dict(error.get("ctx") or {}))
        details.append(ErrorDetail(code, detail, field or ("body" if "body" in loc else None)))
    return 422, body(details)


def responses(*statuses: int) -> dict[int, dict[str, Any]]:
    """OpenAPI response entries for the error statuses an operation can answer."""
    descriptions = {
        400: "Malformed request (not JSON, not UTF-8, bad cursor).",
        401: "Missing or unknown API key.",
        403: "The key's role lacks the permission, or the terms are not accepted yet.",
        404: "No such resource for this merchant.",
        409: "Version or uniqueness conflict.",
        413: "Request body too large.",
        415: "Unsupported content type.",
        422: "Validation failed.",
        429: "Rate limited.",
    }
    return {
        status: {"description": descriptions[status], "content": {"application/json": {"model": ErrorResponse}}}
        for status in statuses
    }


def success(model: type[BaseModel], status: int = 200, description: str = "OK") -> dict[int, dict[str, Any]]:
    """The OpenAPI entry of a successful answer (Powertools omits it once error responses are given)."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


def no_content(description: str) -> dict[int, dict[str, Any]]:
    return {204: {"description": description}}
