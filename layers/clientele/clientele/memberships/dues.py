"""The daily dues run: each site once per local day, shortly after its midnight, catching up missed days.

Every site with memberships is on one list with the last local day its run has done (its watermark). A
run (every 15 minutes, so every time zone's midnight is reached within a quarter of an hour) takes each
site whose local date has moved past its watermark and does each day after it in turn: it reads that
day's agenda entries (only the memberships with something to do), applies them, and saves each
membership with its next agenda in one transaction, then moves the watermark. Charges are keyed by
membership and period, so nothing can be raised twice; a day already done is never done again, and a
crash between a membership and the watermark finds that membership's entries for the day gone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from clientele.account.repository import MerchantRepository
from clientele.kernel import clock
from clientele.kernel.errors import NotFound, VersionMismatch
from clientele.memberships import keys, rules
from clientele.memberships.model import Charge, ChargeState, Membership, MembershipPaymentMethod, MembershipSettings
from clientele.memberships.repository import MembershipRepository, Stored
from clientele.platform.observability import logger

if TYPE_CHECKING:
    from clientele.memberships.credits import CreditService

MAX_CATCH_UP_DAYS = 62  # a site left behind longer than this restarts from here (nothing older is owed twice)


class NoticeSender(Protocol):
    """Sends a member a notice of the dues run (pre-notification, reminder, ending soon)."""

    def send_notice(self, membership: Membership, notice: str, day: date) -> None: ...


@dataclass
class RunReport:
    sites: int = 0
    days: int = 0
    memberships: int = 0
    charges: int = 0
    credits: int = 0
    batches: int = 0
    notices: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class BatchBuilder(Protocol):
    """Builds the day's direct-debit batch of a site (``collection.DirectDebitService.build``)."""

    def build(self, merchant_id: str, site_id: str, day: date, settings: MembershipSettings) -> Any: ...


class DuesRun:
    def __init__(
        self,
        memberships: MembershipRepository,
        merchants: MerchantRepository,
        notices: NoticeSender | None = None,
        batches: BatchBuilder | None = None,
        on_holding_changed: Callable[[str, str], None] | None = None,
        *,
        credits: CreditService | None = None,
    ) -> None:
        self.memberships = memberships
        self.merchants = merchants
        self.notices = notices
        self.batches = batches
        # told (merchant, customer) when a start or an expiry changes whether the customer holds a membership
        self.on_holding_changed = on_holding_changed
        self.credits = credits  # issues each period's credits with its charge; expires or caps the older ones

    def run(self, now: datetime) -> RunReport:
        report = RunReport()
        cursor: str | None = None
        while True:
            sites, cursor = self.memberships.dues_sites(cursor)
            for item in sites:
                self._site(item["merchant_id"], item["site_id"], item["watermark"], now, report)
            if not cursor:
                return report

    def run_site(self, merchant_id: str, site_id: str, now: datetime) -> RunReport:
        """One site's run (what :meth:`run` does for each site); for rehearsals and tests."""
        report = RunReport()
        entry = self.memberships.dues_site(merchant_id, site_id)
        if entry is not None:
            self._site(merchant_id, site_id, entry["watermark"], now, report)
        return report

    def _site(self, merchant_id: str, site_id: str, watermark: str, now: datetime, report: RunReport) -> None:
        try:
            site = self.merchants.get_site(merchant_id, site_id)
        except NotFound:
            return
        today = rules.local_today(now, site.time_zone)
        done = date.fromisoformat(watermark)
        if done >= today:
            return
        report.sites += 1
        settings = self.memberships.get_settings(merchant_id)
        day = max(done + timedelta(days=1), today - timedelta(days=MAX_CATCH_UP_DAYS))
        previous = watermark
        while day <= today:
            self.run_day(merchant_id, site_id, day, settings, report)
            if self.batches is not None and self.batches.build(merchant_id, site_id, day, settings) is not None:
                report.batches += 1
            if not self.memberships.advance_watermark(merchant_id, site_id, previous, day):
                return  # another run is doing this site
            report.days += 1
            previous = day.isoformat()
            day += timedelta(days=1)

    def run_day(
        self, merchant_id: str, site_id: str, day: date, settings: MembershipSettings, report: RunReport
    ) -> None:
        events: dict[str, set[str]] = defaultdict(set)
        for entry in self.memberships.agenda_of(merchant_id, site_id, day):
            events[entry["membership_id"]].add(entry["event"])
        if not events:
            return
        for found in self.memberships.get_many(merchant_id, sorted(events)):
            current = found
            for _attempt in range(3):
                try:
                    self._apply(current, events[current.membership.id], day, settings, report)
                    break
                except VersionMismatch:
                    current = self.memberships.get(merchant_id, current.membership.id, consistent=True)

    def _apply(
        self, stored: Stored, events: set[str], day: date, settings: MembershipSettings, report: RunReport
    ) -> None:
        m = stored.membership
        if not any(d == day for d, _ in stored.agenda):
            return  # done already (a retried run)
        outcome = rules.apply_events(m, events, day, settings)
        now = clock.now_iso()
        state = (
            ChargeState.DUE if m.payment_method is MembershipPaymentMethod.MANUAL else ChargeState.PENDING_COLLECTION
        )
        charges = [
            Charge(
                membership_id=m.id,
                period_start=c.start,
                period_end=c.end,
                amount=m.rate,
                state=state,
                raised_at=now,
            )
            for c in outcome.charges
        ]
        new = outcome.membership.model_copy(update={"version": m.version + 1, "updated_at": now})
        queue = self.memberships.table.transaction()
        issued = 0
        if self.credits is not None and new.credits is not None:
            if outcome.credits is not None:
                self.credits.tidy(new, day, current_period=outcome.credits.period)
                credit_ops = self.credits.issue_ops(new, outcome.credits, now)
                issued = len(credit_ops)
                queue.extend(credit_ops)
            elif outcome.ended:
                self.credits.tidy(new, day, current_period=None)
        if state is ChargeState.PENDING_COLLECTION and charges:
            for charge in charges:  # collected in the site's next batch (once there is a mandate)
                queue.put(
                    "collect",
                    {
                        "PK": keys.collect_pk(m.merchant_id, m.site_id),
                        "SK": keys.collect_sk(m.id, charge.period_start),
                        "entity": "collection_entry",
                        "membership_id": m.id,
                        "period_start": charge.period_start.isoformat(),
                    },
                )
        self.memberships.save(
            stored, new, rules.agenda(new, settings, day + timedelta(days=1)), charges=charges, extra=queue or None
        )
        report.memberships += 1
        report.charges += len(charges)
        report.credits += issued
        for notice in outcome.notices:
            report.notices[notice] += 1
            if self.notices is not None:
                self.notices.send_notice(new, notice, day)
        if (new.status in rules.HOLDING) != (m.status in rules.HOLDING) and self.on_holding_changed is not None:
            self.on_holding_changed(new.merchant_id, new.customer_id)
        if new.status is not m.status:
            logger.info(
                "membership status changed",
                extra={"membership_id": m.id, "from": m.status.value, "to": new.status.value},
            )
