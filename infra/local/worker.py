"""One function's worker process: what a Lambda execution environment is to one function.

``python -m infra.local.worker '<spec JSON>'`` is started by :class:`infra.local.runtime.WorkerPool` with the
function's own environment (its variables, the ones the Lambda runtime sets, the emulator's endpoint). It
imports the handler once (the cold start), says it is ready, then serves invocations one at a time for as
long as the pool keeps it warm.

The protocol is one JSON document per line: the pool writes ``{"event", "request_id"}`` to the worker's
standard input; the worker answers on a private copy of its original standard output with ``{"result"}``
or ``{"error": {"type", "frames"}}`` (the exception's type and where it was raised, never its message, which
may quote personal data). The handler's own output (``print``, Powertools' logger) goes to standard error,
as a function's output goes to its log stream, so nothing it writes can corrupt an answer.

This module imports nothing of the local stack or of AWS before the handler does, so a cold start costs what
the function's own imports cost.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any, BinaryIO


@dataclass
class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers and Powertools use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    timeout_s: float = 3.0
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        if not self.log_stream_name:
            day = time.strftime("%Y/%m/%d", time.gmtime())
            self.log_stream_name = f"{day}/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_s - elapsed) * 1000))


def error_document(error: BaseException) -> dict[str, str]:
    """What a failure tells the pool: the exception's type and frames, not its message."""
    # Where, not what: file, line and function of each frame, without the source text (a line of code may
    # hold a literal the log must not carry).
    frames = "\n".join(
        f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(error.__traceback__)
    )
    return {"type": type(error).__name__, "frames": frames}


def _answer(channel: BinaryIO, document: dict[str, Any]) -> None:
    channel.write(json.dumps(document, separators=(",", ":")).encode() + b"\n")
    channel.flush()


def serve(spec: dict[str, Any], requests: BinaryIO, answers: BinaryIO) -> None:
    try:
        module = importlib.import_module(spec["module"])
        handler = getattr(module, spec["attribute"])
    except BaseException as error:  # an init error: Lambda reports it on the first invocation
        _answer(answers, {"ready": False, "error": error_document(error)})
        return
    _answer(answers, {"ready": True})
    for line in requests:
        request = json.loads(line)
        context = LambdaContext(
            function_name=spec["function_name"],
            memory_limit_in_mb=int(spec["memory_mb"]),
            invoked_function_arn=spec["function_arn"],
            timeout_s=float(spec["timeout_s"]),
            aws_request_id=request.get("request_id") or str(uuid.uuid4()),
        )
        try:
            result = handler(request["event"], context)
            encoded = json.dumps({"result": result}, separators=(",", ":")).encode()
        except Exception as error:
            _answer(answers, {"error": error_document(error)})
            continue
        answers.write(encoded + b"\n")
        answers.flush()


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group; the pool stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Said once per process; with a process per environment it would be said at every cold start.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the handler's output goes to the log, not the pool
    serve(json.loads(sys.argv[1]), sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
