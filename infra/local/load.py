"""``make load``: a bounded run of mixed traffic against a fresh local stack, then a check of the books.

Starts ``python -m infra.local`` (what ``make run`` runs: every function in worker processes of its own) on
free loopback ports with its state in a temporary folder, makes a merchant and a pool of customers, then
drives it for ``LOAD_MINUTES`` (default 2) at ``LOAD_RATE`` requests per second (default 6) from
``LOAD_WORKERS`` threads (default 6): sales under Idempotency-Keys (some sent twice, as a till retries),
receipts, hosted signups (from many loopback addresses), list pages and insights. It prints throughput,
p50 / p95 / p99 per route, the statuses and the worker processes' memory, then checks the books once the
queues are drained:

* the merchant's counters equal what the accepted sales imply (sales, customers, and per customer the
  purchase count and the total spent);
* every accepted receipt is ``sent`` and reached its shopper exactly once (one email per receipt);
* every signup made exactly one customer, and no message waits in any dead-letter queue.

Exit status 1 when a 5xx was answered or the books do not balance. The HTTP client, the memory probe and
the start-up are the soak's (``soak.py``).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from infra.local.soak import (
    Client,
    Results,
    Sample,
    _percentile,
    _wait_ready,
    free_port,
    port_free,
    rss_bytes,
    start_stack,
)

POOL_SIZE = 12
SETTLE_SECONDS = 120


def children_rss(pid: int) -> tuple[int, int]:
    """How many worker processes the stack runs, and their resident memory in all."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0, 0
    total = 0
    for child in children:
        with contextlib.suppress(OSError, ValueError):
            total += rss_bytes(int(child))
    return len(children), total


