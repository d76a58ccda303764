"""The directory's figures (``make bench``; printed, not asserted): AWS calls, items and KB read per page of
``GET /v1/customers`` for a merchant with 10,000 customers (and 100,000 with ``BENCH_DIRECTORY_LARGE=1``),
through the gateway and the real handler on moto.

10,000 customers are seeded through the repository layer (``CustomerRepository.create``: the profile, its
guards, audit, counter and directory entry in one transaction each); 100,000 are written in batches (the
profile items as the repository writes them, the directory packed with ``directory.pack``), since 100,000
transactions on moto take too long for a bench.

Targets at 10,000: search <= 2 calls with items read <= 2 x page size; any filter with any sort <= 3
calls and <= 400 KB; at 100,000: <= 8 calls per page.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

GIVEN = ["Zoë", "Ana", "Łukasz", "Søren", "Anne-Marie", "Jean", "Emma", "Noah", "Lucas", "Julia", "Daan", "Sem", "Tess"]
FAMILY = ["Janssen", "de Vries", "van der Berg", "Bakker", "O'Brien", "Lefèvre", "Kowalski", "Strauß", "Smit", "Bos"]
DOMAINS = ["gmail.com", "example.com", "hotmail.nl", "outlook.com"]
LABELS = [f"label_{n}" for n in range(6)]
PREFS = ["pref_news", "pref_sms"]
SITES = ["site_a", "site_b"]
BASE_MS = 1_700_000_000_000


def _item_bytes(value: dict[str, Any]) -> int:
    """DynamoDB's item size, roughly: names plus values."""
    total = 0
    for name, typed in value.items():
        total += len(name) + _value_bytes(typed)
    return total


def _value_bytes(typed: dict[str, Any]) -> int:
    (kind, value), *_ = typed.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return len(value)
    if kind == "B":
        return len(value)
    if kind == "L":
        return 3 + sum(_value_bytes(v) for v in value)
    if kind == "M":
        return 3 + _item_bytes(value)
    return 1


