"""The ``/_local`` routes: developer conveniences that exist only on the local stack.

They are never in ``template.yaml`` and never reach a function through the gateway:

* ``GET /_local/health`` → ``{"status": "ok"}``;
* ``POST /_local/merchants`` ``{"name", "email"?, "legacy_customers"?}`` → 201 with the new merchant's
  ``{"merchant_id", "api_key", "signup_url"}`` (terms not accepted yet, like a real new merchant);
* ``GET /_local/outbox`` → every email and SMS sent, newest first: an HTML page, or JSON when the
  request accepts ``application/json``;
* ``POST /_local/schedules/{name}`` with an optional ``{"now": "<RFC 3339>"}`` → runs one schedule now
  and answers the handler's result as JSON;
* ``POST /_local/ses-events`` ``{"message_id", "event"?}`` → publishes SES's ``bounce`` (permanent, the
  default), ``transient-bounce`` or ``complaint`` notification for an email of the outbox to the
  configuration set's SNS topic, as SES would (moto's SES publishes no events); 202 with its event type,
  message id and tags;
* ``GET /_local/docs`` → Swagger UI for ``/v1/openapi.json``, with its assets served from the
  ``swagger-ui-py`` package when it is installed (no other host is contacted), else from a CDN.

Errors use the product's shape, ``{"errors": [{"code", "detail", "field"?}]}``.
"""

from __future__ import annotations

import html
import importlib.util
import json
import logging
import mimetypes
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from infra.local.gateway import Response
from infra.local.merchants import RequestError, domain_error, parse_request
from infra.local.outbox import Outbox
from infra.local.runtime import InvocationError, Runtime
from infra.local.scheduler import Scheduler, UnknownSchedule

logger = logging.getLogger(__name__)

PREFIX = "/_local"
SWAGGER_UI_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
_SWAGGER_ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
)
_HTML_SECURITY = {
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

MerchantFactory = Callable[..., dict[str, str]]


def _json(status: int, payload: Any, extra: Mapping[str, str] | None = None) -> Response:
    headers = [("content-type", "application/json"), *(extra or {}).items()]
    return Response(status, headers, json.dumps(payload, default=str).encode())


def _error(status: int, code: str, detail: str, field: str | None = None) -> Response:
    return _json(status, RequestError(status, code, detail, field).body())


def _html(body: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        200,
        [("content-type", "text/html; charset=utf-8"), *(headers or _HTML_SECURITY).items()],
        body.encode(),
    )


def swagger_ui_assets() -> Path | None:
    """The folder of Swagger UI's built assets shipped by ``swagger-ui-py`` (import name ``swagger_ui``)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


class LocalRoutes:
    def __init__(
        self,
        runtime: Runtime,
        scheduler: Scheduler,
        outbox: Outbox,
        create_merchant: MerchantFactory,
    ) -> None:
        self.runtime = runtime
        self.scheduler = scheduler
        self.outbox = outbox
        self.create_merchant = create_merchant
        self.demo_api_key: str | None = None  # Swagger UI starts authorised with it, so "Try it out" just works

    @staticmethod
    def owns(path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Response:
        path = target.partition("?")[0].rstrip("/") or "/"
        method = method.upper()
        routes: dict[str, tuple[str, Callable[[], Response]]] = {
            f"{PREFIX}/health": ("GET", lambda: _json(200, {"status": "ok"})),
            f"{PREFIX}/merchants": ("POST", lambda: self._merchants(body)),
            f"{PREFIX}/outbox": ("GET", lambda: self._outbox(headers, target)),
            f"{PREFIX}/docs": ("GET", self._docs),
            f"{PREFIX}/ses-events": ("POST", lambda: self._ses_event(body)),
        }
        if path in routes:
            allowed, action = routes[path]
            if method != allowed:
                return _json(
                    405,
                    RequestError(405, "METHOD_NOT_ALLOWED", f"Use {allowed}.").body(),
                    {"allow": allowed},
                )
            return action()
        if path.startswith(f"{PREFIX}/schedules/") and path.count("/") == 3:
            if method != "POST":
                return _json(405, RequestError(405, "METHOD_NOT_ALLOWED", "Use POST.").body(), {"allow": "POST"})
            return self._schedule(unquote(path.rsplit("/", 1)[1]), body)
        if path.startswith(f"{PREFIX}/docs/") and method == "GET":
            return self._asset(path.rsplit("/", 1)[1])
        return _error(404, "NOT_FOUND", "No local route matches this path.")

    # -- merchants

    def _merchants(self, body: bytes) -> Response:
        try:
            request = parse_request(body)
        except RequestError as error:
            return _json(error.status, error.body())
        try:
            with self.runtime.environment_of(self.runtime.shared_environment()):
                created = self.create_merchant(
                    name=request.name,
                    email=request.email,
                    accept_terms=False,
                    legacy_customers=request.legacy_customers,
                )
        except ImportError:
            return _error(503, "ONBOARDING_UNAVAILABLE", "The domain's onboarding is not available.")
        except Exception as error:
            mapped = domain_error(error)
            if mapped is None:
                logger.error("creating a merchant failed: %s", type(error).__name__)
                return _error(500, "INTERNAL_ERROR", "Creating the merchant failed.")
            return _json(mapped.status, mapped.body())
        return _json(201, created)

    # -- schedules

    def _schedule(self, name: str, body: bytes) -> Response:
        now: datetime | None = None
        if body.strip():
            try:
                payload = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return _error(400, "MALFORMED_JSON", "The body is not valid JSON.")
            if not isinstance(payload, dict):
                return _error(400, "MALFORMED_JSON", "The body must be a JSON object.")
            if payload.get("now") is not None:
                try:
                    now = _parse_rfc3339(payload["now"])
                except ValueError:
                    return _error(400, "INVALID_TIME", "now must be an RFC 3339 date-time.", "now")
        try:
            spec = self.scheduler.find(name)
        except UnknownSchedule:
            return _error(404, "NOT_FOUND", f"No schedule named {name}. Known: {', '.join(self.scheduler.names)}.")
        try:
            result = self.scheduler.run(f"{spec.function_id}.{spec.event_name}", now)
        except InvocationError as error:
            return _error(500, "SCHEDULE_FAILED", f"{error.function_id} raised {type(error.error).__name__}.")
        return _json(200, result)

    # -- SES events

    def _ses_event(self, body: bytes) -> Response:
        """Publish a bounce or complaint for an email of the outbox, as SES would (``infra/local/ses_events.py``)."""
        from infra.local import ses_events

        try:
            payload = json.loads(body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return _error(400, "MALFORMED_JSON", "The body must be a JSON object.")
        message_id, event = payload.get("message_id"), payload.get("event", "bounce")
        if not isinstance(message_id, str) or not message_id:
            return _error(422, "REQUIRED", "message_id: the id of an email in the outbox.", "message_id")
        if event not in ses_events.KINDS:
            return _error(422, "INVALID_EVENT", f"event is one of {', '.join(ses_events.KINDS)}.", "event")
        try:
            document = ses_events.publish(message_id, event)
        except ses_events.NoSuchMessage:
            return _error(404, "NOT_FOUND", "No email with this message_id was sent since the stack started.")
        except ses_events.NoEventDestination as error:
            return _error(409, "NO_EVENT_DESTINATION", str(error))
        mail = document["mail"]
        tags = {name: values[0] for name, values in mail["tags"].items() if not name.startswith("ses:")}
        return _json(202, {"event_type": document["eventType"], "message_id": mail["messageId"], "tags": tags})

    # -- outbox

    def _outbox(self, headers: Mapping[str, str], target: str) -> Response:
        messages = self.outbox.messages()
        accept = headers.get("accept", "")
        if "application/json" in accept or "format=json" in target.partition("?")[2]:
            return _json(200, messages)
        return _html(render_outbox(messages))

    # -- docs

    def _docs(self) -> Response:
        local = swagger_ui_assets() is not None
        base = f"{PREFIX}/docs" if local else SWAGGER_UI_CDN
        ready = ""
        if self.demo_api_key:
            key = json.dumps(self.demo_api_key)  # a JSON string is a JavaScript string
            ready = f', onComplete: function () {{ window.ui.preauthorizeApiKey("apiKey", {key}); }}'
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Clientele API (local)</title>
<link rel="stylesheet" href="{base}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{base}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true
{ready}}});</script>
</body></html>"""
        # Swagger UI needs its scripts and inline styles; this page is not part of the product.
        csp = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:"
        )
        if not local:
            csp = csp.replace("'self'", f"'self' {SWAGGER_UI_CDN.partition('/npm')[0]}")
        return _html(page, {"content-security-policy": csp, "x-content-type-options": "nosniff"})

    def _asset(self, name: str) -> Response:
        folder = swagger_ui_assets()
        if folder is None or name not in _SWAGGER_ASSETS:
            return _error(404, "NOT_FOUND", "No such asset.")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(
            200,
            [("content-type", content_type), ("cache-control", "max-age=3600")],
            (folder / name).read_bytes(),
        )


