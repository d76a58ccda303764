"""The welcome email after a signup, with the signup's sale as its first receipt when there is one."""

from __future__ import annotations

from clientele.kernel.contact import Channel
from clientele.messaging.messages import MessageContext, Undeliverable
from clientele.messaging.messages.receipt import gsm7_name, shorter_names
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render as render_template


def render(context: MessageContext) -> EmailContent | SmsContent:
    values = context.template_values()
    if context.delivery.channel is Channel.SMS:
        return SmsContent(text_message(context.merchant.name, context.links.preferences, context.locale))
    return EmailContent(
        subject=gettext(context.locale, "Welcome to %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/welcome.txt", context.locale, **values),
        html=render_template("emails/welcome.html", context.locale, **values),
    )


def text_message(merchant_name: str, link: str, locale: str) -> str:
    """The SMS: a welcome and the link to the shopper's choices, whose page also offers erasure. The merchant's
    name is shortened (or left out) until the text fits two segments; the link alone takes most of them."""
    from clientele.rendering import sms

    for name in shorter_names(gsm7_name(merchant_name)):
        text = sms.to_gsm7(render_template("sms/welcome.txt", locale, merchant_name=name, link=link).strip())
        if sms.fits(text):
            return text
    raise Undeliverable("SMS_TOO_LONG")
