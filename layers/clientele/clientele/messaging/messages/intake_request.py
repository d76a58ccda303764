"""A customer's request to fill in an intake form: the link to the hosted page ``/f/{token}``, by email or SMS.

The delivery's ``refs`` name the intake request only (no form title, no answers): messaging needs nothing from
the intake context, and the link is signed when the message is sent.
"""

from __future__ import annotations

from clientele.kernel.contact import Channel
from clientele.messaging.messages import MessageContext, Undeliverable
from clientele.messaging.messages.receipt import gsm7_name, shorter_names
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render as render_template


def render(context: MessageContext) -> EmailContent | SmsContent:
    link = context.links.extra.get("intake")
    if not link:
        raise Undeliverable("NO_INTAKE_LINK")
    if context.delivery.channel is Channel.SMS:
        return SmsContent(text_message(context.merchant.name, link, context.locale))
    values = context.template_values(intake_link=link)
    return EmailContent(
        subject=gettext(context.locale, "A form to fill in for %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/intake_request.txt", context.locale, **values),
        html=render_template("emails/intake_request.html", context.locale, **values),
        unsubscribe=False,  # about the customer's own appointment, not marketing
    )


def text_message(merchant_name: str, link: str, locale: str) -> str:
    """The SMS: the merchant's name shortened (or left out) until the text fits two segments."""
    from clientele.rendering import sms

    for name in shorter_names(gsm7_name(merchant_name)):
        text = sms.to_gsm7(render_template("sms/intake_request.txt", locale, merchant_name=name, link=link).strip())
        if sms.fits(text):
            return text
    raise Undeliverable("SMS_TOO_LONG")
