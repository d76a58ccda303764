"""Hosted signup: the page ``GET/POST /s/{token}`` (``?kiosk=1`` on the merchant's own device) and
the merchant's QR code of it, ``GET /v1/signup-qr``.

Thin: read the form, call the signup service, answer with a page. Every problem on the page is a
localised page (invalid link 404, expired link 410, closed 403, fields 422, too many attempts 429);
the merchant route answers in the API's JSON error shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.http import errors, pages
from clientele.http.app import caller, create_app
from clientele.http.errors import responses
from clientele.kernel.errors import ErrorDetail
from clientele.kernel.permissions import Permission
from clientele.platform.observability import logger
from clientele.signup.service import (
    FormExpired,
    SignupPage,
    SignupRateLimited,
    SignupRejected,
    SignupSubmission,
    SignupUnavailable,
)
from clientele.signup.wiring import signup_service

app = create_app(terms_gate)
FIELDS = ("given_name", "family_name", "email", "phone")


def _flag(name: str) -> bool:
    return (app.current_event.query_string_parameters or {}).get(name) == "1"


def _path(token: str) -> str:
    return f"/s/{quote(token, safe='')}"


def _show(
    token: str,
    signup: SignupPage,
    locale: str,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    done: bool = False,
) -> Response[str]:
    kiosk = _flag("kiosk")
    path = _path(token)
    service = signup_service()
    return pages.page(
        "pages/signup.html",
        locale,
        status=status,
        page=signup,
        values=values or {},
        errors=errors or {},
        notice=notice,
        done=done,
        kiosk=kiosk,
        form_token=service.form_token(signup),
        consent_text=service.consent_text(signup, locale),
        action=f"{path}?{urlencode({'kiosk': '1'})}" if kiosk else path,
        switch=pages.switch_links(path, locale, kiosk="1" if kiosk else None),
    )


# The merchant's QR code ------------------------------------------------------------------------
@app.get(
    "/v1/signup-qr",
    tags=["Signup"],
    summary="The QR code of the hosted signup page",
    description="Show it at the till: shoppers scan it and sign up on their phone. With `sale_id`, "
    "signing up attaches that sale and the welcome email carries it as the first receipt "
    "(such a code is valid for a day); only the first signer gets it, and a sale that already has a customer "
    "is refused (409 `SALE_HAS_CUSTOMER`). The `Link` header holds the signup URL itself.",
    responses={
        **responses(400, 401, 403, 404, 409, 422),
        200: {"description": "The QR code", "content": {"image/svg+xml": {}, "image/png": {}}},
    },
)
def signup_qr(
    format: Annotated[Literal["svg", "png"], Query(description="Image format.")] = "svg",
    sale_id: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Bind the signup to this sale."),
    ] = None,
):  # no return annotation: Powertools would serialise the image bytes as JSON text
    who = caller(app, Permission.CUSTOMERS_WRITE)
    code = signup_service().qr_code(who, format, sale_id=sale_id)
    return Response(
        status_code=200,
        content_type=code.content_type,
        body=code.image,
        headers={"Cache-Control": "private, no-store", "Link": f'<{code.url}>; rel="related"'},
    )


# The page -----------------------------------------------------------------------------------------
@app.get("/s/<token>", include_in_schema=False)
def show_form(token: str) -> Response[str]:
    signup = signup_service().open(token)
    return _show(token, signup, pages.language(app, fallback=signup.locale), done=_flag("done"))


@app.post("/s/<token>", include_in_schema=False)
def submit_form(token: str) -> Response[str]:
    fields = pages.form(app)
    submission = SignupSubmission(
        **{name: pages.first(fields, name) for name in FIELDS},
        consent=pages.first(fields, "consent") != "",
        marketing=[value[:64] for value in fields.get("marketing", [])[:20]],
        locale=pages.first(fields, "locale", limit=16),
        form_token=pages.first(fields, "form_token", limit=4000),
        honeypot=pages.first(fields, "website"),
    )
    service = signup_service()
    kiosk = _flag("kiosk")
    locale = pages.language(app, submission.locale)
    values = {
        **{name: getattr(submission, name) for name in FIELDS},
        "consent": submission.consent,
        "marketing": submission.marketing,
    }
    try:
        result = service.submit(
            token, submission, client_ip=app.current_event.request_context.http.source_ip, kiosk=kiosk
        )
    except FormExpired:
        return _show(token, service.open(token), locale, status=400, values=values, notice="form_expired")
    except SignupRejected as exc:
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field or "given_name", problem.code)
        return _show(token, exc.page, locale, status=422, values=values, errors=errors)
    # Post/redirect/get: a reload never signs up twice, and kiosk mode comes back to an empty form
    # (on the plain signup link: the next shopper is not bound to the previous shopper's sale).
    if kiosk:
        next_token = service.link_token(result.page.merchant_id)
        return pages.redirect(f"{_path(next_token)}?{urlencode({'kiosk': '1', 'done': '1', 'lang': locale})}")
    return pages.redirect(f"{_path(token)}?{urlencode({'done': '1', 'lang': locale})}")


# Errors -----------------------------------------------------------------------------------------
pages.handle_link_errors(app)


@app.exception_handler(SignupUnavailable)
def _unavailable(_: SignupUnavailable) -> Response[str]:
    return pages.notice("unavailable", pages.language(app), 403)


@app.exception_handler(SignupRateLimited)
def _rate_limited(error: SignupRateLimited) -> Response[str]:
    return pages.notice("rate_limited", pages.language(app), 429, headers={"Retry-After": str(error.retry_after)})


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("signup failed", extra={"error": type(error).__name__})
    if app.current_event.path.startswith("/v1/"):
        return Response(
            status_code=500,
            content_type="application/json",
            body=errors.body([ErrorDetail("INTERNAL", "Something went wrong on our side.")]),
        )
    return pages.notice("error", pages.language(app), 500)


lambda_handler = pages.page_entry(app)
