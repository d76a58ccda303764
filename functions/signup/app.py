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
from clientele.http.app import caller, create_app, json_response
from clientele.http.errors import responses, success
from clientele.kernel.errors import ErrorDetail, ValidationFailed
from clientele.kernel.permissions import Permission
from clientele.platform.observability import logger
from clientele.signup.schemas import RotationIn, RotationOut
from clientele.signup.service import (
    FormExpired,
    FormUsed,
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


def _locale(token: str, signup: SignupPage, *choices: str | None) -> str:
    """A kiosk speaks its own language to each next shopper (never the device's, never the last shopper's);
    a shopper's phone, the language it asks for."""
    from clientele.rendering.languages import negotiate

    kiosk = signup_service().kiosk(token)
    if kiosk is None:
        return pages.language(app, *choices, fallback=signup.locale)
    lang = (app.current_event.query_string_parameters or {}).get("lang")
    return negotiate(*choices, lang, kiosk.locale, fallback=signup.locale)


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
    service = signup_service()
    kiosk = service.kiosk(token) is not None  # ?kiosk=1 alone marks nothing: only a kiosk-purpose link does
    path = _path(token)
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
        action=f"{path}?{urlencode({'kiosk': '1'})}" if kiosk else path,
        next_person=f"{path}?{urlencode({'kiosk': '1'})}",
        switch=pages.switch_links(path, locale, kiosk="1" if kiosk else None, done="1" if done else None),
    )


# The merchant's QR code ------------------------------------------------------------------------
@app.get(
    "/v1/signup-qr",
    tags=["Signup"],
    summary="The QR code of the hosted signup page, or of a kiosk link for the merchant's own device",
    description="Show it at the till: shoppers scan it and sign up on their phone. With `sale_id`, signing up attaches "
    "that sale and the welcome email carries it as the first receipt. A signup link works for 365 days (a "
    "sale-bound one for a day: only the first signer gets the sale, and a sale that already has a customer is "
    "refused with 409 `SALE_HAS_CUSTOMER`); the `Signup-Link-Expires` header says until when, and a fresh code"
    " is printed by asking again. With `mode=kiosk`, the code holds a kiosk link for the merchant's own device"
    " (source `kiosk`, its own rate limit, each next shopper on an empty form in `locale`); `?kiosk=1` on any "
    "other link marks nothing. `size` (pixels, the image's width at most) and `error` (error correction: `L`, "
    "`M`, `Q`, `H`) make a code for a poster. The `Link` header holds the link itself.",
    responses={
        **responses(400, 401, 403, 404, 409, 422),
        200: {
            "description": "The QR code",
            "content": {"image/svg+xml": {}, "image/png": {}},
            "headers": {
                "Link": {"description": 'The signup (or kiosk) URL the code holds: `<url>; rel="related"`.'},
                "Signup-Link-Expires": {"description": "When that URL stops working (RFC 3339, UTC)."},
            },
        },
    },
)
def signup_qr(  # noqa: PLR0917 - each query parameter is one argument of the route
    format: Annotated[Literal["svg", "png"], Query(description="Image format.")] = "svg",
    sale_id: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Bind the signup to this sale."),
    ] = None,
    mode: Annotated[
        Literal["signup", "kiosk"], Query(description="`kiosk`: a link for the merchant's own, handed-over device.")
    ] = "signup",
    locale: Annotated[
        Literal["en", "fr", "nl"] | None, Query(description="A kiosk's language (default: the merchant's).")
    ] = None,
    size: Annotated[
        int | None, Query(ge=64, le=4096, description="The image's width in pixels, at most (a poster: 2000).")
    ] = None,
    error: Annotated[
        Literal["L", "M", "Q", "H"], Query(description="Error correction: 7, 15 (default), 25 or 30 % may be lost.")
    ] = "M",
):  # no return annotation: Powertools would serialise the image bytes as JSON text
    who = caller(app, Permission.CUSTOMERS_WRITE)
    if mode == "kiosk" and sale_id:
        raise ValidationFailed(
            "A kiosk link serves every shopper: it takes no sale_id.", field="sale_id", code="KIOSK_WITH_SALE"
        )
    code = signup_service().qr_code(
        who, format, sale_id=sale_id, kiosk=mode == "kiosk", locale=locale, size=size, error=error
    )
    return Response(
        status_code=200,
        content_type=code.content_type,
        body=code.image,
        headers={
            "Cache-Control": "private, no-store",
            "Link": f'<{code.url}>; rel="related"',
            "Signup-Link-Expires": code.expires_at,
        },
    )


