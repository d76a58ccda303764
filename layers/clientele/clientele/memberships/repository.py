"""Membership types, memberships, charges, their list indexes, quick-view counters and the dues agenda.

A membership is saved in one transaction with everything derived from it: its list-index entries (one
item per list it belongs to, a copy of its row), the quick-view counters those entries move, its dues
agenda entries and any charge raised. So a list read after a write sees it, and every count equals the
length of its list (they are moved by the same entries in the same transaction).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clientele.kernel.entity import Page
from clientele.kernel.errors import AlreadyExists, Conflict, NotFound, VersionMismatch
from clientele.memberships import keys, rules
from clientele.memberships.model import (
    Charge,
    Credit,
    CreditSource,
    CreditState,
    Mandate,
    MandateRequest,
    Membership,
    MembershipSettings,
    MembershipType,
)
from clientele.platform.aws import client
from clientele.storage.partitions import merchant_pk
from clientele.storage.table import (
    ConditionFailed,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    decode_cursor,
    deserialize,
    encode_cursor,
    fields_of,
    values,
)

ALL = "ALL"
AGENDA = "agenda"  # the membership item's own record of the agenda entries it has planned ("date|event")


class RequestUsed(Exception):
    """The mandate request was used (or replaced) meanwhile: its link works once."""


@dataclass
class Stored:
    """A membership as read: the entity and the agenda entries it planned when it was last saved."""

    membership: Membership
    agenda: set[tuple[date, str]] = field(default_factory=set)


def _membership_item(m: Membership, agenda: set[tuple[date, str]]) -> Item:
    created = f"{m.created_at}#{m.id}"
    return {
        "PK": keys.membership_pk(m.merchant_id, m.id),
        "SK": keys.MEMBERSHIP_SK,
        "entity": "membership",
        "GSI1PK": keys.memberships_by_created_pk(m.merchant_id),
        "GSI1SK": created,
        "GSI2PK": keys.customer_memberships_pk(m.merchant_id, m.customer_id),
        "GSI2SK": created,
        AGENDA: sorted(f"{day.isoformat()}|{event}" for day, event in agenda),
        **m.model_dump(mode="json", exclude_none=True),
    }


def to_stored(item: Item) -> Stored:
    planned = set()
    for entry in item.get(AGENDA, []):
        day, event = str(entry).split("|", 1)
        planned.add((date.fromisoformat(day), event))
    return Stored(Membership.model_validate(fields_of(item, also={AGENDA})), planned)


def to_membership(item: Item) -> Membership:
    return Membership.model_validate(fields_of(item, also={AGENDA, "view"}))


def _raise_for(exc: TransactionCancelled, *, created: bool) -> None:
    """The domain error that a cancelled membership transaction stands for (nothing for a plain conflict)."""
    failed = exc.cancelled.failed
    if failed("membership"):
        if created:
            raise Conflict("This membership already exists.", field="id") from exc
        raise VersionMismatch("The membership was changed meanwhile; read it again.", field="version") from exc
    if failed("number"):
        raise AlreadyExists(
            "Another membership of this merchant has this number.", field="number", code="NUMBER_TAKEN"
        ) from exc
    if failed("charge"):
        raise Conflict("This period's charge was raised meanwhile; read the membership again.") from exc
    if failed("credit"):
        raise Conflict("This period's credits were issued meanwhile; read the membership again.") from exc
    if failed("mandate_request"):
        raise RequestUsed() from exc
    if failed("mandate_reference"):
        raise Conflict("This mandate reference is taken.", field="reference") from exc


class MembershipRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # Types ----------------------------------------------------------------------------------------
    def put_type(self, merchant_id: str, t: MembershipType, *, must_exist: bool = False) -> None:
        item = {
            "PK": merchant_pk(merchant_id),
            "SK": keys.type_sk(t.id),
            "entity": "membership_type",
            **t.model_dump(mode="json", exclude_none=True),
        }
        condition = "attribute_exists(PK)" if must_exist else "attribute_not_exists(PK)"
        try:
            self.table.put(item, condition=condition)
        except ConditionFailed as exc:
            raise NotFound("No such membership type.", field="id") from exc

    def get_type(self, merchant_id: str, type_id: str) -> MembershipType:
        item = self.table.get(merchant_pk(merchant_id), keys.type_sk(type_id))
        if not item:
            raise NotFound("No such membership type.", field="type_id")
        return MembershipType.model_validate(fields_of(item))

    def list_types(self, merchant_id: str) -> list[MembershipType]:
        found: list[MembershipType] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", merchant_pk(merchant_id)),
                begins_with=("SK", keys.TYPE_PREFIX),
                limit=100,
                cursor=cursor,
            )
            found.extend(MembershipType.model_validate(fields_of(i)) for i in items)
            if not cursor:
                return found

    # Settings ---------------------------------------------------------------------------------------
    def get_settings(self, merchant_id: str) -> MembershipSettings:
        item = self.table.get(merchant_pk(merchant_id), keys.SETTINGS_SK)
        return MembershipSettings.model_validate(fields_of(item)) if item else MembershipSettings(version=0)

    def save_settings(self, merchant_id: str, s: MembershipSettings, expected_version: int) -> None:
        item = {"PK": merchant_pk(merchant_id), "SK": keys.SETTINGS_SK, "entity": "membership_settings"}
        item.update(s.model_dump(mode="json", exclude_none=True))
        try:
            if expected_version == 0:
                self.table.put(item, condition="attribute_not_exists(PK)")
            else:
                self.table.put(item, condition="version = :v", vals={":v": expected_version})
        except ConditionFailed as exc:
            raise VersionMismatch("The settings were changed meanwhile; read them again.", field="version") from exc

    # Numbers ----------------------------------------------------------------------------------------
    def next_number(self, merchant_id: str) -> int:
        item = self.table.update(
            merchant_pk(merchant_id),
            keys.NUMBER_COUNTER_SK,
            "ADD last_number :one SET entity = :e",
            vals={":one": 1, ":e": "counters"},
        )
        return int(item["last_number"])

    # Memberships ------------------------------------------------------------------------------------
    def get(self, merchant_id: str, membership_id: str, *, consistent: bool = False) -> Stored:
        item = self.table.get(keys.membership_pk(merchant_id, membership_id), keys.MEMBERSHIP_SK, consistent=consistent)
        if not item:
            raise NotFound("No such membership.", field="id")
        return to_stored(item)

    def get_many(self, merchant_id: str, membership_ids: list[str]) -> list[Stored]:
        found: list[Stored] = []
        for start in range(0, len(membership_ids), 100):
            chunk = membership_ids[start : start + 100]
            items = self.table.batch_get(
                [(keys.membership_pk(merchant_id, i), keys.MEMBERSHIP_SK) for i in chunk], consistent=True
            )
            found.extend(to_stored(i) for i in items)
        return found

    def save(
        self,
        old: Stored | None,
        new: Membership,
        agenda: set[tuple[date, str]],
        *,
        charges: Sequence[Charge] = (),
        charge_updates: Sequence[Charge] = (),
        claim_number: bool = False,
        release_number: str | None = None,
        extra: Transaction | None = None,
    ) -> None:
        """The membership and everything derived from it, all or nothing; a stale ``old`` is 409."""
        m = new
        tx = self.table.transaction()
        item = _membership_item(m, agenda)
        if old is None:
            tx.put("membership", item, "attribute_not_exists(PK)")
        else:
            tx.put("membership", item, "version = :v", vals={":v": old.membership.version})
        if claim_number:
            tx.put(
                "number",
                {
                    "PK": keys.number_pk(m.merchant_id, m.number),
                    "SK": keys.NUMBER_SK,
                    "entity": "membership_number",
                    "membership_id": m.id,
                },
                "attribute_not_exists(PK)",
            )
        if release_number:
            tx.delete("old_number", keys.number_pk(m.merchant_id, release_number), keys.NUMBER_SK)
        self._views(tx, old.membership if old else None, m)
        self._agenda(tx, m, old.agenda if old else set(), agenda)
        pk = keys.membership_pk(m.merchant_id, m.id)
        for charge in charges:
            tx.put("charge", self._charge_item(pk, charge), "attribute_not_exists(PK)")
        for charge in charge_updates:
            tx.put("charge", self._charge_item(pk, charge), "attribute_exists(PK)")
        if extra is not None:
            tx.extend(extra)
        try:
            tx.commit()
        except TransactionCancelled as exc:
            _raise_for(exc, created=old is None)
            raise

    @staticmethod
    def _charge_item(pk: str, charge: Charge) -> Item:
        return {"PK": pk, "SK": keys.charge_sk(charge.period_start), "entity": "membership_charge"} | charge.model_dump(
            mode="json", exclude_none=True
        )

    def _views(self, tx: Any, old: Membership | None, new: Membership) -> None:
        before = rules.view_entries(old) if old else set()
        after = rules.view_entries(new)
        row = new.model_dump(mode="json", exclude_none=True)
        for entry in before - after:
            tx.delete("view", keys.view_pk(new.merchant_id, entry.view), keys.view_sk(entry.sort, new.id))
        for entry in after:
            tx.put(
                "view",
                {
                    "PK": keys.view_pk(new.merchant_id, entry.view),
                    "SK": keys.view_sk(entry.sort, new.id),
                    "entity": "membership_view",
                    "view": entry.view,
                    **row,
                },
            )
        # counters: ALL and the site, per view (dated views per day); old and new sites may differ
        deltas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for entries, sign, site in ((before - after, -1, old.site_id if old else ""), (after - before, 1, new.site_id)):
            for entry in entries:
                name = entry.view.replace(":", "_")
                for scope in (ALL, site):
                    deltas[keys.counter_sk(scope, entry.sort if entry.dated else None)][name] += sign
        if old is not None and old.site_id != new.site_id:  # entries kept but moved between sites
            for entry in before & after:
                name = entry.view.replace(":", "_")
                deltas[keys.counter_sk(old.site_id, entry.sort if entry.dated else None)][name] -= 1
                deltas[keys.counter_sk(new.site_id, entry.sort if entry.dated else None)][name] += 1
        for sk, counts in sorted(deltas.items()):
            moved = {name: delta for name, delta in counts.items() if delta}
            if not moved:
                continue
            names = {f"#c{i}": name for i, name in enumerate(sorted(moved))}
            vals: dict[str, Any] = {f":d{i}": moved[name] for i, name in enumerate(sorted(moved))}
            vals[":e"] = "membership_counters"
            expression = "SET entity = :e ADD " + ", ".join(f"#c{i} :d{i}" for i in range(len(moved)))
            tx.update("counter", merchant_pk(new.merchant_id), sk, expression, names=names, vals=vals)

    def _agenda(self, tx: Any, m: Membership, before: set[tuple[date, str]], after: set[tuple[date, str]]) -> None:
        for day, event in before - after:
            tx.delete("agenda", keys.agenda_pk(m.merchant_id, m.site_id, day), keys.agenda_sk(event, m.id))
        for day, event in after - before:
            tx.put(
                "agenda",
                {
                    "PK": keys.agenda_pk(m.merchant_id, m.site_id, day),
                    "SK": keys.agenda_sk(event, m.id),
                    "entity": "membership_agenda",
                    "membership_id": m.id,
                    "event": event,
                },
            )

    def for_customer(self, merchant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[Membership]:
        items, next_cursor = self.table.query(
            partition=("GSI2PK", keys.customer_memberships_pk(merchant_id, customer_id)),
            index="GSI2",
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page(items=[to_membership(i) for i in items], cursor=next_cursor)

    def all_for_customer(self, merchant_id: str, customer_id: str) -> list[Stored]:
        found: list[Stored] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("GSI2PK", keys.customer_memberships_pk(merchant_id, customer_id)),
                index="GSI2",
                limit=100,
                cursor=cursor,
            )
            found.extend(to_stored(i) for i in items)
            if not cursor:
                return found

    def charges(self, merchant_id: str, membership_id: str, *, limit: int) -> list[Charge]:
        items, _ = self.table.query(
            partition=("PK", keys.membership_pk(merchant_id, membership_id)),
            begins_with=("SK", keys.CHARGE_PREFIX),
            limit=limit,
            forward=False,
        )
        return [Charge.model_validate(fields_of(i)) for i in items]

    def get_charge(self, merchant_id: str, membership_id: str, period_start: date) -> Charge | None:
        item = self.table.get(
            keys.membership_pk(merchant_id, membership_id), keys.charge_sk(period_start), consistent=True
        )
        return Charge.model_validate(fields_of(item)) if item else None

    # Lists ------------------------------------------------------------------------------------------
    def list_range(
        self,
        merchant_id: str,
        *,
        view: str | None,
        low: str | None,
        high: str | None,
        limit: int,
        cursor: str | None,
        forward: bool,
    ) -> tuple[list[Membership], str | None]:
        """One page of a list index (``view``) or of every membership (``None``, by creation), its sort key
        between ``low`` and ``high`` (a date or a time; ``high`` inclusive of anything that starts with it)."""
        if view is None:
            partition = ("GSI1PK", keys.memberships_by_created_pk(merchant_id))
            sort_name, index = "GSI1SK", "GSI1"
        else:
            partition = ("PK", keys.view_pk(merchant_id, view))
            sort_name, index = "SK", None
        expression = "#pk = :pk"
        names = {"#pk": partition[0]}
        vals: dict[str, Any] = {":pk": partition[1]}
        if low is not None or high is not None:
            names["#sk"] = sort_name
            vals[":lo"] = low or "0"
            vals[":hi"] = (high or "\uffff") + "\uffff"
            expression += " AND #sk BETWEEN :lo AND :hi"
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(vals),
            "Limit": limit,
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        start = decode_cursor(cursor, partition=partition)
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = client("dynamodb").query(**kwargs)
        items = [deserialize(raw) for raw in response.get("Items", [])]
        return [to_membership(i) for i in items], encode_cursor(response.get("LastEvaluatedKey"))

    def counters(self, merchant_id: str, scopes: list[str], days: list[str]) -> list[Item]:
        """The quick-view counters of ``scopes`` (undated and for each of ``days``): one call."""
        wanted = [(merchant_pk(merchant_id), keys.counter_sk(s, d)) for s in scopes for d in [None, *days]]
        return self.table.batch_get(wanted)

    # The dues run -----------------------------------------------------------------------------------
    def register_site(self, merchant_id: str, site_id: str, watermark: date) -> None:
        """Put the site on the dues run's list (once): it is done up to ``watermark``."""
        with suppress(ConditionFailed):
            self.table.put(
                {
                    "PK": keys.DUES_SITES_PK,
                    "SK": keys.dues_site_sk(merchant_id, site_id),
                    "entity": "dues_site",
                    "merchant_id": merchant_id,
                    "site_id": site_id,
                    "watermark": watermark.isoformat(),
                },
                condition="attribute_not_exists(PK)",
            )

    def dues_sites(self, cursor: str | None) -> tuple[list[Item], str | None]:
        return self.table.query(partition=("PK", keys.DUES_SITES_PK), limit=100, cursor=cursor)

    def dues_site(self, merchant_id: str, site_id: str) -> Item | None:
        return self.table.get(keys.DUES_SITES_PK, keys.dues_site_sk(merchant_id, site_id), consistent=True)

    def advance_watermark(self, merchant_id: str, site_id: str, previous: str, day: date) -> bool:
        try:
            self.table.update(
                keys.DUES_SITES_PK,
                keys.dues_site_sk(merchant_id, site_id),
                "SET watermark = :d",
                condition="watermark = :p",
                vals={":d": day.isoformat(), ":p": previous},
            )
        except ConditionFailed:
            return False
        return True

    def agenda_of(self, merchant_id: str, site_id: str, day: date) -> list[Item]:
        found: list[Item] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", keys.agenda_pk(merchant_id, site_id, day)), limit=1000, cursor=cursor
            )
            found.extend(items)
            if not cursor:
                return found

    # Mandates ---------------------------------------------------------------------------------------
    def get_request(self, merchant_id: str, membership_id: str) -> MandateRequest | None:
        item = self.table.get(keys.membership_pk(merchant_id, membership_id), keys.MANDATE_REQUEST_SK, consistent=True)
        return MandateRequest.model_validate(fields_of(item)) if item else None

    def put_request(self, merchant_id: str, request: MandateRequest, *, replacing: MandateRequest | None) -> None:
        """Open a request (or count a resend): conditional on the request read, so two at once cannot both open."""
        item = {
            "PK": keys.membership_pk(merchant_id, request.membership_id),
            "SK": keys.MANDATE_REQUEST_SK,
            "entity": "mandate_request",
            **request.model_dump(mode="json", exclude_none=True),
        }
        try:
            if replacing is None:
                self.table.put(item, condition="attribute_not_exists(PK)")
            else:
                self.table.put(
                    item,
                    condition="id = :id AND sent_count = :n",
                    vals={":id": replacing.id, ":n": replacing.sent_count},
                )
        except ConditionFailed as exc:
            raise Conflict("A mandate request was sent meanwhile.", code="MANDATE_REQUEST_OPEN") from exc

    def mandate_ops(self, merchant_id: str, request: MandateRequest, mandate: Mandate, used_at: str) -> Transaction:
        """Close the request (once: its link works once), store the mandate and claim its reference."""
        pk = keys.membership_pk(merchant_id, mandate.membership_id)
        tx = self.table.transaction()
        tx.update(
            "mandate_request",
            pk,
            keys.MANDATE_REQUEST_SK,
            "SET used_at = :u",
            condition="id = :id AND attribute_not_exists(used_at)",
            vals={":u": used_at, ":id": request.id},
        )
        tx.put(
            "mandate",
            {"PK": pk, "SK": keys.mandate_sk(mandate.id), "entity": "mandate"}
            | mandate.model_dump(mode="json", exclude_none=True),
            "attribute_not_exists(PK)",
        )
        tx.put(
            "mandate_reference",
            {
                "PK": keys.mandate_reference_pk(mandate.creditor_id, mandate.reference),
                "SK": keys.NUMBER_SK,
                "entity": "mandate_reference",
                "merchant_id": merchant_id,
                "membership_id": mandate.membership_id,
            },
            "attribute_not_exists(PK)",
        )
        return tx

    def get_mandate(self, merchant_id: str, membership_id: str, mandate_id: str) -> Mandate | None:
        item = self.table.get(keys.membership_pk(merchant_id, membership_id), keys.mandate_sk(mandate_id))
        return Mandate.model_validate(fields_of(item)) if item else None

    def put_mandate(self, merchant_id: str, mandate: Mandate) -> None:
        self.table.put(
            {"PK": keys.membership_pk(merchant_id, mandate.membership_id), "SK": keys.mandate_sk(mandate.id)}
            | {"entity": "mandate"}
            | mandate.model_dump(mode="json", exclude_none=True)
        )

    def delete_request(self, merchant_id: str, membership_id: str) -> None:
        self.table.transact(
            [self.table.delete_op(keys.membership_pk(merchant_id, membership_id), keys.MANDATE_REQUEST_SK)]
        )

    def all_charges(self, merchant_id: str, membership_id: str) -> list[Charge]:
        found: list[Charge] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("PK", keys.membership_pk(merchant_id, membership_id)),
                begins_with=("SK", keys.CHARGE_PREFIX),
                limit=100,
                cursor=cursor,
            )
            found.extend(Charge.model_validate(fields_of(i)) for i in items)
            if not cursor:
                return found


