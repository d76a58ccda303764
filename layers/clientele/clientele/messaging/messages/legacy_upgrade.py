"""Sent once to each customer migrated from an earlier system when the merchant activates Clientele:
what changed, and a link to confirm their marketing preferences (they are opted out until then)."""

from __future__ import annotations

from clientele.messaging.messages import MessageContext
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render as render_template


def render(context: MessageContext) -> EmailContent | SmsContent:
    values = context.template_values()
    return EmailContent(
        subject=gettext(context.locale, "Your preferences at %(merchant)s", merchant=context.merchant.name),
        text=render_template("emails/legacy_upgrade.txt", context.locale, **values),
        html=render_template("emails/legacy_upgrade.html", context.locale, **values),
    )
