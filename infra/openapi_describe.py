"""Completes one operation of the OpenAPI document from its route, its handler's code and its entry in
:mod:`infra.openapi_operations`: description (with the permission it needs), examples, the ``Idempotency-Key``
header, response headers, and every error response with the codes it can carry and an example of each."""

from __future__ import annotations

import inspect
import re
from typing import Any

from infra.openapi_examples import example
from infra.openapi_operations import CODES, OPERATIONS, Doc

ERROR_REF = "#/components/schemas/ErrorResponse"
IDEMPOTENT = re.compile(r"idempotent_post\(|HEADER\.lower\(\)|idempotency-key", re.IGNORECASE)
CALLER = re.compile(r"caller\(app,\s*(?:Permission\.(\w+)|(\w+))")
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Send a unique key (a UUID, or the till's receipt number) to make a retry safe: a replay with the same key "
        "and body answers the first response with `Idempotent-Replayed: true` and does nothing again; the same key "
        "with another body is 422 `IDEMPOTENCY_KEY_REUSED`. Keys are kept at least 24 hours, per merchant."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "example": "till-3-receipt-000981",
}
LOCATION = {"description": "The created resource (or the job to poll).", "schema": {"type": "string"}}
REPLAYED = {
    "description": "`true` when this answer is the replay of an earlier request with the same `Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}
BODY_CHECKS = ("MALFORMED_BODY", "JSON_TOO_DEEP", "NUMBER_TOO_LARGE")


def _doc(path: str, method: str) -> Doc:
    return OPERATIONS.get(f"{method.upper()} {path}", Doc())


def authored_description(route: Any) -> str:
    """The operation's own words: the route's ``description=``, its entry here, or the handler's docstring."""
    doc = _doc(route.openapi_path, route.method)
    parts = [route.description or "", doc.description, inspect.getdoc(route.func) or ""]
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _source(route: Any) -> str:
    try:
        return inspect.getsource(route.func)
    except (OSError, TypeError):
        return ""


def _permissions(route: Any, source: str) -> list[str]:
    from clientele.kernel.permissions import Permission

    found: list[str] = []
    for member, alias in CALLER.findall(source):
        value = Permission[member] if member else route.func.__globals__.get(alias)
        if isinstance(value, Permission) and value.value not in found:
            found.append(value.value)
    return found


def _permission_text(permissions: list[str], source: str) -> str:
    from clientele.kernel.permissions import ROLE_PERMISSIONS, Permission

    if not permissions:
        return "**Permission:** any valid API key."
    first = Permission(permissions[0])
    roles = ", ".join(role.value for role, granted in ROLE_PERMISSIONS.items() if first in granted)
    text = f"**Permission:** `{first.value}` (roles: {roles})."
    if len(permissions) > 1:
        text += " Some requests also need " + ", ".join(f"`{p}`" for p in permissions[1:]) + "."
    if "terms=False" not in source:
        text += " The customer-list terms must be accepted."
    return text


def error_examples(codes: set[str]) -> dict[str, Any]:
    """``components.examples``: one error body per code, which the error responses refer to."""
    return {code: _error_example(code) for code in sorted(codes)}


def describe(operation: dict[str, Any], route: Any, path: str, schemas: dict[str, Any]) -> None:
    method = route.method.lower()
    doc = _doc(path, method)
    source = _source(route)
    idempotent = bool(IDEMPOTENT.search(source))
    permissions = _permissions(route, source)
    prose = authored_description(route)
    operation["description"] = "\n\n".join(p for p in (prose, _permission_text(permissions, source)) if p)
    if idempotent:
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(dict(IDEMPOTENCY_HEADER))
    body = _request_schema(operation)
    if body is not None:
        content = operation["requestBody"]["content"]["application/json"]
        content["example"] = doc.request if doc.request is not None else example(body, schemas)
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            _success(
                response, doc, schemas, located=status in ("201", "202") and "Location" in source, idempotent=idempotent
            )
    _errors(operation, path, doc, schemas, source=source, idempotent=idempotent, body=body)


def _request_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return content.get("schema") if content else None


def _success(response: dict[str, Any], doc: Doc, schemas: dict[str, Any], *, located: bool, idempotent: bool) -> None:
    content = response.get("content", {}).get("application/json")
    if content and content.get("schema"):
        content["example"] = doc.response if doc.response is not None else example(content["schema"], schemas)
    headers = response.setdefault("headers", {})
    if located or idempotent:
        headers["Location"] = LOCATION
    if idempotent:
        headers["Idempotent-Replayed"] = REPLAYED
    if not headers:
        response.pop("headers")


def _errors(
    operation: dict[str, Any],
    path: str,
    doc: Doc,
    schemas: dict[str, Any],
    *,
    source: str,
    idempotent: bool,
    body: dict[str, Any] | None,
) -> None:
    from clientele.http.errors import responses

    parameters = operation.get("parameters", [])
    query = [p for p in parameters if p.get("in") == "query"]
    codes: dict[int, list[str]] = {
        400: [
            *BODY_CHECKS,
            *(["MALFORMED_JSON"] if body else []),
            *(["REPEATED_PARAMETER"] if query else []),
            *(["INVALID_CURSOR"] if any(p["name"] == "cursor" for p in query) else []),
            *(["INVALID_IDEMPOTENCY_KEY"] if idempotent else []),
        ],
        401: ["UNAUTHORIZED"],
        403: ["FORBIDDEN", *([] if "terms=False" in source else ["TERMS_NOT_ACCEPTED"])],
        404: ["NOT_FOUND", *(["CUSTOMER_MERGED"] if path.startswith("/v1/customers/{id}") else [])],
        409: [
            *(["VERSION_MISMATCH"] if body and "version" in _properties(body, schemas) else []),
            *(["IDEMPOTENCY_KEY_IN_USE"] if idempotent else []),
        ],
        413: ["PAYLOAD_TOO_LARGE"],
        415: ["UNSUPPORTED_MEDIA_TYPE"],
        422: [
            *validation_codes(body, schemas, parameters),
            *(["IDEMPOTENCY_KEY_REUSED"] if idempotent else []),
        ],
        429: ["RATE_LIMITED"],
    }
    answers = operation.setdefault("responses", {})
    # What any route behind a key can answer, declared or not: a route added without its error responses
    # is still documented with them.
    always = [400, 401, *([403] if "caller(" in source else []), *([422] if body or parameters else [])]
    for status in always:
        if str(status) not in answers:
            answers[str(status)] = _plain(responses(status)[status])
    for status, extra in doc.errors.items():
        codes[status] = [*codes.get(status, []), *extra]
        if str(status) not in answers:
            answers[str(status)] = _plain(responses(status)[status])
    for status_text, response in answers.items():
        status = int(status_text)
        if status < 400:
            continue
        listed = list(dict.fromkeys(codes.get(status) or ["CONFLICT" if status == 409 else "BAD_REQUEST"]))
        base = response.get("description", "").rstrip(".")
        response["description"] = f"{base}. Codes: " + ", ".join(f"`{c}`" for c in listed) + "."
        response["content"] = {
            "application/json": {
                "schema": {"$ref": ERROR_REF},
                "examples": {code: {"$ref": f"#/components/examples/{code}"} for code in listed},
            }
        }


def _plain(response: dict[str, Any]) -> dict[str, Any]:
    return {"description": response["description"]}


def _error_example(code: str) -> dict[str, Any]:
    detail, field = error_wording(code)
    item: dict[str, Any] = {"code": code, "detail": detail, "field": field}
    if code == "CUSTOMER_MERGED":
        item["merged_into"] = "cus_02jq8m4k2v9x7c3h5t6n0pw8ry"
    return {"summary": detail, "value": {"errors": [item]}}


_SAMPLE_CONTEXT = {"max_length": 100, "min_length": 1, "gt": 0, "ge": 1, "lt": 100, "le": 100, "expected": "'a' or 'b'"}


def _validation_wording() -> dict[str, tuple[str, str | None]]:
    from clientele.http.errors import _DATES, _FIELD_CODES, _KINDS, _TIMES

    wording: dict[str, tuple[str, str | None]] = {}
    for code, detail in _KINDS.values():
        wording.setdefault(code, (detail.format(**_SAMPLE_CONTEXT), "name"))
    for name, (code, detail) in _FIELD_CODES.items():
        wording.setdefault(code, (detail, name))
    wording["INVALID_" + _DATES[0]] = (_DATES[1], "start_date")
    wording["INVALID_" + _TIMES[0]] = (_TIMES[1], "at")
    wording["INVALID_BODY"] = ("The request body is a JSON object.", "body")
    return wording


def error_wording(code: str) -> tuple[str, str | None]:
    """An example detail and field of ``code``: ours in CODES, else the validation mapping's own words."""
    if code in CODES:
        return CODES[code]
    generic = _validation_wording()
    if code in generic:
        return generic[code]
    raise KeyError(f"no wording for error code {code}: add it to CODES in infra/openapi_operations.py")


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _properties(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return dict(_resolve(schema, schemas).get("properties", {}))


CONSTRAINT_CODES = {
    "maxLength": "TOO_LONG",
    "minLength": "TOO_SHORT",
    "maxItems": "TOO_MANY",
    "minItems": "TOO_FEW",
    "minimum": "OUT_OF_RANGE",
    "maximum": "OUT_OF_RANGE",
    "enum": "INVALID_CHOICE",
    "pattern": "INVALID_FORMAT",
}
TYPE_CODES = {"integer": "NOT_AN_INTEGER", "string": "NOT_TEXT", "boolean": "NOT_A_BOOLEAN", "array": "NOT_A_LIST"}
FORMAT_CODES = {"date": "INVALID_DATE", "date-time": "INVALID_DATETIME"}
MAX_DEPTH = 12


def _walk(schema: dict[str, Any], name: str, schemas: dict[str, Any], found: list[str], depth: int = 0) -> None:
    """Adds to ``found`` the codes the validation of ``schema`` (a field called ``name``) can give."""
    from clientele.http.errors import _FIELD_CODES

    if depth > MAX_DEPTH:
        return
    schema = _resolve(schema, schemas)
    if name in _FIELD_CODES:
        found.append(_FIELD_CODES[name][0])
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            _walk(branch, name, schemas, found, depth + 1)
    found.extend(code for key, code in CONSTRAINT_CODES.items() if key in schema)
    kind = schema.get("type") or ""
    found.extend([TYPE_CODES[kind]] if kind in TYPE_CODES else [])
    found.extend([FORMAT_CODES[schema["format"]]] if schema.get("format") in FORMAT_CODES else [])
    if kind == "object" or "properties" in schema:
        found.extend(["REQUIRED"] if schema.get("required") else [])
        found.extend(["UNKNOWN_FIELD"] if schema.get("additionalProperties") is False else [])
        for prop, sub in schema.get("properties", {}).items():
            _walk(sub, prop, schemas, found, depth + 1)
    if kind == "array" and isinstance(schema.get("items"), dict):
        _walk(schema["items"], name, schemas, found, depth + 1)


def validation_codes(
    body: dict[str, Any] | None, schemas: dict[str, Any], parameters: list[dict[str, Any]]
) -> list[str]:
    """The 422 codes the validation of this request can give, in our words (clientele/http/errors.py)."""
    found: list[str] = []
    if body is not None:
        found.append("INVALID_BODY")
        _walk(body, "", schemas, found)
    for parameter in parameters:
        if parameter.get("in") in ("query", "path") and "schema" in parameter:
            found.extend(["REQUIRED"] if parameter.get("required") else [])
            _walk(parameter["schema"], parameter["name"], schemas, found)
    return sorted(dict.fromkeys(found), key=lambda c: (c != "REQUIRED", c))