@dataclass
class Books:
    """What the stack accepted, to be checked against what it says afterwards."""

    sales: dict[str, tuple[str, int]] = field(default_factory=dict)  # sale id -> (customer id, amount)
    receipts: dict[str, str] = field(default_factory=dict)  # delivery id -> sale id
    signups: list[str] = field(default_factory=list)  # emails signed up (303)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    def __init__(self, base_url: str, merchant: dict[str, str], results: Results) -> None:
        self.base_url = base_url
        self.merchant = merchant
        self.results = results
        self.books = Books()
        self.started = time.monotonic()
        self.pool: list[dict[str, str]] = []
        self.random = random.Random(11)
        self._lock = threading.Lock()
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.signup_path = urlsplit(merchant["signup_url"]).path

    def client(self) -> Client:
        return Client(self.base_url, self.merchant["api_key"], self.results, self.started)

    def prepare(self) -> None:
        client = self.client()
        terms = client.request("GET", "/v1/terms", "setup")[1]
        client.request("POST", "/v1/terms/accept", "setup", {"version": terms["version"]})
        for n in range(POOL_SIZE):
            email = f"load.{n}.{uuid.uuid4().hex[:8]}@example.com"
            status, body = client.request("POST", "/v1/customers", "setup", {"given_name": f"Load{n}", "email": email})
            if status != 201:
                raise SystemExit(f"load: cannot create the customer pool ({status}: {body})")
            self.pool.append({"id": body["id"], "email": email})
        # Every function started once before the clock runs: the figures are warm ones (cold starts are
        # the first request of each worker, and a pool starts few of them).
        for path in ("/v1/sales?limit=1", "/v1/insights", f"/v1/customers/{self.pool[0]['id']}/insights"):
            client.request("GET", path, "setup")
        self._form("GET", self.signup_path, "setup", "127.0.0.1")
        _, answer = client.request(
            "POST",
            "/v1/sales",
            "setup",
            {"type": "purchase", "total": {"amount": 100, "currency": "EUR"}},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if answer and "id" in answer:
            with self.books.lock:
                self.books.sales[answer["id"]] = ("", 100)

    def operations(self) -> list[tuple[int, Any]]:
        return [
            (10, self.sale),
            (4, self.sale_replayed),
            (5, self.receipt),
            (3, self.signup),
            (5, self.list_customers),
            (4, self.list_sales),
            (4, self.overview),
            (4, self.customer_insights),
        ]

    def _customer(self) -> dict[str, str]:
        with self._lock:
            return self.random.choice(self.pool)

    def _record(self, client: Client, route: str, key: str, customer: dict[str, str], amount: int) -> None:
        body = {"type": "purchase", "total": {"amount": amount, "currency": "EUR"}, "customer_id": customer["id"]}
        status, answer = client.request("POST", "/v1/sales", route, body, headers={"Idempotency-Key": key})
        if status in (200, 201):
            with self.books.lock:
                self.books.sales[answer["id"]] = (customer["id"], amount)

    def sale(self, client: Client) -> None:
        amount = 100 + self.random.randrange(5000)
        self._record(client, "POST /v1/sales", uuid.uuid4().hex, self._customer(), amount)

    def sale_replayed(self, client: Client) -> None:
        """One sale sent twice under its key, as a till does when the first answer was lost."""
        key, customer, amount = uuid.uuid4().hex, self._customer(), 100 + self.random.randrange(5000)
        self._record(client, "POST /v1/sales", key, customer, amount)
        self._record(client, "POST /v1/sales (replay)", key, customer, amount)

    def receipt(self, client: Client) -> None:
        with self.books.lock:
            sales = list(self.books.sales)
        if not sales:
            return
        sale = self.random.choice(sales[-30:])
        status, answer = client.request(
            "POST",
            f"/v1/sales/{sale}/receipts",
            "POST /v1/sales/{id}/receipts",
            {"channel": "email"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if status == 202:
            with self.books.lock:
                self.books.receipts[answer["id"]] = sale

    def signup(self, client: Client) -> None:
        source = f"127.0.{self.random.randrange(1, 250)}.{self.random.randrange(2, 250)}"
        status, page = self._form("GET", self.signup_path, "GET /s/{token}", source)
        if status != 200:
            return
        token = re.search(r'name="form_token"[^>]*value="([^"]*)"', page)
        locale = re.search(r'name="locale"[^>]*value="([^"]*)"', page)
        action = re.search(r'<form[^>]*action="([^"]+)"', page)
        if not (token and locale and action):
            return
        email = f"walk.in.{uuid.uuid4().hex[:10]}@example.net"
        fields = {
            "form_token": token.group(1),
            "locale": locale.group(1),
            "given_name": "Walk-in",
            "email": email,
            "consent": "yes",
        }
        status, _ = self._form("POST", action.group(1).replace("&amp;", "&"), "POST /s/{token}", source, fields)
        if status == 303:
            with self.books.lock:
                self.books.signups.append(email)

    def _form(
        self, method: str, path: str, route: str, source: str, fields: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """A browser's request, from ``source`` (a loopback address), on a connection of its own."""
        began = time.monotonic()
        status, text = 599, ""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60, source_address=(source, 0))
        try:
            body = urlencode(fields).encode() if fields is not None else None
            headers = {"content-type": "application/x-www-form-urlencoded"} if body is not None else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            status, text = response.status, response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        self.results.add(Sample(began - self.started, route, status, (time.monotonic() - began) * 1000))
        return status, text

    def list_customers(self, client: Client) -> None:
        client.request("GET", "/v1/customers?limit=20", "GET /v1/customers")

    def list_sales(self, client: Client) -> None:
        client.request("GET", "/v1/sales?limit=20", "GET /v1/sales")

    def overview(self, client: Client) -> None:
        client.request("GET", "/v1/insights", "GET /v1/insights")

    def customer_insights(self, client: Client) -> None:
        client.request("GET", f"/v1/customers/{self._customer()['id']}/insights", "GET /v1/customers/{id}/insights")

    def run(self, duration: float, rate: float, workers: int, stop: threading.Event) -> None:
        operations = self.operations()
        weights = [weight for weight, _ in operations]
        interval = workers / rate

        def worker(index: int) -> None:
            client = self.client()
            chooser = random.Random(index)
            next_at = time.monotonic() + interval * index / workers
            while not stop.is_set() and time.monotonic() - self.started < duration:
                now = time.monotonic()
                if next_at > now:
                    stop.wait(next_at - now)
                    continue
                next_at = max(next_at + interval, now - interval)  # no burst to catch up after a slow answer
                chooser.choices(operations, weights)[0][1](client)

        threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def report(results: Results, duration: float, workers_seen: list[tuple[int, int]], stack_rss: int) -> int:
    samples = [s for s in results.samples if s.route != "setup"]
    errors = sum(1 for s in samples if s.status >= 500)
    print()
    print(f"load: {duration / 60:.1f} min, {len(samples)} requests, {len(samples) / duration:.1f} requests/s")
    print()
    print(f"{'route (ms)':34} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'5xx':>5}")
    for route in sorted({s.route for s in samples}):
        times = [s.ms for s in samples if s.route == route]
        failed = sum(1 for s in samples if s.route == route and s.status >= 500)
        print(
            f"{route:34} {len(times):6d} {_percentile(times, 0.5):8.1f} {_percentile(times, 0.95):8.1f} "
            f"{_percentile(times, 0.99):8.1f} {failed:5d}"
        )
    statuses: dict[int, int] = {}
    for sample in samples:
        statuses[sample.status] = statuses.get(sample.status, 0) + 1
    print()
    print(f"statuses: {dict(sorted(statuses.items()))}; 5xx: {errors}")
    mb = 1024 * 1024
    most = max(workers_seen, default=(0, 0))
    per_worker = most[1] / most[0] / mb if most[0] else 0.0
    print(
        f"memory: stack process {stack_rss / mb:.0f} MB; at most {most[0]} worker processes, "
        f"{most[1] / mb:.0f} MB in all ({per_worker:.0f} MB each)"
    )
    return errors


def check_books(load: Load, aws_endpoint_url: str) -> list[str]:
    """What does not balance (empty when the books are right)."""
    problems = [
        *_check_receipts(load),
        *_check_counters(load),
        *_check_signups(load),
        *_check_dead_letters(aws_endpoint_url),
    ]
    books = load.books
    print()
    print(
        f"books: {len(books.sales)} sales, {len(books.receipts)} receipts, {len(books.signups)} signups; "
        f"{'balanced' if not problems else 'NOT balanced'}"
    )
    for problem in problems:
        print(f"  {problem}")
    return problems


def _receipt_statuses(load: Load) -> dict[str, str]:
    client = load.client()
    statuses: dict[str, str] = {}
    for sale in set(load.books.receipts.values()):
        _, listed = client.request("GET", f"/v1/sales/{sale}/receipts?limit=100", "setup")
        for item in (listed or {}).get("items", []):
            statuses[item["id"]] = item["status"]
    return statuses


def _check_receipts(load: Load) -> list[str]:
    """Every accepted receipt is sent (once the queues are drained) and reached its shopper exactly once."""
    books = load.books
    deadline = time.monotonic() + SETTLE_SECONDS
    statuses = _receipt_statuses(load)
    while time.monotonic() < deadline and any(statuses.get(d) != "sent" for d in books.receipts):
        time.sleep(2)
        statuses = _receipt_statuses(load)
    problems = []
    unsent = [d for d in books.receipts if statuses.get(d) != "sent"]
    if unsent:
        problems.append(f"{len(unsent)} of {len(books.receipts)} receipts not sent: {sorted(set(statuses.values()))}")
    time.sleep(2)  # a duplicate send would reach the outbox after the status
    _, outbox = load.client().request("GET", "/_local/outbox?format=json", "setup")
    sent_to: dict[str, int] = {}
    for message in outbox or []:
        address = str(message.get("to", "")).lower()
        sent_to[address] = sent_to.get(address, 0) + 1
    customer_of_sale = {sale: customer for sale, (customer, _) in books.sales.items()}
    for member in load.pool:
        expected = sum(1 for sale in books.receipts.values() if customer_of_sale.get(sale) == member["id"])
        emails = sent_to.get(member["email"].lower(), 0)
        if emails != expected:
            problems.append(f"customer {member['id']}: {emails} emails for {expected} receipts")
    return problems


def _check_counters(load: Load) -> list[str]:
    """The merchant's and each customer's counters equal what the accepted sales imply."""
    client, books, problems = load.client(), load.books, []
    _, overview = client.request("GET", "/v1/insights", "setup")
    per_customer: dict[str, list[int]] = {}
    for customer, amount in books.sales.values():
        if customer:  # the warm-up's sale has no customer
            per_customer.setdefault(customer, []).append(amount)
    expected = {
        "total_sales": sum(1 for customer, _ in books.sales.values() if customer),  # sales linked to customers
        "total_customers": len(load.pool) + len(books.signups),
        "returning_customers": sum(1 for amounts in per_customer.values() if len(amounts) > 1),
    }
    for name, value in expected.items():
        if overview[name] != value:
            problems.append(f"{name} {overview[name]}, the accepted sales imply {value}")
    for member in load.pool:
        mine = per_customer.get(member["id"], [])
        _, insights = client.request("GET", f"/v1/customers/{member['id']}/insights", "setup")
        counted = (insights["purchase_count"], (insights.get("total_spent") or {}).get("amount", 0))
        if counted != (len(mine), sum(mine)):
            problems.append(f"customer {member['id']}: {counted} counted, {(len(mine), sum(mine))} accepted")
    return problems


def _check_signups(load: Load) -> list[str]:
    client = load.client()
    made = 0
    for email in load.books.signups:
        _, found = client.request("GET", f"/v1/customers?{urlencode({'email': email})}", "setup")
        made += len((found or {}).get("items", [])) == 1
    missing = len(load.books.signups) - made
    return [f"{missing} signups did not make exactly one customer"] if missing else []


def _check_dead_letters(aws_endpoint_url: str) -> list[str]:
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=aws_endpoint_url,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    problems = []
    for url in sqs.list_queues().get("QueueUrls", []):
        if "deadletter" not in url.lower().replace("-", "").replace("_", ""):
            continue
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        waiting = int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
        if waiting:
            problems.append(f"{waiting} messages in {url.rsplit('/', 1)[-1]}")
    return problems


def main() -> int:
    duration = float(os.environ.get("LOAD_MINUTES", "2")) * 60
    rate = float(os.environ.get("LOAD_RATE", "6"))
    workers = int(os.environ.get("LOAD_WORKERS", "6"))
    port, moto_port = free_port(), free_port()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="clientele-load-") as folder:
        state_dir = Path(folder)
        process, log = start_stack(port, moto_port, state_dir)
        workers_seen: list[tuple[int, int]] = []
        problems: list[str] = []
        errors = 0
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, state_dir, process)
            setup = Client(url, "", results, time.monotonic())
            status, merchant = setup.request("POST", "/_local/merchants", "setup", {"name": "Load Café"})
            if status != 201:
                raise SystemExit(f"load: cannot create a merchant ({status})")
            print(f"load: local stack pid {process.pid} on {url}; {duration / 60:.1f} min at {rate:g} requests/s")
            load = Load(url, merchant, results)
            load.prepare()
            load.started = time.monotonic()
            stop = threading.Event()

            def sample_workers() -> None:
                while not stop.wait(2):
                    workers_seen.append(children_rss(process.pid))

            threading.Thread(target=sample_workers, daemon=True).start()
            load.run(duration, rate, workers, stop)
            stop.set()
            stack_rss = rss_bytes(process.pid)
            errors = report(results, duration, workers_seen, stack_rss)
            problems = check_books(load, f"http://127.0.0.1:{moto_port}")
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            print(f"stopped; ports free afterwards: {port_free(port) and port_free(moto_port)}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
        if errors or problems:
            print(f"load: the stack's log was {state_dir / 'stack.log'} (tail below)")
            print("\n".join((state_dir / "stack.log").read_text(errors="replace").splitlines()[-30:]))
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
