"""A local stand-in for API Gateway's HTTP API, built from the ``HttpApi`` events of ``template.yaml``.

It does what API Gateway does between a client and the functions, and nothing more: it selects a route,
runs the Lambda REQUEST authorizer (with its result cache), builds the payload format 2.0 event, invokes the
handler in-process (see ``runtime.py``) and turns the handler's result into an HTTP response. The same
:class:`Gateway` serves tests in-process (``Gateway.handle``) and the local HTTP server (``server.py``).

Where the behaviour of API Gateway is not obvious it is written next to the code that copies it. JWT
authorizers, CORS configuration and throttling are not emulated (the template uses none of them yet).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from infra.local.runtime import InvocationError, Runtime
from infra.local.template import AuthorizerSpec, HttpRoute

logger = logging.getLogger(__name__)

# API Gateway's request payload limit for HTTP APIs.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
# Lambda's limit for a synchronous invocation's response; API Gateway answers 500 beyond it.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    code: str
    detail: str

    def body(self) -> bytes:
        return json.dumps({"errors": [{"code": self.code, "detail": self.detail, "field": None}]}).encode()


# The answers that come from the gateway itself, not from a function: one place, so that the README and the
# OpenAPI document can describe them. API Gateway's HTTP APIs send {"message": "Unauthorized"},
# {"message": "Forbidden"}, {"message": "Not Found"}, {"message": "Request Entity Too Large"} and
# {"message": "Internal Server Error"} with these statuses and, unlike REST APIs, cannot customise those
# bodies (there are no gateway responses for HTTP APIs). The local stack uses the product's error shape so
# that clients written against the spec see one shape; the statuses are API Gateway's. Note that a Lambda
# authorizer of an HTTP API cannot produce a 401: a missing identity source is the only way to it.
GATEWAY_RESPONSES: dict[str, GatewayResponse] = {
    "MISSING_IDENTITY": GatewayResponse(401, "UNAUTHORIZED", "A valid API key is required."),
    "ACCESS_DENIED": GatewayResponse(403, "FORBIDDEN", "This API key may not use this route."),
    "NOT_FOUND": GatewayResponse(404, "NOT_FOUND", "No route matches this method and path."),
    "PAYLOAD_TOO_LARGE": GatewayResponse(413, "PAYLOAD_TOO_LARGE", "The request body exceeds 10 MB."),
    "INTEGRATION_FAILURE": GatewayResponse(500, "INTERNAL_ERROR", "The function failed."),
    "AUTHORIZER_FAILURE": GatewayResponse(500, "INTERNAL_ERROR", "The authorizer failed."),
}

# Authorizer results kept at most (API Gateway's cache is bounded too); expired ones are dropped first.
AUTHORIZER_CACHE_ENTRIES = 1000

# The content types whose bodies HTTP APIs pass as text; every other body (including form posts and bodies
# without a content type) arrives base64-encoded with isBase64Encoded true.
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def _gateway_response(name: str, request_id: str) -> Response:
    answer = GATEWAY_RESPONSES[name]
    return Response(
        answer.status,
        [("content-type", "application/json"), ("apigw-requestid", request_id)],
        answer.body(),
    )


# ----------------------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    segments: tuple[str, ...]

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def match(self, method: str, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """(specificity, path parameters) when this route takes the request; lower specificity wins."""
        if self.route.method not in (method, "ANY"):
            return None
        fixed = self.segments[:-1] if self.greedy else self.segments
        if len(parts) < len(fixed) or (not self.greedy and len(parts) != len(fixed)):
            return None
        parameters: dict[str, str] = {}
        rank: list[int] = []
        for segment, part in zip(fixed, parts, strict=False):
            if segment.startswith("{") and segment.endswith("}") and part:
                parameters[segment[1:-1]] = part
                rank.append(1)
            elif segment == part:
                rank.append(0)
            else:
                return None
        if self.greedy:
            rest = parts[len(fixed) :]
            if not rest or rest == [""]:
                return None  # {proxy+} takes at least one segment
            parameters[self.segments[-1][1:-2]] = "/".join(rest)
            rank.append(2)
        # Literal segments beat parameters, which beat a greedy tail; a route for the exact method beats
        # ANY at the same specificity (API Gateway's "most specific match").
        return (*rank, 3, 0 if self.route.method == method else 1), parameters


class RouteTable:
    """The HTTP API's routes, matched the way API Gateway selects them."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self.routes = list(routes)
        self._compiled = [
            _CompiledRoute(route, tuple(route.path.strip("/").split("/")) if route.path != "/" else ("",))
            for route in self.routes
            if route.path != "$default"
        ]
        self._default = next((route for route in self.routes if route.path == "$default"), None)

    @property
    def route_keys(self) -> list[str]:
        return sorted(route.route_key for route in self.routes)

    def match(self, method: str, raw_path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        # HTTP APIs hand the function a decoded path; segments are split before decoding so that an encoded
        # slash stays inside its path parameter.
        raw_parts = raw_path.strip("/").split("/") if raw_path not in ("", "/") else [""]
        parts = [unquote(part) for part in raw_parts]
        best: tuple[tuple[int, ...], HttpRoute, dict[str, str]] | None = None
        for compiled in self._compiled:
            found = compiled.match(method.upper(), parts)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], compiled.route, found[1])
        if best is not None:
            return best[1], best[2]
        if self._default is not None:
            return self._default, {}
        return None


