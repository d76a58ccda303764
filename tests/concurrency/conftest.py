"""The local stack with worker processes, over real HTTP: what the concurrency tests race against.

It runs in a subprocess (``tests/concurrency/serve.py``), so its functions run in worker processes of their
own and the test's threads meet real parallel invocations, not the in-process fixtures' one-at-a-time
runtime. Merchants are made through ``POST /_local/merchants``; queues are drained by the stack's own
pollers, so a test waits for what it expects with :func:`eventually`.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from tests.conftest import ApiClient, ApiResponse

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


class HttpApi(ApiClient):
    """The same calls as the in-process ``ApiClient``, over a socket; ``source_ip`` is a loopback address the
    request is sent from (any 127.x.y.z), so the gateway sees it as the caller's IP."""

    def __init__(self, url: str, key: str | None = None) -> None:
        super().__init__(None, key)
        parts = urlsplit(url)
        self.url = url
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def as_key(self, key: str | None) -> HttpApi:
        return HttpApi(self.url, key)

    def request(self, method: str, path: str, *, source_ip: str = "127.0.0.1", **kwargs: Any) -> ApiResponse:
        return super().request(method, path, source_ip=source_ip, **kwargs)

    def _send(self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> ApiResponse:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120, source_address=(source_ip, 0))
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return ApiResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()


class LiveStack:
    def __init__(self, info: dict[str, Any]) -> None:
        self.url = str(info["api_url"])
        self.aws_endpoint_url = str(info["aws_endpoint_url"])
        self.state = Path(info["state"])
        self.api = HttpApi(self.url)

    def create_merchant(self, name: str | None = None) -> dict[str, Any]:
        created = self.api.post("/_local/merchants", {"name": name or f"Shop {uuid.uuid4().hex[:6]}"})
        assert created.status == 201, created.text
        merchant = dict(created.json())
        owner = self.api.as_key(merchant["api_key"])
        version = owner.get("/v1/terms").json()["version"]
        assert owner.post("/v1/terms/accept", {"version": version}).status == 201
        return merchant

    def outbox(self) -> list[dict[str, Any]]:
        response = self.api.get("/_local/outbox", headers={"accept": "application/json"})
        assert response.status == 200, response.text
        found = response.json()
        return list(found["messages"] if isinstance(found, dict) else found)

    def conditional_writes(self) -> list[dict[str, Any]]:
        journal = self.state / "writes.jsonl"
        if not journal.exists():
            return []
        return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def live() -> Iterator[LiveStack]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.concurrency.serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the local stack did not start (exit {process.wait(5)})")
        yield LiveStack(json.loads(line))
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def merchant(live: LiveStack) -> dict[str, Any]:
    return live.create_merchant()


@pytest.fixture
def client(live: LiveStack, merchant: dict[str, Any]) -> HttpApi:
    return live.api.as_key(merchant["api_key"])


def at_once(count: int, action: Callable[[int], T], timeout: float = 180) -> list[T]:
    """Run ``action(0..count-1)`` in ``count`` threads released together; their results in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=60)
            results[index] = action(index)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not failures, failures
    return results


def warm(api: HttpApi, path: str, workers: int = 6, **request: Any) -> None:
    """Start ``workers`` workers of the function behind ``path`` with two bursts of requests (a GET unless
    ``request`` says otherwise), so the race that follows runs that many invocations at once instead of
    meeting cold starts and first-use set-up (secrets, lazy imports) that stagger them."""
    method = request.pop("method", "GET")
    for _ in range(2):
        at_once(workers, lambda _: api.request(method, path, **request).status)


def eventually(check: Callable[[], T], *, timeout: float = 90, every: float = 0.5) -> T:
    """Wait until ``check()`` returns something truthy (queues are drained by the stack's own pollers)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)
