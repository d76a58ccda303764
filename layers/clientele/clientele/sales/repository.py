"""Sales, the cards that paid them, a customer's activity entries, and the counters a sale moves.

A sale is written in one ``TransactWriteItems`` with everything it changes (docs/data-model.md,
"Sales and insights"), guarded by the sale's non-existence: a retried request can never count twice.
Counters that depend on what came before (a customer's first visit, second purchase) are computed from
a read and the transaction re-checks that read with conditions, so a concurrent sale makes it fail and
the caller retries with fresh state instead of counting wrongly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from clientele.account import keys as account_keys
from clientele.customers import keys as customer_keys
from clientele.customers.model import ContactHashes, Customer
from clientele.customers.repository import CustomerRepository
from clientele.kernel.entity import Page
from clientele.kernel.errors import NotFound
from clientele.loyalty.model import SalePoints
from clientele.sales import keys, rules
from clientele.sales.model import Card, Sale
from clientele.sales.rules import CounterState
from clientele.storage import partitions
from clientele.storage.table import Item, Table, Transaction, TransactionCancelled, fields_of

# ``customer_erased``: set by erasure on the sales it keeps (anonymised); the sale reads the same.
# ``customer_version``: how many times a customer was attached to or detached from the sale (its events' key).
_SALE_STORAGE = frozenset({"request_hash", "customer_erased", "customer_version"})
_AMOUNT_OFFSET = 10**15  # amounts (signed, minor units) sort as fixed-width text once offset


def fingerprint_hash(fingerprint: str) -> str:
    """Card fingerprints are processor-issued opaque ids; keys hold a digest, never the value itself."""
    return hashlib.sha256(f"clientele/card/{fingerprint}".encode()).hexdigest()[:40]


def amount_key(amount: int) -> str:
    return f"{amount + _AMOUNT_OFFSET:016d}"


# ------------------------------------------------------------------------------------------ outcomes
class SaleAlreadyRecorded(Exception):
    """The sale id exists already: the same request was recorded before (its hash tells)."""

    def __init__(self, existing: Item | None) -> None:
        super().__init__("sale already recorded")
        self.request_hash = (existing or {}).get("request_hash")


class StaleRead(Exception):
    """Something read before the transaction changed meanwhile; read again and retry."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what  # "site", "card", "counters" or "conflict"


class CustomerChanged(Exception):
    """The sale's customer is not what was read (another attach or detach came first): read it again."""


# ------------------------------------------------------------------------------------------ plans
@dataclass(frozen=True)
class CardLink:
    card_id: str
    customer_id: str | None  # None: unlinked by the merchant; the card no longer attaches
    fingerprint_hash: str


@dataclass
class SaleWrite:
    """Everything one sale writes. ``state`` is what the counters held; ``new_card`` links a card."""

    sale: Sale
    request_hash: str | None
    site_currency: str
    site_time_zone: str
    state: CounterState | None = None
    known_card: CardLink | None = None  # attach through this link, which must still hold
    new_card: Card | None = None  # link this card to the sale's customer
    extra: Transaction | None = None  # operations of other contexts the sale carries (its loyalty points)


@dataclass
class CustomerChange:
    """A customer given to (``attach``) or taken off a recorded sale, with everything that moves with it."""

    sale: Sale  # as read: without a customer (attach) or with ``customer_id`` (detach)
    customer_id: str
    attach: bool
    moves: list[rules.Move]
    merchant: list[rules.MerchantCounts]
    profile: Item  # the profile as read
    last_visit_at: str | None  # the profile's last visit after the change
    points: SalePoints | None = None  # attach: what the sale earned on the customer's loyalty account
    extra: Transaction | None = None  # loyalty's operations


