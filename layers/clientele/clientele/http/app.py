"""The resolver every merchant-API function uses, and its Lambda entry point.

Thin handlers register routes on :func:`create_app`'s resolver; this module owns what is
common: error mapping, body limits, the caller's identity, observability.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from clientele.http import errors
from clientele.kernel.errors import DomainError, ErrorDetail, InvalidFields, Unauthorized
from clientele.kernel.permissions import Permission, Principal, require
from clientele.platform.config import Settings, settings
from clientele.platform.observability import logger, metrics, tracer

JSON = "application/json"
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class HttpSettings(Settings):
    max_body_bytes: int = Field(default=64 * 1024, alias="MAX_BODY_BYTES")


class TermsCheck(Protocol):
    def check(self, principal: Principal) -> None: ...


class MerchantApi(APIGatewayHttpResolver):
    """The merchant API's resolver: Powertools' HTTP API resolver and the gate that routes pass through."""

    def __init__(self, terms_gate: Callable[[], TermsCheck] | None) -> None:
        super().__init__(enable_validation=True)
        self.terms_gate = terms_gate


def _error(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=JSON, body=body)


def create_app(terms_gate: Callable[[], TermsCheck] | None = None) -> MerchantApi:
    """A resolver with the one error mapping; ``terms_gate`` (the account's) closes customer-list routes
    until the merchant accepted the terms."""
    app = MerchantApi(terms_gate)

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        return _error(*errors.from_domain(error))

    @app.exception_handler(InvalidFields)
    def _fields(error: InvalidFields) -> Response[str]:
        return _error(*errors.from_domain(error))

    @app.exception_handler(RequestValidationError)
    def _validation(error: RequestValidationError) -> Response[str]:
        return _error(*errors.from_validation(list(error.errors())))

    @app.exception_handler(ResponseValidationError)
    def _our_bug(error: ResponseValidationError) -> Response[str]:
        logger.error("response failed its own schema", extra={"errors": [e.get("type") for e in error.errors()]})
        return _error(500, errors.body([ErrorDetail("INTERNAL", "Something went wrong on our side.")]))

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(error: RequestUnsupportedContentType) -> Response[str]:
        return _error(
            415, errors.body([ErrorDetail("UNSUPPORTED_MEDIA_TYPE", "Send JSON with Content-Type: application/json.")])
        )

    @app.not_found
    def _not_found(error: NotFoundError) -> Response[str]:
        return _error(404, errors.body([ErrorDetail("NOT_FOUND", "No such route.")]))

    return app


def _raw_error(status: int, body: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": JSON}, "body": body}


def _precheck(event: dict[str, Any]) -> dict[str, Any] | None:
    """What API Gateway passes through but no handler should see: oversized or non-UTF-8 bodies."""
    raw = event.get("body")
    if raw is None:
        return None
    content_type = str((event.get("headers") or {}).get("content-type", "")).split(";")[0].strip().lower()
    if raw and content_type and content_type != JSON:
        return _raw_error(
            415, errors.body([ErrorDetail("UNSUPPORTED_MEDIA_TYPE", "Send JSON with Content-Type: application/json.")])
        )
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            data = b"\xff"
    else:
        data = raw.encode("utf-8", "surrogatepass")
    limit = settings(HttpSettings).max_body_bytes
    if len(data) > limit:
        return _raw_error(
            413, errors.body([ErrorDetail("PAYLOAD_TOO_LARGE", f"The request body exceeds {limit} bytes.")])
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _raw_error(400, errors.body([ErrorDetail("MALFORMED_BODY", "The request body is not UTF-8.")]))
    if event.get("isBase64Encoded"):
        event["body"] = text
        event["isBase64Encoded"] = False
    return None


UNAUTHENTICATED = "A valid API key is required: Authorization: Bearer <api_key>."
MAX_JSON_DEPTH = 32  # nesting of arrays and objects; our shapes need a handful
MAX_JSON_NUMBER = 40  # characters of one number; money is integer minor units


def _unauthenticated(event: dict[str, Any]) -> dict[str, Any] | None:
    """A route behind the authorizer answers 401 to a caller without a valid key before anything reads its
    body: an unknown key learns nothing of the route's schema (routes without an authorizer carry no
    ``requestContext.authorizer`` and are let through)."""
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    if not isinstance(authorizer, dict):
        return None
    context = authorizer.get("lambda") or {}
    if isinstance(context, dict) and context.get("authenticated") in (True, "true"):
        return None
    return _raw_error(401, errors.body([ErrorDetail("UNAUTHORIZED", UNAUTHENTICATED)]))


def _rate_limited(event: dict[str, Any]) -> dict[str, Any] | None:
    """429 with Retry-After once the key's requests of the minute are spent (:mod:`clientele.http.limits`)."""
    from clientele.http import limits

    wait = limits.retry_after(event)
    if wait is None:
        return None
    detail = f"This API key sent too many requests; try again in {wait} seconds."
    refused = _raw_error(429, errors.body([ErrorDetail("RATE_LIMITED", detail)]))
    refused["headers"]["Retry-After"] = str(wait)
    return refused


