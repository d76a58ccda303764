"""The groups' items: configuration, counts, each customer's facts (with the sparse due index), members
and re-evaluation jobs. The only code that knows their keys (docs/data-model.md, "Groups")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clientele.customers.directory import DirectoryStore
from clientele.groups import keys
from clientele.groups.model import Facts, Group, Job
from clientele.kernel import clock
from clientele.storage import partitions
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

PROFILE_SK = "PROFILE"  # the customer's profile item (customers context): erased customers have none


@dataclass
class Config:
    """A merchant's groups: definitions in order, time zone of "today", and the daily run's watermark."""

    merchant_id: str
    groups: list[Group]
    time_zone: str
    rev: int = 0
    day: str | None = None  # the last local day the daily run completed
    keep_days: int = 0  # how far back facts keep visits (the longest period of any rule)

    def get(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)


@dataclass
class Change:
    """One customer's new facts and the memberships that moved, written all at once."""

    merchant_id: str
    facts: Facts
    joined: dict[str, str] = field(default_factory=dict)  # group id -> since (ISO day)
    left: set[str] = field(default_factory=set)
    expected_version: int = 0  # 0: the facts item must not exist yet
    require_profile: bool = True  # an erased customer is never written back
    delete_facts: bool = False  # erasure: the facts item goes

    def groups_after(self) -> set[str]:
        """The groups the customer is in once the change is written."""
        return (set(self.facts.groups) | set(self.joined)) - self.left


class StaleFacts(Exception):
    """The customer's facts moved since they were read (a concurrent sale or run): read again."""


def _facts_item(merchant_id: str, facts: Facts) -> Item:
    item: Item = {
        "PK": partitions.customer_pk(merchant_id, facts.customer_id),
        "SK": keys.FACTS_SK,
        "entity": "group_facts",
        **facts.model_dump(mode="json", exclude_none=True),
    }
    if facts.due is not None:
        item["GSI2PK"] = keys.due_pk(merchant_id)
        item["GSI2SK"] = keys.due_sk(facts.due.isoformat(), facts.customer_id)
    return item


def to_facts(item: Item) -> Facts:
    return Facts.model_validate(fields_of(item, also={"merchant_id"}))


def _config_of(merchant_id: str, item: Item) -> Config:
    return Config(
        merchant_id=merchant_id,
        groups=[Group.model_validate(g) for g in item.get("groups", [])],
        time_zone=str(item.get("time_zone") or "UTC"),
        rev=int(item.get("rev", 0)),
        day=item.get("day"),
        keep_days=int(item.get("keep_days", 0)),
    )


