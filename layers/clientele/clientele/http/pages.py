"""Hosted HTML pages at the edge (signup now; receipt, erase and preferences pages reuse it).

A page is a template rendered in the visitor's language with the inlined stylesheet and the
strict security headers of :mod:`clientele.rendering.page_security`. Bad input always gets a
localised page, never a stack trace or a JSON error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.platform.observability import logger, metrics, tracer

STYLESHEET = "pages/page.css"
MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 40
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class BadForm(Exception):
    """A request body that is no form we could have sent: too large, not UTF-8, not urlencoded."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def language(app: APIGatewayHttpResolver, *choices: str | None, fallback: str = "en") -> str:
    """The page's language: an explicit choice (``?lang=``, the form's ``locale``), else Accept-Language."""
    from clientele.rendering.languages import negotiate

    event = app.current_event
    query = event.query_string_parameters or {}
    return negotiate(
        *choices, query.get("lang"), accept_language=event.headers.get("accept-language"), fallback=fallback
    )


def switch_links(path: str, locale: str, **keep: str | None) -> list[tuple[str, str, str]]:
    """``(code, name, href)`` of each language, keeping the query parameters in ``keep``."""
    from clientele.rendering.languages import NAMES, SUPPORTED

    kept = {k: v for k, v in keep.items() if v}
    return [(code, NAMES[code], f"{path}?{urlencode({**kept, 'lang': code})}") for code in SUPPORTED]


def page(
    template: str, locale: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response[str]:
    from markupsafe import Markup

    from clientele.rendering.page_security import page_headers
    from clientele.rendering.templates import render, stylesheet

    css = stylesheet(STYLESHEET)
    context.setdefault("switch", [])
    body = render(template, locale, stylesheet=Markup(css.text), **context)  # noqa: S704 - our own file
    all_headers = {**page_headers(style_sources=[css.csp_source], content_language=locale), **(headers or {})}
    return Response(status_code=status, body=body, headers=all_headers)


def notice(
    reason: str,
    locale: str,
    status: int,
    *,
    headers: dict[str, str] | None = None,
    app: APIGatewayHttpResolver | None = None,
) -> Response[str]:
    """A page that only tells something; with ``app``, it offers the other languages of the same address."""
    switch = switch_links(app.current_event.path, locale) if app is not None else []
    return page("pages/notice.html", locale, status=status, reason=reason, headers=headers, switch=switch)


def redirect(location: str) -> Response[str]:
    from clientele.rendering.page_security import page_headers

    return Response(status_code=303, body="", headers={**page_headers(), "Location": location})


def form(
    app: APIGatewayHttpResolver, *, max_fields: int = MAX_FORM_FIELDS, max_bytes: int = MAX_FORM_BYTES
) -> dict[str, list[str]]:
    """The posted ``application/x-www-form-urlencoded`` fields (:class:`BadForm` otherwise)."""
    event = app.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadForm("content type", 415)
    raw = event.get("body") or ""
    data: bytes
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadForm("encoding", 400) from exc
    else:
        data = raw.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise BadForm("size", 413)
    try:
        text = data.decode("utf-8")
        return parse_qs(text, keep_blank_values=True, max_num_fields=max_fields, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("encoding", 400) from exc


def first(fields: dict[str, list[str]], name: str, *, limit: int = 1000) -> str:
    values = fields.get(name) or [""]
    return values[0][:limit]


_LAST_RESORT = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    "<h1>Something went wrong</h1><p>Please try again in a moment.</p></html>"
)


def page_entry(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The function's handler: correlation id, metrics and tracing around ``app``.

    The app's own exception handlers answer every error with a localised page; should one of those
    fail too, a static page still answers, never a stack trace.
    """

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        from clientele.http import limits

        if str(event.get("rawPath") or "").startswith("/v1/"):
            # The merchant-API routes such a function also serves (the signup QR code and its rotation) are
            # refused as every other function's are: 401 before the body is read, then rate, size and depth.
            from clientele.http.app import api_prechecks

            refused = api_prechecks(event)
            if refused is not None:
                return refused
        wait = limits.retry_after(event)
        if wait is not None:
            detail = "This API key sent too many requests."
            body = json.dumps({"errors": [{"code": "RATE_LIMITED", "detail": detail, "field": None}]})
            headers = {"Content-Type": "application/json", "Retry-After": str(wait), "Cache-Control": "no-store"}
            return {"statusCode": 429, "headers": headers, "body": body}
        try:
            return app.resolve(event, context)
        except Exception:
            from clientele.rendering.page_security import page_headers

            logger.exception("unhandled error")
            return {"statusCode": 500, "headers": page_headers(), "body": _LAST_RESORT}

    return handler


def handle_link_errors(
    app: APIGatewayHttpResolver, *, invalid: str = "link_invalid", expired: str = "link_expired"
) -> None:
    """What every public page answers to a link that does not work, an unknown path and a body that is
    no form: a localised notice page (404, 410 for an expired link, 4xx for the body)."""
    from clientele.kernel.links import InvalidLink

    @app.exception_handler(InvalidLink)
    def _invalid_link(error: InvalidLink) -> Response[str]:
        if error.reason == "expired":
            return notice(expired, language(app), 410, app=app)
        return notice(invalid, language(app), 404, app=app)

    @app.exception_handler(BadForm)
    def _bad_form(error: BadForm) -> Response[str]:
        return notice("too_large" if error.status == 413 else "bad_request", language(app), error.status, app=app)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        # A token the route does not even match (odd characters): the same page as any dead link.
        return notice(invalid, language(app), 404, app=app)
