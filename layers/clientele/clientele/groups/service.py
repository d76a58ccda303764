"""Groups' use cases: the API (definitions, members, a customer's groups explained), the ``SaleRecorded``
consumer, the daily run, the re-evaluation job, and the hooks for merge and erasure.

Every change of one customer's groups is one ``TransactWriteItems``: their facts item (conditional on its
``version``, so a concurrent sale or run makes one of them read again), the member items that come and go,
the counts, and (the consumer) its inbox marker. Memberships are decided as of the merchant's local today
from the facts alone (``rules.py``), so a replayed or late event and a second run of a day change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from clientele.groups import rules
from clientele.groups.model import Criteria, Facts, Group, Job, Kind, Period, Profile, Reason, SystemKey, Visit
from clientele.groups.repository import Change, Config, GroupRepository, StaleFacts
from clientele.kernel import clock
from clientele.kernel.entity import Page
from clientele.kernel.errors import BadRequest, Conflict, NotFound, ValidationFailed
from clientele.kernel.events import CustomerChanged, SaleCustomerChanged, SaleRecorded
from clientele.kernel.ids import new_id, new_sortable_id
from clientele.kernel.permissions import Permission, Principal, require
from clientele.storage.inbox import Inbox
from clientele.storage.table import Item, TransactionCancelled

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository
    from clientele.customers.repository import CustomerRepository
    from clientele.sales.repository import SaleRepository

CONSUMER = "groups"
ATTEMPTS = 5  # a customer's change read again after a concurrent one
PAGE = 100  # customers per step of a re-evaluation job
# The profile's fields the groups read (``profile_of``): a change of any other field moves no group.
PROFILE_FIELDS = frozenset({"labels", "marketing", "email", "source"})
VISIBLE_CURSOR = "after:"  # a site-limited key's page of members: the last customer id it showed


@dataclass
class GroupDraft:
    name: str
    kind: Kind
    criteria: Criteria | None = None


@dataclass
class GroupChanges:
    name: str | None = None
    criteria: Criteria | None = None
    lapse_after: Period | None = None
    version: int | None = None


@dataclass
class Explained:
    group: Group
    reason: Reason
    why: str
    criteria_text: str


@dataclass
class DayRun:
    """What one run of the daily schedule did (for logs, metrics and the bench)."""

    merchants: int = 0
    skipped: int = 0  # merchants whose day was already done
    unfinished: int = 0  # merchants left for the next run (time ran out): their watermark did not move
    read: int = 0  # facts items read from the due index
    changed: int = 0  # customers whose groups changed
    days: dict[str, str] = field(default_factory=dict)  # merchant -> the local day run


def local_today(time_zone: str, now: datetime | None = None) -> date:
    return (now or clock.utcnow()).astimezone(ZoneInfo(time_zone)).date()


def profile_of(item: Item) -> Profile:
    marketing = item.get("marketing") or {}
    return Profile(
        source=str(item.get("source", "manual")),
        labels=[str(label) for label in item.get("labels") or []],
        preferences=sorted(str(k) for k, v in marketing.items() if isinstance(v, dict) and v.get("opted_in")),
        has_email=bool(item.get("email")),
        version=int(item.get("version", 0)),
    )


def visit_of(sale: Item) -> Visit:
    total = sale.get("total") or {}
    amount = int(total.get("amount", 0))
    return Visit(
        sale_id=str(sale["id"]),
        day=date.fromisoformat(str(sale["local_date"])),
        site_id=str(sale["site_id"]),
        type=str(sale["type"]),
        amount=-abs(amount) if sale["type"] == "refund" else amount,
        currency=str(total.get("currency", "")),
    )


class GroupsService:
    def __init__(
        self,
        groups: GroupRepository,
        customers: CustomerRepository,
        sales: SaleRepository,
        merchants: MerchantRepository,
        jobs: Callable[[], Any] | None = None,
    ) -> None:
        self.groups = groups
        self.customers = customers
        self.sales = sales
        self.merchants = merchants
        self._jobs = jobs  # the re-evaluation queue (``Queue``), built on first use
        self.inbox = Inbox(CONSUMER)
        self._out_of_time: Callable[[], bool] = lambda: False

    # ------------------------------------------------------------------------------- configuration
    def config(self, merchant_id: str) -> Config:
        """The merchant's groups; the defaults (in the first site's time zone) on first use."""
        found = self.groups.config(merchant_id)
        if found is not None:
            return found
        sites = self.merchants.list_sites(merchant_id)
        time_zone = min(sites, key=lambda s: s.created_at).time_zone if sites else "UTC"
        defaults = rules.default_groups(clock.now_iso())
        return self.groups.create_config(
            Config(merchant_id, defaults, time_zone, keep_days=rules.longest_days(defaults))
        )

    def _group(self, config: Config, group_id: str) -> Group:
        group = config.get(group_id)
        if group is None:
            raise NotFound("No such group.", field="id")
        return group

    # ------------------------------------------------------------------------------- the API
    def listed(self, who: Principal) -> list[tuple[Group, int]]:
        require(who, Permission.CUSTOMERS_READ)
        config = self.config(who.merchant_id)
        if who.site_ids is not None:
            visible = self.groups.visible(who.merchant_id, who.site_ids)  # one read for every group's count
            return [(g, len(self._visible_members(who, g, visible))) for g in config.groups]
        counts, total = self.groups.counts(who.merchant_id)
        return [(g, total if g.system is SystemKey.ALL else max(0, counts.get(g.id, 0))) for g in config.groups]

    # --- A key limited to sites sees only the members who belong to its sites
    def _visible_members(
        self, who: Principal, group: Group, visible: list[tuple[str, int, tuple[str, ...]]] | None = None
    ) -> list[tuple[str, int]]:
        """``(customer_id, created ms)`` of the group's members who belong to one of the key's sites, by id.

        Counted from the directory, like the list's own ``site_id`` filter, rather than from the counts item: a
        customer belongs to every site they were created or bought at, and a key may have several sites, so
        per-site counters could not be added up. The count is then the length of the very list the key pages
        through (``DirectoryStore`` keeps the packed shards current per container: warm, one read)."""
        assert who.site_ids is not None
        if visible is None:
            visible = self.groups.visible(who.merchant_id, who.site_ids)
        return sorted(
            (customer_id, created)
            for customer_id, created, groups in visible
            if group.system is SystemKey.ALL or group.id in groups
        )

    def _visible_page(self, who: Principal, group: Group, *, limit: int, cursor: str | None) -> Page[tuple[str, str]]:
        after = None
        if cursor:
            if not cursor.startswith(VISIBLE_CURSOR):
                raise BadRequest("The cursor is not valid for this list.", field="cursor", code="INVALID_CURSOR")
            after = cursor[len(VISIBLE_CURSOR) :]
        found = [m for m in self._visible_members(who, group) if after is None or m[0] > after]
        page, more = found[:limit], len(found) > limit
        if group.system is SystemKey.ALL:
            since = {c: datetime.fromtimestamp(created / 1000, UTC).date().isoformat() for c, created in page}
        else:
            since = self.groups.since(who.merchant_id, group.id, [c for c, _ in page])
        items = [(c, since.get(c, "")) for c, _ in page]
        return Page[tuple[str, str]](items=items, cursor=f"{VISIBLE_CURSOR}{page[-1][0]}" if more and page else None)

    def get(self, who: Principal, group_id: str) -> tuple[Group, int]:
        found = dict((g.id, (g, n)) for g, n in self.listed(who))
        if group_id not in found:
            raise NotFound("No such group.", field="id")
        return found[group_id]

    def create(self, who: Principal, draft: GroupDraft) -> tuple[Group, Job | None]:
        require(who, Permission.SETTINGS_MANAGE)
        for _ in range(ATTEMPTS):
            config = self.config(who.merchant_id)
            if draft.kind is Kind.SMART:
                if draft.criteria is None:
                    raise ValidationFailed("A smart group needs criteria.", field="criteria")
                self._check_criteria(who.merchant_id, draft.criteria)
            now = clock.now_iso()
            group = Group(
                id=new_id("grp"),
                name=draft.name,
                kind=draft.kind,
                criteria=draft.criteria if draft.kind is Kind.SMART else None,
                created_at=now,
                updated_at=now,
            )
            grown = self._keep(config, [*config.groups, group])
            config.groups.append(group)
            try:
                self.groups.save_groups(config)
            except StaleFacts:
                continue
            job = self._start_job(who.merchant_id, group, rebuild=grown) if group.kind is Kind.SMART else None
            return group, job
        raise Conflict("The groups changed meanwhile; try again.")

    def update(self, who: Principal, group_id: str, changes: GroupChanges) -> tuple[Group, Job | None]:
        require(who, Permission.SETTINGS_MANAGE)
        for _ in range(ATTEMPTS):
            config = self.config(who.merchant_id)
            group = self._group(config, group_id)
            if changes.version is not None and changes.version != group.version:
                raise Conflict("The group changed since it was read.", field="version", code="VERSION_MISMATCH")
            rule_changed = False
            if changes.name is not None:
                if group.kind is Kind.SYSTEM:
                    raise ValidationFailed("System groups keep their names.", field="name")
                group.name = changes.name
            if changes.criteria is not None:
                if group.kind is not Kind.SMART or group.system is SystemKey.LAPSED:
                    raise ValidationFailed("Only smart groups have criteria.", field="criteria")
                if group.system is SystemKey.REGULARS and (
                    changes.criteria.visits is None
                    or changes.criteria.model_dump(exclude={"visits"}, exclude_defaults=True)
                ):
                    raise ValidationFailed("Regulars are defined by visits in a period only.", field="criteria")
                self._check_criteria(who.merchant_id, changes.criteria)
                rule_changed = changes.criteria != group.criteria
                group.criteria = changes.criteria
            if changes.lapse_after is not None:
                if group.system is not SystemKey.LAPSED:
                    raise ValidationFailed("Only Lapsed has a lapse period.", field="lapse_after")
                rule_changed = rule_changed or changes.lapse_after != group.lapse_after
                group.lapse_after = changes.lapse_after
            group.version += 1
            group.updated_at = clock.now_iso()
            grown = self._keep(config, config.groups)
            try:
                self.groups.save_groups(config)
            except StaleFacts:
                continue
            job = None
            if rule_changed:
                # Lapsed depends on Regulars: a new Regulars rule re-decides both.
                job = self._start_job(who.merchant_id, group, rebuild=grown)
            return group, job
        raise Conflict("The groups changed meanwhile; try again.")

    def delete(self, who: Principal, group_id: str) -> Job | None:
        require(who, Permission.SETTINGS_MANAGE)
        for _ in range(ATTEMPTS):
            config = self.config(who.merchant_id)
            group = self._group(config, group_id)
            if group.kind is Kind.SYSTEM or group.system is not None:
                raise ValidationFailed("System groups, Regulars and Lapsed cannot be deleted.", field="id")
            config.groups = [g for g in config.groups if g.id != group_id]
            try:
                self.groups.save_groups(config)
            except StaleFacts:
                continue
            return self._start_job(who.merchant_id, group, rebuild=False)
        raise Conflict("The groups changed meanwhile; try again.")

    def members(self, who: Principal, group_id: str, *, limit: int, cursor: str | None) -> Page[tuple[str, str]]:
        require(who, Permission.CUSTOMERS_READ)
        config = self.config(who.merchant_id)
        group = self._group(config, group_id)
        if who.site_ids is not None:
            return self._visible_page(who, group, limit=limit, cursor=cursor)
        if group.system is SystemKey.ALL:
            page = self.customers.list(who.merchant_id, source=None, limit=limit, cursor=cursor, newest_first=False)
            return Page[tuple[str, str]](items=[(c.id, c.created_at[:10]) for c in page.items], cursor=page.cursor)
        items, next_cursor = self.groups.members(who.merchant_id, group_id, limit=limit, cursor=cursor)
        return Page[tuple[str, str]](items=items, cursor=next_cursor)

    def customer_ids(self, merchant_id: str, group_id: str) -> set[str] | None:
        """Every customer id in a group, for the directory's ``group_id`` filter (``None``: every customer,
        the "all" group). Raises ``NotFound`` for a group the merchant does not have."""
        config = self.config(merchant_id)
        group = self._group(config, group_id)
        if group.system is SystemKey.ALL:
            return None
        return self.groups.member_ids(merchant_id, group_id)

    def put_member(self, who: Principal, group_id: str, customer_id: str) -> None:
        self._manual(who, group_id, customer_id, add=True)

    def remove_member(self, who: Principal, group_id: str, customer_id: str) -> None:
        self._manual(who, group_id, customer_id, add=False)

    def _manual(self, who: Principal, group_id: str, customer_id: str, *, add: bool) -> None:
        require(who, Permission.CUSTOMERS_WRITE)
        config = self.config(who.merchant_id)
        group = self._group(config, group_id)
        if group.kind is not Kind.MANUAL:
            raise ValidationFailed("Only manual groups take members by hand.", field="id")
        profile = self.customers.get(who.merchant_id, customer_id)  # 404 for a foreign or erased customer

        def edit(facts: Facts) -> None:
            facts.manual = sorted(set(facts.manual) | {group_id}) if add else [g for g in facts.manual if g != group_id]

        self._update_customer(config, customer_id, edit, profile_item=profile.model_dump(mode="json"))

    def customer_groups(self, who: Principal, customer_id: str, locale: str | None) -> list[Explained]:
        """Each group of the customer with the facts that put them in it and the day they leave it."""
        from clientele.groups import wording

        require(who, Permission.CUSTOMERS_READ)
        customer = self.customers.get(who.merchant_id, customer_id)
        config = self.config(who.merchant_id)
        language = wording.locale_of(locale or who.locale)
        names = self._names(who.merchant_id, config.groups)
        today = local_today(config.time_zone)
        found: list[Explained] = []
        everyone = next((g for g in config.groups if g.system is SystemKey.ALL), None)
        if everyone is not None:
            since = date.fromisoformat(customer.created_at[:10])
            reason = Reason(group_id=everyone.id, since=since)
            found.append(
                Explained(
                    everyone,
                    reason,
                    wording.why(everyone, reason, language),
                    wording.describe(everyone, language, names),
                )
            )
        facts = self.groups.facts(who.merchant_id, customer_id)
        if facts is None:
            return found
        reasons = rules.evaluate(config.groups, facts, today)
        leaving = rules.leaving_days(config.groups, facts, today, reasons)
        for group in config.groups:
            reason = reasons.get(group.id)
            if reason is None:
                continue
            reason.leaves_on = leaving.get(group.id)
            reason.since = facts.groups.get(group.id, today)
            found.append(
                Explained(group, reason, wording.why(group, reason, language), wording.describe(group, language, names))
            )
        return found

    def describe(self, who: Principal, groups: list[Group], locale: str | None) -> dict[str, str]:
        from clientele.groups import wording

        language = wording.locale_of(locale or who.locale)
        names = self._names(who.merchant_id, groups)
        return {g.id: wording.describe(g, language, names) for g in groups}

    def _names(self, merchant_id: str, groups: list[Group]) -> dict[str, str]:
        """Names of the sites, labels and preferences that criteria refer to (read only when needed)."""
        wanted = [g.criteria for g in groups if g.criteria is not None]
        names: dict[str, str] = {}
        if any(c.site_id for c in wanted):
            names |= {s.id: s.name for s in self.merchants.list_sites(merchant_id)}
        if any(c.labels for c in wanted):
            names |= {label.id: label.name for label in self.merchants.list_labels(merchant_id)}
        if any(c.marketing_preference for c in wanted):
            names |= {p.id: p.name for p in self.merchants.list_preferences(merchant_id)}
        return names

    def job(self, who: Principal, job_id: str) -> Job:
        require(who, Permission.CUSTOMERS_READ)
        found = self.groups.get_job(who.merchant_id, job_id)
        if found is None:
            raise NotFound("No such job.", field="id")
        return found

    # ------------------------------------------------------------------------------- criteria
    def _check_criteria(self, merchant_id: str, criteria: Criteria) -> None:
        """Impossible criteria are a 422 naming the field (shape and signs are checked by the schema)."""
        if criteria == Criteria():
            raise ValidationFailed("Give at least one criterion.", field="criteria")
        sites = {s.id: s for s in self.merchants.list_sites(merchant_id)}
        if criteria.site_id and criteria.site_id not in sites:
            raise ValidationFailed("No such site.", field="criteria.site_id")
        if criteria.spend is not None:
            currency = criteria.spend.min.currency
            allowed = {sites[criteria.site_id].currency} if criteria.site_id else {s.currency for s in sites.values()}
            if currency not in allowed:
                raise ValidationFailed(
                    f"Spend is counted in {', '.join(sorted(allowed))}.", field="criteria.spend.min.currency"
                )
        if criteria.labels:
            known = {label.id for label in self.merchants.list_labels(merchant_id)}
            missing = [label for label in criteria.labels if label not in known]
            if missing:
                raise ValidationFailed(f"No such label: {missing[0]}.", field="criteria.labels")
        if criteria.marketing_preference:
            known = {p.id for p in self.merchants.list_preferences(merchant_id)}
            if criteria.marketing_preference not in known:
                raise ValidationFailed("No such marketing preference.", field="criteria.marketing_preference")
        for name, bound in (
            ("last_visit_before", criteria.last_visit_before),
            ("last_visit_after", criteria.last_visit_after),
        ):
            if bound is not None and (bound.on is None) == (bound.ago is None):
                raise ValidationFailed("Give either a day (on) or a period (ago).", field=f"criteria.{name}")
        before, after = criteria.last_visit_before, criteria.last_visit_after
        if before and after and before.on and after.on and before.on <= after.on:
            raise ValidationFailed(
                "No day is after the lower bound and before the upper one.", field="criteria.last_visit_before"
            )

    @staticmethod
    def _keep(config: Config, groups: list[Group]) -> bool:
        """Set how far back facts keep visits; ``True`` when it grew (the job then reads past sales)."""
        longest = rules.longest_days(groups)
        grown = longest > config.keep_days
        config.keep_days = max(config.keep_days, longest)
        return grown

    # ------------------------------------------------------------------------------- one customer
    def _decide(self, config: Config, facts: Facts, today: date) -> tuple[dict[str, str], set[str]]:
        """Re-decide the customer's groups on ``today``; returns (joined, left) and updates ``facts``."""
        manual = {g.id for g in config.groups if g.kind is Kind.MANUAL}
        facts.manual = [g for g in facts.manual if g in manual]  # a deleted manual group is forgotten
        now_in = rules.evaluate(config.groups, facts, today)
        before = dict(facts.groups)
        joined = {g: today.isoformat() for g in now_in if g not in before}
        left = {g for g in before if g not in now_in}
        facts.groups = {g: before.get(g, today) for g in now_in}
        facts.due = rules.next_change(config.groups, facts, today)
        return joined, left

    def _update_customer(
        self,
        config: Config,
        customer_id: str,
        edit: Callable[[Facts], None],
        *,
        profile_item: Item | None = None,
        today: date | None = None,
    ) -> bool:
        """Read, edit, re-decide and write one customer's facts (read again on a concurrent change)."""
        for _ in range(ATTEMPTS):
            existing = self.groups.facts(config.merchant_id, customer_id)
            facts = existing.model_copy(deep=True) if existing else Facts(customer_id=customer_id)
            if profile_item is not None:
                facts.profile = rules.fresher(facts.profile, profile_of(profile_item))
            edit(facts)
            joined, left = self._decide(config, facts, today or local_today(config.time_zone))
            if existing is not None and facts == existing and not joined and not left:
                return False
            change = Change(
                config.merchant_id, facts, joined, left, expected_version=existing.version if existing else 0
            )
            try:
                self.groups.change(change).commit()
            except TransactionCancelled as exc:
                if exc.cancelled.failed("profile"):
                    return False  # erased meanwhile: nothing to keep
                continue
            return bool(joined or left)
        raise StaleFacts("the customer's groups kept changing")

    def recompute_customer(self, merchant_id: str, customer_id: str) -> bool:
        """Rebuild one customer's facts from their profile and sales history and re-decide their groups
        (a merge calls it for the survivor). ``True`` when a membership changed."""
        config = self.config(merchant_id)
        try:
            profile = self.customers.get(merchant_id, customer_id)
        except NotFound:
            return False
        visits, cards = self._history(merchant_id, customer_id, config)

        def rebuild(facts: Facts) -> None:
            facts.visits, facts.last_visit, facts.sites = [], None, []
            facts.card_paid = False
            for visit in visits:
                rules.add_visit(facts, visit, card_paid=visit.sale_id in cards, keep_days=config.keep_days)

        return self._update_customer(config, customer_id, rebuild, profile_item=profile.model_dump(mode="json"))

    def _history(self, merchant_id: str, customer_id: str, config: Config) -> tuple[list[Visit], set[str]]:
        visits: list[Visit] = []
        cards: set[str] = set()
        cursor = None
        while True:
            page = self.sales.activity(
                merchant_id, customer_id, scope="all", by_amount=False, ascending=False, limit=100, cursor=cursor
            )
            for sale in page.items:
                visits.append(visit_of(sale.model_dump(mode="json")))
                if sale.card is not None:
                    cards.add(sale.id)
            cursor = page.cursor
            if not cursor:
                return visits, cards

    # ------------------------------------------------------------------------------- the consumer
    def record_sale(self, event: SaleRecorded) -> str:
        """Fold one sale into its customer's facts and groups, once (inbox), whatever the order."""
        if not event.customer_id:
            return "no_customer"
        from clientele.sales import keys as sale_keys

        for _ in range(ATTEMPTS):
            config, existing, profile, sale = self.groups.for_sale(
                event.merchant_id,
                event.customer_id,
                (sale_keys.sale_pk(event.merchant_id, event.sale_id), sale_keys.SALE_SK),
            )
            if config is None:
                config = self.config(event.merchant_id)
            if profile is None:
                return "customer_gone"
            if sale is None or sale.get("customer_id") != event.customer_id:
                return "sale_elsewhere"
            facts = existing.model_copy(deep=True) if existing else Facts(customer_id=event.customer_id)
            facts.profile = rules.fresher(facts.profile, profile_of(profile))
            visit = visit_of(sale)
            rules.add_visit(facts, visit, card_paid=bool(sale.get("card")), keep_days=config.keep_days)
            today = max(local_today(config.time_zone), visit.day)
            joined, left = self._decide(config, facts, today)
            change = Change(
                event.merchant_id, facts, joined, left, expected_version=existing.version if existing else 0
            )
            tx = self.groups.change(change)
            self.inbox.claim(tx, event.merchant_id, event.key)
            try:
                tx.commit()
            except TransactionCancelled as exc:
                if Inbox.already_handled(exc):
                    return "duplicate"
                if exc.cancelled.failed("profile"):
                    return "customer_gone"
                continue  # the facts moved (another sale, the daily run): read again
            return "changed" if joined or left else "recorded"
        raise StaleFacts("the customer's groups kept changing")

    def sale_customer_changed(self, event: SaleCustomerChanged) -> str:
        """A customer attached to, or taken off, a recorded sale: each customer named has their facts rebuilt
        from their sales as they are now, so a replay or a late delivery decides the same."""
        changed = [self.recompute_customer(event.merchant_id, customer_id) for customer_id in event.customers]
        return "changed" if any(changed) else "recomputed"

    # --- CustomerChanged: a profile edit moves the groups that ask about the profile, within seconds
    def customer_changed(self, event: CustomerChanged) -> str:
        """Re-decide the customer's groups from their current profile (re-read: the event names fields only).

        Idempotent without an inbox: the decision depends on the profile as it is now and the facts, and the
        facts never take a profile older than the one they hold (``version``), so a replayed or late event
        writes nothing; an erased customer (no profile) is never written back."""
        if not PROFILE_FIELDS & set(event.fields):
            return "ignored"  # a name, an address, a birthday...: no group asks
        m, c = event.merchant_id, event.customer_id
        for _ in range(ATTEMPTS):
            config, existing, profile = self.groups.for_profile(m, c)
            if profile is None or config is None:
                # No configuration: no group was ever decided for this merchant, and the system groups a profile
                # alone could put someone in need a sale (reachable, instant profiles), whose event sets them up.
                return "customer_gone" if profile is None else "no_groups"
            if existing is None and profile.get("last_visit_at"):  # visits the groups have not seen yet
                return "changed" if self.recompute_customer(m, c) else "recorded"
            facts = existing.model_copy(deep=True) if existing else Facts(customer_id=c)
            facts.profile = rules.fresher(facts.profile, profile_of(profile))
            joined, left = self._decide(config, facts, local_today(config.time_zone))
            # Nothing to write: already decided on this profile, or in no group (no facts item for them).
            if ((facts == existing and not left) or existing is None) and not joined:
                return "unchanged"
            change = Change(m, facts, joined, left, expected_version=existing.version if existing else 0)
            try:
                self.groups.change(change).commit()
            except TransactionCancelled as exc:
                if exc.cancelled.failed("profile"):
                    return "customer_gone"
                continue  # the facts moved (a sale, the daily run): read again
            return "changed" if joined or left else "recorded"
        raise StaleFacts("the customer's groups kept changing")

    # ------------------------------------------------------------------------------- the daily run
    def run_day(
        self, now: datetime, merchant_ids: list[str] | None = None, out_of_time: Callable[[], bool] | None = None
    ) -> DayRun:
        """Apply the changes that time alone causes, for every merchant whose local day has begun since
        its last run: only customers whose next change is due (on or before today: a missed day is
        caught up), once per merchant and day (the watermark).

        When ``out_of_time`` says so, the run stops between two customers; the merchant's watermark has not
        moved, so the next run goes on where this one stopped (what was applied is no longer due)."""
        run = DayRun()
        self._out_of_time = out_of_time or (lambda: False)
        cursor: str | None = None
        while True:
            if merchant_ids is None:
                page, cursor = self.groups.merchants(cursor)
            else:
                page, cursor = merchant_ids, None
            for merchant_id in page:
                if self._out_of_time():
                    run.unfinished += 1
                    continue
                self._run_merchant(merchant_id, now, run)
            if not cursor:
                return run

    def _run_merchant(self, merchant_id: str, now: datetime, run: DayRun) -> None:
        config = self.groups.config(merchant_id)
        if config is None:
            return
        today = local_today(config.time_zone, now)
        if config.day is not None and config.day >= today.isoformat():
            run.skipped += 1
            return
        run.merchants += 1
        cursor: str | None = None
        while True:
            due, cursor = self.groups.due(merchant_id, today.isoformat(), cursor)
            run.read += len(due)
            for facts in due:
                if self._out_of_time():
                    run.unfinished += 1
                    return
                if self._apply_due(config, facts, today):
                    run.changed += 1
            if not cursor:
                break
        self.groups.mark_day(merchant_id, today.isoformat(), config.day)
        run.days[merchant_id] = today.isoformat()

    def _apply_due(self, config: Config, facts: Facts, today: date) -> bool:
        current: Facts | None = facts
        for _ in range(ATTEMPTS):
            if current is None or current.due is None or current.due > today:
                return False  # a sale moved it meanwhile
            updated = current.model_copy(deep=True)
            joined, left = self._decide(config, updated, today)
            change = Change(config.merchant_id, updated, joined, left, expected_version=current.version)
            try:
                self.groups.change(change).commit()
            except TransactionCancelled as exc:
                if exc.cancelled.failed("profile"):
                    return False
                current = self.groups.facts(config.merchant_id, facts.customer_id)
                continue
            return bool(joined or left)
        raise StaleFacts("the customer's groups kept changing")

    # ------------------------------------------------------------------------------- re-evaluation
    def _start_job(self, merchant_id: str, group: Group, *, rebuild: bool) -> Job:
        _, total = self.groups.counts(merchant_id)
        job = Job(
            id=new_sortable_id("gjob"), group_id=group.id, status="running", total=total, created_at=clock.now_iso()
        )
        self.groups.put_job(merchant_id, job)
        if self._jobs is not None:
            self._jobs().send(
                {"merchant_id": merchant_id, "job_id": job.id, "group_id": group.id, "rebuild": rebuild, "cursor": None}
            )
        return job

    def reevaluate(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """One step of a re-evaluation job: up to ``PAGE`` customers; returns the next step's message."""
        merchant_id, job_id = str(message["merchant_id"]), str(message["job_id"])
        config = self.config(merchant_id)
        page = self.customers.list(
            merchant_id, source=None, limit=PAGE, cursor=message.get("cursor"), newest_first=False
        )
        known = self.groups.many_facts(merchant_id, [c.id for c in page.items])
        changed = 0
        today = local_today(config.time_zone)
        for customer in page.items:
            item = customer.model_dump(mode="json")
            facts = known.get(customer.id)
            if message.get("rebuild") or (facts is None and customer.last_visit_at):
                changed += self.recompute_customer(merchant_id, customer.id)
            elif facts is not None or rules.evaluate(
                config.groups, Facts(customer_id=customer.id, profile=profile_of(item)), today
            ):
                changed += self._update_customer(config, customer.id, lambda f: None, profile_item=item, today=today)
        done = not page.cursor
        self.groups.progress(merchant_id, job_id, len(page.items), changed, done=done)
        if done:
            return None
        return {**message, "cursor": page.cursor}

    # ------------------------------------------------------------------------------- erasure
    def erase_customer(self, merchant_id: str, customer_id: str) -> None:
        """Take the customer out of every group and index (erasure calls the repository directly)."""
        self.groups.erase(merchant_id, customer_id)
