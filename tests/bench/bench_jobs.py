"""The directory jobs' figures (``make bench``; printed, not asserted), in-process on moto:

- import of 10,000 rows (half new customers, half updates of existing ones; ``BENCH_JOBS_IMPORT_ROWS``
  sets another size): wall time and AWS calls per row (target <= 0.2);
- export to xlsx and csv: the writer's time and peak memory at 100,000 customers (target <= 256 MB, to fit
  a 512 MB function), and whole jobs through moto at 5,000 (``BENCH_JOBS_EXPORT_ROWS`` sets another size);
- likely duplicates over 10,000 customers: time and comparisons made;
- merge of two customers with 100 sales each: AWS calls.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections import Counter
from typing import Any

from tests.bench.bench_directory import _customer, _people, seed_in_batches


def _environment(stack: Any) -> Any:
    return stack.runtime.environment_of(stack.runtime.shared_environment())


def _put_file(stack: Any, key: str, content: bytes) -> None:
    import boto3

    boto3.client("s3").put_object(Bucket=stack.info.buckets["JobFilesBucket"], Key=key, Body=content)


def _function_environment(stack: Any) -> Any:
    """The worker's environment, for running its service in this process (as the worker would)."""
    worker = stack.info.function_environment("DirectoryJobsWorkerFunction")
    return stack.runtime.environment_of({**stack.runtime.shared_environment(), **worker})


def import_figures(stack: Any, counter: Any) -> tuple[Any, str]:
    merchant = stack.create_merchant()
    from tests.conftest import ApiClient

    api = ApiClient(stack.gateway, merchant["api_key"])
    mid = merchant["merchant_id"]
    rows = int(os.environ.get("BENCH_JOBS_IMPORT_ROWS", "10000"))
    half = rows // 2
    # Valid Dutch mobile numbers (06-1…): the directory bench's +31600… numbers are refused by an import.
    people = [{**p, "phone": f"+3161{p['n']:07d}" if p["phone"] else None} for p in _people(rows, seed=7)]
    existing = people[:half]
    with _environment(stack):
        seed_in_batches_of(mid, existing)
    lines = ["First Name,Last Name,Email Address,Phone Number"]
    for p in existing:
        lines.append(f"{p['given']},{p['family']}-Updated,{p['email'] or ''},{p['phone'] or ''}")
    for n, p in enumerate(people[half:]):
        lines.append(f"{p['given']},{p['family']},new{n}@example.org,")
    job = api.post("/v1/customer-imports", {}).json()
    _put_file(stack, job["upload"]["fields"]["key"], "\n".join(lines).encode())
    assert api.post(f"/v1/customer-imports/{job['id']}/start", {"dry_run": False}).status == 202
    from clientele.directory_jobs.wiring import import_service

    with _function_environment(stack):
        service = import_service()
        with counter.measure() as calls:
            started = time.perf_counter()
            done = service.run(mid, job["id"])
            seconds = time.perf_counter() - started
    total = sum(calls.values())
    detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
    print(
        f"   import {rows:,} rows ({half:,} new, {half:,} updates)  {seconds:6.1f} s, {total} AWS calls = "
        f"{total / rows:.3f} per row (target <= 0.2)  [{detail}]"
    )
    codes = Counter(r.code for r in done.rejections)
    print(
        f"      created {done.created}, updated {done.updated}, unchanged {done.unchanged}, rejected {done.rejected}"
        + (f" ({', '.join(f'{code} {n}' for code, n in codes.most_common())} of the first reported)" if codes else "")
    )
    stack.pollers.drain("DirectoryJobsQueue", timeout=60)
    return api, mid


def seed_in_batches_of(merchant_id: str, people: list[dict[str, Any]]) -> None:
    """As bench_directory's ``seed_in_batches``, for given people (profiles and packed directory)."""
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

    for p in people:
        customer = _customer(merchant_id, p)
        shards[keys.directory_shard(customer.id)].append(entry_of(customer))
        batch.append({"PutRequest": {"Item": serialize(_customer_item(customer))}})
        if len(batch) == 25:
            flush()
    if batch:
        flush()
    for n, entries in shards.items():
        table.put({"PK": keys.directory_pk(merchant_id), "SK": keys.directory_packed_sk(n), "entity": PACKED_ENTITY,
                   "z": pack(entries), "rev": 1})  # fmt: skip