@app.post(
    "/v1/signup-qr/rotations",
    tags=["Signup"],
    summary="Rotate the signup link: codes printed so far stop working after a grace period",
    description="For a code that was copied, posted where it should not be, or simply replaced: every signup link "
    "made so far (QR codes, with or without a sale, and kiosk links) keeps working for `grace_days` (default 7; 0:"
    " it stops at once) and then shows a page telling the shopper to ask for the new code. `GET /v1/signup-qr` "
    "makes codes of the new link at once. A second rotation ends the first one's grace period.",
    responses={**responses(400, 401, 403, 409, 413, 415, 422), **success(RotationOut, 201, "Rotated")},
)
def rotate_signup_link(body: RotationIn) -> Response[RotationOut]:
    who = caller(app, Permission.SETTINGS_MANAGE)
    rotation = signup_service().rotate(who, grace_days=body.grace_days)
    out = RotationOut(
        generation=rotation.generation, previous_links_valid_until=rotation.previous_until, signup_url=rotation.url
    )
    return json_response(201, out.model_dump(mode="json"))


# The page -----------------------------------------------------------------------------------------
@app.get("/s/<token>", include_in_schema=False)
def show_form(token: str) -> Response[str]:
    signup = signup_service().open(token)
    return _show(token, signup, _locale(token, signup), done=_flag("done"))


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
    kiosk = service.kiosk(token) is not None
    locale = pages.language(app, submission.locale)
    values = {
        **{name: getattr(submission, name) for name in FIELDS},
        "consent": submission.consent,
        "marketing": submission.marketing,
    }
    try:
        service.submit(token, submission, client_ip=app.current_event.request_context.http.source_ip)
    except FormExpired:
        return _show(token, service.open(token), locale, status=400, values=values, notice="form_expired")
    except FormUsed:  # sent twice (a double tap, the back button): like a fresh page, nothing created again
        fresh = service.open(token)
        return _show(token, fresh, _locale(token, fresh) if kiosk else locale)
    except SignupRejected as exc:
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field or "given_name", problem.code)
        return _show(token, exc.page, locale, status=422, values=values, errors=errors)
    # Post/redirect/get: a reload never signs up twice. A kiosk shows its thank-you without any form, and
    # the device, handed back, starts the next person on an empty form in the kiosk's own language.
    if kiosk:
        return pages.redirect(f"{_path(token)}?{urlencode({'kiosk': '1', 'done': '1', 'lang': locale})}")
    return pages.redirect(f"{_path(token)}?{urlencode({'done': '1', 'lang': locale})}")


# Errors -----------------------------------------------------------------------------------------
pages.handle_link_errors(app)


@app.exception_handler(SignupUnavailable)
def _unavailable(_: SignupUnavailable) -> Response[str]:
    return pages.notice("unavailable", pages.language(app), 403, app=app)


@app.exception_handler(SignupRateLimited)
def _rate_limited(error: SignupRateLimited) -> Response[str]:
    return pages.notice(
        "rate_limited", pages.language(app), 429, headers={"Retry-After": str(error.retry_after)}, app=app
    )


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("signup failed", extra={"error": type(error).__name__})
    if app.current_event.path.startswith("/v1/"):
        return Response(
            status_code=500,
            content_type="application/json",
            body=errors.body([ErrorDetail("INTERNAL", "Something went wrong on our side.")]),
        )
    return pages.notice("error", pages.language(app), 500, app=app)


lambda_handler = pages.page_entry(app)
