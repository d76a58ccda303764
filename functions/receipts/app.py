"""The hosted receipt page ``GET /r/{token}``: the receipt a text message links to.

Thin: check the signed link, read the sale, answer with a localised page. A forged link is a 404
page, an expired one a 410 page, a sale that no longer exists a 404 page; never a stack trace.
"""

from __future__ import annotations

from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from clientele.http import pages
from clientele.kernel.errors import NotFound
from clientele.messaging.wiring import hosted_receipts
from clientele.platform.observability import logger

app = APIGatewayHttpResolver()


@app.get("/r/<token>", include_in_schema=False)
def show_receipt(token: str) -> Response[str]:
    from clientele.messaging.receipt_view import receipt_view
    from clientele.rendering.languages import formatting_locale

    receipt = hosted_receipts().open(token)
    locale = pages.language(app, fallback=receipt.merchant.locale)
    formats = formatting_locale(
        locale,
        accept_language=app.current_event.headers.get("accept-language"),
        country=receipt.site.country if receipt.site else receipt.merchant.country,
    )
    path = f"/r/{quote(token, safe='')}"
    return pages.page(
        "pages/receipt.html",
        locale,
        merchant=receipt.merchant,
        receipt=receipt_view(receipt.merchant, receipt.site, receipt.sale, locale, formats),
        sale=receipt.sale,  # what the sale moved beyond its lines (loyalty points)
        preferences_link=receipt.preferences_link,
        erase_link=receipt.erase_link,
        switch=pages.switch_links(path, locale),
    )


pages.handle_link_errors(app, invalid="receipt_invalid", expired="receipt_expired")


@app.exception_handler(NotFound)
def _gone(_: NotFound) -> Response[str]:
    return pages.notice("receipt_invalid", pages.language(app), 404, app=app)


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("receipt page failed", extra={"error": type(error).__name__})
    return pages.notice("error", pages.language(app), 500, app=app)


lambda_handler = pages.page_entry(app)
