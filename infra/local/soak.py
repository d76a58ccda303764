"""``make soak``: a bounded mixed workload against a fresh local stack, to check it lasts a working day.

Starts ``python -m infra.local`` (what ``make run`` runs) on free loopback ports with its state in a
temporary folder, drives it over HTTP for ``SOAK_MINUTES`` (default 20) at ``SOAK_RATE`` requests per second
(default 8, which a 2-core machine sustains) from ``SOAK_WORKERS`` threads, then stops it with SIGTERM and
prints, side by side:

* the stack's resident memory (its process and the functions' worker processes under it) at start, after
  the first window, in the middle and at the end;
* p50 / p95 latency per route in the first and in the last window (five minutes, or a third of a shorter run);
* the count of 5xx answers, and how long the stack took to stop.

The workload is bounded, so that memory measures the stack and not the data: a fixed pool of customers is
read, listed and patched; short-lived customers are created (some with an address already taken, a cancelled
transaction), given notes and sales, sent receipts (SQS → delivery → SES) and erased again, so the list never
grows past a few dozen. Targets (exit status 1 when missed): memory growth after the first window ≤ 25 %,
last-window p95 ÷ first-window p95 ≤ 1.5 per route (routes under 20 ms excepted: noise), no 5xx.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from infra.local.template import REPO_ROOT

MEMORY_GROWTH_TARGET = 0.25
P95_RATIO_TARGET = 1.5
P95_NOISE_FLOOR_MS = 20.0
POOL_SIZE = 30
EPHEMERAL_LIMIT = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and of every process under it (the functions' worker processes)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    except OSError:
        return 0
    return total + sum(rss_bytes(child) for child in _children(pid))


@dataclass
class Sample:
    at: float  # seconds since the workload started
    route: str
    status: int
    ms: float


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    memory: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Client:
    """One keep-alive connection per worker thread."""

    def __init__(self, base_url: str, key: str, results: Results, started: float) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key = key
        self.results = results
        self.started = started
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, route: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        sent = {"authorization": f"Bearer {self.key}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["content-type"] = "application/json"
        began = time.monotonic()
        for attempt in (1, 2):
            try:
                if self._connection is None:
                    self._connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self._connection.request(method, path, body=payload, headers=sent)
                response = self._connection.getresponse()
                data = response.read()
                status = response.status
                if response.getheader("connection", "").lower() == "close":
                    self._connection.close()
                    self._connection = None
                break
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                if self._connection is not None:
                    self._connection.close()
                self._connection = None
                if attempt == 2:
                    status, data = 599, b""  # counted as a server error: the stack did not answer
        elapsed = (time.monotonic() - began) * 1000
        self.results.add(Sample(began - self.started, route, status, elapsed))
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None


class Workload:
    def __init__(self, base_url: str, key: str, signup_path: str, results: Results) -> None:
        self.base_url = base_url
        self.key = key
        self.signup_path = signup_path
        self.results = results
        self.started = time.monotonic()
        self.pool: list[str] = []
        self.ephemeral: deque[str] = deque()
        self.sales: deque[str] = deque(maxlen=50)
        self.taken_email = ""
        self._lock = threading.Lock()
        self.random = random.Random(7)

    def client(self) -> Client:
        return Client(self.base_url, self.key, self.results, self.started)

    def prepare(self) -> None:
        client = self.client()
        for n in range(POOL_SIZE):
            status, body = client.request(
                "POST",
                "/v1/customers",
                "setup",
                {"given_name": f"Pool{n}", "email": f"pool.{n}.{uuid.uuid4().hex[:6]}@example.com"},
            )
            if status != 201:
                raise SystemExit(f"soak: cannot create the customer pool ({status}: {body})")
            self.pool.append(body["id"])
        self.taken_email = f"taken.{uuid.uuid4().hex[:6]}@example.com"
        client.request("POST", "/v1/customers", "setup", {"given_name": "Taken", "email": self.taken_email})

    # -- operations: (weight, function)

    def operations(self) -> list[tuple[int, Any]]:
        return [
            (14, self.list_customers),
            (14, self.get_customer),
            (8, self.patch_customer),
            (8, self.create_customer),
            (4, self.create_duplicate),
            (6, self.add_note),
            (5, self.record_sale),
            (3, self.send_receipt),
            (6, self.erase_customer),
            (5, self.overview),
            (5, self.customer_insights),
            (4, self.signup_page),
            (2, self.list_sales),
        ]

    def _pick(self, items: Any) -> str | None:
        with self._lock:
            return self.random.choice(list(items)) if items else None

    def list_customers(self, client: Client) -> None:
        client.request("GET", "/v1/customers?limit=20", "GET /v1/customers")

    def get_customer(self, client: Client) -> None:
        client.request("GET", f"/v1/customers/{self._pick(self.pool)}", "GET /v1/customers/{id}")

    def patch_customer(self, client: Client) -> None:
        customer = self._pick(self.pool)
        status, body = client.request("GET", f"/v1/customers/{customer}", "GET /v1/customers/{id}")
        if status == 200:
            client.request(
                "PATCH",
                f"/v1/customers/{customer}",
                "PATCH /v1/customers/{id}",
                {"version": body["version"], "family_name": f"F{uuid.uuid4().hex[:5]}"},
            )

    def create_customer(self, client: Client) -> None:
        with self._lock:
            full = len(self.ephemeral) >= EPHEMERAL_LIMIT
        if full:
            return self.erase_customer(client)
        status, body = client.request(
            "POST",
            "/v1/customers",
            "POST /v1/customers",
            {
                "given_name": "Eve",
                "email": f"eve.{uuid.uuid4().hex[:10]}@example.com",
                "phone": f"+3161{self.random.randrange(10**7):07d}",
            },
        )
        if status == 201:
            with self._lock:
                self.ephemeral.append(body["id"])
        return None

    def create_duplicate(self, client: Client) -> None:
        client.request(
            "POST", "/v1/customers", "POST /v1/customers (taken)", {"given_name": "Dup", "email": self.taken_email}
        )

    def add_note(self, client: Client) -> None:
        customer = self._pick(self.ephemeral)
        if customer is not None:
            client.request("POST", f"/v1/customers/{customer}/notes", "POST /v1/customers/{id}/notes", {"text": "Hi"})

    def record_sale(self, client: Client) -> None:
        customer = self._pick(self.ephemeral)
        body: dict[str, Any] = {
            "type": "purchase",
            "total": {"amount": 450 + self.random.randrange(900), "currency": "EUR"},
        }
        if customer is not None:
            body["customer_id"] = customer
        status, answer = client.request(
            "POST", "/v1/sales", "POST /v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        if status == 201 and customer is not None:
            with self._lock:
                self.sales.append(answer["id"])

    def send_receipt(self, client: Client) -> None:
        sale = self._pick(self.sales)
        if sale is not None:
            client.request(
                "POST",
                f"/v1/sales/{sale}/receipts",
                "POST /v1/sales/{id}/receipts",
                {"channel": "email"},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )

    def erase_customer(self, client: Client) -> None:
        with self._lock:
            customer = self.ephemeral.popleft() if len(self.ephemeral) > EPHEMERAL_LIMIT // 2 else None
        if customer is not None:
            client.request("DELETE", f"/v1/customers/{customer}", "DELETE /v1/customers/{id}")

    def overview(self, client: Client) -> None:
        client.request("GET", "/v1/insights", "GET /v1/insights")

    def customer_insights(self, client: Client) -> None:
        client.request("GET", f"/v1/customers/{self._pick(self.pool)}/insights", "GET /v1/customers/{id}/insights")

    def signup_page(self, client: Client) -> None:
        client.request("GET", self.signup_path, "GET /s/{token}")

    def list_sales(self, client: Client) -> None:
        client.request("GET", "/v1/sales?limit=20", "GET /v1/sales")

    # -- running

    def run(self, duration: float, rate: float, workers: int, stop: threading.Event) -> None:
        operations = self.operations()
        weights = [weight for weight, _ in operations]
        interval = workers / rate  # each worker's period

        def worker(index: int) -> None:
            client = self.client()
            chooser = random.Random(index)
            next_at = time.monotonic() + interval * index / workers
            while not stop.is_set():
                now = time.monotonic()
                if now - self.started >= duration:
                    return
                if next_at > now:
                    stop.wait(next_at - now)
                    continue
                next_at += interval
                (_, operation) = chooser.choices(operations, weights)[0]
                operation(client)

        threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _rss_at(memory: list[tuple[float, int]], moment: float) -> int:
    return min(memory, key=lambda pair: abs(pair[0] - moment))[1]


def report(results: Results, duration: float, stop_seconds: float | None, ports_free: bool) -> bool:
    window = min(300.0, duration / 3)
    mb = 1024 * 1024
    memory = results.memory
    start, after_window, middle, end = (
        _rss_at(memory, 0),
        _rss_at(memory, window),
        _rss_at(memory, duration / 2),
        memory[-1][1],
    )
    growth = (end - after_window) / after_window
    samples = [sample for sample in results.samples if sample.route != "setup"]
    server_errors = sum(1 for sample in samples if sample.status >= 500)
    print()
    print(
        f"soak: {duration / 60:.1f} min, {len(samples)} requests ({len(samples) / duration:.1f}/s), "
        f"window {window / 60:.1f} min"
    )
    print()
    print("resident memory (MB)   start   after 1st window   middle     end   growth after 1st window")
    print(
        f"                      {start / mb:6.0f}   {after_window / mb:16.0f}   {middle / mb:6.0f}  {end / mb:6.0f}"
        f"   {growth * 100:+.1f} % (target ≤ {MEMORY_GROWTH_TARGET * 100:.0f} %)"
    )
    print()
    columns = ("n first", "p50 first", "p95 first", "n last", "p50 last", "p95 last", "p95 ratio")
    print(f"{'route (ms)':34} " + " ".join(f"{name:>9}" for name in columns))
    worst = 0.0
    for route in sorted({sample.route for sample in samples}):
        first = [s.ms for s in samples if s.route == route and s.at < window]
        last = [s.ms for s in samples if s.route == route and s.at >= duration - window]
        p95_first, p95_last = _percentile(first, 0.95), _percentile(last, 0.95)
        ratio = p95_last / p95_first if first and last and p95_first > 0 else float("nan")
        if first and last and p95_first > 0 and max(p95_first, p95_last) >= P95_NOISE_FLOOR_MS:
            worst = max(worst, ratio)
        print(
            f"{route:34} {len(first):9d} {_percentile(first, 0.5):9.1f} {p95_first:9.1f} "
            f"{len(last):9d} {_percentile(last, 0.5):9.1f} {p95_last:9.1f} {ratio:9.2f}"
        )
    statuses: dict[int, int] = {}
    for sample in samples:
        statuses[sample.status] = statuses.get(sample.status, 0) + 1
    print()
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"5xx: {server_errors}")
    overall_first = [s.ms for s in samples if s.at < window]
    overall_last = [s.ms for s in samples if s.at >= duration - window]
    print(
        f"all routes: p50 {statistics.median(overall_first):.1f} → {statistics.median(overall_last):.1f} ms, "
        f"p95 {_percentile(overall_first, 0.95):.1f} → {_percentile(overall_last, 0.95):.1f} ms"
    )
    if stop_seconds is not None:
        print(f"stop on SIGTERM: {stop_seconds:.1f} s, ports free afterwards: {ports_free}")
    met = growth <= MEMORY_GROWTH_TARGET and worst <= P95_RATIO_TARGET and server_errors == 0
    met = met and stop_seconds is not None and stop_seconds <= 5 and ports_free
    print(
        f"targets: memory growth {growth * 100:+.1f} % (≤ 25 %), worst p95 ratio {worst:.2f} (≤ 1.5), "
        f"5xx {server_errors} (0): {'met' if met else 'MISSED'}"
    )
    return met


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` and a new server could bind it (as a restarted stack would)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_stack(port: int, moto_port: int, state_dir: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """``make run`` in a subprocess on the given ports, starting clean, its output in ``state_dir/stack.log``."""
    environment = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(moto_port),
        "LOCAL_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
    }
    environment.pop("PERSIST", None)
    log = (state_dir / "stack.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    return process, log


def _wait_ready(url: str, state_dir: Path, process: subprocess.Popen[bytes], timeout: float = 180) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    demo = state_dir / "demo-merchant.json"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"soak: the local stack exited with {process.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            parts = urlsplit(url)
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
            connection.request("GET", "/_local/health")
            if connection.getresponse().status == 200 and demo.exists():
                return dict(json.loads(demo.read_text()))
        time.sleep(0.5)
    raise SystemExit("soak: the local stack did not start in time")


def main() -> int:
    duration = float(os.environ.get("SOAK_MINUTES", "20")) * 60
    rate = float(os.environ.get("SOAK_RATE", "8"))
    workers = int(os.environ.get("SOAK_WORKERS", "4"))
    port, moto_port = free_port(), free_port()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="clientele-soak-") as folder:
        state_dir = Path(folder)
        process, log = start_stack(port, moto_port, state_dir)
        stop_seconds: float | None = None
        ports_free = False
        try:
            url = f"http://127.0.0.1:{port}"
            demo = _wait_ready(url, state_dir, process)
            signup_path = urlsplit(demo["signup_url"]).path
            print(
                f"soak: local stack pid {process.pid} on {url}; {duration / 60:.1f} min at {rate:g} requests/s",
                flush=True,
            )
            workload = Workload(url, demo["api_key"], signup_path, results)
            workload.prepare()
            workload.started = time.monotonic()
            stop = threading.Event()

            def sample_memory() -> None:
                while not stop.is_set():
                    results.memory.append((time.monotonic() - workload.started, rss_bytes(process.pid)))
                    stop.wait(5)

            sampler = threading.Thread(target=sample_memory, daemon=True)
            sampler.start()
            progress = threading.Thread(target=_progress, args=(results, workload, duration, stop), daemon=True)
            progress.start()
            workload.run(duration, rate, workers, stop)
            results.memory.append((time.monotonic() - workload.started, rss_bytes(process.pid)))
            stop.set()
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            if process.returncode is not None:
                stop_seconds = time.monotonic() - began
            ports_free = port_free(port) and port_free(moto_port)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
        met = report(results, duration, stop_seconds, ports_free)
        if not met:
            print(f"soak: the stack's log was {state_dir / 'stack.log'} (tail below)")
            print("\n".join((state_dir / "stack.log").read_text(errors="replace").splitlines()[-30:]))
    return 0 if met else 1


def _progress(results: Results, workload: Workload, duration: float, stop: threading.Event) -> None:
    while not stop.wait(60):
        elapsed = time.monotonic() - workload.started
        with results.lock:
            recent = [s for s in results.samples if s.at >= elapsed - 60]
        errors = sum(1 for s in recent if s.status >= 500)
        p95 = _percentile([s.ms for s in recent], 0.95)
        rss = results.memory[-1][1] / 1024 / 1024 if results.memory else 0
        print(
            f"  {elapsed / 60:5.1f}/{duration / 60:.0f} min: {len(recent)} requests in the last minute, "
            f"p95 {p95:.0f} ms, 5xx {errors}, rss {rss:.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
