"""The shopper's own privacy pages: erase my data (``/e/{token}``), my marketing preferences
(``/p/{token}``) and the privacy portal (``/privacy``: a one-time code, then erase everywhere).

Thin: read the form, call the erasure, preferences or portal service, answer with a localised page.
A forged, expired or used link gets a clear page, never a 500.
"""

from __future__ import annotations

from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from clientele.directory_jobs import wiring as directory_jobs  # noqa: F401  (a tombstone counts live exports)
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
    path = f"/e/{quote(token, safe='')}"
    switch = pages.switch_links(path, locale)
    if not view.held:
        return pages.page("pages/erase.html", locale, status=410, state="gone", merchant=view.merchant, switch=switch)
    return pages.page(
        "pages/erase.html",
        locale,
        state="confirm",
        merchant=view.merchant,
        action=path,
        switch=switch,
    )


@app.post("/e/<token>")
def erase(token: str) -> Response[str]:
    fields = pages.form(app)
    locale = pages.language(app, pages.first(fields, "locale", limit=16))
    view = privacy.erase_links().erase(token)
    # The same address in another language shows the "nothing left to erase" page, in that language.
    switch = pages.switch_links(f"/e/{quote(token, safe='')}", locale)
    if not view.held:  # a used link: already erased, by this link or another way
        return pages.page("pages/erase.html", locale, status=410, state="gone", merchant=view.merchant, switch=switch)
    return pages.page("pages/erase.html", locale, state="done", merchant=view.merchant, switch=switch)


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
        erase_link=view.erase_link,
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
        return pages.notice("error", locale, 409, app=app)
    return _show_preferences(token, locale, saved=True)


# The privacy portal ------------------------------------------------------------------------------
DEFAULT_COUNTRY = {"en": "GB", "fr": "FR", "nl": "NL"}  # a phone number's country, from the page's language


def _countries(locale: str) -> list[tuple[str, str]]:
    """``(code, name)`` of the phone countries offered, named and sorted in the page's language."""
    from babel import Locale

    names = Locale.parse(locale).territories
    return sorted(((code, str(names.get(code, code))) for code in COUNTRIES), key=lambda pair: pair[1].casefold())


def _default_country(locale: str) -> str:
    from clientele.rendering.languages import formatting_locale

    found = formatting_locale(locale, accept_language=app.current_event.headers.get("accept-language"))
    region = found.split("_")[1] if "_" in found else DEFAULT_COUNTRY.get(locale, "NL")
    return region if region in COUNTRIES else DEFAULT_COUNTRY.get(locale, "NL")