def _parse_rfc3339(value: Any) -> datetime:
    if not isinstance(value, str) or "T" not in value.upper():
        raise ValueError("not an RFC 3339 date-time")
    moment = datetime.fromisoformat(value.replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("RFC 3339 needs an offset")
    return moment.astimezone(UTC)


def render_outbox(messages: list[dict[str, Any]]) -> str:
    """The outbox as an HTML page; every value is escaped, and sent HTML is shown in a sandboxed frame."""
    esc = html.escape
    items: list[str] = []
    for message in messages:
        links = "".join(
            f'<li><a href="{esc(link)}">{esc(link)}</a></li>'
            if link.startswith(("http://", "https://"))
            else f"<li>{esc(link)}</li>"
            for link in message.get("links") or []
        )
        parts = [
            f"<h2>{esc(message.get('subject') or '(SMS)')}</h2>",
            "<dl>",
            f"<dt>Channel</dt><dd>{esc(message['channel'])}</dd>",
            f"<dt>To</dt><dd>{esc(str(message.get('to') or ''))}</dd>",
            f"<dt>Sent</dt><dd>{esc(str(message.get('sent_at') or 'unknown'))}</dd>",
            "</dl>",
        ]
        if message.get("headers"):
            rows = "".join(
                f"<tr><th>{esc(name)}</th><td>{esc(str(value))}</td></tr>" for name, value in message["headers"].items()
            )
            parts.append(f"<details><summary>Headers</summary><table>{rows}</table></details>")
        if message.get("html"):
            parts.append(f'<iframe sandbox title="HTML body" srcdoc="{esc(message["html"])}"></iframe>')
        if message.get("text"):
            parts.append(f"<pre>{esc(message['text'])}</pre>")
        if links:
            parts.append(f"<ul class=links>{links}</ul>")
        items.append(f"<article>{''.join(parts)}</article>")
    body = "".join(items) or "<p>Nothing sent yet.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox - Clientele local stack</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem;color:#222}}
article{{border:1px solid #ccc;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem}} dt{{font-weight:bold}} dd{{margin:0}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}} iframe{{width:100%;height:24rem;border:1px solid #ddd}}
th{{text-align:left;padding-right:1rem;vertical-align:top}}
</style></head>
<body><h1>Outbox</h1><p>{len(messages)} message(s), newest first.
<a href="{PREFIX}/outbox?format=json">JSON</a></p>{body}</body></html>"""
