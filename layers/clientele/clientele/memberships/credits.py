"""Membership credits (SPEC 6.9): issued with each period's charge by the dues run, or by hand with a reason;
revoked with a reason; redeemed at the desk. Unused period credits expire with their period or carry over,
capped per kind, as the type's plan says; a membership that ends issues no more and its remaining credits
follow the same rule.

A credit's state changes with a condition on the state read (and, to redeem, on its last day at the site), so
two desks redeeming one credit at once redeem it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from clientele.account.model import Site
from clientele.account.repository import MerchantRepository
from clientele.customers.repository import CustomerRepository
from clientele.kernel import clock
from clientele.kernel.entity import Page
from clientele.kernel.errors import Conflict, NotFound, ValidationFailed
from clientele.kernel.ids import new_sortable_id
from clientele.kernel.permissions import Principal
from clientele.memberships import rules
from clientele.memberships.model import (
    Credit,
    CreditSource,
    CreditState,
    Membership,
    UnusedCredits,
)
from clientele.memberships.repository import CreditChanged, CreditRepository, MembershipRepository
from clientele.memberships.rules import RaisedCharge
from clientele.storage.table import Transaction

ERASED = "erasure"


def period_credits(m: Membership, raised: RaisedCharge, now: str) -> list[Credit]:
    """The credits of one period of ``m`` under its plan, with ids fixed by membership, period and kind."""
    plan = m.credits
    if plan is None:
        return []
    expires = rules.credit_expiry(plan, raised.end, m.end_date)
    return [
        Credit(
            id=rules.period_credit_id(m.id, raised.period, k, n),
            merchant_id=m.merchant_id,
            customer_id=m.customer_id,
            site_id=m.site_id,
            name=allowance.name,
            source=CreditSource.MEMBERSHIP,
            membership_id=m.id,
            period=raised.period,
            period_start=raised.start,
            period_end=raised.end,
            expires_on=expires,
            carries_over=plan.unused is UnusedCredits.CARRY_OVER,
            issued_at=now,
            issued_by="dues",
        )
        for k, allowance in enumerate(plan.per_period)
        for n in range(allowance.count)
    ]


def _status_error(c: Credit, today: date) -> Conflict:
    status = c.status_on(today)
    words = {
        CreditState.USED: "This credit was redeemed already.",
        CreditState.REVOKED: "This credit was revoked.",
        CreditState.EXPIRED: "This credit has expired.",
    }
    return Conflict(words.get(status, "This credit changed meanwhile."), field="id", code=f"CREDIT_{status.name}")


@dataclass(frozen=True)
class CreditView:
    """A credit with its state as the desk sees it today at its site."""

    credit: Credit
    status: CreditState


class CreditService:
    def __init__(
        self,
        credits: CreditRepository,
        memberships: MembershipRepository,
        merchants: MerchantRepository,
        customers: CustomerRepository,
    ) -> None:
        self.credits = credits
        self.memberships = memberships
        self.merchants = merchants
        self.customers = customers

    # Days at sites ----------------------------------------------------------------------------------
    def _sites(self, merchant_id: str) -> dict[str, Site]:
        return {s.id: s for s in self.merchants.list_sites(merchant_id)}

    @staticmethod
    def _today(site: Site | None) -> date:
        return rules.local_today(clock.utcnow(), site.time_zone if site else "UTC")

    def _view(self, c: Credit, sites: dict[str, Site]) -> CreditView:
        return CreditView(c, c.status_on(self._today(sites.get(c.site_id))))

    def _visible(self, principal: Principal, credit_id: str) -> Credit:
        c = self.credits.get(principal.merchant_id, credit_id)
        if principal.site_ids is not None and c.site_id not in principal.site_ids:
            raise NotFound("No such credit.", field="id")
        return c

    # Use cases ----------------------------------------------------------------------------------------
    def issue(
        self,
        principal: Principal,
        customer_id: str,
        *,
        name: str,
        reason: str,
        expires_on: date | None,
        membership_id: str | None,
        site_id: str | None,
    ) -> CreditView:
        """Issue one credit by hand ("+ Issue"), with a reason; optionally for one of the customer's memberships
        (its site) and with a last day."""
        self.customers.get(principal.merchant_id, customer_id)
        sites = self._sites(principal.merchant_id)
        visible = [s for s in sites.values() if principal.site_ids is None or s.id in principal.site_ids]
        if membership_id is not None:
            try:
                m = self.memberships.get(principal.merchant_id, membership_id).membership
            except NotFound:
                m = None
            if m is None or m.customer_id != customer_id or m.site_id not in {s.id for s in visible}:
                raise ValidationFailed(
                    "No such membership of this customer.", field="membership_id", code="UNKNOWN_MEMBERSHIP"
                )
            site_id = site_id or m.site_id
            if site_id != m.site_id:
                raise ValidationFailed("The membership is at another site.", field="site_id", code="UNKNOWN_SITE")
        site = next((s for s in visible if site_id is None or s.id == site_id), None)
        if site is None:
            raise ValidationFailed("No such site.", field="site_id", code="UNKNOWN_SITE")
        if expires_on is not None and expires_on < self._today(site):
            raise ValidationFailed("The last day is in the past.", field="expires_on", code="DATE_IN_PAST")
        now = clock.now_iso()
        c = Credit(
            id=new_sortable_id("crd"),
            merchant_id=principal.merchant_id,
            customer_id=customer_id,
            site_id=site.id,
            name=name,
            source=CreditSource.MANUAL,
            membership_id=membership_id,
            expires_on=expires_on,
            issued_at=now,
            issued_by=principal.key_id,
            reason=reason,
        )
        self.credits.add(c)
        return CreditView(c, c.state)

    def get(self, principal: Principal, credit_id: str) -> CreditView:
        return self._view(self._visible(principal, credit_id), self._sites(principal.merchant_id))

    def for_customer(
        self,
        principal: Principal,
        customer_id: str,
        *,
        status: CreditState | None,
        membership_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[CreditView]:
        """One page of the customer's credits, newest first; the filters apply to the page read (a page may hold
        fewer than ``limit`` while ``cursor`` goes on)."""
        self.customers.get(principal.merchant_id, customer_id)
        page = self.credits.for_customer(principal.merchant_id, customer_id, limit=limit, cursor=cursor)
        sites = self._sites(principal.merchant_id)
        views = [
            self._view(c, sites)
            for c in page.items
            if (principal.site_ids is None or c.site_id in principal.site_ids)
            and (membership_id is None or c.membership_id == membership_id)
        ]
        return Page(items=[v for v in views if status is None or v.status is status], cursor=page.cursor)

    def redeem(self, principal: Principal, credit_id: str) -> CreditView:
        """Use the credit at the desk: only an available credit within its last day; anything else is 409."""
        c = self._visible(principal, credit_id)
        today = self._today(self._sites(principal.merchant_id).get(c.site_id))
        if c.status_on(today) is not CreditState.AVAILABLE:
            raise _status_error(c, today)
        used = c.model_copy(update={"state": CreditState.USED, "used_at": clock.now_iso(), "used_by": principal.key_id})
        try:
            self.credits.replace(c, used, usable_on=today)
        except CreditChanged:
            raise _status_error(self.credits.get(principal.merchant_id, credit_id), today) from None
        return CreditView(used, used.state)

    def revoke(self, principal: Principal, credit_id: str, reason: str) -> CreditView:
        c = self._visible(principal, credit_id)
        today = self._today(self._sites(principal.merchant_id).get(c.site_id))
        if c.status_on(today) is not CreditState.AVAILABLE:
            raise _status_error(c, today)
        revoked = c.model_copy(
            update={
                "state": CreditState.REVOKED,
                "revoked_at": clock.now_iso(),
                "revoked_by": principal.key_id,
                "revoked_reason": reason,
            }
        )
        try:
            self.credits.replace(c, revoked, usable_on=today)
        except CreditChanged:
            raise _status_error(self.credits.get(principal.merchant_id, credit_id), today) from None
        return CreditView(revoked, revoked.state)

    # The membership's side -----------------------------------------------------------------------------
    def issue_ops(self, m: Membership, raised: RaisedCharge, now: str) -> Transaction:
        """The puts of a period's credits, for the transaction that saves the membership."""
        return self.credits.issue_ops(self.memberships.table.transaction(), period_credits(m, raised, now))

    def tidy(self, m: Membership, day: date, *, current_period: int | None) -> int:
        """Expire the membership's available period credits that the plan ends on ``day``: past their last day,
        or carried over beyond the cap. Safe to run again (each is conditional on still being available)."""
        gone = rules.to_expire(
            self.credits.open_for_membership(m.merchant_id, m.id), m.credits, day, current_period=current_period
        )
        now = clock.now_iso()
        for c in gone:
            try:
                self.credits.replace(c, c.model_copy(update={"state": CreditState.EXPIRED, "expired_at": now}))
            except CreditChanged:
                continue
        return len(gone)

    def follow_end(self, m: Membership, today: date) -> None:
        """The membership's last day moved (an edit, a cancellation): under ``expire``, each available period
        credit's last day follows it (never past its own period); once it has ended, the cap applies to what
        carries over."""
        if m.credits is None:
            return
        if m.credits.unused is UnusedCredits.EXPIRE:
            for c in self.credits.open_for_membership(m.merchant_id, m.id):
                if c.period_end is None:
                    continue
                last = rules.credit_expiry(m.credits, c.period_end, m.end_date)
                if last != c.expires_on:
                    try:
                        self.credits.replace(c, c.model_copy(update={"expires_on": last}))
                    except CreditChanged:
                        continue
        if m.status not in rules.LIVE:
            self.tidy(m, today, current_period=None)

    def move_to(self, merchant_id: str, source_id: str, survivor_id: str) -> int:
        """A merge: every credit of the source now belongs to the survivor. Safe to run again."""
        moved = 0
        for c in self.credits.all_for_customer(merchant_id, source_id):
            self.credits.move(c, survivor_id)
            moved += 1
        return moved

    def erase_member(self, merchant_id: str, customer_id: str) -> int:
        """Erasure: the reasons (the merchant's words about the person) go; credits still available are revoked
        (nobody can redeem them any more). Ids, kinds and dates stay for the merchant's figures. Safe to run
        again."""
        changed = 0
        now = clock.now_iso()
        for c in self.credits.all_for_customer(merchant_id, customer_id):
            update: dict[str, Any] = {"reason": None, "revoked_reason": None}
            if c.state is CreditState.AVAILABLE:
                update |= {"state": CreditState.REVOKED, "revoked_at": now, "revoked_by": ERASED}
            new = c.model_copy(update=update)
            if new == c:
                continue
            try:
                self.credits.replace(c, new)
            except CreditChanged:  # redeemed meanwhile: read it again and erase its reason
                fresh = self.credits.get(merchant_id, c.id)
                self.credits.replace(fresh, fresh.model_copy(update={"reason": None, "revoked_reason": None}))
            changed += 1
        return changed

    def for_download(self, merchant_id: str, customer_id: str) -> Sequence[Credit]:
        return self.credits.all_for_customer(merchant_id, customer_id)
