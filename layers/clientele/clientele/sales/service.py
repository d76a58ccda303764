"""Recording sales at the till: purchases, refunds and exchanges, with a customer, a card, both or neither.

A sale and every counter it moves are one transaction guarded by the sale's non-existence. With an
``Idempotency-Key`` the sale's id is derived from the merchant and the key, so even a retry that outlives
its idempotency record (a timed-out invocation, an expired record) finds the sale already there.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from clientele.account.model import Site
from clientele.account.repository import MerchantRepository
from clientele.customers.model import AuditEntry, Customer, Source
from clientele.kernel import clock, ids
from clientele.kernel.entity import Page
from clientele.kernel.errors import Conflict, NotFound, ValidationFailed
from clientele.kernel.money import Money
from clientele.kernel.permissions import Principal
from clientele.loyalty.accrual import SaleAccrual, SaleFacts
from clientele.sales import rules
from clientele.sales.cards import CardInput, names_from_cardholder, refuse_card_numbers
from clientele.sales.insights_repository import InsightsRepository
from clientele.sales.model import (
    Card,
    CardRef,
    CustomerInsights,
    PaymentMethod,
    Sale,
    SaleLine,
    SaleType,
    TaxLine,
)
from clientele.sales.repository import (
    CardLink,
    CustomerChange,
    CustomerChanged,
    SaleAlreadyRecorded,
    SaleRepository,
    SaleWrite,
    StaleRead,
    fingerprint_hash,
)

MAX_ATTEMPTS = 25
SITE_CACHE_SECONDS = 300.0
CARD_CACHE_SIZE = 2048
_ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz"


@dataclass
class SaleDraft:
    type: SaleType
    total: Money
    lines: list[SaleLine] = field(default_factory=list)
    site_id: str | None = None
    customer_id: str | None = None
    card: CardInput | None = None
    refund_of: str | None = None
    taxes: list[TaxLine] = field(default_factory=list)
    payment_method: PaymentMethod | None = None

    def fingerprint(self) -> str:
        """A digest of the request (never stored in clear), to tell a replay from a reused key."""
        body: dict[str, object] = {
            "type": self.type.value,
            "total": self.total.model_dump(),
            "lines": [x.model_dump() for x in self.lines],
            "site_id": self.site_id,
            "customer_id": self.customer_id,
            "card": self.card.__dict__ if self.card else None,
        }
        if self.refund_of is not None:
            body["refund_of"] = self.refund_of
        # Only when given, so the digest of a request without them is what it always was.
        if self.taxes:
            body["taxes"] = [x.model_dump() for x in self.taxes]
        if self.payment_method is not None:
            body["payment_method"] = self.payment_method.value
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def sale_id_for(merchant_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return ids.new_sortable_id("sale")
    number = int.from_bytes(hashlib.sha256(f"{merchant_id}\x00{idempotency_key}".encode()).digest()[:16], "big")
    chars = []
    while number:
        number, rest = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    return f"sale_{''.join(reversed(chars)).rjust(25, '0')}"


def check_amounts(draft: SaleDraft, currency: str) -> None:
    """Money rules: one currency (the site's), lines that add up, signs that fit the sale's type."""
    if draft.total.currency != currency:
        raise ValidationFailed(f"This site takes {currency}.", field="total.currency", code="CURRENCY_MISMATCH")
    if draft.type is not SaleType.EXCHANGE and draft.total.amount < 0:
        raise ValidationFailed(
            "A purchase or refund total is not negative; a refund's type says it is money back.",
            field="total.amount",
            code="INVALID_AMOUNT",
        )
    for index, line in enumerate(draft.lines):
        if line.unit_price.currency != currency or line.total.currency != currency:
            raise ValidationFailed(f"This site takes {currency}.", field=f"lines.{index}", code="CURRENCY_MISMATCH")
        if line.unit_price.amount * line.quantity != line.total.amount:
            raise ValidationFailed(
                "A line's total is its quantity times its unit price.",
                field=f"lines.{index}.total",
                code="LINE_TOTAL_MISMATCH",
            )
    if draft.refund_of is not None and draft.type is SaleType.PURCHASE:
        raise ValidationFailed(
            "Only a refund or an exchange gives money back for an earlier sale.",
            field="refund_of",
            code="INVALID_REFUND",
        )
    for index, tax in enumerate(draft.taxes):
        if tax.amount.currency != currency:
            raise ValidationFailed(f"This site takes {currency}.", field=f"taxes.{index}", code="CURRENCY_MISMATCH")
    added = sum(tax.amount.amount for tax in draft.taxes if not tax.included)
    if draft.lines and sum(line.total.amount for line in draft.lines) + added != draft.total.amount:
        raise ValidationFailed(
            "The sale's total is the sum of its lines, plus the taxes that are not included in them.",
            field="total.amount",
            code="TOTAL_MISMATCH",
        )


@dataclass(frozen=True)
class Attachment:
    """A sale after a customer was attached or taken off, and that customer's insights at that moment."""

    sale: Sale
    customer_id: str | None  # attached, or taken off; None: the sale had none
    insights: CustomerInsights | None


class SalesService:
    def __init__(
        self,
        sales: SaleRepository,
        merchants: MerchantRepository,
        loyalty: SaleAccrual | None = None,
        insights: InsightsRepository | None = None,
    ) -> None:
        self.sales = sales
        self.merchants = merchants
        self.loyalty = loyalty  # the port that adds a sale's loyalty points to the sale's transaction
        self.insights = insights  # what the till shows of the customer once attached
        # Per container: sites change rarely and every sale re-checks the cached currency and time zone
        # in its transaction; card links are re-checked the same way. Both only save reads.
        self._sites: dict[str, tuple[float, list[Site]]] = {}
        self._cards: dict[tuple[str, str], CardLink] = {}

    # Sites ------------------------------------------------------------------------------------
    def _site(self, principal: Principal, site_id: str | None, *, fresh: bool) -> Site:
        cached = self._sites.get(principal.merchant_id)
        if fresh or cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + SITE_CACHE_SECONDS, self.merchants.list_sites(principal.merchant_id))
            self._sites[principal.merchant_id] = cached
        visible = [s for s in cached[1] if principal.site_ids is None or s.id in principal.site_ids]
        if site_id is None:
            if not visible:
                raise ValidationFailed(
                    "This key may not record sales at any site.", field="site_id", code="UNKNOWN_SITE"
                )
            return min(visible, key=lambda s: (s.created_at, s.id))
        for site in visible:
            if site.id == site_id:
                return site
        if not fresh:
            return self._site(principal, site_id, fresh=True)
        raise ValidationFailed("No such site.", field="site_id", code="UNKNOWN_SITE")

    # Cards ------------------------------------------------------------------------------------
    def _card_link(self, merchant_id: str, fingerprint: str) -> CardLink | None:
        cache_key = (merchant_id, fingerprint_hash(fingerprint))
        link = self._cards.get(cache_key)
        if link is None:
            link = self.sales.card_link(merchant_id, fingerprint)
            if link is not None:
                self._remember(cache_key, link)
        return link

    def _remember(self, cache_key: tuple[str, str], link: CardLink) -> None:
        if len(self._cards) >= CARD_CACHE_SIZE:
            self._cards.clear()
        self._cards[cache_key] = link

    # Recording --------------------------------------------------------------------------------
    def record(self, principal: Principal, draft: SaleDraft, *, idempotency_key: str | None = None) -> Sale:
        if draft.card:
            # Names and brands have no business holding 13 digits; opaque ids and free text may, by chance,
            # so there only a run that passes the Luhn check (as every card number does) is refused.
            refuse_card_numbers(
                {"card.brand": draft.card.brand, "card.cardholder_name": draft.card.cardholder_name}, strict=True
            )
            refuse_card_numbers({"card.fingerprint": draft.card.fingerprint}, strict=False)
        refuse_card_numbers(
            {f"lines.{i}.description": line.description for i, line in enumerate(draft.lines)}, strict=False
        )
        sale_id = sale_id_for(principal.merchant_id, idempotency_key)
        request_hash = draft.fingerprint() if idempotency_key else None
        stale: set[str] = set()
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.002, 0.01 * min(attempt, 10)))  # noqa: S311 - jitter, not secrecy
            try:
                return self._attempt(principal, draft, sale_id, request_hash, fresh_site="site" in stale)
            except SaleAlreadyRecorded as done:
                if request_hash is not None and done.request_hash not in (None, request_hash):
                    raise ValidationFailed(
                        "This Idempotency-Key was used with a different request body.",
                        field="Idempotency-Key",
                        code="IDEMPOTENCY_KEY_REUSED",
                    ) from done
                return self.sales.get(principal.merchant_id, sale_id)
            except StaleRead as changed:
                stale.add(changed.what)
                if changed.what == "card" and draft.card:
                    self._cards.pop((principal.merchant_id, fingerprint_hash(draft.card.fingerprint)), None)
        raise Conflict("Too many concurrent changes to this customer; retry the request.", code="BUSY")

    def _attempt(
        self, principal: Principal, draft: SaleDraft, sale_id: str, request_hash: str | None, *, fresh_site: bool
    ) -> Sale:
        site = self._site(principal, draft.site_id, fresh=fresh_site)
        check_amounts(draft, site.currency)
        now = clock.utcnow()
        occurred_at = clock.isoformat(now)
        local_date = now.astimezone(ZoneInfo(site.time_zone)).date()
        mid = principal.merchant_id

        link = self._card_link(mid, draft.card.fingerprint) if draft.card else None
        customer_id = draft.customer_id
        known_card: CardLink | None = None
        new_card: Card | None = None
        instant: Customer | None = None
        if draft.card:
            card_id = ids.new_id("card")
            if customer_id is not None:
                if link is None or link.customer_id is None:
                    new_card = self._card(draft.card, card_id, customer_id, occurred_at)
                else:
                    card_id = link.card_id
            elif link is not None:
                known_card, card_id, customer_id = link, link.card_id, link.customer_id
            elif draft.card.cardholder_name:
                instant = self._instant_profile(mid, draft.card.cardholder_name, site, occurred_at)
                customer_id = instant.id
                new_card = self._card(draft.card, card_id, customer_id, occurred_at)
            card_ref: CardRef | None = CardRef(card_id=card_id, brand=draft.card.brand, last4=draft.card.last4)
        else:
            card_ref = None

        sale = Sale(
            id=sale_id,
            merchant_id=mid,
            site_id=site.id,
            type=draft.type,
            total=draft.total,
            lines=draft.lines,
            customer_id=customer_id,
            card=card_ref,
            taxes=draft.taxes,
            payment_method=PaymentMethod.CARD if draft.card else draft.payment_method,
            occurred_at=occurred_at,
            local_date=local_date,
            created_by=principal.key_id,
            instant_profile=instant is not None,
            refund_of=draft.refund_of,
        )
        write = SaleWrite(
            sale=sale,
            request_hash=request_hash,
            site_currency=site.currency,
            site_time_zone=site.time_zone,
            known_card=known_card,
            new_card=new_card,
        )
        if instant is not None:
            audit = AuditEntry(
                id=ids.new_sortable_id("audit"),
                customer_id=instant.id,
                at=occurred_at,
                actor=principal.key_id,
                action="created",
                fields=[f for f in ("given_name", "family_name") if getattr(instant, f)],
            )
            self.sales.record_with_instant_profile(write, instant, audit)
        else:
            if customer_id is not None:
                self._read_customer(write, customer_id, site.id)
            self.sales.record(write)
        if new_card is not None and draft.card:
            self._remember(
                (mid, fingerprint_hash(draft.card.fingerprint)),
                CardLink(new_card.id, new_card.customer_id, fingerprint_hash(draft.card.fingerprint)),
            )
        return sale

    def _read_customer(self, write: SaleWrite, customer_id: str, site_id: str) -> None:
        """The customer's counters and, in the same read, their loyalty account: the sale's transaction then
        carries the points it earns (or takes back), so they move exactly once with it."""
        sale = write.sale
        if self.loyalty is None:
            write.state = self.sales.counter_state(sale.merchant_id, customer_id, site_id)
            return
        also = self.loyalty.keys(sale.merchant_id, customer_id, sale.refund_of)
        write.state, found = self.sales.read_for_sale(sale.merchant_id, customer_id, site_id, also)
        facts = SaleFacts(
            merchant_id=sale.merchant_id,
            customer_id=customer_id,
            sale_id=sale.id,
            kind=sale.type.value,
            amount=sale.total.amount,
            at=sale.occurred_at,
            refund_of=sale.refund_of,
        )
        plan = self.loyalty.plan(facts, found)
        if plan is not None:
            sale.loyalty = plan.points
            write.extra = plan.transaction

    @staticmethod
    def _card(card: CardInput, card_id: str, customer_id: str, at: str) -> Card:
        return Card(
            id=card_id,
            customer_id=customer_id,
            fingerprint=card.fingerprint,
            brand=card.brand,
            last4=card.last4,
            cardholder_name=card.cardholder_name,
            linked_at=at,
        )

    @staticmethod
    def _instant_profile(merchant_id: str, cardholder: str, site: Site, at: str) -> Customer:
        given, family = names_from_cardholder(cardholder)
        return Customer(
            id=ids.new_id("cus"),
            merchant_id=merchant_id,
            given_name=given,
            family_name=family,
            site_ids=[site.id],
            source=Source.INSTANT_PROFILE,
            created_at=at,
            updated_at=at,
            last_visit_at=at,
        )

    # Reading ----------------------------------------------------------------------------------
    def get(self, principal: Principal, sale_id: str) -> Sale:
        sale = self.sales.get(principal.merchant_id, sale_id)
        if principal.site_ids is not None and sale.site_id not in principal.site_ids:
            raise NotFound("No such sale.", field="id")
        return sale

    def search(
        self, principal: Principal, *, card_last4: str | None, customer_id: str | None, limit: int, cursor: str | None
    ) -> Page[Sale]:
        mid = principal.merchant_id
        if customer_id is not None:
            page = self.sales.activity(
                mid,
                customer_id,
                scope="all",
                by_amount=False,
                ascending=False,
                limit=limit,
                cursor=cursor,
                site_ids=principal.site_ids,
            )
            if card_last4 is not None:
                page.items = [s for s in page.items if s.card and s.card.last4 == card_last4]
        elif card_last4 is not None:
            page = self.sales.by_last4(mid, card_last4, limit=limit, cursor=cursor)
        else:
            page = self.sales.recent(mid, limit=limit, cursor=cursor)
        if principal.site_ids is not None:
            page.items = [s for s in page.items if s.site_id in principal.site_ids]
        return page

    def check_attachable(self, principal: Principal, sale_id: str) -> None:
        """A QR code may be made for a sale the caller can see (404 otherwise, as for ``GET /v1/sales/{id}``)
        and that has no customer yet (409): a sale's receipt goes to its own customer only."""
        try:
            sale = self.get(principal, sale_id)
        except NotFound as exc:
            raise NotFound("No such sale.", field="sale_id") from exc
        if sale.customer_id is not None:
            raise Conflict("This sale already has a customer.", field="sale_id", code="SALE_HAS_CUSTOMER")

    def attach(self, principal: Principal, sale_id: str, customer_id: str) -> bool:
        """Give a recorded sale that has no customer to ``customer_id`` (the shopper who signed up from the
        QR code printed for that sale). Once only: a sale that already has a customer keeps it."""
        try:
            return self.attach_customer(principal, sale_id, customer_id, visible=False).customer_id == customer_id
        except (NotFound, Conflict):
            return False  # the signup stands; there is just no sale to attach

    # A customer given to, or taken off, a recorded sale -----------------------------------------
    def attach_customer(self, principal: Principal, sale_id: str, customer_id: str, *, visible: bool = True) -> Sale:
        """Attach an existing customer to a recorded sale (after payment, at the till): the sale moves every
        counter, loyalty point and visit it would have moved if recorded with the customer, exactly once.
        The same customer again changes nothing; another customer is 409 naming the one it has."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.002, 0.01 * min(attempt, 10)))  # noqa: S311 - jitter, not secrecy
            sale, erased = self._for_change(principal, sale_id, visible=visible)
            if sale.customer_id == customer_id:
                return sale
            if sale.customer_id is not None:
                raise Conflict(
                    f"This sale already has customer {sale.customer_id}; take them off it first.",
                    field="customer_id",
                    code="SALE_HAS_CUSTOMER",
                )
            if erased:
                raise Conflict(
                    "This sale's customer was erased: it cannot be given to anyone.",
                    field="customer_id",
                    code="SALE_CUSTOMER_ERASED",
                )
            try:
                return self._change(sale, customer_id, attach=True)
            except (CustomerChanged, StaleRead):
                continue
        raise Conflict("Too many concurrent changes to this sale or customer; retry the request.", code="BUSY")

    def attach_at_till(self, principal: Principal, sale_id: str, customer_id: str) -> Attachment:
        """:meth:`attach_customer`, answered with the customer's insights as the caller may see them."""
        sale = self.attach_customer(principal, sale_id, customer_id)
        return Attachment(sale, customer_id, self._insights(principal, customer_id))

    def detach_at_till(self, principal: Principal, sale_id: str) -> Attachment:
        """:meth:`detach_customer`, answered with the insights of the customer taken off (if any)."""
        sale, customer_id = self.detach_customer(principal, sale_id)
        return Attachment(sale, customer_id, self._insights(principal, customer_id) if customer_id else None)

    def _insights(self, principal: Principal, customer_id: str) -> CustomerInsights | None:
        if self.insights is None:
            return None
        return self.insights.customer(principal.merchant_id, customer_id, principal.site_ids)

    def detach_customer(self, principal: Principal, sale_id: str) -> tuple[Sale, str | None]:
        """Take a wrongly attached customer off a sale: everything the sale moved for them moves back. A sale
        without a customer is left as it is. Returns the sale and the customer taken off (None: none)."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0.002, 0.01 * min(attempt, 10)))  # noqa: S311 - jitter, not secrecy
            sale, _ = self._for_change(principal, sale_id, visible=True)
            if sale.customer_id is None:
                return sale, None
            try:
                return self._change(sale, sale.customer_id, attach=False), sale.customer_id
            except (CustomerChanged, StaleRead):
                continue
        raise Conflict("Too many concurrent changes to this sale or customer; retry the request.", code="BUSY")

    def _for_change(self, principal: Principal, sale_id: str, *, visible: bool) -> tuple[Sale, bool]:
        sale, erased = self.sales.for_change(principal.merchant_id, sale_id)
        if visible and principal.site_ids is not None and sale.site_id not in principal.site_ids:
            raise NotFound("No such sale.", field="id")
        return sale, erased

    def _change(self, sale: Sale, customer_id: str, *, attach: bool) -> Sale:
        mid = sale.merchant_id
        facts = SaleFacts(
            merchant_id=mid,
            customer_id=customer_id,
            sale_id=sale.id,
            kind=sale.type.value,
            amount=sale.total.amount,
            at=sale.occurred_at,
            refund_of=sale.refund_of,
        )
        also: list[tuple[str, str]] = []
        if self.loyalty is not None:
            also = (
                self.loyalty.keys(mid, customer_id, sale.refund_of)
                if attach
                else self.loyalty.detach_keys(mid, customer_id, sale.id, sale.refund_of)
            )
        profile, standings, found = self.sales.standings(mid, customer_id, sale.site_id, also)
        if profile is None:
            raise NotFound("No such customer.", field="customer_id")
        plan = None
        if self.loyalty is not None:
            plan = self.loyalty.plan(facts, found) if attach else self.loyalty.take_back(facts, found)
        if attach:
            moves, merchant = rules.attach_moves(sale, standings)
            last_visit = max(filter(None, (profile.get("last_visit_at"), moves[0].last_visit_at)))
        else:
            moves, merchant = rules.detach_moves(sale, standings, self.sales.other_visits(sale))
            last_visit = moves[0].last_visit_at
        change = CustomerChange(
            sale=sale,
            customer_id=customer_id,
            attach=attach,
            moves=moves,
            merchant=merchant,
            profile=profile,
            last_visit_at=last_visit,
            points=plan.points if plan is not None and attach else None,
            extra=plan.transaction if plan is not None else None,
        )
        self.sales.change_customer(change)
        return sale.model_copy(update={"customer_id": customer_id if attach else None, "loyalty": change.points})
