"""The welcome email after a signup, with the signup's sale as its first receipt when there is one."""

from __future__ import annotations

from clientele.kernel.contact import Channel
from clientele.messaging.messages import MessageContext
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render as render_template


def render(context: MessageContext) -> EmailContent | SmsContent:
    values = context.template_values()
    if context.delivery.channel is Channel.SMS:
        return SmsContent(render_template("sms/welcome.txt", context.locale, **values).strip())
    return EmailContent(
        subject=gettext(context.locale, "Welcome to %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/welcome.txt", context.locale, **values),
        html=render_template("emails/welcome.html", context.locale, **values),
    )
