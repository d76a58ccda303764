"""A member's request to give a SEPA direct-debit mandate: the link to the hosted page ``/m/{token}``."""

from __future__ import annotations

from clientele.messaging.messages import MessageContext, Undeliverable
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render as render_template


def render(context: MessageContext) -> EmailContent | SmsContent:
    link = context.links.extra.get("mandate")
    if not link:
        raise Undeliverable("NO_MANDATE_LINK")
    values = context.template_values(mandate_link=link)
    return EmailContent(
        subject=gettext(context.locale, "Set up your direct debit for %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/mandate_request.txt", context.locale, **values),
        html=render_template("emails/mandate_request.html", context.locale, **values),
        unsubscribe=False,  # a message about the member's own membership, not marketing
    )