# ----------------------------------------------------------------------------------------------- events


@dataclass
class _Request:
    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]
    cookies: list[str]
    body: bytes
    source_ip: str
    request_id: str
    received: datetime

    @classmethod
    def parse(
        cls,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]] | Mapping[str, str],
        body: bytes,
        source_ip: str,
    ) -> _Request:
        raw_path, _, raw_query = target.partition("?")
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        joined: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in pairs:
            key = name.lower()
            # Duplicate headers are joined with commas (payload format 2.0 has no multi-value headers).
            joined[key] = f"{joined[key]},{value}" if key in joined else value
            if key == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
        return cls(
            method=method.upper(),
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=joined,
            cookies=cookies,
            body=body,
            source_ip=source_ip,
            request_id=base64.b64encode(secrets.token_bytes(10)).decode(),
            received=datetime.now(UTC),
        )


def query_string_parameters(raw_query: str) -> dict[str, str] | None:
    """Decoded query parameters, repeated keys joined with commas, as payload format 2.0 has them."""
    if not raw_query:
        return None
    parameters: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[key] = f"{parameters[key]},{value}" if key in parameters else value
    return parameters


def _body_fields(request: _Request) -> dict[str, Any]:
    if not request.body:
        return {"isBase64Encoded": False}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.startswith("text/") or content_type in _TEXT_TYPES:
        try:
            return {"body": request.body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(request.body).decode(), "isBase64Encoded": True}


