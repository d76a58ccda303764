"""The use cases of memberships: types, settings, enrolment, edits, payments at the desk, cancellation,
lists and quick views; and the ports other contexts use (the directory's flag, a merge's move)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from clientele.account.model import Site
from clientele.account.repository import MerchantRepository
from clientele.customers.repository import CustomerRepository
from clientele.kernel import clock
from clientele.kernel.errors import AlreadyExists, NotFound, ValidationFailed
from clientele.kernel.ids import new_id, new_sortable_id
from clientele.kernel.money import Money
from clientele.kernel.permissions import Principal
from clientele.memberships import keys, rules
from clientele.memberships.model import (
    BillingPeriod,
    Cancellation,
    Charge,
    ChargeState,
    CreditPlan,
    FixedLength,
    MandateStatus,
    Membership,
    MembershipPaymentMethod,
    MembershipSettings,
    MembershipType,
    Reason,
    Status,
    UnusedCredits,
)
from clientele.memberships.repository import ALL, MembershipRepository, Stored
from clientele.storage.table import Transaction

if TYPE_CHECKING:
    from clientele.memberships.credits import CreditService

RECENT_CHARGES = 10
_MANDATE_REASONS = (Reason.NO_MANDATE, Reason.MANDATE_REVOKED)


class MembershipFlagListener(Protocol):
    """Told when a customer starts or stops holding a membership (the directory's ``has_membership``)."""

    def membership_flag_changed(self, merchant_id: str, customer_id: str, has_membership: bool) -> None: ...


@dataclass(frozen=True)
class Enrolment:
    type_id: str
    payment_method: MembershipPaymentMethod
    start_date: date | None = None
    end_date: date | None = None
    rate: Money | None = None
    number: str | None = None
    site_id: str | None = None


@dataclass(frozen=True)
class MembershipFilters:
    status: Status | None = None
    type_id: str | None = None
    site_id: str | None = None
    view: str | None = None  # needs_mandate, payment_failed, ending_soon, payment_due
    created_from: date | None = None
    created_to: date | None = None
    ends_from: date | None = None
    ends_to: date | None = None
    next_billing_from: date | None = None
    next_billing_to: date | None = None


@dataclass(frozen=True)
class Detail:
    membership: Membership
    charges: list[Charge] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    day: date
    needs_mandate: int
    payment_failed: int
    ending_soon: int
    payment_due: int


QUICK_VIEWS = rules.QUICK_VIEWS


class MembershipService:
    def __init__(
        self,
        memberships: MembershipRepository,
        merchants: MerchantRepository,
        customers: CustomerRepository,
        listener: MembershipFlagListener | None = None,
        credits: CreditService | None = None,
    ) -> None:
        self.memberships = memberships
        self.merchants = merchants
        self.customers = customers
        self.listener = listener
        self.credits = credits

    # Types ----------------------------------------------------------------------------------------
    def create_type(
        self,
        principal: Principal,
        *,
        name: str,
        rate: Money,
        billing_period: BillingPeriod,
        fixed_length: FixedLength | None,
        credits: CreditPlan | None = None,
    ) -> MembershipType:
        currencies = {s.currency for s in self._sites(principal)}
        if rate.currency not in currencies:
            raise ValidationFailed(
                f"No site of this merchant takes {rate.currency}.", field="rate.currency", code="CURRENCY_MISMATCH"
            )
        if credits is not None:
            _check_plan(credits)
        now = clock.now_iso()
        created = MembershipType(
            id=new_id("mtype"),
            name=name,
            rate=rate,
            billing_period=billing_period,
            fixed_length=fixed_length,
            credits=credits,
            created_at=now,
            updated_at=now,
        )
        self.memberships.put_type(principal.merchant_id, created)
        return created

    def types(self, principal: Principal, *, archived: bool) -> list[MembershipType]:
        found = self.memberships.list_types(principal.merchant_id)
        return sorted((t for t in found if archived or not t.archived), key=lambda t: (t.created_at, t.id))

    def update_type(self, principal: Principal, type_id: str, changes: dict[str, Any]) -> MembershipType:
        current = self.memberships.get_type(principal.merchant_id, type_id)
        if "rate" in changes:
            self.create_type_rate_check(principal, changes["rate"])
        if changes.get("credits") is not None:
            _check_plan(changes["credits"])
        updated = current.model_copy(update={**changes, "updated_at": clock.now_iso()})
        self.memberships.put_type(principal.merchant_id, updated, must_exist=True)
        return updated

    def create_type_rate_check(self, principal: Principal, rate: Money) -> None:
        if rate.currency not in {s.currency for s in self._sites(principal)}:
            raise ValidationFailed(
                f"No site of this merchant takes {rate.currency}.", field="rate.currency", code="CURRENCY_MISMATCH"
            )

    # Settings ---------------------------------------------------------------------------------------
    def settings(self, principal: Principal) -> MembershipSettings:
        return self.memberships.get_settings(principal.merchant_id)

    def update_settings(self, principal: Principal, version: int, changes: dict[str, Any]) -> MembershipSettings:
        from clientele.memberships import sepa  # schwifty loads only when the settings change

        current = self.memberships.get_settings(principal.merchant_id)
        if current.version != version:
            raise _stale_settings()
        if changes.get("creditor_id"):
            changes["creditor_id"] = sepa.creditor_id(changes["creditor_id"])
        if changes.get("collection_iban"):
            account = sepa.collection_account(changes["collection_iban"])
            changes["collection_iban"] = account.iban
            changes.setdefault("collection_bic", account.bic)
        updated = current.model_copy(update={**changes, "version": version + 1})
        self.memberships.save_settings(principal.merchant_id, updated, version)
        return updated

    # Sites and days ---------------------------------------------------------------------------------
    def _sites(self, principal: Principal) -> list[Site]:
        return self.merchants.list_sites(principal.merchant_id)

    def _site(self, principal: Principal, site_id: str | None) -> Site:
        visible = [s for s in self._sites(principal) if principal.site_ids is None or s.id in principal.site_ids]
        if site_id is None:
            if not visible:
                raise ValidationFailed("This key may not use any site.", field="site_id", code="UNKNOWN_SITE")
            return visible[0]
        for site in visible:
            if site.id == site_id:
                return site
        raise ValidationFailed("No such site.", field="site_id", code="UNKNOWN_SITE")

    @staticmethod
    def today(site: Site, now: datetime | None = None) -> date:
        return rules.local_today(now or clock.utcnow(), site.time_zone)

    def _visible(self, principal: Principal, stored: Stored) -> Stored:
        if principal.site_ids is not None and stored.membership.site_id not in principal.site_ids:
            raise NotFound("No such membership.", field="id")
        return stored

    def visible(self, principal: Principal, membership_id: str) -> Stored:
        """A membership the caller may see, read consistently (404 otherwise)."""
        return self._stored(principal, membership_id)

    def _stored(self, principal: Principal, membership_id: str) -> Stored:
        return self._visible(principal, self.memberships.get(principal.merchant_id, membership_id, consistent=True))

    # Enrolment ---------------------------------------------------------------------------------------
    def enrol(self, principal: Principal, customer_id: str, draft: Enrolment) -> Membership:
        self.customers.get(principal.merchant_id, customer_id)  # 404 for a missing or foreign customer
        kind = self.memberships.get_type(principal.merchant_id, draft.type_id)
        if kind.archived:
            raise ValidationFailed("This membership type is archived.", field="type_id", code="TYPE_ARCHIVED")
        site = self._site(principal, draft.site_id)
        today = self.today(site)
        rate = draft.rate or kind.rate
        if rate.currency != site.currency:
            raise ValidationFailed(f"This site takes {site.currency}.", field="rate.currency", code="CURRENCY_MISMATCH")
        _require_euro_for_debits(draft.payment_method, rate, field="payment_method")
        start = draft.start_date or today
        end = draft.end_date
        if end is None and kind.fixed_length is not None:
            end = rules.end_of_fixed_length(start, kind.fixed_length)
        if end is not None and end < start:
            raise ValidationFailed("The end date is before the start date.", field="end_date", code="END_BEFORE_START")
        settings = self.memberships.get_settings(principal.merchant_id)
        self.memberships.register_site(principal.merchant_id, site.id, today)
        now = clock.now_iso()
        membership_id = new_sortable_id("mbr")
        for _attempt in range(5):
            number = draft.number or f"M{self.memberships.next_number(principal.merchant_id):06d}"
            m = Membership(
                id=membership_id,
                merchant_id=principal.merchant_id,
                customer_id=customer_id,
                site_id=site.id,
                type_id=kind.id,
                number=number,
                rate=rate,
                billing_period=kind.billing_period,
                payment_method=draft.payment_method,
                start_date=start,
                end_date=end,
                status=Status.ACTIVE,
                credits=kind.credits,
                created_at=now,
                updated_at=now,
            )
            m = rules.settle(m, today)
            try:
                self.memberships.save(None, m, rules.agenda(m, settings, today + timedelta(days=1)), claim_number=True)
            except AlreadyExists:
                if draft.number:
                    raise
                continue  # a number given by hand took the next generated one: take the one after
            self._tell(m, None)
            return m
        raise AlreadyExists("Could not generate a free membership number.", field="number", code="NUMBER_TAKEN")

    # Reads ------------------------------------------------------------------------------------------
    def get(self, principal: Principal, membership_id: str) -> Detail:
        stored = self._visible(principal, self.memberships.get(principal.merchant_id, membership_id))
        charges = self.memberships.charges(principal.merchant_id, membership_id, limit=RECENT_CHARGES)
        return Detail(stored.membership, charges)

    def for_customer(self, principal: Principal, customer_id: str, *, limit: int, cursor: str | None) -> Any:
        self.customers.get(principal.merchant_id, customer_id)
        page = self.memberships.for_customer(principal.merchant_id, customer_id, limit=limit, cursor=cursor)
        if principal.site_ids is not None:
            page.items = [m for m in page.items if m.site_id in principal.site_ids]
        return page

    def search(
        self, principal: Principal, filters: MembershipFilters, *, limit: int, cursor: str | None
    ) -> tuple[list[Membership], str | None]:
        """One page of the filtered list: read from the list index that fits the filters best, the rest of
        the filters applied to that page (a page may hold fewer than ``limit`` while ``cursor`` goes on)."""
        created = self._created_bounds(principal, filters)
        view, low, high, forward = self._index_for(principal, filters, created)
        items, next_cursor = self.memberships.list_range(
            principal.merchant_id, view=view, low=low, high=high, limit=limit, cursor=cursor, forward=forward
        )
        sites = self._scopes(principal, filters.site_id)
        kept = [m for m in items if _matches(m, filters, created) and (sites is None or m.site_id in sites)]
        return kept, next_cursor

    def _created_bounds(self, principal: Principal, f: MembershipFilters) -> tuple[str | None, str | None]:
        """The created range as times: from the start of ``created_from`` to the end of ``created_to``, both
        days at the site (the key's first site when none is given)."""
        if f.created_from is None and f.created_to is None:
            return None, None
        scopes = self._scopes(principal, f.site_id)
        zone = ZoneInfo(self._site(principal, scopes[0] if scopes else None).time_zone)

        def start_of(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone)

        low = clock.isoformat(start_of(f.created_from)) if f.created_from else None
        high = (
            clock.isoformat(start_of(f.created_to + timedelta(days=1)) - timedelta(milliseconds=1))
            if f.created_to
            else None
        )
        return low, high

    def _index_for(
        self, principal: Principal, f: MembershipFilters, created: tuple[str | None, str | None]
    ) -> tuple[str | None, str | None, str | None, bool]:
        if f.view in ("needs_mandate", "payment_failed"):
            return f.view, *created, False
        if f.view in ("ending_soon", "payment_due"):
            low, high = rules.quick_view_range(self._summary_day(principal, f.site_id))
            view = rules.View.ENDS if f.view == "ending_soon" else rules.View.DUE
            return view, low.isoformat(), high.isoformat(), True
        if f.next_billing_from or f.next_billing_to:
            return rules.View.DUE, _iso(f.next_billing_from), _iso(f.next_billing_to), True
        if f.ends_from or f.ends_to:
            return rules.View.ENDS, _iso(f.ends_from), _iso(f.ends_to), True
        if f.status is not None:
            return f"{rules.View.STATUS}:{f.status.value}", *created, False
        return None, *created, False

    def _scopes(self, principal: Principal, site_id: str | None) -> list[str] | None:
        if site_id is not None:
            if principal.site_ids is not None and site_id not in principal.site_ids:
                raise NotFound("No such site.", field="site_id")
            return [site_id]
        return principal.site_ids

    def _summary_day(self, principal: Principal, site_id: str | None) -> date:
        scopes = self._scopes(principal, site_id)
        return self.today(self._site(principal, scopes[0] if scopes else None))

    def summary(self, principal: Principal, site_id: str | None) -> Summary:
        """The quick views' counts, read from counters kept in the same transactions as the lists: the
        site (for "today") and one batch of counters."""
        scopes = self._scopes(principal, site_id)
        day = self.today(self._site(principal, scopes[0] if scopes else None))
        low, high = rules.quick_view_range(day)
        days = [(low + timedelta(days=i)).isoformat() for i in range((high - low).days + 1)]
        counted = self.memberships.counters(principal.merchant_id, scopes or [ALL], days)
        totals = {"needs_mandate": 0, "payment_failed": 0, "ending_soon": 0, "payment_due": 0}
        for item in counted:
            dated = "#DAY#" in item["SK"]
            if dated:
                totals["ending_soon"] += int(item.get(rules.View.ENDS, 0))
                totals["payment_due"] += int(item.get(rules.View.DUE, 0))
            else:
                totals["needs_mandate"] += int(item.get(rules.View.NEEDS_MANDATE, 0))
                totals["payment_failed"] += int(item.get(rules.View.PAYMENT_FAILED, 0))
        return Summary(day=day, **totals)

    # Changes ----------------------------------------------------------------------------------------
    def _save(
        self,
        old: Stored,
        new: Membership,
        site: Site,
        *,
        charges: Sequence[Charge] = (),
        updates: Sequence[Charge] = (),
        extra: Transaction | None = None,
    ) -> Membership:
        today = self.today(site)
        settings = self.memberships.get_settings(new.merchant_id)
        new = rules.settle(rules.finished(new, today), today)
        new = new.model_copy(update={"version": old.membership.version + 1, "updated_at": clock.now_iso()})
        self.memberships.save(
            old,
            new,
            rules.agenda(new, settings, today + timedelta(days=1)),
            charges=charges,
            charge_updates=updates,
            extra=extra,
        )
        self._tell(new, old.membership)
        return new

    def attach_mandate(self, stored: Stored, mandate_id: str, extra: Transaction) -> Membership:
        """The member gave a mandate: attach it (which clears ``no_mandate`` / ``mandate_revoked``), in one
        transaction with ``extra`` (the request closed, the mandate and its reference)."""
        m = stored.membership
        site = self.merchants.get_site(m.merchant_id, m.site_id)
        new = m.model_copy(
            update={"mandate_id": mandate_id, "reason": None if m.reason in _MANDATE_REASONS else m.reason}
        )
        return self._save(stored, new, site, extra=extra)

    def save_collected(
        self, stored: Stored, new: Membership, updates: Sequence[Charge], extra: Transaction
    ) -> Membership:
        """A change of the direct-debit collection (a batch, a bank return) with its own operations."""
        site = self.merchants.get_site(new.merchant_id, new.site_id)
        return self._save(stored, new, site, updates=updates, extra=extra)

    def update(self, principal: Principal, membership_id: str, version: int, changes: dict[str, Any]) -> Membership:
        stored = self._stored(principal, membership_id)
        m = stored.membership
        if m.version != version:
            raise _stale()
        _require_live(m)
        site = self._site(principal, m.site_id)
        update: dict[str, Any] = {}
        if "type_id" in changes:
            kind = self.memberships.get_type(principal.merchant_id, changes["type_id"])
            update["type_id"] = kind.id
            update["billing_period"] = kind.billing_period
            update["credits"] = kind.credits  # from the next period on
        if "rate" in changes:
            if changes["rate"].currency != site.currency:
                raise ValidationFailed(
                    f"This site takes {site.currency}.", field="rate.currency", code="CURRENCY_MISMATCH"
                )
            _require_euro_for_debits(m.payment_method, changes["rate"], field="rate.currency")
            update["rate"] = changes["rate"]
        for name in ("start_date", "end_date"):
            if name in changes:
                update[name] = changes[name]
        new = m.model_copy(update=update)
        if new.end_date is not None and new.end_date < new.start_date:
            raise ValidationFailed("The end date is before the start date.", field="end_date", code="END_BEFORE_START")
        saved = self._save(stored, new, site)
        if saved.end_date != m.end_date:
            self._credits_follow_end(saved, site)
        return saved

    def record_payment(
        self, principal: Principal, membership_id: str, payment_type: str, amount: Money | None
    ) -> Detail:
        """Settle the oldest charge due; with nothing due, pay the next period ahead. Either way the next
        billing date moves on and a failed or outstanding payment is cleared once nothing is left unpaid."""
        stored = self._stored(principal, membership_id)
        m = stored.membership
        settings = self.memberships.get_settings(principal.merchant_id)
        if payment_type not in settings.payment_types:
            raise ValidationFailed(
                f"Unknown payment type; the settings allow: {', '.join(settings.payment_types)}.",
                field="payment_type",
                code="UNKNOWN_PAYMENT_TYPE",
            )
        if m.status not in rules.LIVE:
            raise ValidationFailed(
                f"This membership is {m.status.value}: it takes no payment.", field="id", code="MEMBERSHIP_ENDED"
            )
        if amount is not None and amount != m.rate:
            raise ValidationFailed(
                "A payment settles one charge: its amount is the rate.", field="amount", code="AMOUNT_MISMATCH"
            )
        site = self._site(principal, m.site_id)
        now = clock.now_iso()
        if m.open_charges:
            oldest = m.open_charges[0]
            charge = self.memberships.get_charge(m.merchant_id, m.id, oldest)
            if charge is None:  # pragma: no cover - the charge is written with the list that names it
                raise NotFound("The charge due is missing.", field="id")
            paid = charge.model_copy(update={"state": ChargeState.PAID, "paid_at": now, "payment_type": payment_type})
            new = m.model_copy(update={"open_charges": m.open_charges[1:]})
            saved = self._save(stored, new, site, updates=[paid])
            return Detail(saved, [paid])
        day = rules.next_charge_date(m)
        if day is None:
            raise ValidationFailed("Nothing is due on this membership.", field="id", code="NOTHING_DUE")
        n = m.billed_periods
        paid = Charge(
            membership_id=m.id,
            period_start=day,
            period_end=rules.period_end(m.start_date, m.billing_period, n),
            amount=m.rate,
            state=ChargeState.PAID,
            raised_at=now,
            paid_at=now,
            payment_type=payment_type,
        )
        saved = self._save(stored, m.model_copy(update={"billed_periods": n + 1}), site, charges=[paid])
        return Detail(saved, [paid])

    def cancel(self, principal: Principal, membership_id: str, *, at_period_end: bool, reason: str) -> Membership:
        stored = self._stored(principal, membership_id)
        m = stored.membership
        _require_live(m)
        site = self._site(principal, m.site_id)
        today = self.today(site)
        ends_later = at_period_end and today >= m.start_date
        last = (
            rules.period_end(m.start_date, m.billing_period, rules.period_index(m.start_date, m.billing_period, today))
            if ends_later
            else max(today, m.start_date)
        )
        if m.end_date is not None and m.end_date < last:
            last = m.end_date
        cancellation = Cancellation(
            at=clock.now_iso(), by=principal.key_id, reason=reason, effective=last, at_period_end=ends_later
        )
        update: dict[str, Any] = {"cancellation": cancellation, "end_date": last}
        if not ends_later:
            update["status"] = Status.CANCELLED
        saved = self._save(stored, m.model_copy(update=update), site)
        self._credits_follow_end(saved, site)
        return saved

    def _credits_follow_end(self, m: Membership, site: Site) -> None:
        """The membership's remaining credits follow its new last day (and, once it has ended, the cap)."""
        if self.credits is not None:
            self.credits.follow_end(m, self.today(site))

    # Ports for other contexts -------------------------------------------------------------------------
    def has_active_membership(self, merchant_id: str, customer_id: str) -> bool:
        """Whether the customer holds a membership now (active or needing attention): the directory's
        ``has_membership``."""
        return any(
            s.membership.status in rules.HOLDING for s in self.memberships.all_for_customer(merchant_id, customer_id)
        )

    def move_to(self, merchant_id: str, source_customer_id: str, survivor_customer_id: str) -> int:
        """A merge: every membership of the source customer now belongs to the survivor. Safe to run again."""
        moved = 0
        for stored in self.memberships.all_for_customer(merchant_id, source_customer_id):
            m = stored.membership
            new = m.model_copy(
                update={"customer_id": survivor_customer_id, "version": m.version + 1, "updated_at": clock.now_iso()}
            )
            self.memberships.save(stored, new, stored.agenda)
            moved += 1
            self._tell(new, None)
        if self.credits is not None:
            self.credits.move_to(merchant_id, source_customer_id, survivor_customer_id)
        if moved:
            self.notify_holding(merchant_id, source_customer_id)
        return moved

    def erase_member(self, merchant_id: str, customer_id: str) -> int:
        """Erasure of a member: each live membership ends now; its mandate loses the holder's name and IBAN
        (and can never be collected on); an open mandate request stops working; charges still waiting for
        the bank are dropped from the next batch. Charges stay, without personal data, for the merchant's
        totals. Safe to run again."""
        ended = 0
        for stored in self.memberships.all_for_customer(merchant_id, customer_id):
            m = stored.membership
            if m.mandate_id:
                mandate = self.memberships.get_mandate(merchant_id, m.id, m.mandate_id)
                if mandate is not None and (mandate.holder_name or mandate.iban_sealed):
                    self.memberships.put_mandate(
                        merchant_id,
                        mandate.model_copy(
                            update={
                                "holder_name": None,
                                "iban_sealed": None,
                                "status": MandateStatus.REVOKED,
                                "revoked_reason": "erased",
                            }
                        ),
                    )
            self.memberships.delete_request(merchant_id, m.id)
            dropped = [
                c.model_copy(update={"state": ChargeState.DROPPED})
                for c in self.memberships.all_charges(merchant_id, m.id)
                if c.state in (ChargeState.PENDING_COLLECTION, ChargeState.FAILED)
            ]
            if m.status not in rules.LIVE and not dropped:
                continue
            site = self.merchants.get_site(merchant_id, m.site_id)
            today = self.today(site)
            update: dict[str, Any] = {"open_charges": []}
            if m.status in rules.LIVE:
                update.update(
                    status=Status.CANCELLED,
                    end_date=max(min(today, m.end_date or today), m.start_date),
                    cancellation=Cancellation(
                        at=clock.now_iso(), by="erasure", reason="erased", effective=today, at_period_end=False
                    ),
                )
            unqueue = self.memberships.table.transaction()
            for charge in dropped:  # out of the next batch
                unqueue.delete(
                    "collect", keys.collect_pk(merchant_id, m.site_id), keys.collect_sk(m.id, charge.period_start)
                )
            self._save(stored, m.model_copy(update=update), site, updates=dropped, extra=unqueue)
            ended += 1
        if self.credits is not None:
            self.credits.erase_member(merchant_id, customer_id)
        return ended

    def _tell(self, new: Membership, old: Membership | None) -> None:
        was = old is not None and old.status in rules.HOLDING
        if (new.status in rules.HOLDING) != was or old is None:
            self.notify_holding(new.merchant_id, new.customer_id)

    def notify_holding(self, merchant_id: str, customer_id: str) -> None:
        """Tell the listener whether the customer holds a membership now (after any change that may move it)."""
        if self.listener is not None:
            self.listener.membership_flag_changed(
                merchant_id, customer_id, self.has_active_membership(merchant_id, customer_id)
            )

    def member_lines(self, merchant_id: str, customer_ids: Sequence[str]) -> dict[str, list[MemberLine]]:
        """Every membership of these customers as the customer export shows it, by customer: a few customers
        are read one by one (a Query each), more from the merchant's whole list (1 MB a call) at once."""
        wanted = set(customer_ids)
        if not wanted:
            return {}
        if len(wanted) <= _ONE_BY_ONE:
            found = [s.membership for c in sorted(wanted) for s in self.memberships.all_for_customer(merchant_id, c)]
        else:
            found, cursor = [], None
            while True:
                page, cursor = self.memberships.list_range(
                    merchant_id, view=None, low=None, high=None, limit=1000, cursor=cursor, forward=True
                )
                found.extend(m for m in page if m.customer_id in wanted)
                if not cursor:
                    break
        types = {t.id: t.name for t in self.memberships.list_types(merchant_id)} if found else {}
        lines: dict[str, list[MemberLine]] = {}
        for m in found:
            lines.setdefault(m.customer_id, []).append(
                MemberLine(
                    membership_id=m.id, number=m.number, type_name=types.get(m.type_id, m.type_id),
                    status=m.status.value, holding=m.status in rules.HOLDING, rate=m.rate,
                    payment_method=m.payment_method.value, start_date=m.start_date, end_date=m.end_date,
                    next_billing=rules.next_billing_date(m),
                    up_to_date=rules.payment_up_to_date(m),
                )
            )  # fmt: skip
        return lines


_ONE_BY_ONE = 50  # customers from which the export reads the merchant's whole list of memberships


@dataclass(frozen=True)
class MemberLine:
    """One membership as another context shows it (the customer export's membership columns)."""

    membership_id: str
    number: str
    type_name: str
    status: str
    holding: bool  # active or needing attention: the customer holds it now
    rate: Money
    payment_method: str
    start_date: date
    end_date: date | None
    next_billing: date | None
    up_to_date: bool  # as the membership's ``payment_up_to_date``


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _within(value: date | None, low: date | None, high: date | None) -> bool:
    """``value`` lies between ``low`` and ``high`` (inclusive); missing bounds hold."""
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def _matches(m: Membership, f: MembershipFilters, created: tuple[str | None, str | None]) -> bool:
    low, high = created
    return (
        (f.status is None or m.status is f.status)
        and (f.type_id is None or m.type_id == f.type_id)
        and (low is None or m.created_at >= low)
        and (high is None or m.created_at <= high + "\uffff")
        and _within(m.end_date, f.ends_from, f.ends_to)
        and _within(rules.next_billing_date(m), f.next_billing_from, f.next_billing_to)
    )


SEPA_CURRENCY = "EUR"


def _require_euro_for_debits(method: MembershipPaymentMethod, rate: Money, *, field: str) -> None:
    """SEPA direct debits are in euros only: a direct debit in another currency is refused, never half-built."""
    if method is MembershipPaymentMethod.DIRECT_DEBIT and rate.currency != SEPA_CURRENCY:
        raise ValidationFailed(
            f"SEPA direct debits are in euros only; this rate is in {rate.currency}. Take payments at the desk.",
            field=field,
            code="DIRECT_DEBIT_EUR_ONLY",
        )


def _check_plan(plan: CreditPlan) -> None:
    if sum(a.count for a in plan.per_period) > rules.MAX_CREDITS_PER_PERIOD:
        raise ValidationFailed(
            f"At most {rules.MAX_CREDITS_PER_PERIOD} credits per period in all.",
            field="credits.per_period",
            code="TOO_MANY_CREDITS",
        )
    names = [a.name.casefold() for a in plan.per_period]
    if len(set(names)) != len(names):
        raise ValidationFailed("Each kind of credit once.", field="credits.per_period", code="DUPLICATE_CREDIT_NAME")
    if plan.carry_over_cap is not None and plan.unused is not UnusedCredits.CARRY_OVER:
        raise ValidationFailed(
            "A cap applies to credits that carry over.", field="credits.carry_over_cap", code="CAP_WITHOUT_CARRY_OVER"
        )


def _require_live(m: Membership) -> None:
    if m.status not in rules.LIVE:
        raise ValidationFailed(f"This membership is {m.status.value}.", field="id", code="MEMBERSHIP_ENDED")


def _stale() -> Exception:
    from clientele.kernel.errors import VersionMismatch

    return VersionMismatch("The membership was changed meanwhile; read it again.", field="version")


def _stale_settings() -> Exception:
    from clientele.kernel.errors import VersionMismatch

    return VersionMismatch("The settings were changed meanwhile; read them again.", field="version")
