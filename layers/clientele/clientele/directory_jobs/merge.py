"""Merge two profiles of one person (``POST /v1/customers/{id}/merge``): the survivor keeps its id.

Steps, each safe to repeat (a retry of the same merge resumes it; a finished merge answers again with
its outcome): plan (in the source's partition) → move the source's sales, activity, cards and notes →
every registered merge participant (loyalty, memberships, groups: ``customers.merging``) → close in one
transaction (profile fields merged, guards passed on or released, counters replayed, the source gone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clientele.customers.merging import MergeParticipant
from clientele.customers.model import AuditEntry, Customer, Note
from clientele.directory_jobs import rules
from clientele.directory_jobs.model import MergeOutcome
from clientele.kernel import clock, contact, ids
from clientele.kernel.errors import MergedAway, NotFound, ValidationFailed
from clientele.kernel.permissions import Principal
from clientele.sales import keys as sale_keys
from clientele.sales.model import Sale
from clientele.storage import partitions
from clientele.storage.table import Item, fields_of

if TYPE_CHECKING:
    from clientele.customers.repository import CustomerRepository
    from clientele.directory_jobs.repository import MergeRepository


class MergeService:
    def __init__(
        self,
        merges: MergeRepository,
        customers: CustomerRepository,
        secret: Callable[[], bytes],
        participants: Callable[[], list[MergeParticipant]],
    ) -> None:
        self.merges = merges
        self.customers = customers
        self._secret = secret
        self._participants = participants

    def merge(self, principal: Principal, survivor_id: str, source_id: str) -> MergeOutcome:
        mid = principal.merchant_id
        if survivor_id == source_id:
            raise ValidationFailed(
                "A customer cannot be merged into themselves.", field="source_customer_id", code="SAME_CUSTOMER"
            )
        plan = self.merges.plan(mid, source_id)
        if plan and plan.get("state") == "done":
            if plan["survivor_id"] == survivor_id:
                self._leftovers(mid, source_id, survivor_id)  # in case the first run stopped right after
                kept = self.merges.outcome(mid, survivor_id, source_id)
                return kept or MergeOutcome.model_validate_json(plan["outcome"])
            raise MergedAway(
                f"That customer was merged into {plan['survivor_id']}.",
                merged_into=str(plan["survivor_id"]),
                field="source_customer_id",
            )
        profiles = self.merges.profiles(mid, [survivor_id, source_id])
        if survivor_id not in profiles:
            survivor_of_survivor = self.customers.merged_into(mid, survivor_id)
            if survivor_of_survivor:
                raise MergedAway(
                    f"This customer was merged into {survivor_of_survivor}.", merged_into=survivor_of_survivor
                )
            raise NotFound("No such customer.", field="id")
        if source_id not in profiles:
            raise NotFound("No such customer.", field="source_customer_id")
        now = clock.now_iso()
        if plan is None:
            outcome = MergeOutcome(
                survivor_id=survivor_id, source_id=source_id, merged_at=now, merged_by=principal.key_id,
                note_id=ids.new_sortable_id("note"),
            )  # fmt: skip
            source_items = self.merges.partition(mid, source_id)
            source_sales = [str(i["id"]) for i in source_items if _overall_activity(i)]
            self.merges.start(mid, source_id, survivor_id, outcome, source_sales)
        else:
            outcome = MergeOutcome.model_validate_json(plan["outcome"])
            source_sales = list(plan.get("source_sales") or [])
            source_items = self.merges.partition(mid, source_id)
        moved = self.merges.move(mid, source_id, survivor_id, self.merges.movable(source_items))
        for participant in self._participants():
            participant.merge(mid, source_id, survivor_id)
        return self._close(
            principal,
            profiles[survivor_id],
            profiles[source_id],
            outcome,
            source_sales=source_sales,
            moved=moved,
            now=now,
        )

    def _close(
        self,
        principal: Principal,
        survivor: Customer,
        source: Customer,
        outcome: MergeOutcome,
        *,
        source_sales: list[str],
        moved: dict[str, int],
        now: str,
    ) -> MergeOutcome:
        mid = principal.merchant_id
        changes, conflicts = rules.merge_profiles(survivor, source)
        merged = survivor.model_copy(update={**changes, "version": survivor.version + 1, "updated_at": now})
        survivor_items = self.merges.partition(mid, survivor.id)
        source_items = self.merges.partition(mid, source.id)
        sales = [_sale(i) for i in survivor_items if _overall_activity(i)]
        leftover = {str(i["id"]) for i in source_items if _overall_activity(i)}
        theirs_ids = set(source_sales) | leftover
        theirs = [s for s in sales if s.id in theirs_ids]
        mine = [s for s in sales if s.id not in theirs_ids]
        replayed = rules.replay(sales)
        stats = [_stats_item(mid, survivor.id, s) for s in replayed.stats.values()]
        # Each counter item read is deleted or replaced only if no sale moved it since (else: retry).
        stale = [
            (str(i["PK"]), str(i["SK"]), int(i.get("sale_count", 0)))
            for i in (*survivor_items, *source_items)
            if i.get("entity") == "customer_stats"
        ]
        note = None
        if conflicts and outcome.note_id:
            note = Note(
                id=outcome.note_id,
                customer_id=survivor.id,
                text=rules.dropped_note(source.id, conflicts),
                created_at=now,
                created_by=principal.key_id,
            )
        outcome = outcome.model_copy(
            update={"conflicts": conflicts, "moved": {**outcome.moved, **moved}, "note_id": note.id if note else None}
        )
        stamp = int(time.time() * 1000)
        audits = [
            # The source's trail has moved to the survivor's partition: its last entry is written there too,
            # just before the survivor's own (ids sort by time).
            AuditEntry(
                id=ids.new_sortable_id("audit", stamp), customer_id=survivor.id, at=now, actor=principal.key_id,
                action="merged_into", fields=["merge"], merged_from=source.id,
            ),
            AuditEntry(
                id=ids.new_sortable_id("audit", stamp + 1), customer_id=survivor.id, at=now, actor=principal.key_id,
                action="merged", fields=sorted({"merge", *changes}),
            ),
        ]  # fmt: skip
        self.merges.close(
            survivor=merged,
            expected_version=survivor.version,
            source=source,
            guards=self._guards(mid, survivor, source, merged),
            stats=stats,
            stale_stats=stale,
            counters=rules.counter_corrections(mine, theirs),
            audits=audits,
            note=note,
            outcome=outcome,
        )
        self._leftovers(mid, source.id, survivor.id)
        return outcome

    def _leftovers(self, merchant_id: str, source_id: str, survivor_id: str) -> None:
        """After the close: the source leaves the directory, and whatever was written under its id while the
        merge ran (an audit entry, a delivery, a sale) moves too, so only the plan and the pointer stay."""
        self.merges.erase_from_directory(merchant_id, source_id)
        leftovers = self.merges.movable(self.merges.partition(merchant_id, source_id))
        if leftovers:
            self.merges.move(merchant_id, source_id, survivor_id, leftovers)

    def _guards(self, mid: str, survivor: Customer, source: Customer, merged: Customer) -> list[dict[str, Any]]:
        """The source's email and phone guards pass to the survivor when it took them, else they go."""
        ops = []
        secret = self._secret() if source.email or source.phone else b""
        for kind, value in (("email", source.email), ("phone", source.phone)):
            if not value:
                continue
            value_hash = contact.email_hash(secret, value) if kind == "email" else contact.phone_hash(secret, value)
            if getattr(merged, kind) == value and getattr(survivor, kind) != value:
                ops.append(self.customers.reassign_op(mid, kind, value_hash, source.id, survivor.id))
            elif getattr(survivor, kind) != value:
                ops.append(self.customers.release_op(mid, kind, value_hash, source.id))
            else:  # the same value cannot be held twice; the guard is the survivor's already
                continue
        return ops


def _overall_activity(item: Item) -> bool:
    return item.get("entity") == "activity" and str(item["SK"]).startswith(sale_keys.activity_prefix("all"))


def _sale(item: Item) -> Sale:
    return Sale.model_validate(fields_of(item, also={"request_hash", "customer_erased"}))


def _stats_item(merchant_id: str, customer_id: str, stats: rules.CustomerStats) -> Item:
    item: Item = {
        "PK": partitions.customer_pk(merchant_id, customer_id),
        "SK": sale_keys.customer_stats_sk(stats.scope),
        "entity": "customer_stats",
        "scope": stats.scope,
        "customer_id": customer_id,
        "sale_count": stats.sale_count,
        "purchase_count": stats.purchase_count,
        "refund_count": stats.refund_count,
        "exchange_count": stats.exchange_count,
        "first_visit_at": stats.first_visit_at,
        "last_visit_at": stats.last_visit_at,
    }
    for currency, amount in stats.spent.items():
        item[f"spent_{currency}"] = amount
    return item
