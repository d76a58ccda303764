"""A digital receipt of one sale: an email (lines, totals, links at the bottom) or a text message that links to
the hosted receipt page: one SMS segment whenever the shop's name (cut to no less than
:data:`ONE_SEGMENT_NAME` characters) allows it, else at most two."""

from __future__ import annotations

from collections.abc import Iterator

from clientele.kernel.contact import Channel
from clientele.messaging.messages import MessageContext, Undeliverable
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering import sms
from clientele.rendering.languages import gettext
from clientele.rendering.templates import format_money
from clientele.rendering.templates import render as render_template
from clientele.sales.model import Sale

RECEIPT_LINK = "receipt"  # the hosted receipt's link, in ``Links.extra``
ELLIPSIS = "..."
ONE_SEGMENT_NAME = 16  # a name is cut to no less than this to save a segment; shorter cuts stop saying who sent it


def render(context: MessageContext) -> EmailContent | SmsContent:
    sale = context.sale
    if sale is None:
        raise Undeliverable("NO_SALE")
    link = context.links.extra.get(RECEIPT_LINK)
    if context.delivery.channel is Channel.SMS:
        if not link:
            raise Undeliverable("NO_RECEIPT_LINK")
        return SmsContent(text_message(context.merchant.name, sale, link, context.locale))
    values = context.template_values(receipt_link=link)
    return EmailContent(
        subject=gettext(context.locale, "Your receipt from %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/receipt.txt", context.locale, **values),
        html=render_template("emails/receipt.html", context.locale, **values),
    )


def text_message(merchant_name: str, sale: Sale, link: str, locale: str) -> str:
    """The SMS: the merchant's name, the total and the link, in one segment when the name, whole or cut to
    :data:`ONE_SEGMENT_NAME` characters, lets it; else in two, the name shortened (or left out) until it fits."""
    total = format_money(sale.total.amount, sale.total.currency, locale)
    name = gsm7_name(merchant_name)

    def text(shown: str | None) -> str:
        return sms.to_gsm7(
            render_template("sms/receipt.txt", locale, merchant_name=shown, total=total, link=link).strip()
        )

    cuts = [n for n in shorter_names(name) if n and n != name and len(n) >= ONE_SEGMENT_NAME]
    for shown in [name or None, *cuts]:
        if sms.fits(text(shown), 1):
            return text(shown)
    for shown in shorter_names(name):
        if sms.fits(text(shown)):
            return text(shown)
    raise Undeliverable("SMS_TOO_LONG")  # only a link longer than two segments could get here


def gsm7_name(name: str) -> str:
    """The name in the GSM-7 alphabet: accents it lacks dropped, other scripts and line breaks left out."""
    kept = "".join(ch for ch in sms.to_gsm7(name) if sms.is_gsm7(ch) and ch.isprintable())
    return " ".join(kept.split())


def shorter_names(name: str) -> Iterator[str | None]:
    """The whole name, then ever shorter cuts of it (at least three characters), then no name at all."""
    if name:
        yield name
    cut = len(name) - 1
    while cut >= 3:
        yield name[:cut].rstrip(" ,.-&") + ELLIPSIS
        cut -= 1
    yield None
