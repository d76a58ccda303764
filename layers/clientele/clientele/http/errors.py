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


class ErrorResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    errors: list[ErrorItem]


def body(details: list[ErrorDetail]) -> str:
    return json.dumps({"errors": [{"code": d.code, "detail": d.detail, "field": d.field} for d in details]})


def from_domain(error: DomainError | InvalidFields) -> tuple[int, str]:
    return error.status, body(error.details)


_PYDANTIC_CODES = {
    "missing": "REQUIRED",
    "extra_forbidden": "UNKNOWN_FIELD",
    "string_too_long": "TOO_LONG",
    "string_too_short": "TOO_SHORT",
    "too_long": "TOO_MANY",
    "json_invalid": "MALFORMED_JSON",
}


def _field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def from_validation(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """Powertools/pydantic validation errors: 400 for a body that is not JSON, else 422."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, body([ErrorDetail("MALFORMED_JSON", "The request body is not valid JSON.", None)])
    repeated = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("query",) and isinstance(e.get("input"), list)]
    if repeated:  # a query parameter that takes one value, given several times: never one of them picked
        name = _field(repeated[0].get("loc", ()))
        return 400, body([ErrorDetail("REPEATED_PARAMETER", f"{name} is given more than once: give it once.", name)])
    details = []
    for error in errors:
        kind = str(error.get("type", "invalid"))
        code = _PYDANTIC_CODES.get(kind, "INVALID_" + kind.split("_", maxsplit=1)[0].upper() if kind else "INVALID")
        loc = error.get("loc", ())
        if kind == "model_attributes_type" or (kind.endswith("_type") and tuple(loc) == ("body",)):
            code = "INVALID_BODY"
        message = str(error.get("msg", "Invalid value."))
        details.append(ErrorDetail(code, message, _field(loc)))
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
