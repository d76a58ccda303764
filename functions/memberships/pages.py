"""The hosted mandate page ``/m/{token}``: the member gives a SEPA direct-debit mandate (account holder, IBAN
checked with its bank shown, the mandate text naming the creditor and its identifier, consent).

No JavaScript, no other host, ``Cache-Control: no-store`` (the pages' security headers). A forged, expired or
used link gets a clear localised page, never a 500; the IBAN is never logged.
"""

from __future__ import annotations

from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from clientele.http import pages
from clientele.memberships.repository import RequestUsed
from clientele.memberships.wiring import mandate_service

app = APIGatewayHttpResolver()
pages.handle_link_errors(app)


def _show(token: str, locale: str, *, status: int = 200, **context: object) -> Response[str]:
    service = mandate_service()
    view = service.view(token, locale)
    path = f"/m/{quote(token, safe='')}"
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return pages.page(
        "pages/mandate.html",
        locale,
        status=status,
        view=view,
        state=context.pop("state", "used" if view.used else "form"),
        mandate_text=service.text(token, locale),
        action=path,
        switch=pages.switch_links(path, locale),
        **context,
    )


@app.get("/m/<token>")
def show(token: str) -> Response[str]:
    locale = pages.language(app)
    view = mandate_service().view(token, locale)
    return _show(token, locale, status=410 if view.used else 200)


@app.post("/m/<token>")
def give(token: str) -> Response[str]:
    fields = pages.form(app)
    locale = pages.language(app, pages.first(fields, "locale", limit=16))
    holder = pages.first(fields, "holder", limit=200)
    iban = pages.first(fields, "iban", limit=64)
    try:
        given = mandate_service().give(
            token, holder=holder, iban=iban, consent=pages.first(fields, "consent") == "yes", locale=locale
        )
    except RequestUsed:
        return _show(token, locale, status=410, state="used")
    if given.mandate is None:
        # The IBAN typed is shown back to its owner only, on this no-store page, to correct it.
        return _show(token, locale, status=422, errors=given.errors, values={"holder": holder, "iban": iban})
    return _show(token, locale, state="done", mandate=given.mandate)


lambda_handler = pages.page_entry(app)
