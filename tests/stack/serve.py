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

from infra.local.server import DEFAULT_REGION, FAKE_CREDENTIALS, LocalStack


def main() -> int:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    # Property-based runs drive the demo key far above a till's rate; the per-key limit has its own tests.
    os.environ.setdefault("API_REQUESTS_PER_MINUTE", "1000000")
    state = Path(tempfile.mkdtemp(prefix="clientele-stack-"))
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
        flush=True,
    )
    try:
        stopped.wait()
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
