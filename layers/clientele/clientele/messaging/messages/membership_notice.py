"""A member's notice from the dues run or the bank: a direct debit coming (the SEPA pre-notification), a payment
due at the desk, a membership ending soon, a debit the bank returned.

Everything it says comes from the delivery's ``refs`` (the notice, a date, an amount: no personal data), so
messaging needs nothing from the memberships context.
"""

from __future__ import annotations

from datetime import date

from clientele.messaging.messages import MessageContext, Undeliverable
from clientele.messaging.model import EmailContent, SmsContent
from clientele.rendering.languages import N_, gettext
from clientele.rendering.templates import render as render_template

SUBJECTS = {
    "prenotify": N_("Your direct debit for %(merchant)s on %(date)s"),
    "remind": N_("Your membership payment at %(merchant)s is due on %(date)s"),
    "ending": N_("Your membership at %(merchant)s ends on %(date)s"),
    "payment_failed": N_("Your direct debit for %(merchant)s did not go through"),
}


def render(context: MessageContext) -> EmailContent | SmsContent:
    from babel.dates import format_date
    from babel.numbers import format_currency

    refs = context.delivery.refs
    notice = refs.get("notice", "")
    if notice not in SUBJECTS:
        raise Undeliverable("UNKNOWN_NOTICE")
    day = (
        format_date(date.fromisoformat(refs["date"]), format="long", locale=context.locale) if refs.get("date") else ""
    )
    amount = ""
    if refs.get("amount") and refs.get("currency"):
        amount = str(format_currency(int(refs["amount"]) / 100, refs["currency"], locale=context.locale))
    values = context.template_values(notice=notice, day=day, amount=amount, reference=refs.get("reference", ""))
    return EmailContent(
        subject=gettext(context.locale, SUBJECTS[notice], merchant=context.merchant.name, date=day),
        text=render_template("emails/membership_notice.txt", context.locale, **values),
        html=render_template("emails/membership_notice.html", context.locale, **values),
        unsubscribe=False,  # about the member's own membership, not marketing
    )
