"""Sent instead of a welcome when someone signs up with an address already on the list.

The signup page looks the same either way (it reveals nothing about who is on a list); the
address's owner learns of the attempt here, and can manage or erase their data from the links.
"""

from __future__ import annotations

from clientele.kernel.contact import Channel
from clientele.messaging.messages import MessageContext
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render as render_template


def render(context: MessageContext) -> EmailContent | SmsContent:
    values = context.template_values()
    if context.delivery.channel is Channel.SMS:
        return SmsContent(render_template("sms/already_on_list.txt", context.locale, **values).strip())
    return EmailContent(
        subject=gettext(context.locale, "You are already on the list of %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/already_on_list.txt", context.locale, **values),
        html=render_template("emails/already_on_list.html", context.locale, **values),
    )