@contextmanager
def reads() -> Iterator[Counter[str]]:
    """Calls, items and bytes read by DynamoDB calls in this process while the block runs."""
    from botocore.client import BaseClient

    found: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        response = original(self, operation_name, api_params)
        service = self.meta.service_model.service_name
        found["calls"] += 1
        found[f"{service}.{operation_name}"] += 1
        items: list[Any] = []
        if operation_name == "BatchGetItem":
            for table_items in response.get("Responses", {}).values():
                items += table_items
        elif operation_name in ("Query", "Scan"):
            items = response.get("Items", [])
        elif operation_name == "GetItem" and response.get("Item"):
            items = [response["Item"]]
        found["items"] += len(items)
        found["bytes"] += sum(_item_bytes(i) for i in items)
        return response

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield found
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _people(count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for n in range(count):
        created = BASE_MS + rng.randint(0, 3 * 10**10)
        yield {
            "n": n,
            "given": rng.choice(GIVEN),
            "family": rng.choice(FAMILY),
            "email": f"{rng.choice(GIVEN).lower()}.{n}@{rng.choice(DOMAINS)}" if rng.random() < 0.7 else None,
            "phone": f"+316{n:08d}" if rng.random() < 0.6 else None,
            "created": created,
            "updated": created if rng.random() < 0.7 else created + rng.randint(0, 10**9),
            "last_visit": created + rng.randint(0, 10**9) if rng.random() < 0.5 else None,
            "labels": sorted(rng.sample(LABELS, rng.randint(0, 2))),
            "prefs": rng.sample(PREFS, rng.randint(0, 2)),
            "sites": sorted(rng.sample(SITES, rng.randint(0, 2))),
            "source": rng.choice(["manual", "qr_signup", "kiosk", "legacy"]),
        }


def _customer(merchant_id: str, p: dict[str, Any]) -> Any:
    from datetime import UTC, datetime

    from clientele.customers.model import Customer, PreferenceChoice, Source
    from clientele.kernel.clock import isoformat

    def iso(ms: int | None) -> str | None:
        return None if ms is None else isoformat(datetime.fromtimestamp(ms / 1000, UTC))

    return Customer(
        id=f"cus_bench{p['n']:08d}{merchant_id[-8:]}",
        merchant_id=merchant_id,
        given_name=p["given"],
        family_name=p["family"],
        email=p["email"],
        phone=p["phone"],
        labels=p["labels"],
        marketing={
            k: PreferenceChoice(opted_in=True, changed_at=iso(p["created"]) or "", source="manual") for k in p["prefs"]
        },
        site_ids=p["sites"],
        source=Source(p["source"]),
        created_at=iso(p["created"]) or "",
        updated_at=iso(p["updated"]) or "",
        last_visit_at=iso(p["last_visit"]),
    )


def seed_through_repository(merchant_id: str, count: int) -> None:
    from clientele.customers.model import AuditEntry, ContactHashes
    from clientele.customers.wiring import customers
    from clientele.kernel import contact
    from clientele.platform.secrets import app_secret

    secret = app_secret()
    repository = customers()
    for p in _people(count, seed=count):
        customer = _customer(merchant_id, p)
        hashes = ContactHashes(
            contact.email_hash(secret, customer.email) if customer.email else None,
            contact.phone_hash(secret, customer.phone) if customer.phone else None,
        )
        audit = AuditEntry(
            id=f"audit_{p['n']:08d}",
            customer_id=customer.id,
            at=customer.created_at,
            actor="key_bench",
            action="created",
        )
        repository.create(customer, hashes, audit)


def seed_in_batches(merchant_id: str, count: int) -> None:
    from clientele.customers import keys
    from clientele.customers.directory import PACKED_ENTITY, entry_of, pack
    from clientele.customers.repository import _customer_item
    from clientele.storage.table import data_table, serialize

    table = data_table()
    shards: dict[int, list[Any]] = {n: [] for n in range(keys.DIRECTORY_SHARDS)}
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        pending: dict[str, Any] = {table.name: batch[:]}
        while pending:
            pending = table._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        batch.clear()

    for p in _people(count, seed=count):
        customer = _customer(merchant_id, p)
        shards[keys.directory_shard(customer.id)].append(entry_of(customer))
        batch.append({"PutRequest": {"Item": serialize(_customer_item(customer))}})
        if len(batch) == 25:
            flush()
    if batch:
        flush()
    for n, entries in shards.items():
        table.put(
            {
                "PK": keys.directory_pk(merchant_id),
                "SK": keys.directory_packed_sk(n),
                "entity": PACKED_ENTITY,
                "z": pack(entries),
                "rev": 1,
            }
        )


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("search name 'zoe'", {"q": "zoe"}, "search"),
    ("search name 'van der'", {"q": "van der"}, "search"),
    ("search email start 'julia.1'", {"q": "julia.1"}, "search"),
    ("search phone '06 00 00 12'", {"q": "06 00 00 12"}, "search"),
    ("search phone last four '4321'", {"q": "4321"}, "search"),
    ("list, newest first", {}, "filter"),
    ("sort name asc", {"sort": "name"}, "filter"),
    ("sort updated desc", {"sort": "updated"}, "filter"),
    ("sort last visit desc", {"sort": "last_visit"}, "filter"),
    ("label", {"label": "label_1"}, "filter"),
    (
        "label + preference + source, by name",
        {"label": "label_1", "marketing_preference": "pref_news", "source": "kiosk", "sort": "name"},
        "filter",
    ),
    (
        "site + two labels, last visit asc",
        {"site_id": "site_a", "label": "label_1,label_2", "sort": "last_visit", "order": "asc"},
        "filter",
    ),
]