def duplicate_figures(api: Any, counter: Any, customers: int) -> None:
    with counter.measure() as calls:
        started = time.perf_counter()
        response = api.get("/v1/customers/duplicates", params={"limit": 100})
        seconds = time.perf_counter() - started
    body = response.json()
    total = sum(calls.values())
    print(
        f"   likely duplicates over {customers:,} customers  {seconds * 1000:6.0f} ms, "
        f"{body['compared']:,} comparisons (all pairs: {customers * (customers - 1) // 2:,}), {total} AWS calls, "
        f"first page {len(body['items'])} pairs"
    )


def export_figures(stack: Any) -> None:
    rows = int(os.environ.get("BENCH_JOBS_EXPORT_ROWS", "5000"))
    merchant = stack.create_merchant()
    from tests.conftest import ApiClient

    api = ApiClient(stack.gateway, merchant["api_key"])
    mid = merchant["merchant_id"]
    with _environment(stack):
        seed_in_batches(mid, rows)
    from clientele.directory_jobs.wiring import export_service

    for fmt in ("csv", "xlsx"):
        job = api.post("/v1/customer-exports", {"format": fmt}).json()
        with _function_environment(stack):
            service = export_service()
            started = time.perf_counter()
            done = service.run(mid, job["id"])
            seconds = time.perf_counter() - started
        assert done.row_count == rows, done
        print(f"   export {rows:,} customers to {fmt:<4}                {seconds:6.1f} s")
    # Peak memory of the export's own allocations (tracemalloc; it slows the run, so timed separately above).
    for fmt in ("csv", "xlsx"):
        job = api.post("/v1/customer-exports", {"format": fmt}).json()
        with _function_environment(stack):
            service = export_service()
            tracemalloc.start()
            service.run(mid, job["id"])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        print(f"   export {rows:,} customers to {fmt:<4}, peak memory {peak / 2**20:6.1f} MB (target <= 256 MB)")
    stack.pollers.drain("DirectoryJobsQueue", timeout=60)


def writer_figures(rows: int = 100_000) -> None:
    """The export's own work at 100,000 customers, without AWS (moto's in-process table is far slower per
    call than DynamoDB, so timing the whole job on it measures moto): the directory's entries in memory,
    profiles streamed 2,000 at a time, each row escaped and written; time and peak memory (tracemalloc)."""
    import tempfile
    from pathlib import Path

    from clientele.customers.directory import entry_of
    from clientele.directory_jobs.exports import CUSTOMER_COLUMNS, Sheet, customer_row

    people = list(_people(rows, seed=11))
    for fmt in ("csv", "xlsx"):
        tracemalloc.start()
        started = time.perf_counter()
        entries = [entry_of(_customer("m_bench", p)) for p in people]  # what a directory read holds
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export.{fmt}"
            sheet = Sheet(path, fmt)
            sheet.write(CUSTOMER_COLUMNS)
            for start in range(0, rows, 2_000):
                page = [_customer("m_bench", p) for p in people[start : start + 2_000]]  # one Query page
                for customer in page:
                    sheet.write(customer_row(customer))
            sheet.close()
            size = path.stat().st_size
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del entries
        print(
            f"   export writer, {rows:,} rows to {fmt:<4}  {seconds:6.1f} s (traced), peak {peak / 2**20:6.1f} MB "
            f"(target <= 256 MB), file {size / 2**20:.1f} MB"
        )


def merge_figures(stack: Any, counter: Any) -> None:
    import uuid

    from tests.conftest import ApiClient

    api = ApiClient(stack.gateway, stack.create_merchant()["api_key"])
    ids = [api.post("/v1/customers", {"given_name": name}).json()["id"] for name in ("Survivor", "Source")]
    for customer in ids:
        for n in range(100):
            body = {"type": "purchase", "total": {"amount": 100 + n, "currency": "EUR"}, "customer_id": customer}
            assert api.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex}).status == 201
    with counter.measure() as calls:
        response = api.post(f"/v1/customers/{ids[0]}/merge", {"source_customer_id": ids[1]})
    assert response.status == 200, response.text
    detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
    print(f"   merge two customers with 100 sales each       {sum(calls.values()):3d} AWS calls  [{detail}]")


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    """Every part, or those ``BENCH_JOBS_PARTS`` names (comma-separated: import, merge, writer, export; the
    duplicates run over the import's customers, with it)."""
    parts = set(filter(None, os.environ.get("BENCH_JOBS_PARTS", "import,merge,writer,export").split(",")))
    print("\n== directory jobs", flush=True)
    if "import" in parts:
        jobs_api, _ = import_figures(stack, counter)
        duplicate_figures(jobs_api, counter, int(os.environ.get("BENCH_JOBS_IMPORT_ROWS", "10000")))
    if "merge" in parts:
        merge_figures(stack, counter)
    if "writer" in parts:
        writer_figures()
    if "export" in parts:
        export_figures(stack)
