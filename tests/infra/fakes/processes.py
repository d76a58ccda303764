"""Handlers that show which worker process ran them, and what it saw."""

from __future__ import annotations

import os
import time
from typing import Any

# Set at import, as a handler module's configuration is: the cold start of this worker.
COLOUR_AT_IMPORT = os.environ.get("COLOUR")


def whoami(event: dict[str, Any], context: Any) -> dict[str, Any]:
    began = time.time()
    time.sleep(float(event.get("sleep", 0)))
    return {
        "began": began,
        "ended": time.time(),
        "pid": os.getpid(),
        "colour": os.environ.get("COLOUR"),
        "colour_at_import": COLOUR_AT_IMPORT,
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def crash(event: dict[str, Any], context: Any) -> None:
    if event.get("exit"):
        print("leaving without an answer")  # goes to the log, never into the answer channel
        os._exit(3)
    raise ValueError(f"{event.get('email', 'someone@example.com')} is not welcome")