def figures(stack: Any, size: int, *, large: bool) -> None:
    from tests.conftest import ApiClient

    merchant = stack.create_merchant()
    api = ApiClient(stack.gateway, merchant["api_key"])
    started = time.perf_counter()
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        (seed_in_batches if large else seed_through_repository)(merchant["merchant_id"], size)
    seeded = time.perf_counter() - started
    how = "in batches, directory packed" if large else "through CustomerRepository.create"
    print(f"\n== directory at {size:,} customers (seeded {how} in {seeded:.0f} s), page of 50")
    api.get("/v1/customers", params={"limit": 1})  # warm: the authorizer; packs the shards that are due
    with reads() as first:
        api.get("/v1/customers")
    print(f"   after the packing read: {first['calls']} calls, {first['bytes'] / 1024:.0f} KB")
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        from clientele.customers.wiring import directory_service

        directory_service().store._cache.clear()  # as a new container would start
    t0 = time.perf_counter()
    with reads() as cold:
        api.get("/v1/customers")
    cold_ms = (time.perf_counter() - t0) * 1000
    print(
        f"   a new container's first page: {cold['calls']} calls, {cold['items']} items, "
        f"{cold['bytes'] / 1024:.0f} KB, {cold_ms:.0f} ms; every page below is a warm container's "
        "(packed shards cached, re-validated by the pending items' revs)"
    )
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        in_memory(merchant["merchant_id"])
        get_ms = get_item_ms(merchant["merchant_id"], size)
    print(
        f"   one GetItem of a profile, in this process: {get_ms:.1f} ms (median of 21); 'ratio' below is a page's "
        "time ÷ that"
    )
    print(f"   {'page':<48} {'calls':>5} {'items':>6} {'KB':>7} {'ms':>6} {'ratio':>6}  found")
    someone = next(p for p in _people(size, seed=size) if p["email"])
    for label, params, _kind in [*CASES, ("exact email", {"email": someone["email"]}, "search")]:
        cursor = None
        for page in ("first", "next"):
            if page == "next" and not cursor:
                continue
            sent = {**params, **({"cursor": cursor} if cursor else {})}
            t0 = time.perf_counter()
            with reads() as found:
                response = api.get("/v1/customers", params=sent)
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status == 200, response.text
            body = response.json()
            cursor = body.get("cursor")
            name = label if page == "first" else "  … next page"
            print(
                f"   {name:<48} {found['calls']:>5} {found['items']:>6} {found['bytes'] / 1024:>7.0f} "
                f"{elapsed:>6.0f} {elapsed / get_ms:>6.1f}  {len(body['items'])}"
            )


def get_item_ms(merchant_id: str, size: int) -> float:
    """A single ``GetItem`` of one profile on the same moto table, in this process: the unit a page's time is
    divided by (both pay moto's per-call cost, so the ratio carries over better than either time)."""
    import statistics

    from clientele.customers import keys
    from clientele.storage import partitions
    from clientele.storage.table import data_table

    table = data_table()
    customer = _customer(merchant_id, next(_people(size, seed=size)))
    pk = partitions.customer_pk(merchant_id, customer.id)
    timings = []
    for _ in range(21):
        t0 = time.perf_counter()
        assert table.get(pk, keys.CUSTOMER_SK) is not None
        timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings)


def in_memory(merchant_id: str) -> None:
    """Where the time goes inside the function: unpacking the shards, then filtering and sorting."""
    from clientele.customers.directory import unpack
    from clientele.customers.rules import Order, Query, SortKey, arrange
    from clientele.customers.wiring import directory_service

    shards = directory_service().store.load(merchant_id)
    blobs = [s for s in shards if s.packed_bytes]
    entries = []
    for shard in shards:
        entries += list(shard.entries.values())
    packed_kb = sum(s.packed_bytes for s in blobs) / 1024
    from clientele.customers import keys
    from clientele.storage.table import data_table

    table = data_table()
    raw = [
        table.get(keys.directory_pk(merchant_id), keys.directory_packed_sk(s.number), consistent=True) for s in blobs
    ]
    t0 = time.perf_counter()
    for item in raw:
        assert item is not None
        unpack(bytes(item["z"].value if hasattr(item["z"], "value") else item["z"]))
    unpacked = (time.perf_counter() - t0) * 1000
    timings = []
    for query in (
        Query(q="zoe", sort=SortKey.NAME, order=Order.ASC),
        Query(labels=("label_1",), preferences=("pref_news",), sort=SortKey.LAST_VISIT),
        Query(sort=SortKey.CREATED),
    ):
        t0 = time.perf_counter()
        arrange(entries, query, None, 50)
        timings.append((time.perf_counter() - t0) * 1000)
    print(
        f"   packed: {len(entries):,} entries in {packed_kb:.0f} KB over {len(blobs)} shards; "
        f"unpack {unpacked:.0f} ms; filter+sort: search {timings[0]:.0f} ms, "
        f"filters {timings[1]:.0f} ms, plain list {timings[2]:.0f} ms"
    )


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    """10,000 customers; and 100,000 with ``BENCH_DIRECTORY_LARGE=1`` (``BENCH_DIRECTORY_LARGE=only``: just
    those)."""
    large = os.environ.get("BENCH_DIRECTORY_LARGE", "")
    if large != "only":
        figures(stack, 10_000, large=False)
    if large:
        figures(stack, 100_000, large=True)
