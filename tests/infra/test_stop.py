"""``make run`` stops cleanly: SIGINT or SIGTERM under load stops pollers, scheduler, gateway and moto within
5 seconds, and both ports are free afterwards."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from infra.local.soak import free_port, port_free
from infra.local.template import REPO_ROOT

pytestmark = pytest.mark.stack


def start_local_stack(state_dir: Path, **extra: str) -> tuple[subprocess.Popen[bytes], int, int]:
    """``python -m infra.local`` (what ``make run`` runs) on free ports, once it answers."""
    port, moto_port = free_port(), free_port()
    environment = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(moto_port),
        "LOCAL_STATE_DIR": str(state_dir),
    }
    for name in ("AWS_ENDPOINT_URL", "PERSIST", "POWERTOOLS_TRACE_DISABLED"):
        environment.pop(name, None)
    environment.update(extra)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=REPO_ROOT,
        env=environment,
        stdout=(state_dir / "stack.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, (state_dir / "stack.log").read_text()
        if (state_dir / "demo-merchant.json").exists():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/_local/health")
                if connection.getresponse().status == 200:
                    return process, port, moto_port
            except OSError:
                pass
        time.sleep(0.3)
    process.kill()
    raise AssertionError("the local stack did not start")


def _load(port: int, key: str, stop: threading.Event, statuses: list[int]) -> None:
    """Writes (transactions), reads and receipts until told to stop or the stack goes away."""
    while not stop.is_set():
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = json.dumps({"given_name": "Load", "email": f"load.{uuid.uuid4().hex[:10]}@example.com"})
            headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
            connection.request("POST", "/v1/customers", body=body, headers=headers)
            statuses.append(connection.getresponse().status)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/v1/customers?limit=20", headers=headers)
            statuses.append(connection.getresponse().status)
            connection.close()
        except OSError:
            return  # the stack stopped listening


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_under_load_stops_everything_within_five_seconds(tmp_path: Path, signum: int) -> None:
    process, port, moto_port = start_local_stack(tmp_path)
    try:
        key = json.loads((tmp_path / "demo-merchant.json").read_text())["api_key"]
        stop = threading.Event()
        statuses: list[int] = []
        clients = [threading.Thread(target=_load, args=(port, key, stop, statuses), daemon=True) for _ in range(4)]
        for client in clients:
            client.start()
        # Until the functions' first (cold) invocations have answered: the stack is busy when the signal comes.
        deadline = time.monotonic() + 60
        while not (201 in statuses and 200 in statuses) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert 201 in statuses and 200 in statuses
        time.sleep(1)

        began = time.monotonic()
        process.send_signal(signum)
        process.wait(timeout=10)
        took = time.monotonic() - began
        stop.set()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "stack.log").read_text()
    assert took < 5.0, log
    assert process.returncode == 0, log
    assert "Stopped in" in log
    assert not [status for status in statuses if status >= 500 and status != 503], statuses
    assert port_free(port)
    assert port_free(moto_port)
