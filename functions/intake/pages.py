"""The hosted intake form ``/f/{token}``: the customer answers the merchant's questions and consents, in
words of their own language, to the processing of the health information they give.

No JavaScript, no other host, ``Cache-Control: no-store`` (the pages' security headers). A forged, expired or
used link gets a clear localised page, never a 500; the answers are never logged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from clientele.http import pages
from clientele.intake import rules
from clientele.intake.repository import RequestUsed
from clientele.intake.service import PageView, consent_text
from clientele.intake.wiring import intake_service

app = APIGatewayHttpResolver()
pages.handle_link_errors(app, invalid="intake_link_invalid", expired="intake_link_expired")
MAX_FIELDS = 400  # 30 questions, a multiple choice posting each of its ticked choices
MAX_BYTES = 64 * 1024  # 30 questions, some of them long texts


def _show(token: str, locale: str, view: PageView, *, status: int = 200, **context: Any) -> Response[str]:
    path = f"/f/{quote(token, safe='')}"
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return pages.page(
        "pages/intake.html",
        locale,
        status=status,
        view=view,
        state=context.pop("state", "used" if view.used else "form"),
        questions=[_question(q, locale) for q in view.form.questions],
        consent=consent_text(locale, view.merchant_name),
        action=path,
        switch=pages.switch_links(path, locale),
        **context,
    )


def _question(question: Any, locale: str) -> dict[str, Any]:
    return {
        "id": question.id,
        "name": rules.field_name(question),
        "kind": question.kind.value,
        "label": rules.words(question.label, locale),
        "required": question.required,
        "choices": [(c.value, rules.words(c.label, locale)) for c in question.choices],
    }


def _language(token: str, form_locale: str | None = None) -> str:
    """The form's own choice, else ``?lang=``, else the language the link was sent in, else the browser's."""
    from clientele.rendering.languages import negotiate

    event = app.current_event
    query = (event.query_string_parameters or {}).get("lang")
    link = intake_service().link_locale(token)
    return negotiate(form_locale, query, link, accept_language=event.headers.get("accept-language"))


@app.get("/f/<token>")
def show(token: str) -> Response[str]:
    locale = _language(token)
    view = intake_service().view(token, locale)
    return _show(token, locale, view, status=410 if view.used else 200)


@app.post("/f/<token>")
def send(token: str) -> Response[str]:
    fields = pages.form(app, max_fields=MAX_FIELDS, max_bytes=MAX_BYTES)
    locale = _language(token, pages.first(fields, "locale", limit=16))
    service = intake_service()
    try:
        shown = int(pages.first(fields, "version", limit=12) or "0")
    except ValueError:
        shown = 0
    # What was typed comes back to its author only, on this no-store page, to correct it.
    values = {name: [v[:2000] for v in posted] for name, posted in fields.items() if name.startswith("q_")}
    try:
        filled = service.submit(token, fields, shown_version=shown, locale=locale)
    except RequestUsed:
        return _show(token, locale, service.view(token, locale), status=410, state="used")
    if filled.changed:
        return _show(token, locale, filled.view, status=409, state="changed", values=values)
    if filled.submission is None:
        return _show(token, locale, filled.view, status=422, errors=filled.errors, values=values)
    return _show(token, locale, filled.view, state="done")


lambda_handler = pages.page_entry(app)