def _credit_item(c: Credit) -> Item:
    item: Item = {
        "PK": keys.credit_pk(c.merchant_id, c.id),
        "SK": keys.CREDIT_SK,
        "entity": "membership_credit",
        "GSI2PK": keys.customer_credits_pk(c.merchant_id, c.customer_id),
        "GSI2SK": f"{c.issued_at}#{c.id}",
        **c.model_dump(mode="json", exclude_none=True),
    }
    if c.state is CreditState.AVAILABLE and c.source is CreditSource.MEMBERSHIP and c.membership_id:
        item["GSI1PK"] = keys.open_credits_pk(c.merchant_id, c.membership_id)
        item["GSI1SK"] = f"{c.period_start.isoformat() if c.period_start else ''}#{c.id}"
    return item


def _to_credit(item: Item) -> Credit:
    return Credit.model_validate(fields_of(item))


class CreditChanged(Exception):
    """The credit is no longer in the state it was read in (redeemed, revoked or expired meanwhile)."""


class CreditRepository:
    """Membership credits: one item each, a customer's by issue on GSI2, a membership's available period credits
    on GSI1 (sparse: an item leaves it when used, revoked or expired)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def issue_ops(self, tx: Transaction, credits: Sequence[Credit]) -> Transaction:
        for c in credits:
            tx.put("credit", _credit_item(c), "attribute_not_exists(PK)")
        return tx

    def add(self, c: Credit) -> None:
        self.table.put(_credit_item(c), condition="attribute_not_exists(PK)")

    def get(self, merchant_id: str, credit_id: str) -> Credit:
        item = self.table.get(keys.credit_pk(merchant_id, credit_id), keys.CREDIT_SK, consistent=True)
        if not item:
            raise NotFound("No such credit.", field="id")
        return _to_credit(item)

    def replace(self, old: Credit, new: Credit, *, usable_on: date | None = None) -> None:
        """Write ``new`` if the credit is still as ``old`` was read (its state, and with ``usable_on``, not past
        its last day on that date); :class:`CreditChanged` otherwise."""
        condition = "#st = :st"
        vals: dict[str, Any] = {":st": old.state.value}
        if usable_on is not None:
            condition += " AND (attribute_not_exists(expires_on) OR expires_on >= :today)"
            vals[":today"] = usable_on.isoformat()
        try:
            self.table.put(_credit_item(new), condition=condition, names={"#st": "state"}, vals=vals)
        except ConditionFailed as exc:
            raise CreditChanged() from exc

    def for_customer(self, merchant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[Credit]:
        items, next_cursor = self.table.query(
            partition=("GSI2PK", keys.customer_credits_pk(merchant_id, customer_id)),
            index="GSI2",
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page(items=[_to_credit(i) for i in items], cursor=next_cursor)

    def all_for_customer(self, merchant_id: str, customer_id: str) -> list[Credit]:
        found: list[Credit] = []
        cursor = None
        while True:
            page = self.for_customer(merchant_id, customer_id, limit=100, cursor=cursor)
            found.extend(page.items)
            cursor = page.cursor
            if not cursor:
                return list(reversed(found))  # oldest first

    def open_for_membership(self, merchant_id: str, membership_id: str) -> list[Credit]:
        """The membership's available period credits: found on the (eventually consistent) index, then read
        consistently, so a credit redeemed a moment ago never counts against a cap."""
        wanted: list[tuple[str, str]] = []
        cursor = None
        while True:
            items, cursor = self.table.query(
                partition=("GSI1PK", keys.open_credits_pk(merchant_id, membership_id)),
                index="GSI1",
                limit=100,
                cursor=cursor,
            )
            wanted.extend((i["PK"], i["SK"]) for i in items)
            if not cursor:
                break
        found: list[Credit] = []
        for start in range(0, len(wanted), 100):
            found.extend(_to_credit(i) for i in self.table.batch_get(wanted[start : start + 100], consistent=True))
        return sorted((c for c in found if c.state is CreditState.AVAILABLE), key=lambda c: (c.period or 0, c.id))

    def move(self, c: Credit, survivor_id: str) -> None:
        """A merge: the credit now belongs to the survivor (nothing if it moved already)."""
        with suppress(ConditionFailed):
            self.table.update(
                keys.credit_pk(c.merchant_id, c.id),
                keys.CREDIT_SK,
                "SET customer_id = :to, GSI2PK = :pk",
                condition="customer_id = :from",
                vals={
                    ":to": survivor_id,
                    ":from": c.customer_id,
                    ":pk": keys.customer_credits_pk(c.merchant_id, survivor_id),
                },
            )