class GroupRepository:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.directory = DirectoryStore(table)  # the customers' directory: its group filter

    # Configuration --------------------------------------------------------------------------
    def config_key(self, merchant_id: str) -> tuple[str, str]:
        return partitions.merchant_pk(merchant_id), keys.CONFIG_SK

    def config(self, merchant_id: str) -> Config | None:
        item = self.table.get(*self.config_key(merchant_id), consistent=True)
        return _config_of(merchant_id, item) if item else None

    def create_config(self, config: Config) -> Config:
        """The merchant's first configuration; a concurrent creator's wins and is returned."""
        try:
            self.table.put(
                {
                    "PK": partitions.merchant_pk(config.merchant_id),
                    "SK": keys.CONFIG_SK,
                    "entity": "group_config",
                    "GSI1PK": keys.MERCHANTS_INDEX_PK,
                    "GSI1SK": config.merchant_id,
                    "merchant_id": config.merchant_id,
                    "groups": [g.model_dump(mode="json", exclude_none=True) for g in config.groups],
                    "time_zone": config.time_zone,
                    "rev": 1,
                    "keep_days": config.keep_days,
                },
                condition="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            found = self.config(config.merchant_id)
            assert found is not None
            return found
        config.rev = 1
        return config

    def save_groups(self, config: Config) -> None:
        """Write the definitions if nobody changed them meanwhile (``rev``); moves ``rev``."""
        try:
            self.table.update(
                *self.config_key(config.merchant_id),
                "SET #g = :g, #rev = :next, keep_days = :keep",
                condition="#rev = :rev",
                names={"#g": "groups", "#rev": "rev"},
                vals={
                    ":g": [g.model_dump(mode="json", exclude_none=True) for g in config.groups],
                    ":rev": config.rev,
                    ":next": config.rev + 1,
                    ":keep": config.keep_days,
                },
            )
        except ConditionFailed as exc:
            raise StaleFacts("the groups changed meanwhile") from exc
        config.rev += 1

    def set_time_zone(self, merchant_id: str, time_zone: str) -> None:
        self.table.update(*self.config_key(merchant_id), "SET time_zone = :tz", vals={":tz": time_zone})

    def mark_day(self, merchant_id: str, day: str, previous: str | None) -> bool:
        """Move the daily run's watermark to ``day`` (once: ``False`` when another run got there first)."""
        condition = "attribute_not_exists(#day) OR #day < :day"
        try:
            self.table.update(
                *self.config_key(merchant_id),
                "SET #day = :day",
                condition=condition,
                names={"#day": "day"},
                vals={":day": day},
            )
        except ConditionFailed:
            return False
        return True

    def merchants(self, cursor: str | None = None) -> tuple[list[str], str | None]:
        """Merchants with groups (a page of the configuration items' index)."""
        items, next_cursor = self.table.query(
            partition=("GSI1PK", keys.MERCHANTS_INDEX_PK), index="GSI1", limit=100, cursor=cursor
        )
        return [str(i["GSI1SK"]) for i in items], next_cursor

    # Counts ----------------------------------------------------------------------------------
    def counts(self, merchant_id: str) -> tuple[dict[str, int], int]:
        """Member counts per group and the list's size (the merchant's ``STATS``), in one call."""
        found = self.table.batch_get(
            [(partitions.merchant_pk(merchant_id), keys.COUNTS_SK), (partitions.merchant_pk(merchant_id), "STATS")],
            consistent=True,
        )
        counts: dict[str, int] = {}
        total = 0
        for item in found:
            if item["SK"] == keys.COUNTS_SK:
                counts = {k[2:]: int(v) for k, v in item.items() if k.startswith("n_")}
            else:
                total = int(item.get("total_customers", 0))
        return counts, total

    # Facts --------------------------------------------------------------------------------------
    def facts(self, merchant_id: str, customer_id: str) -> Facts | None:
        item = self.table.get(partitions.customer_pk(merchant_id, customer_id), keys.FACTS_SK, consistent=True)
        return to_facts(item) if item else None

    def many_facts(self, merchant_id: str, customer_ids: list[str]) -> dict[str, Facts]:
        found: dict[str, Facts] = {}
        for start in range(0, len(customer_ids), 100):
            chunk = customer_ids[start : start + 100]
            items = self.table.batch_get(
                [(partitions.customer_pk(merchant_id, c), keys.FACTS_SK) for c in chunk], consistent=True
            )
            found.update({str(i["customer_id"]): to_facts(i) for i in items})
        return found

    def for_sale(
        self, merchant_id: str, customer_id: str, sale_key: tuple[str, str]
    ) -> tuple[Config | None, Facts | None, Item | None, Item | None]:
        """What a sale's consumer needs, in one call: configuration, facts, profile and the sale."""
        wanted = [
            self.config_key(merchant_id),
            (partitions.customer_pk(merchant_id, customer_id), keys.FACTS_SK),
            (partitions.customer_pk(merchant_id, customer_id), PROFILE_SK),
            sale_key,
        ]
        found = {(i["PK"], i["SK"]): i for i in self.table.batch_get(wanted, consistent=True)}
        config_item, facts_item, profile, sale = (found.get(k) for k in wanted)
        return (
            _config_of(merchant_id, config_item) if config_item else None,
            to_facts(facts_item) if facts_item else None,
            profile,
            sale,
        )

    def for_profile(self, merchant_id: str, customer_id: str) -> tuple[Config | None, Facts | None, Item | None]:
        """What a profile change's consumer needs, in one call: configuration, facts and the current profile."""
        wanted = [
            self.config_key(merchant_id),
            (partitions.customer_pk(merchant_id, customer_id), keys.FACTS_SK),
            (partitions.customer_pk(merchant_id, customer_id), PROFILE_SK),
        ]
        found = {(i["PK"], i["SK"]): i for i in self.table.batch_get(wanted, consistent=True)}
        config_item, facts_item, profile = (found.get(k) for k in wanted)
        return (
            _config_of(merchant_id, config_item) if config_item else None,
            to_facts(facts_item) if facts_item else None,
            profile,
        )

    def due(self, merchant_id: str, until: str, cursor: str | None, limit: int = 100) -> tuple[list[Facts], str | None]:
        """Customers whose next change falls on or before ``until`` (the sparse due index), a page."""
        partition = ("GSI2PK", keys.due_pk(merchant_id))
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk AND GSI2SK <= :until",
            "ExpressionAttributeValues": values({":pk": partition[1], ":until": f"{until}#~"}),
            "Limit": limit,
        }
        start = decode_cursor(cursor, partition=partition)
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = self.table._client.query(**kwargs)
        items = [deserialize(raw) for raw in response.get("Items", [])]
        return [to_facts(i) for i in items], encode_cursor(response.get("LastEvaluatedKey"))

    # Writing a change ---------------------------------------------------------------------------
    def change(self, change: Change, tx: Transaction | None = None) -> Transaction:
        """The operations of one customer's change (facts, members, counts), added to ``tx``."""
        tx = tx or self.table.transaction()
        m, facts = change.merchant_id, change.facts
        pk = partitions.customer_pk(m, facts.customer_id)
        if change.delete_facts:
            tx.delete(
                "facts", pk, keys.FACTS_SK, condition="version = :expected", vals={":expected": change.expected_version}
            )
        else:
            if change.expected_version:
                condition, vals = "version = :expected", {":expected": change.expected_version}
            else:
                condition, vals = "attribute_not_exists(PK)", {}
            facts.version = change.expected_version + 1
            item = _facts_item(m, facts)
            item["merchant_id"] = m
            tx.put("facts", item, condition, **({"vals": vals} if vals else {}))
            if change.require_profile:
                tx.check("profile", pk, PROFILE_SK, "attribute_exists(PK)")
        for group_id, since in change.joined.items():
            tx.put(
                "member",
                {
                    "PK": keys.member_pk(m, group_id),
                    "SK": keys.member_sk(facts.customer_id),
                    "entity": "group_member",
                    "customer_id": facts.customer_id,
                    "since": since,
                },
            )
        for group_id in change.left:
            tx.delete("member", keys.member_pk(m, group_id), keys.member_sk(facts.customer_id))
        moved = {group_id: 1 for group_id in change.joined} | {group_id: -1 for group_id in change.left}
        if moved and not change.delete_facts:  # the directory's `group_id` filter, in the same transaction
            self.directory.set_groups(tx, m, facts.customer_id, sorted(change.groups_after()))
        if moved:
            names = {f"#n{i}": keys.count_attribute(g) for i, g in enumerate(moved)}
            vals = {f":n{i}": moved[g] for i, g in enumerate(moved)}
            expression = "ADD " + ", ".join(f"#n{i} :n{i}" for i in range(len(moved)))
            tx.update("counts", partitions.merchant_pk(m), keys.COUNTS_SK, expression, names=names, vals=vals)
        return tx

    def erase(self, merchant_id: str, customer_id: str, attempts: int = 5) -> None:
        """Erasure: the customer's facts (so their due-index entry), member items and counts go at once."""
        for _ in range(attempts):
            facts = self.facts(merchant_id, customer_id)
            if facts is None:
                return
            change = Change(
                merchant_id,
                facts,
                left=set(facts.groups),
                expected_version=facts.version,
                require_profile=False,
                delete_facts=True,
            )
            try:
                self.change(change).commit()
            except TransactionCancelled:
                continue  # a sale's consumer wrote meanwhile: read again
            return
        raise StaleFacts("the customer's groups kept changing")

    # Members --------------------------------------------------------------------------------------
    def members(
        self, merchant_id: str, group_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        """A page of ``(customer_id, since)`` of a group (by customer id)."""
        items, next_cursor = self.table.query(
            partition=("PK", keys.member_pk(merchant_id, group_id)),
            begins_with=("SK", keys.MEMBER_PREFIX),
            limit=limit,
            cursor=cursor,
        )
        return [(str(i["customer_id"]), str(i.get("since", ""))) for i in items], next_cursor

    # A key limited to sites: members who belong to one of its sites, from the directory ------------------
    def visible(self, merchant_id: str, site_ids: list[str]) -> list[tuple[str, int, tuple[str, ...]]]:
        """``(customer_id, created ms, groups)`` of every customer who belongs to one of ``site_ids``: a site
        they were created at or bought at (the profile's ``site_ids``, the list's ``site_id`` filter), read
        from the directory (one ``BatchGetItem`` of its shards, as a page of ``GET /v1/customers``)."""
        wanted = set(site_ids)
        return [
            (entry.id, entry.created, entry.groups)
            for shard in self.directory.load(merchant_id)
            for entry in shard.entries.values()
            if wanted.intersection(entry.sites)
        ]

    def since(self, merchant_id: str, group_id: str, customer_ids: list[str]) -> dict[str, str]:
        """The day each of these customers joined the group (their member items, one ``BatchGetItem``)."""
        if not customer_ids:
            return {}
        items = self.table.batch_get(
            [(keys.member_pk(merchant_id, group_id), keys.member_sk(c)) for c in customer_ids], consistent=True
        )
        return {str(i["customer_id"]): str(i.get("since", "")) for i in items}

    def member_ids(self, merchant_id: str, group_id: str) -> set[str]:
        """Every member of a group: one query page per 1 MB of member items (~15,000 members)."""
        found: set[str] = set()
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :p)",
                "ExpressionAttributeValues": values({":pk": keys.member_pk(merchant_id, group_id), ":p": "MEMBER#"}),
                "ProjectionExpression": "customer_id",
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.table._client.query(**kwargs)
            found.update(str(deserialize(raw)["customer_id"]) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return found

    # Jobs -------------------------------------------------------------------------------------------
    def put_job(self, merchant_id: str, job: Job) -> None:
        self.table.put(
            {
                "PK": partitions.merchant_pk(merchant_id),
                "SK": keys.job_sk(job.id),
                "entity": "group_job",
                **job.model_dump(mode="json", exclude_none=True),
            }
        )

    def get_job(self, merchant_id: str, job_id: str) -> Job | None:
        item = self.table.get(partitions.merchant_pk(merchant_id), keys.job_sk(job_id), consistent=True)
        return Job.model_validate(fields_of(item)) if item else None

    def progress(self, merchant_id: str, job_id: str, processed: int, changed: int, *, done: bool) -> None:
        pk, sk = partitions.merchant_pk(merchant_id), keys.job_sk(job_id)
        after = self.table.update(
            pk,
            sk,
            "ADD #p :p, #c :c",
            names={"#p": "processed", "#c": "changed"},
            vals={":p": processed, ":c": changed},
        )
        if done:
            self.table.update(
                pk,
                sk,
                "SET #s = :done, finished_at = :at, #t = :total",
                names={"#s": "status", "#t": "total"},
                vals={":done": "done", ":at": clock.now_iso(), ":total": int(after.get("processed", 0))},
            )