class Gateway:
    """Routes requests to the template's functions as API Gateway's HTTP API does.

    ``clock`` returns seconds (monotonic) and is only there so tests can expire the authorizer cache.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        clock: Callable[[], float] = time.monotonic,
        stage: str = "$default",
    ) -> None:
        self.runtime = runtime
        self.routes = RouteTable(runtime.stack.template.routes)
        self.stage = stage
        self._clock = clock
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, bool, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()

    @property
    def api_id(self) -> str:
        return "local"

    def clear_authorizer_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    # -- the request's way

    def handle(
        self,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes = b"",
        source_ip: str = "127.0.0.1",
    ) -> Response:
        """Answer one request; ``path`` is the request target (path and query string, still encoded)."""
        request = _Request.parse(method, path, headers, body, source_ip)
        if len(body) > MAX_REQUEST_BYTES:
            return _gateway_response("PAYLOAD_TOO_LARGE", request.request_id)
        matched = self.routes.match(request.method, request.raw_path)
        if matched is None:
            return _gateway_response("NOT_FOUND", request.request_id)
        route, path_parameters = matched

        authorizer_context: dict[str, Any] | None = None
        if route.authorizer is not None:
            decision = self._authorize(route, route.authorizer, request, path_parameters)
            if isinstance(decision, Response):
                return decision
            authorizer_context = decision

        event = self._event(route, request, path_parameters, authorizer_context)
        try:
            result = self.runtime.invoke(route.function_id, event)
        except InvocationError:
            return _gateway_response("INTEGRATION_FAILURE", request.request_id)
        return self._response(result, request.request_id, route.function_id)

    def _event(
        self,
        route: HttpRoute,
        request: _Request,
        path_parameters: Mapping[str, str],
        authorizer_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The payload format 2.0 event API Gateway sends to the route's function."""
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": unquote(request.raw_path),
            "rawQueryString": request.raw_query,
            "headers": self._forwarded_headers(request),
            "requestContext": self._request_context(route, request),
            "stageVariables": None,
        }
        if request.cookies:
            event["cookies"] = list(request.cookies)
        query = query_string_parameters(request.raw_query)
        if query is not None:
            event["queryStringParameters"] = query
        if path_parameters:
            event["pathParameters"] = dict(path_parameters)
        event.update(_body_fields(request))
        if authorizer_context is not None:
            event["requestContext"]["authorizer"] = {"lambda": dict(authorizer_context)}
        return event

    def _forwarded_headers(self, request: _Request) -> dict[str, str]:
        headers = dict(request.headers)
        headers.setdefault("x-forwarded-for", request.source_ip)
        headers.setdefault("x-forwarded-proto", "http")
        host = headers.get("host", "127.0.0.1")
        headers.setdefault("x-forwarded-port", host.rpartition(":")[2] if ":" in host else "80")
        headers.setdefault("x-amzn-trace-id", f"Root=1-{int(request.received.timestamp()):08x}-{secrets.token_hex(12)}")
        if request.body:
            headers.setdefault("content-length", str(len(request.body)))
        return headers

    def _request_context(self, route: HttpRoute, request: _Request) -> dict[str, Any]:
        domain = request.headers.get("host", "127.0.0.1")
        return {
            "accountId": self.runtime.stack.account_id,
            "apiId": self.api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0].split(":")[0],
            "http": {
                "method": request.method,
                "path": unquote(request.raw_path),
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": request.request_id,
            "routeKey": route.route_key,
            "stage": self.stage,
            "time": request.received.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(request.received.timestamp() * 1000),
        }

    # -- the authorizer

    def _route_arn(self, request: _Request) -> str:
        stack = self.runtime.stack
        return (
            f"arn:aws:execute-api:{stack.region}:{stack.account_id}:{self.api_id}/{self.stage}/"
            f"{request.method}{unquote(request.raw_path)}"
        )

    def _identity(self, authorizer: AuthorizerSpec, request: _Request) -> list[str] | None:
        values: list[str] = []
        for header in authorizer.identity_headers:
            value = request.headers.get(header.lower())
            if not value:
                return None
            values.append(value)
        query = query_string_parameters(request.raw_query) or {}
        for name in authorizer.identity_query_strings:
            if not query.get(name):
                return None
            values.append(query[name])
        return values

    def _authorize(
        self,
        route: HttpRoute,
        authorizer: AuthorizerSpec,
        request: _Request,
        path_parameters: Mapping[str, str],
    ) -> dict[str, Any] | Response:
        identity = self._identity(authorizer, request)
        if identity is None:
            # API Gateway answers 401 without invoking the authorizer when an identity source is missing.
            return _gateway_response("MISSING_IDENTITY", request.request_id)

        key = (authorizer.name, tuple(identity))
        now = self._clock()
        if authorizer.ttl_seconds > 0:
            with self._cache_lock:
                cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                allowed, context = cached[1], cached[2]
                return context if allowed else _gateway_response("ACCESS_DENIED", request.request_id)

        event = self._event(route, request, path_parameters)
        event.pop("isBase64Encoded", None)
        event.pop("body", None)  # authorizers never see the body
        event.update({"type": "REQUEST", "routeArn": self._route_arn(request), "identitySource": identity})
        try:
            result = self.runtime.invoke(authorizer.function_id, event)
            allowed, context = _authorizer_decision(authorizer, result, event["routeArn"])
        except (InvocationError, ValueError, TypeError, KeyError):
            logger.error("authorizer %s failed or answered in an unknown shape", authorizer.name)
            return _gateway_response("AUTHORIZER_FAILURE", request.request_id)

        if authorizer.ttl_seconds > 0:
            with self._cache_lock:
                self._cache[key] = (now + authorizer.ttl_seconds, allowed, context)
                if len(self._cache) > AUTHORIZER_CACHE_ENTRIES:
                    self._evict(now)
        return context if allowed else _gateway_response("ACCESS_DENIED", request.request_id)

    def _evict(self, now: float) -> None:
        """Drop expired results, then the oldest ones, so that every key ever seen is not kept forever."""
        for cached_key in [k for k, (expires, _, _) in self._cache.items() if expires <= now]:
            del self._cache[cached_key]
        while len(self._cache) > AUTHORIZER_CACHE_ENTRIES:
            del self._cache[next(iter(self._cache))]

    # -- the function's answer

    def _response(self, result: Any, request_id: str, function_id: str) -> Response:
        headers: list[tuple[str, str]] = []
        if isinstance(result, dict) and "statusCode" in result:
            status = int(result["statusCode"])
            for name, value in (result.get("headers") or {}).items():
                headers.append((str(name).lower(), str(value)))
            for name, values in (result.get("multiValueHeaders") or {}).items():
                headers.extend((str(name).lower(), str(value)) for value in values)
            headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
            body_value = result.get("body")
            if body_value is None:
                body = b""
            elif result.get("isBase64Encoded"):
                body = base64.b64decode(str(body_value))
            elif isinstance(body_value, str):
                body = body_value.encode()
            else:
                body = json.dumps(body_value).encode()
        else:
            # Without a statusCode API Gateway takes the whole result as a JSON body with status 200.
            status = 200
            headers.append(("content-type", "application/json"))
            body = json.dumps(result).encode()
        if len(body) > MAX_RESPONSE_BYTES:
            logger.error("%s answered more than Lambda's 6 MB response limit", function_id)
            return _gateway_response("INTEGRATION_FAILURE", request_id)
        headers.append(("apigw-requestid", request_id))
        return Response(status, headers, body)


def _authorizer_decision(authorizer: AuthorizerSpec, result: Any, route_arn: str) -> tuple[bool, dict[str, Any]]:
    """(allowed, context) from a simple response or an IAM policy response."""
    if not isinstance(result, dict):
        raise TypeError("an authorizer must return an object")
    context = dict(result.get("context") or {})
    if authorizer.simple_responses and authorizer.payload_version == "2.0":
        allowed = result["isAuthorized"]
        if not isinstance(allowed, bool):
            raise TypeError("isAuthorized must be a boolean")
        return allowed, context
    statements = result["policyDocument"]["Statement"]
    effects: set[str] = set()
    for statement in statements:
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatch.fnmatchcase(route_arn, pattern) for pattern in resources):
            effects.add(str(statement.get("Effect", "")).capitalize())
    context.setdefault("principalId", result.get("principalId"))
    return ("Allow" in effects and "Deny" not in effects), context
