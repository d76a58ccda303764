"""``python -m infra.local`` (``make run``): start the local stack and serve until Ctrl-C.

Environment: ``PORT`` (default 3000) for the API, ``MOTO_PORT`` (default 4599) for the emulated AWS,
``PARAMETER_OVERRIDES`` (``Name=Value Name2=Value2``, as ``sam deploy`` takes them) for the template's
parameters, ``LOCAL_STATE_DIR`` (default ``.local``) for ``stack.json`` and ``demo-merchant.json``, and
``PERSIST=1`` to keep the data across restarts (saved there on stop, loaded on start; see ``persistence.py``),
``WORKERS_PER_FUNCTION`` (default 3) for the worker processes one function may run at once, and
``LOCAL_ISOLATION=thread`` to run every handler in this process instead, one at a time (for a debugger).
"""

from __future__ import annotations

import io
import logging
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from infra.local.runtime import MAX_WORKERS, WORKERS_PER_FUNCTION
from infra.local.server import DEFAULT_MOTO_PORT, DEFAULT_PORT, DEFAULT_REGION, FAKE_CREDENTIALS, LocalStack
from infra.local.template import REPO_ROOT

# The stack stops in STOP_SECONDS (4 s); the process leaves at the latest this long after the signal.
STOP_DEADLINE = 4.8


def _parameters(text: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in shlex.split(text):
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise SystemExit(f"PARAMETER_OVERRIDES: expected Name=Value, got {item!r}")
        parameters[name] = value
    return parameters


def _banner(stack: LocalStack) -> None:
    lines = [
        "",
        f"Clientele is running at {stack.url}",
        f"  emulated AWS (moto):  {stack.aws_endpoint_url}",
        f"  API documentation:    {stack.url}/_local/docs",
        f"  sent email and SMS:   {stack.url}/_local/outbox",
    ]
    demo = stack.demo_merchant
    if demo is not None:
        lines += [
            "",
            f"Demo merchant {demo['merchant_id']}",
            f"  API key:     {demo['api_key']}",
            f"  signup page: {demo['signup_url']}",
            "  (also in .local/demo-merchant.json)",
            "",
        ]
    text = io.StringIO()
    text.write("\n".join(lines) + "\n")
    if demo is not None:
        import segno

        segno.make(demo["signup_url"]).terminal(out=text, compact=True)
    text.write("\nPress Ctrl-C to stop.\n")
    # One write while no log line may go out, so none lands in the middle of the QR code.
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.acquire()
    try:
        sys.stdout.write(text.getvalue())
        sys.stdout.flush()
    finally:
        for handler in reversed(handlers):
            handler.release()


def main() -> int:
    # Warnings and errors only: the banner says what started, and the product's own logs stay quiet locally.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    try:
        per_function = max(1, int(os.environ.get("WORKERS_PER_FUNCTION") or WORKERS_PER_FUNCTION))
    except ValueError:
        raise SystemExit("WORKERS_PER_FUNCTION: expected a number") from None
    stack = LocalStack(
        port=int(os.environ.get("PORT", DEFAULT_PORT)),
        moto_port=int(os.environ.get("MOTO_PORT", DEFAULT_MOTO_PORT)),
        parameters=_parameters(os.environ.get("PARAMETER_OVERRIDES", "")),
        state_dir=Path(os.environ.get("LOCAL_STATE_DIR") or REPO_ROOT / ".local"),
        persist=os.environ.get("PERSIST", "").strip().lower() in ("1", "true", "yes"),
        isolation="thread" if os.environ.get("LOCAL_ISOLATION", "").strip().lower() == "thread" else "process",
        workers_per_function=per_function,
        max_workers=max(MAX_WORKERS, per_function),
    )
    stopped = threading.Event()
    started = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if stopped.is_set():
            # A second Ctrl-C: leave now.
            os._exit(128 + signum)
        stopped.set()
        # Whatever happens while stopping, the process is gone within STOP_DEADLINE seconds of the signal.
        watchdog = threading.Timer(STOP_DEADLINE, _leave, args=(signum,))
        watchdog.daemon = True
        watchdog.start()
        if not started.is_set():
            raise KeyboardInterrupt  # interrupts start(), which stops what it started

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        stack.start()
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except OSError as error:
        print(f"Cannot start the local stack: {error} (is PORT or MOTO_PORT in use?)", file=sys.stderr)
        return 1
    started.set()
    # Anything started from here on (an admin CLI in this process, a debugger) sees the emulated AWS.
    os.environ["AWS_ENDPOINT_URL"] = stack.aws_endpoint_url
    _banner(stack)
    if stack.persist:
        print(
            f"Persistence on: {'state restored' if stack.restored else 'no saved state, started clean'}; saved on stop."
        )
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        print("\nStopping...", flush=True)
        began = time.monotonic()
        stack.stop()
        print(f"Stopped in {time.monotonic() - began:.1f} s.", flush=True)
    return 0


def _leave(signum: int) -> None:
    print("Stopping took too long: leaving now.", file=sys.stderr, flush=True)
    os._exit(128 + signum)


if __name__ == "__main__":
    code = main()
    # Leave without the interpreter's finalisation: tearing down a day's worth of emulated state (and waiting
    # on abandoned daemon threads) can take seconds, and the stack promised to be gone within five.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