def _guard(attribute: str, value: int, threshold: int, vals: dict[str, Any], names: dict[str, str]) -> str:
    """A condition that holds while ``attribute`` is still what was read, as far as ``threshold`` matters.

    Counts at or above ``threshold`` only grow, so ``>=`` keeps concurrent sales from conflicting there.
    """
    names[f"#{attribute}"] = attribute
    if value >= threshold:
        vals[f":{attribute}_min"] = threshold
        return f"#{attribute} >= :{attribute}_min"
    if value == 0:
        vals[f":{attribute}_zero"] = 0
        return f"(attribute_not_exists(#{attribute}) OR #{attribute} = :{attribute}_zero)"
    vals[f":{attribute}_was"] = value
    return f"#{attribute} = :{attribute}_was"


MAX_FILTERED_READS = 10  # reads behind one page of a site-limited key's activity


class SaleRepository:
    def __init__(self, table: Table, customers: CustomerRepository) -> None:
        self.table = table
        self.customers = customers

    # Items ------------------------------------------------------------------------------------
    @staticmethod
    def _sale_item(sale: Sale, request_hash: str | None) -> Item:
        item: Item = {
            "PK": keys.sale_pk(sale.merchant_id, sale.id),
            "SK": keys.SALE_SK,
            "entity": "sale",
            "GSI1PK": keys.sales_by_time_pk(sale.merchant_id),
            "GSI1SK": f"{sale.occurred_at}#{sale.id}",
            "request_hash": request_hash,
            **sale.model_dump(mode="json", exclude_none=True),
        }
        if sale.card:
            item["GSI2PK"] = keys.sales_by_last4_pk(sale.merchant_id, sale.card.last4)
            item["GSI2SK"] = f"{sale.occurred_at}#{sale.id}"
        return item

    @staticmethod
    def _activity_items(sale: Sale) -> list[Item]:
        assert sale.customer_id
        entries = []
        for scope in ("all", sale.type.value):
            entries.append(
                {
                    "PK": partitions.customer_pk(sale.merchant_id, sale.customer_id),
                    "SK": keys.activity_sk(scope, sale.occurred_at, sale.id),
                    "entity": "activity",
                    "GSI1PK": keys.activity_by_amount_pk(sale.merchant_id, sale.customer_id, scope),
                    "GSI1SK": f"{amount_key(sale.total.amount)}#{sale.occurred_at}#{sale.id}",
                    **sale.model_dump(mode="json", exclude_none=True),
                }
            )
        return entries

    @staticmethod
    def to_sale(item: Item) -> Sale:
        return Sale.model_validate(fields_of(item, also=_SALE_STORAGE))

    # Reads ------------------------------------------------------------------------------------
    def get(self, merchant_id: str, sale_id: str) -> Sale:
        item = self.table.get(keys.sale_pk(merchant_id, sale_id), keys.SALE_SK)
        if not item:
            raise NotFound("No such sale.", field="id")
        return self.to_sale(item)

    def for_change(self, merchant_id: str, sale_id: str) -> tuple[Sale, bool]:
        """The sale, strongly consistent, and whether its customer was erased (it is then nobody's, for good)."""
        item = self.table.get(keys.sale_pk(merchant_id, sale_id), keys.SALE_SK, consistent=True)
        if not item:
            raise NotFound("No such sale.", field="id")
        return self.to_sale(item), bool(item.get("customer_erased"))

    def recent(self, merchant_id: str, *, limit: int, cursor: str | None) -> Page[Sale]:
        items, next_cursor = self.table.query(
            partition=("GSI1PK", keys.sales_by_time_pk(merchant_id)),
            index="GSI1",
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[Sale](items=[self.to_sale(i) for i in items], cursor=next_cursor)

    def by_last4(self, merchant_id: str, last4: str, *, limit: int, cursor: str | None) -> Page[Sale]:
        items, next_cursor = self.table.query(
            partition=("GSI2PK", keys.sales_by_last4_pk(merchant_id, last4)),
            index="GSI2",
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[Sale](items=[self.to_sale(i) for i in items], cursor=next_cursor)

    def activity(
        self,
        merchant_id: str,
        customer_id: str,
        *,
        scope: str,
        by_amount: bool,
        ascending: bool,
        limit: int,
        cursor: str | None,
        site_ids: list[str] | None = None,
    ) -> Page[Sale]:
        """One bounded page of a customer's sales: by date on the table, by amount on GSI1.

        With ``site_ids``, only sales at those sites: reads go on (each asking only for what the page still
        lacks, so the cursor is always the last entry read) until the page is full, the entries run out or
        ``MAX_FILTERED_READS`` reads were made; a page may then hold fewer than ``limit`` sales."""
        if by_amount:
            query: dict[str, Any] = {
                "partition": ("GSI1PK", keys.activity_by_amount_pk(merchant_id, customer_id, scope)),
                "index": "GSI1",
            }
        else:
            query = {
                "partition": ("PK", partitions.customer_pk(merchant_id, customer_id)),
                "begins_with": ("SK", keys.activity_prefix(scope)),
            }
        found: list[Sale] = []
        next_cursor = cursor
        for _ in range(1 if site_ids is None else MAX_FILTERED_READS):
            items, next_cursor = self.table.query(
                **query, limit=limit - len(found), cursor=next_cursor, forward=ascending
            )
            found += [sale for sale in map(self.to_sale, items) if site_ids is None or sale.site_id in site_ids]
            if len(found) >= limit or not next_cursor:
                break
        return Page[Sale](items=found, cursor=next_cursor)

    def card_link(self, merchant_id: str, fingerprint: str) -> CardLink | None:
        item = self.table.get(keys.card_lookup_pk(merchant_id, fingerprint_hash(fingerprint)), keys.CARD_LOOKUP_SK)
        if not item:
            return None
        return CardLink(
            card_id=item["card_id"], customer_id=item.get("customer_id"), fingerprint_hash=fingerprint_hash(fingerprint)
        )

    def counter_state(self, merchant_id: str, customer_id: str, site_id: str) -> CounterState:
        """The customer's counters overall and at one site: one ``BatchGetItem``."""
        return self.read_for_sale(merchant_id, customer_id, site_id)[0]

    def read_for_sale(
        self, merchant_id: str, customer_id: str, site_id: str, also: list[tuple[str, str]] | None = None
    ) -> tuple[CounterState, dict[tuple[str, str], Item]]:
        """The customer's counters overall and at one site, and the items ``also`` asks for (the loyalty
        account and program): one ``BatchGetItem``."""
        pk = partitions.customer_pk(merchant_id, customer_id)
        wanted = [(pk, keys.CUSTOMER_STATS_SK), (pk, keys.customer_site_stats_sk(site_id)), *(also or [])]
        read = self.table.batch_get(wanted)
        extra = {(i["PK"], i["SK"]): i for i in read}
        found = {i["SK"]: i for i in read if i["PK"] == pk}
        overall = found.get(keys.CUSTOMER_STATS_SK, {})
        at_site = found.get(keys.customer_site_stats_sk(site_id), {})
        state = CounterState(
            sale_count=int(overall.get("sale_count", 0)),
            purchase_count=int(overall.get("purchase_count", 0)),
            site_sale_count=int(at_site.get("sale_count", 0)),
            site_purchase_count=int(at_site.get("purchase_count", 0)),
        )
        return state, extra

    # Writes -----------------------------------------------------------------------------------
    def _counters(self, write: SaleWrite, tx: Transaction, *, new_customer: bool) -> None:
        """The counters the sale moves (:func:`rules.effects`), each guarded by what was read."""
        sale = write.sale
        assert sale.customer_id
        effects = rules.effects(sale, write.state or CounterState())
        mid, cid = sale.merchant_id, sale.customer_id
        pk = partitions.customer_pk(mid, cid)
        for counts in effects.customer:
            names: dict[str, str] = {"#spent": f"spent_{counts.currency}"}
            vals: dict[str, Any] = {
                ":one": 1,
                ":p": counts.purchase,
                ":r": counts.refund,
                ":x": counts.exchange,
                ":amount": counts.spent,
                ":now": counts.at,
                ":c": cid,
                ":scope": counts.scope,
                ":entity": "customer_stats",
            }
            # The days the merchant's day counters count the customer (new, returning) in this scope: what
            # taking a sale off them later takes back from (sales.rules.detach_moves).
            day_set = "first_day = if_not_exists(first_day, :day)"
            vals[":day"] = sale.local_date.isoformat()
            if counts.purchase and counts.purchases_seen == rules.RETURNING_AFTER - 1:
                day_set += ", returning_day = :day"
            condition = None
            if not new_customer:
                conditions = [_guard("sale_count", counts.sales_seen, 1, vals, names)]
                if counts.purchase:
                    conditions.append(
                        _guard("purchase_count", counts.purchases_seen, rules.RETURNING_AFTER, vals, names)
                    )
                condition = " AND ".join(conditions)
            tx.update(
                "customer_counters",
                pk,
                keys.customer_stats_sk(counts.scope),
                "ADD sale_count :one, purchase_count :p, refund_count :r, exchange_count :x, #spent :amount "
                "SET first_visit_at = if_not_exists(first_visit_at, :now), last_visit_at = :now, "
                "customer_id = :c, #scope = :scope, entity = :entity, " + day_set,
                condition=condition,
                names={**names, "#scope": "scope"},
                vals=vals,
            )
        for moved in effects.merchant:
            add_merchant_counts(tx, mid, moved)
        if not new_customer:
            # The profile's last visit and sites visited; the condition makes a missing customer a 404.
            expression = "SET last_visit_at = :now"
            vals = {":now": sale.occurred_at}
            if effects.first_at_site:
                expression += ", site_ids = list_append(if_not_exists(site_ids, :empty), :site)"
                vals.update({":empty": [], ":site": [sale.site_id]})
            tx.update(
                "customer", pk, customer_keys.CUSTOMER_SK, expression, condition="attribute_exists(PK)", vals=vals
            )
            # The directory sorts by last visit and filters by site: it learns of the visit in the same transaction.
            self.customers.directory.visit(
                tx, mid, cid, sale.occurred_at, sale.site_id if effects.first_at_site else None
            )

    def _card(self, write: SaleWrite, tx: Transaction) -> None:
        sale = write.sale
        if write.new_card is not None:
            card = write.new_card
            lookup_pk = keys.card_lookup_pk(sale.merchant_id, fingerprint_hash(card.fingerprint))
            tx.put(
                "card_lookup",
                {
                    "PK": lookup_pk,
                    "SK": keys.CARD_LOOKUP_SK,
                    "entity": "card_lookup",
                    "card_id": card.id,
                    "customer_id": card.customer_id,
                },
                # A card nobody holds yet, or one the merchant unlinked.
                condition="attribute_not_exists(PK) OR attribute_not_exists(customer_id)",
            )
            tx.put(
                "card",
                {
                    "PK": partitions.customer_pk(sale.merchant_id, card.customer_id),
                    "SK": keys.card_sk(card.id),
                    "entity": "card",
                    "fingerprint_hash": fingerprint_hash(card.fingerprint),
                    **card.model_dump(mode="json", exclude_none=True),
                },
            )
        elif write.known_card is not None and sale.card is not None:
            link = write.known_card
            lookup_pk = keys.card_lookup_pk(sale.merchant_id, link.fingerprint_hash)
            if link.customer_id is None:
                condition, vals = "card_id = :card AND attribute_not_exists(customer_id)", {":card": link.card_id}
            else:
                condition = "card_id = :card AND customer_id = :c"
                vals = {":card": link.card_id, ":c": link.customer_id}
            tx.check("card_lookup", lookup_pk, keys.CARD_LOOKUP_SK, condition, vals=vals)

    def _transaction(self, write: SaleWrite, *, new_customer: bool) -> Transaction:
        sale = write.sale
        tx = self.table.transaction()
        tx.put("sale", self._sale_item(sale, write.request_hash), condition="attribute_not_exists(PK)")
        # The site as it was read (possibly from a cache): its currency and time zone still hold.
        tx.check(
            "site",
            partitions.merchant_pk(sale.merchant_id),
            account_keys.site_sk(sale.site_id),
            "currency = :cur AND time_zone = :tz",
            vals={":cur": write.site_currency, ":tz": write.site_time_zone},
        )
        self._card(write, tx)
        if sale.customer_id:
            for item in self._activity_items(sale):
                tx.put("activity", item)
            self._counters(write, tx, new_customer=new_customer)
        if write.extra is not None:
            tx.extend(write.extra)
        return tx

    def record(self, write: SaleWrite) -> None:
        """Write the sale and everything it moves, all or nothing."""
        try:
            self._transaction(write, new_customer=False).commit()
        except TransactionCancelled as exc:
            _explain(exc)
            raise

    def record_with_instant_profile(self, write: SaleWrite, customer: Customer, audit: Any) -> None:
        """Create the customer from the card and record the sale in the same transaction."""
        try:
            self.customers.create(
                customer, ContactHashes(None, None), audit, extra=self._transaction(write, new_customer=True)
            )
        except TransactionCancelled as exc:
            _explain(exc)
            raise

    # Cards ------------------------------------------------------------------------------------
    def cards(self, merchant_id: str, customer_id: str) -> list[Card]:
        items, _ = self.table.query(
            partition=("PK", partitions.customer_pk(merchant_id, customer_id)), begins_with=("SK", "CARD#"), limit=100
        )
        return [Card.model_validate(fields_of(i, also={"fingerprint_hash"})) for i in items]

    def unlink_card(self, merchant_id: str, customer_id: str, card_id: str) -> None:
        """Remove the card from the customer; its look-up stays as a tombstone so it never attaches again."""
        pk = partitions.customer_pk(merchant_id, customer_id)
        item = self.table.get(pk, keys.card_sk(card_id))
        if not item:
            raise NotFound("No such card.", field="card_id")
        lookup_pk = keys.card_lookup_pk(merchant_id, item["fingerprint_hash"])
        try:
            self.table.transact(
                [
                    self.table.delete_op(pk, keys.card_sk(card_id), condition="attribute_exists(PK)"),
                    self.table.update_op(
                        lookup_pk,
                        keys.CARD_LOOKUP_SK,
                        "REMOVE customer_id",
                        condition="card_id = :card",
                        vals={":card": card_id},
                    ),
                ]
            )
        except TransactionCancelled as exc:
            raise NotFound("No such card.", field="card_id") from exc

    # A customer given to, or taken off, a recorded sale ------------------------------------------
    def standings(
        self, merchant_id: str, customer_id: str, site_id: str, also: list[tuple[str, str]]
    ) -> tuple[Item | None, tuple[rules.Standing, rules.Standing], dict[tuple[str, str], Item]]:
        """The customer's profile, their counters overall and at ``site_id``, and the items ``also`` asks for
        (loyalty's): one strongly consistent ``BatchGetItem``."""
        pk = partitions.customer_pk(merchant_id, customer_id)
        site_sk = keys.customer_site_stats_sk(site_id)
        wanted = [(pk, customer_keys.CUSTOMER_SK), (pk, keys.CUSTOMER_STATS_SK), (pk, site_sk), *also]
        found = {(i["PK"], i["SK"]): i for i in self.table.batch_get(wanted, consistent=True)}

        def standing(scope: str, sk: str) -> rules.Standing:
            item = found.get((pk, sk), {})
            return rules.Standing(
                scope=scope,
                sale_count=int(item.get("sale_count", 0)),
                purchase_count=int(item.get("purchase_count", 0)),
                first_visit_at=item.get("first_visit_at"),
                last_visit_at=item.get("last_visit_at"),
                first_day=item.get("first_day"),
                returning_day=item.get("returning_day"),
            )

        overall = standing(rules.ALL_SITES, keys.CUSTOMER_STATS_SK)
        return found.get((pk, customer_keys.CUSTOMER_SK)), (overall, standing(site_id, site_sk)), found

    def other_visits(self, sale: Sale) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
        """The first and last visit of the customer's other sales, overall and at the sale's site (bounded
        reads of their activity, oldest and newest first)."""
        assert sale.customer_id

        def ends(site_ids: list[str] | None) -> tuple[str | None, str | None]:
            found: list[str | None] = []
            for ascending in (True, False):
                page = self.activity(
                    sale.merchant_id,
                    sale.customer_id or "",
                    scope="all",
                    by_amount=False,
                    ascending=ascending,
                    limit=2,
                    cursor=None,
                    site_ids=site_ids,
                )
                found.append(next((s.occurred_at for s in page.items if s.id != sale.id), None))
            return found[0], found[1]

        return ends(None), ends([sale.site_id])

    def change_customer(self, change: CustomerChange) -> None:
        """Attach or detach in one transaction: the sale (guarded by its current customer), its activity
        entries, the customer's counters and profile (guarded by what was read), the merchant's counters and
        what loyalty adds. Raises :class:`CustomerChanged` when the sale's customer is not what was read."""
        sale, cid = change.sale, change.customer_id
        mid = sale.merchant_id
        pk = partitions.customer_pk(mid, cid)
        tx = self.table.transaction()
        sale_key = keys.sale_pk(mid, sale.id), keys.SALE_SK
        points = change.points.model_dump(mode="json") if change.points is not None else None
        if change.attach:
            expression = "SET customer_id = :c, customer_version = if_not_exists(customer_version, :zero) + :one"
            vals: dict[str, Any] = {":c": cid, ":zero": 0, ":one": 1}
            if points is not None:
                expression += ", loyalty = :points"
                vals[":points"] = points
            condition = (
                "attribute_exists(PK) AND attribute_not_exists(customer_id) AND attribute_not_exists(customer_erased)"
            )
            tx.update("sale", *sale_key, expression, condition=condition, vals=vals)
            for item in self._activity_items(sale.model_copy(update={"customer_id": cid, "loyalty": change.points})):
                tx.put("activity", item)
        else:
            tx.update(
                "sale",
                *sale_key,
                "REMOVE customer_id, loyalty SET customer_version = if_not_exists(customer_version, :zero) + :one",
                condition="customer_id = :c",
                vals={":c": cid, ":zero": 0, ":one": 1},
            )
            for scope in ("all", sale.type.value):
                tx.delete("activity", pk, keys.activity_sk(scope, sale.occurred_at, sale.id))
        for move in change.moves:
            self._move(tx, pk, cid, move)
        for moved in change.merchant:
            add_merchant_counts(tx, mid, moved)
        self._profile(tx, change)
        if change.extra is not None:
            tx.extend(change.extra)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            cancelled = exc.cancelled
            if cancelled.failed("sale"):
                raise CustomerChanged() from exc
            if cancelled.failed("customer"):
                raise NotFound("No such customer.", field="customer_id") from exc
            raise StaleRead("counters") from exc

    @staticmethod
    def _move(tx: Transaction, pk: str, customer_id: str, move: rules.Move) -> None:
        was = move.standing
        names = {"#sales": "sale_count", "#purchases": "purchase_count"}
        vals: dict[str, Any] = {}
        guards = []
        for name, value in (("#sales", was.sale_count), ("#purchases", was.purchase_count)):
            vals[f":{name[1:]}_was"] = value
            guard = f"{name} = :{name[1:]}_was"
            guards.append(f"(attribute_not_exists({name}) OR {guard})" if value == 0 else guard)
        sk = keys.customer_stats_sk(was.scope)
        if move.delete:
            tx.delete("customer_counters", pk, sk, condition=" AND ".join(guards), names=names, vals=vals)
            return
        names["#spent"] = f"spent_{move.currency}"
        vals.update(
            {
                ":n": move.sign,
                ":p": move.purchase,
                ":r": move.refund,
                ":x": move.exchange,
                ":amount": move.spent,
                ":c": customer_id,
                ":scope": was.scope,
                ":entity": "customer_stats",
            }
        )
        sets = ["customer_id = :c", "#scope = :scope", "entity = :entity"]
        names["#scope"] = "scope"
        removes = []
        for attribute in ("first_visit_at", "last_visit_at", "first_day", "returning_day"):
            value = getattr(move, attribute)
            if value is None:
                removes.append(attribute)
            else:
                sets.append(f"{attribute} = :{attribute}")
                vals[f":{attribute}"] = value
        expression = (
            "ADD #sales :n, #purchases :p, refund_count :r, exchange_count :x, #spent :amount SET " + ", ".join(sets)
        )
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        tx.update("customer_counters", pk, sk, expression, condition=" AND ".join(guards), names=names, vals=vals)

    def _profile(self, tx: Transaction, change: CustomerChange) -> None:
        """The profile's last visit (and, on attach, the site visited) follow; the directory learns of them."""
        sale, cid = change.sale, change.customer_id
        pk = partitions.customer_pk(sale.merchant_id, cid)
        sets: list[str] = []
        removes: list[str] = []
        vals: dict[str, Any] = {}
        if change.last_visit_at != change.profile.get("last_visit_at"):
            if change.last_visit_at is None:
                removes.append("last_visit_at")
            else:
                sets.append("last_visit_at = :now")
                vals[":now"] = change.last_visit_at
        new_site = change.attach and sale.site_id not in (change.profile.get("site_ids") or [])
        if new_site:
            sets.append("site_ids = list_append(if_not_exists(site_ids, :empty), :site)")
            vals.update({":empty": [], ":site": [sale.site_id]})
        if not sets and not removes:
            tx.check("customer", pk, customer_keys.CUSTOMER_SK, "attribute_exists(PK)")
            return
        expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
        tx.update(
            "customer",
            pk,
            customer_keys.CUSTOMER_SK,
            expression.strip(),
            condition="attribute_exists(PK)",
            vals=vals or None,
        )
        if sets or removes:  # the directory's last visit follows, to none when the only sale was taken off
            self.customers.directory.visit(
                tx, sale.merchant_id, cid, change.last_visit_at, sale.site_id if new_site else None
            )


def add_merchant_counts(tx: Transaction, merchant_id: str, moved: rules.MerchantCounts) -> None:
    """An ``ADD`` to one of the merchant's counter items (a sale's, or erasure taking a customer's back)."""
    additions = {
        "total_sales": moved.sales,
        "total_customers": moved.customers,
        "returning_customers": moved.returning_customers,
    }
    moving = {name: amount for name, amount in additions.items() if amount}
    names = {f"#c{i}": name for i, name in enumerate(moving)}
    vals: dict[str, Any] = {f":v{i}": amount for i, amount in enumerate(moving.values())}
    vals[":entity"] = "counters"
    tx.update(
        "merchant_counters",
        partitions.merchant_pk(merchant_id),
        keys.merchant_counter_sk(moved.scope, moved.day),
        "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(moving))) + " SET entity = :entity",
        names=names,
        vals=vals,
    )


def _explain(exc: TransactionCancelled) -> None:
    """Turn a cancelled sale transaction into what the caller can act on, by the failed operations' names."""
    cancelled = exc.cancelled
    if cancelled.conflict:
        raise StaleRead("conflict") from exc
    if cancelled.failed("sale"):
        raise SaleAlreadyRecorded(cancelled.old("sale")) from exc
    if cancelled.failed("site"):
        raise StaleRead("site") from exc
    if cancelled.failed("card_lookup"):
        raise StaleRead("card") from exc
    if cancelled.failed("customer"):
        raise NotFound("No such customer.", field="customer_id") from exc
    if cancelled.failures():
        raise StaleRead("counters") from exc


__all__ = [
    "CardLink",
    "CounterState",
    "CustomerChange",
    "CustomerChanged",
    "SaleAlreadyRecorded",
    "SaleRepository",
    "SaleWrite",
    "StaleRead",
]
