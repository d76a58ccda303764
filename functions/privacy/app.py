"""The shopper's own privacy pages: erase my data (``/e/{token}``), my marketing preferences
(``/p/{token}``) and the privacy portal (``/privacy``: a one-time code, then erase everywhere).

Thin: read the form, call the erasure, preferences or portal service, answer with a localised page.
A forged, expired or used link gets a clear page, never a 500.
"""

from __future__ import annotations

from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from clientele.http import pages
from clientele.kernel.errors import NotFound, RateLimited, ValidationFailed, VersionMismatch
from clientele.platform.observability import logger
from clientele.privacy import wiring as privacy
from clientele.privacy.portal import CodeUnusable, WrongCode
from clientele.privacy.preferences import wording

app = APIGatewayHttpResolver()
COUNTRIES = (
    "NL",
    "BE",
    "FR",
    "LU",
    "DE",
    "GB",
    "IE",
    "ES",
    "IT",
    "PT",
    "AT",
    "CH",
    "DK",
    "SE",
    "NO",
    "FI",
    "PL",
    "US",
    "CA",
)


def _ip() -> str:
    return app.current_event.request_context.http.source_ip


# Erase my data -----------------------------------------------------------------------------------
@app.get("/e/<token>")
def confirm_erase(token: str) -> Response[str]:
    view = privacy.erase_links().open(token)
    locale = pages.language(app)
    if not view.held:
        return pages.page("pages/erase.html", locale, status=410, state="gone", merchant=view.merchant)
    path = f"/e/{quote(token, safe='')}"
    return pages.page(
        "pages/erase.html",
        locale,
        state="confirm",
        merchant=view.merchant,
        action=path,
        switch=pages.switch_links(path, locale),
    )


@app.post("/e/<token>")
def erase(token: str) -> Response[str]:
    fields = pages.form(app)
    locale = pages.language(app, pages.first(fields, "locale", limit=16))
    view = privacy.erase_links().erase(token)
    if not view.held:  # a used link: already erased, by this link or another way
        return pages.page("pages/erase.html", locale, status=410, state="gone", merchant=view.merchant)
    return pages.page("pages/erase.html", locale, state="done", merchant=view.merchant)


# Marketing preferences ---------------------------------------------------------------------------
def _show_preferences(token: str, locale: str, *, saved: bool = False, status: int = 200) -> Response[str]:
    view = privacy.preferences_service().view(token)
    path = f"/p/{quote(token, safe='')}"
    choices = [(d, wording(d, locale), view.opted_in(d.id)) for d in view.offered]
    return pages.page(
        "pages/preferences.html",
        locale,
        status=status,
        merchant=view.merchant,
        choices=choices,
        saved=saved,
        action=path,
        switch=pages.switch_links(path, locale),
    )


@app.get("/p/<token>")
def preferences(token: str) -> Response[str]:
    return _show_preferences(token, pages.language(app))


@app.post("/p/<token>")
def change_preferences(token: str) -> Response[str]:
    fields = pages.form(app)
    service = privacy.preferences_service()
    if pages.first(fields, "List-Unsubscribe") == "One-Click":
        # RFC 8058: a mail client unsubscribes without a page; it only needs a success status.
        service.opt_out_of_everything(token)
        return Response(status_code=200, content_type="text/plain", body="unsubscribed")
    locale = pages.language(app, pages.first(fields, "locale", limit=16))
    chosen = {value[:64] for value in fields.get("marketing", [])[:20]}
    try:
        service.change(token, chosen, source="preferences_page", locale=locale)
    except VersionMismatch:
        return pages.notice("error", locale, 409)
    return _show_preferences(token, locale, saved=True)


# The privacy portal ------------------------------------------------------------------------------
def _portal(locale: str, step: str, *, status: int = 200, **context: object) -> Response[str]:
    context.setdefault("problem", None)
    context.setdefault("values", {})
    return pages.page(
        "pages/privacy.html",
        locale,
        status=status,
        step=step,
        countries=COUNTRIES,
        switch=pages.switch_links("/privacy", locale),
        **context,
    )


@app.get("/privacy")
def portal() -> Response[str]:
    return _portal(pages.language(app), "start", values={})


@app.post("/privacy")
def portal_step() -> Response[str]:
    fields = pages.form(app)
    locale = pages.language(app, pages.first(fields, "locale", limit=16))
    action = pages.first(fields, "action", limit=16)
    if action == "verify":
        return _verify(fields, locale)
    if action == "erase":
        return _erase_everywhere(fields, locale)
    return _request_code(fields, locale)


def _request_code(fields: dict[str, list[str]], locale: str) -> Response[str]:
    raw = pages.first(fields, "contact", limit=254)
    country = pages.first(fields, "country", limit=2).upper()
    values = {"contact": raw, "country": country}
    service = privacy.privacy_portal()
    try:
        address = service.address(raw, country=country if country in COUNTRIES else "NL")
        pending = service.request_code(address, client_ip=_ip(), locale=locale)
    except ValidationFailed as invalid:
        return _portal(locale, "start", status=422, values=values, problem=invalid.details[0].code)
    return _portal(locale, "code", pending=pending, channel=address.kind)


def _verify(fields: dict[str, list[str]], locale: str) -> Response[str]:
    pending = pages.first(fields, "pending", limit=2000)
    service = privacy.privacy_portal()
    try:
        session = service.verify(pending, pages.first(fields, "code", limit=20))
    except WrongCode as wrong:
        return _portal(
            locale, "code", status=422, pending=pending, problem="wrong_code", attempts_left=wrong.attempts_left
        )
    except CodeUnusable:
        return _portal(locale, "start", status=410, problem="code_unusable")
    return _portal(locale, "holders", session=session, holders=service.holders(session))


def _erase_everywhere(fields: dict[str, list[str]], locale: str) -> Response[str]:
    try:
        erased = privacy.privacy_portal().erase_everywhere(pages.first(fields, "session", limit=2000))
    except CodeUnusable:
        return _portal(locale, "start", status=410, problem="session_expired")
    return _portal(locale, "erased", erased=erased)


# Errors -----------------------------------------------------------------------------------------
pages.handle_link_errors(app)


@app.exception_handler(NotFound)
def _gone(_: NotFound) -> Response[str]:
    return pages.notice("link_invalid", pages.language(app), 404)


@app.exception_handler(RateLimited)
def _rate_limited(_: RateLimited) -> Response[str]:
    return pages.notice("rate_limited", pages.language(app), 429, headers={"Retry-After": "3600"})


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("privacy page failed", extra={"error": type(error).__name__})
    return pages.notice("error", pages.language(app), 500)


lambda_handler = pages.page_entry(app)
