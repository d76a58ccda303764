"""The privacy portal's one-time code, sent straight away by email (SES) or text message (SNS).

Not a queued delivery: the recipient is an address, not a customer of one merchant, and the code
is useless after ten minutes. The address is used to send and then forgotten.
"""

from __future__ import annotations

from typing import Any

from clientele.platform.mail import Mailer, OutgoingEmail
from clientele.platform.sms import SmsSender
from clientele.rendering.languages import gettext
from clientele.rendering.templates import render


def send(address: Any, code: str, locale: str, *, sender_address: str) -> None:
    if address.kind == "phone":
        SmsSender().send(address.value, render("sms/one_time_code.txt", locale, code=code).strip())
        return
    Mailer(sender_address).send(
        OutgoingEmail(
            to=address.value,
            subject=gettext(locale, "Your code for the Clientele privacy portal"),
            text=render("emails/one_time_code.txt", locale, code=code),
            html=render("emails/one_time_code.html", locale, code=code),
            sender_name="Clientele",
        )
    )