class _TooComplex(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def _number(text: str) -> Any:
    if len(text) > MAX_JSON_NUMBER:
        raise _TooComplex("NUMBER_TOO_LARGE", f"A number in the body has more than {MAX_JSON_NUMBER} characters.")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _constant(text: str) -> Any:
    raise _TooComplex("MALFORMED_JSON", f"The request body is not valid JSON ({text} is not a JSON value).")


def _json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _json_limits(event: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON body nested deeper than ``MAX_JSON_DEPTH`` or with a number longer than ``MAX_JSON_NUMBER``
    (or NaN, Infinity) is a 400 before any parser sees it: no recursion or big-number error can follow. A body
    that is JSON but not an object is 422 ``INVALID_BODY``, as the routes' own validation answers it, also for
    a route whose every field has a default (it would otherwise read an array as an empty object)."""
    text = event.get("body")
    if not text or not isinstance(text, str):
        return None
    if _json_depth(text) > MAX_JSON_DEPTH:
        return _raw_error(
            400, errors.body([ErrorDetail("JSON_TOO_DEEP", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")])
        )
    try:
        value = json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_constant)
    except _TooComplex as exc:
        return _raw_error(400, errors.body([ErrorDetail(exc.code, str(exc))]))
    except (ValueError, RecursionError):
        return None  # not JSON at all: the route's own validation answers MALFORMED_JSON
    if value is not None and not isinstance(value, dict):  # every body is an object: an array is not an empty one
        return _raw_error(422, errors.body([ErrorDetail("INVALID_BODY", "The request body is a JSON object.", "body")]))
    return None


def api_prechecks(event: dict[str, Any]) -> dict[str, Any] | None:
    """What a merchant-API request is refused before any route reads it (no key, spent rate, a body too large,
    not UTF-8, too deep or with too long a number); None: let it through."""
    refused = _unauthenticated(event) or _rate_limited(event) or _precheck(event) or _json_limits(event)
    return None if refused is None else _private(refused)


def lambda_entry(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The function's handler: body checks, correlation id, metrics and tracing around ``app``."""

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = api_prechecks(event)
        if refused is not None:
            return refused
        try:
            return _private(app.resolve(event, context))
        except Exception:
            logger.exception("unhandled error")
            return _private(
                _raw_error(500, errors.body([ErrorDetail("INTERNAL", "Something went wrong on our side.")]))
            )

    return handler


# Every answer of the merchant API may hold personal data: no cache keeps it, no browser sniffs its type.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _private(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.setdefault("headers", {}) or {}
    present = {name.lower() for name in headers}
    for name, value in PRIVATE_HEADERS.items():
        if name.lower() not in present:
            headers[name] = value
    response["headers"] = headers
    return response


def principal(app: APIGatewayHttpResolver) -> Principal:
    """The caller, as the authorizer resolved it from the API key."""
    context = app.current_event.request_context.authorizer.get_lambda or {}
    if context.get("authenticated") not in (True, "true"):
        raise Unauthorized(UNAUTHENTICATED)
    try:
        site_ids = context.get("site_ids")
        return Principal(
            merchant_id=context["merchant_id"],
            key_id=context["key_id"],
            role=context["role"],
            site_ids=json.loads(site_ids) if isinstance(site_ids, str) and site_ids else None,
            terms_accepted=context.get("terms_accepted") in (True, "true"),
            country=context.get("country") or "NL",
            locale=context.get("locale") or "en",
        )
    except (KeyError, ValueError) as exc:
        raise Unauthorized("A valid API key is required.") from exc


def caller(app: MerchantApi, permission: Permission, *, terms: bool = True) -> Principal:
    """The caller, once it is known to hold ``permission`` (and, by default, to have accepted the terms)."""
    who = principal(app)
    require(who, permission)
    if terms:
        if app.terms_gate is None:
            raise RuntimeError("this function's routes need the terms gate: create_app(terms_gate=...)")
        app.terms_gate().check(who)
    return who


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    """A JSON answer with a status other than 200; Powertools validates ``payload`` against the route."""
    return Response(status_code=status, content_type=JSON, body=payload, headers=headers)