def _portal(locale: str, step: str, *, status: int = 200, **context: object) -> Response[str]:
    context.setdefault("problem", None)
    context.setdefault("values", {})
    context.setdefault("session", None)
    return pages.page(
        "pages/privacy.html",
        locale,
        status=status,
        step=step,
        countries=_countries(locale),
        default_country=_default_country(locale),
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
    action = pages.first(fields, "action", limit=32)
    if action == "verify":
        return _verify(fields, locale)
    if action == "resend":
        return _resend(fields, locale)
    if action in SESSION_STEPS:
        session = pages.first(fields, "session", limit=2000)
        shop = pages.first(fields, "shop", limit=64)
        try:
            return SESSION_STEPS[action](session, shop, locale)
        except CodeUnusable:
            return _portal(locale, "start", status=410, problem="session_expired")
    return _request_code(fields, locale)


def _request_code(fields: dict[str, list[str]], locale: str) -> Response[str]:
    raw = pages.first(fields, "contact", limit=254)
    country = pages.first(fields, "country", limit=2).upper()
    values = {"contact": raw, "country": country}
    service = privacy.privacy_portal()
    try:
        address = service.address(raw, country=country if country in COUNTRIES else _default_country(locale))
        pending = service.request_code(address, client_ip=_ip(), locale=locale)
    except ValidationFailed as invalid:
        return _portal(locale, "start", status=422, values=values, problem=invalid.details[0].code)
    return _portal(locale, "code", pending=pending, resend=service.resend_token(address), channel=address.kind)


def _resend(fields: dict[str, list[str]], locale: str) -> Response[str]:
    resend = pages.first(fields, "resend", limit=2000)
    try:
        pending = privacy.privacy_portal().resend(
            pages.first(fields, "pending", limit=2000), resend, client_ip=_ip(), locale=locale
        )
    except CodeUnusable:
        return _portal(locale, "start", status=410, problem="code_unusable")
    return _portal(locale, "code", pending=pending, resend=resend, resent=True)


def _verify(fields: dict[str, list[str]], locale: str) -> Response[str]:
    pending = pages.first(fields, "pending", limit=2000)
    service = privacy.privacy_portal()
    try:
        session = service.verify(pending, pages.first(fields, "code", limit=20))
    except WrongCode as wrong:
        return _portal(
            locale,
            "code",
            status=422,
            pending=pending,
            resend=pages.first(fields, "resend", limit=2000),
            problem="wrong_code",
            attempts_left=wrong.attempts_left,
        )
    except CodeUnusable:
        return _portal(locale, "start", status=410, problem="code_unusable")
    return _holders(session, "", locale)


def _holders(session: str, _: str, locale: str) -> Response[str]:
    return _portal(locale, "holders", session=session, holders=privacy.privacy_portal().holders(session))


def _confirm_everywhere(session: str, _: str, locale: str) -> Response[str]:
    return _portal(locale, "confirm_everywhere", session=session, holders=privacy.privacy_portal().holders(session))


def _erase_everywhere(session: str, _: str, locale: str) -> Response[str]:
    erased = privacy.privacy_portal().erase_everywhere(session)
    return _portal(locale, "erased", erased=erased)


def _data(session: str, shop: str, locale: str) -> Response[str]:
    data = privacy.privacy_portal().download(session, shop)
    return _portal(locale, "data", session=session, data=data)


def _data_file(session: str, shop: str, _: str) -> Response[str]:
    import json

    from clientele.rendering.page_security import page_headers

    data = privacy.privacy_portal().download(session, shop)
    return Response(
        status_code=200,
        content_type="application/json",
        body=json.dumps(data.as_json(), ensure_ascii=False, indent=2),
        headers={
            **page_headers(),
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="my-data-{data.merchant_id}.json"',
        },
    )


def _confirm_shop(session: str, shop: str, locale: str) -> Response[str]:
    holder = privacy.privacy_portal().holder(session, shop)
    return _portal(locale, "confirm_shop", session=session, holder=holder)


def _erase_shop(session: str, shop: str, locale: str) -> Response[str]:
    holder = privacy.privacy_portal().erase_at(session, shop)
    return _portal(locale, "erased_shop", session=session, holder=holder)


SESSION_STEPS = {
    "holders": _holders,
    "erase": _confirm_everywhere,  # "erase everywhere" asks to confirm first
    "erase_confirmed": _erase_everywhere,
    "data": _data,
    "data_file": _data_file,
    "erase_shop": _confirm_shop,
    "erase_shop_confirmed": _erase_shop,
}


# Errors -----------------------------------------------------------------------------------------
# A dead erase or preferences link leads to the portal, which needs no link at all.
pages.handle_link_errors(app, invalid="privacy_link_invalid", expired="privacy_link_expired")


@app.exception_handler(NotFound)
def _gone(_: NotFound) -> Response[str]:
    return pages.notice("privacy_link_invalid", pages.language(app), 404, app=app)


@app.exception_handler(RateLimited)
def _rate_limited(_: RateLimited) -> Response[str]:
    return pages.notice("rate_limited", pages.language(app), 429, headers={"Retry-After": "3600"}, app=app)


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("privacy page failed", extra={"error": type(error).__name__})
    return pages.notice("error", pages.language(app), 500, app=app)


lambda_handler = pages.page_entry(app)
