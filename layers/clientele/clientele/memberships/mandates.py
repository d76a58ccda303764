"""SEPA mandates: the manager's mandate request (an email with a link to ``/m/{token}``) and the hosted
page where the member gives the mandate (account holder, IBAN checked with its bank, the mandate text
naming the creditor and its identifier, consent).

The IBAN is sealed (``kernel.crypto.seal``, purpose ``iban``, bound to the merchant and the mandate)
before it is stored, shown masked everywhere, and never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from clientele.account.repository import MerchantRepository
from clientele.customers.repository import CustomerRepository
from clientele.kernel import clock
from clientele.kernel.crypto import seal
from clientele.kernel.errors import Conflict, NotFound, ValidationFailed
from clientele.kernel.ids import new_id
from clientele.kernel.links import LIFETIME_SECONDS, InvalidLink, Link, LinkSigner
from clientele.kernel.permissions import Principal
from clientele.memberships import rules, sepa
from clientele.memberships.model import (
    ChargeState,
    Mandate,
    MandateRequest,
    Membership,
    MembershipPaymentMethod,
    MembershipSettings,
)
from clientele.memberships.repository import MembershipRepository, RequestUsed, Stored
from clientele.memberships.service import MembershipService
from clientele.rendering.languages import N_, gettext

MANDATE_TEXT = N_(
    "By giving this mandate, you authorise (A) %(creditor)s to send instructions to your bank to debit your "
    "account and (B) your bank to debit your account in accordance with the instructions from %(creditor)s "
    "(creditor identifier %(creditor_id)s). As part of your rights, you are entitled to a refund from your bank "
    "under the terms and conditions of your agreement with your bank. A refund must be claimed within 8 weeks "
    "starting from the date on which your account was debited."
)
# The notice the member agrees to (SEPA: 14 calendar days unless agreed otherwise): a debit due sooner after the
# mandate is given (its regular pre-notification day has passed) is announced when the mandate is given.
MANDATE_NOTICE_TEXT = N_(
    "You will be told the amount and date of each debit at least %(days)s days before it is collected; a debit "
    "due sooner after you give this mandate is announced to you as soon as you give it."
)
PERIOD_WORDS = {"weekly": N_("week"), "monthly": N_("month"), "quarterly": N_("quarter"), "yearly": N_("year")}


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


@dataclass(frozen=True)
class PageView:
    """What the hosted page shows (no personal data of the member)."""

    merchant_name: str
    privacy_policy_url: str | None
    creditor_name: str
    creditor_id: str
    amount: str
    period: str
    used: bool = False


@dataclass
class Given:
    mandate: Mandate | None = None
    errors: dict[str, str] = field(default_factory=dict)


class MandateService:
    def __init__(
        self,
        memberships: MembershipRepository,
        service: MembershipService,
        merchants: MerchantRepository,
        customers: CustomerRepository,
        *,
        messenger: Callable[[], Messenger],
        signer: Callable[[], LinkSigner],
        secret: Callable[[], bytes],
    ) -> None:
        self.memberships = memberships
        self.service = service
        self.merchants = merchants
        self.customers = customers
        self._messenger = messenger
        self._signer = signer
        self._secret = secret

    # The manager's side ----------------------------------------------------------------------------
    def request(self, principal: Principal, membership_id: str, *, resend: bool) -> MandateRequest:
        stored = self.service.visible(principal, membership_id)
        m = stored.membership
        if m.payment_method is not MembershipPaymentMethod.DIRECT_DEBIT or not rules.needs_mandate(m):
            raise ValidationFailed(
                "This membership needs no mandate (it is paid at the desk, has one, or has ended).",
                field="id",
                code="MANDATE_NOT_NEEDED",
            )
        if m.rate.currency != "EUR":
            raise ValidationFailed("SEPA direct debits are in euros only.", field="id", code="DIRECT_DEBIT_EUR_ONLY")
        settings = self.memberships.get_settings(principal.merchant_id)
        _require_creditor(settings)
        customer = self.customers.get(principal.merchant_id, m.customer_id)
        if not customer.email:
            raise ValidationFailed(
                "The member has no email address to send the link to.",
                field="customer_id",
                code="CUSTOMER_WITHOUT_EMAIL",
            )
        now = clock.utcnow()
        current = self.memberships.get_request(principal.merchant_id, m.id)
        is_open = current is not None and current.used_at is None and clock.parse(current.open_until) > now
        if is_open and current is not None:
            if not resend:
                raise Conflict(
                    "A mandate request is open; send it again with `resend: true`.",
                    field="id",
                    code="MANDATE_REQUEST_OPEN",
                )
            request = current.model_copy(
                update={
                    "sent_count": current.sent_count + 1,
                    "open_until": clock.isoformat(now + timedelta(seconds=LIFETIME_SECONDS[Link.MANDATE])),
                }
            )
        else:
            request = MandateRequest(
                id=new_id("mreq"),
                membership_id=m.id,
                created_at=clock.isoformat(now),
                open_until=clock.isoformat(now + timedelta(seconds=LIFETIME_SECONDS[Link.MANDATE])),
            )
        self.memberships.put_request(principal.merchant_id, request, replacing=current)
        self._messenger().enqueue(
            "mandate_request",
            principal.merchant_id,
            m.customer_id,
            "email",
            {"membership_id": m.id, "mandate_request_id": request.id},
        )
        return request

    def mandate_of(self, principal: Principal, membership: Membership) -> Mandate | None:
        if membership.mandate_id is None:
            return None
        return self.memberships.get_mandate(principal.merchant_id, membership.id, membership.mandate_id)

    # The member's page -------------------------------------------------------------------------------
    def _open(self, token: str) -> tuple[dict[str, Any], Stored, MandateRequest, MembershipSettings, Any]:
        payload = self._signer().verify(Link.MANDATE, token)
        merchant_id, membership_id, request_id = (str(payload.get(k, "")) for k in ("m", "mbr", "r"))
        try:
            stored = self.memberships.get(merchant_id, membership_id, consistent=True)
            merchant = self.merchants.get(merchant_id)
        except NotFound as exc:
            raise InvalidLink("invalid") from exc
        request = self.memberships.get_request(merchant_id, membership_id)
        if request is None or request.id != request_id:
            raise InvalidLink("invalid")  # a request replaced by a newer one, or erased
        settings = self.memberships.get_settings(merchant_id)
        if not settings.creditor_id or not settings.creditor_name:
            raise InvalidLink("invalid")
        return payload, stored, request, settings, merchant

    def view(self, token: str, locale: str) -> PageView:
        _, stored, request, settings, merchant = self._open(token)
        m = stored.membership
        return PageView(
            merchant_name=merchant.name,
            privacy_policy_url=merchant.privacy_policy_url,
            creditor_name=settings.creditor_name or merchant.name,
            creditor_id=settings.creditor_id or "",
            amount=_money(m.rate.amount, m.rate.currency, locale),
            period=gettext(locale, PERIOD_WORDS[m.billing_period.value]),
            used=request.used_at is not None or not rules.needs_mandate(m),
        )

    def text(self, token: str, locale: str) -> str:
        _, _, _, settings, merchant = self._open(token)
        return mandate_text(
            locale, settings.creditor_name or merchant.name, settings.creditor_id or "", settings.prenotification_days
        )

    def give(self, token: str, *, holder: str, iban: str, consent: bool, locale: str) -> Given:
        """Record the mandate; field errors come back (localised by the page), nothing is stored then."""
        _, stored, request, settings, merchant = self._open(token)
        m = stored.membership
        if request.used_at is not None or not rules.needs_mandate(m):
            raise RequestUsed()
        errors: dict[str, str] = {}
        holder = " ".join(holder.split())[:70]
        if not holder:
            errors["holder"] = "HOLDER_REQUIRED"
        account: sepa.Account | None = None
        try:
            account = sepa.account(iban)
        except sepa.BadIban as exc:
            errors["iban"] = exc.code
        if not consent:
            errors["consent"] = "CONSENT_REQUIRED"
        if errors or account is None:
            return Given(errors=errors)
        creditor_name = settings.creditor_name or merchant.name
        creditor_id = settings.creditor_id or ""
        mandate_id = new_id("mnd")
        now = clock.now_iso()
        mandate = Mandate(
            id=mandate_id,
            membership_id=m.id,
            reference=sepa.new_reference(m.number),
            creditor_id=creditor_id,
            creditor_name=creditor_name,
            holder_name=holder,
            iban_sealed=seal(self._secret(), "iban", account.iban.encode(), f"{m.merchant_id}/{mandate_id}"),
            iban_masked=account.masked,
            bank_name=account.bank_name,
            bic=account.bic,
            signed_at=now,
            text=mandate_text(locale, creditor_name, creditor_id, settings.prenotification_days),
            text_version=sepa.MANDATE_TEXT_VERSION,
        )
        extra = self.memberships.mandate_ops(m.merchant_id, request, mandate, now)
        saved = self.service.attach_mandate(stored, mandate_id, extra)
        self._prenotify_now(saved, mandate, settings)
        return Given(mandate=mandate)

    def _prenotify_now(self, m: Membership, mandate: Mandate, settings: MembershipSettings) -> list[date]:
        """The pre-notifications the dues run can no longer send, sent now: the charges already waiting for a
        mandate (collected from the site's next run) and the next charge when its notice day has passed. Each
        once per mandate and date. Returns the collection dates announced."""
        site = self.merchants.get_site(m.merchant_id, m.site_id)
        today = rules.local_today(clock.utcnow(), site.time_zone)
        debits: list[tuple[date, int, str]] = []
        entry = self.memberships.dues_site(m.merchant_id, m.site_id)
        done = date.fromisoformat(str(entry["watermark"])) if entry else today
        first_run = max(today, done + timedelta(days=1))  # the next day the site's run builds a bank file
        waiting = [
            c
            for c in self.memberships.all_charges(m.merchant_id, m.id)
            if c.state in (ChargeState.PENDING_COLLECTION, ChargeState.FAILED)
        ]
        if waiting:
            debits.append((first_run, sum(c.amount.amount for c in waiting), waiting[0].amount.currency))
        upcoming = rules.next_charge_date(m)
        if upcoming is not None and upcoming <= today + timedelta(days=settings.prenotification_days):
            debits.append((max(upcoming, first_run), m.rate.amount, m.rate.currency))
        for day, amount, currency in debits:
            refs = {
                "membership_id": m.id,
                "notice": "prenotify",
                "date": day.isoformat(),
                "amount": str(amount),
                "currency": currency,
                "reference": mandate.reference,
            }
            self._messenger().enqueue(
                "membership_notice",
                m.merchant_id,
                m.customer_id,
                "email",
                refs,
                dedupe_key=f"{m.id}/prenotify/{mandate.id}/{day.isoformat()}",
            )
        return [day for day, _, _ in debits]


def mandate_text(locale: str, creditor: str, creditor_id: str, notice_days: int) -> str:
    authorisation = gettext(locale, MANDATE_TEXT, creditor=creditor, creditor_id=creditor_id)
    return f"{authorisation} {gettext(locale, MANDATE_NOTICE_TEXT, days=notice_days)}"


def _money(amount: int, currency: str, locale: str) -> str:
    from babel.numbers import format_currency

    return str(format_currency(amount / 100, currency, locale=locale))


def _require_creditor(settings: MembershipSettings) -> None:
    if not (settings.creditor_id and settings.creditor_name and settings.collection_iban):
        raise ValidationFailed(
            "Set the creditor name, SEPA creditor identifier and collection account in the membership settings first.",
            field="creditor_id",
            code="SEPA_NOT_SET_UP",
        )
