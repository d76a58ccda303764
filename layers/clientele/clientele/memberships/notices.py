"""The member's emails of the dues run and of bank returns, through the delivery queue (kind
``membership_notice``): IDs, a date and an amount in the delivery's refs, nothing personal. Each is sent once
per membership, notice and day (a dedupe key), so a run done twice sends nothing more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from clientele.memberships import rules
from clientele.memberships.model import Membership
from clientele.memberships.repository import MembershipRepository
from clientele.memberships.rules import Event

KIND = "membership_notice"
PAYMENT_FAILED = "payment_failed"


class Messenger(Protocol):
    def enqueue(
        self,
        kind: str,
        merchant_id: str,
        customer_id: str,
        channel: str,
        refs: dict[str, str] | None = None,
        *,
        dedupe_key: str | None = None,
    ) -> Any: ...


class MemberNotices:
    def __init__(self, messenger: Callable[[], Messenger], memberships: MembershipRepository) -> None:
        self._messenger = messenger
        self.memberships = memberships

    def send_notice(self, membership: Membership, notice: str, day: date) -> None:
        m = membership
        refs = {"membership_id": m.id, "notice": notice}
        if notice in (Event.PRENOTIFY, Event.REMIND):
            due = rules.next_charge_date(m)
            if due is None:
                return
            refs |= {"date": due.isoformat(), "amount": str(m.rate.amount), "currency": m.rate.currency}
            if notice == Event.PRENOTIFY:
                mandate = self.memberships.get_mandate(m.merchant_id, m.id, m.mandate_id) if m.mandate_id else None
                if mandate is None:
                    return  # nothing will be collected without a mandate: no pre-notification
                refs["reference"] = mandate.reference
        elif notice == Event.ENDING:
            if m.end_date is None:
                return
            refs["date"] = m.end_date.isoformat()
        self._send(m, refs, f"{m.id}/{notice}/{day.isoformat()}")

    def payment_failed(self, membership: Membership, amount: int, currency: str, end_to_end_id: str) -> None:
        refs = {"membership_id": membership.id, "notice": PAYMENT_FAILED, "amount": str(amount), "currency": currency}
        self._send(membership, refs, f"{membership.id}/{PAYMENT_FAILED}/{end_to_end_id}")

    def _send(self, m: Membership, refs: dict[str, str], dedupe_key: str) -> None:
        self._messenger().enqueue(KIND, m.merchant_id, m.customer_id, "email", refs, dedupe_key=dedupe_key)
