"""The local stack with worker processes, for the concurrency tests (one JSON line says where it listens).

Like ``tests/stack/serve.py``, but every function gets a pool wide enough for a burst of parallel requests
(``WORKERS_PER_FUNCTION``), and each conditional DynamoDB write is noted in ``<state>/writes.jsonl`` with
the item's state just before it (``attempts``, ``used``), so a test can tell how many guesses at a code were
evaluated, which no answer shows.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from infra.local.server import DEFAULT_REGION, FAKE_CREDENTIALS, LocalStack
from tests.stack.serve import quiet_stdout

WORKERS_PER_FUNCTION = 6


def note_conditional_writes(journal: Path) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.update_item
    lock = threading.Lock()

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        condition = kwargs.get("condition_expression")
        before: dict[str, Any] | None = None
        if condition:
            with lock:
                try:
                    item = self.get_item(table_name, key)
                except Exception:
                    item = None
                if item is not None:
                    found = item.to_json()["Attributes"]
                    before = {
                        "attempts": int(found.get("attempts", {}).get("N", 0)),
                        "used": "used" in found,
                    }
            entry = {"pk": key["PK"]["S"], "sk": key.get("SK", {}).get("S"), "condition": condition, "before": before}
            with lock, journal.open("a") as out:
                out.write(json.dumps(entry) + "\n")
        return original(self, table_name, key, *args, **kwargs)

    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def main() -> int:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    state = Path(tempfile.mkdtemp(prefix="clientele-concurrency-"))
    announce = quiet_stdout(state)
    note_conditional_writes(state / "writes.jsonl")
    stack = LocalStack(
        port=0,
        moto_port=0,
        state_dir=state,
        seed_demo=False,
        # A revoked key is refused at once, so a test can tell whether a race brought it back.
        parameters={"AuthorizerCacheSeconds": "0"},
        workers_per_function=WORKERS_PER_FUNCTION,
        max_workers=3 * WORKERS_PER_FUNCTION,
    ).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(
        json.dumps({"api_url": stack.url, "aws_endpoint_url": stack.aws_endpoint_url, "state": str(state)}),
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
