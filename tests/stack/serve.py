"""Start the whole local stack on free ports in this process and print where it listens (one JSON line).

Tests that drive the stack over real HTTP (schemathesis, Chromium) run this in a subprocess, because
the in-process moto mock used by the other tests would intercept the stack's own AWS calls.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from infra.local.server import DEFAULT_REGION, FAKE_CREDENTIALS, LocalStack


def quiet_stdout(state: Path) -> TextIO:
    """From now on, everything this process writes (the functions' logs) goes to ``state/stack.log``: nobody
    reads the pipe after the first line, and a full pipe would block the stack. Returns the original stdout,
    for the one line the test reads."""
    original = os.fdopen(os.dup(1), "w")
    log = os.open(state / "stack.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return original


def main() -> int:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    # Property-based runs drive the demo key far above a till's rate; the per-key limit has its own tests.
    os.environ.setdefault("API_REQUESTS_PER_MINUTE", "1000000")
    state = Path(tempfile.mkdtemp(prefix="clientele-stack-"))
    announce = quiet_stdout(state)
    # Handlers in this process, one at a time: these tests check what the API answers, within per-request time
    # limits that a worker's cold start on a busy machine can exceed. tests/concurrency runs the worker processes.
    stack = LocalStack(port=0, moto_port=0, state_dir=state, isolation="thread").start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(
        json.dumps(
            {
                "api_url": stack.url,
                "aws_endpoint_url": stack.aws_endpoint_url,
                "demo": stack.demo_merchant,
                "state_dir": str(state),
            }
        ),
        file=announce,
        flush=True,
    )
    try:
        stopped.wait()
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
