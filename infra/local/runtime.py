"""Invoke the template's Lambda handlers, the way the Lambda runtime would: in worker processes, or in this one.

:class:`ProcessRuntime` (what ``make run`` uses) runs each function's invocations in worker processes of its
own, started with that function's environment: a small pool per function with cold starts, warm reuse and
idle workers reaped, so invocations run concurrently as in Lambda and concurrency tests meet real races.
Its workers reach the emulator over HTTP (see ``worker.py`` for the process's side).

:class:`Runtime` invokes the handlers in this process, one at a time: the in-process test fixtures use it
(with moto's in-process mock, which a worker process could not reach), and so do replaced handlers.
What follows describes that in-process mode.

Handlers are imported from the repository (``functions/customers/`` + ``app.lambda_handler`` →
``functions.customers.app.lambda_handler``) and called with a Lambda-like context object.

Each function has its own environment in Lambda, but here every handler shares one process and one
``os.environ``. Giving each function its own copy of the modules would mean importing the shared layer
once per function under renamed ``sys.modules`` entries, which breaks ``isinstance`` checks and module
level caches in surprising ways. Instead, every invocation runs with *its* function's environment set in
``os.environ`` (plus the variables the Lambda runtime itself sets), and the previous values are restored
afterwards. A process-wide re-entrant lock serialises invocations so that two functions never see each
other's variables; handlers are short and the local stack serves one developer, so the lost parallelism
does not matter. The first invocation of a function imports its module under that environment, so
configuration read at import time ("once per cold start") is right.

One caveat remains and is reported once at start-up: code that caches configuration *process-wide* (a
module shared by several functions, such as the layer's ``get_config()``) keeps what the first function
to run set. Only variables whose value differs between functions are affected; :meth:`Runtime.conflicts`
lists them.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.stack import StackInfo
from infra.local.template import REPO_ROOT, FunctionSpec
from infra.local.worker import LambdaContext

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]

# Per-container caches of the shared layer, reset by Runtime.cold_start().
_COLD_START_RESETS = ("clientele.platform.providers:reset", "clientele.platform.aws:reset_clients")

# One lock for every invocation in the process (see the module docstring).
_INVOCATION_LOCK = threading.RLock()

# The stack and logical id of the function running in this thread, for tools that attribute AWS calls to
# a function (the tests' least-privilege check).
CURRENT_FUNCTION: contextvars.ContextVar[tuple[StackInfo, str] | None] = contextvars.ContextVar(
    "current_function", default=None
)


class InvocationError(RuntimeError):
    """The handler raised; Lambda would report a function error (``Unhandled``)."""

    def __init__(self, function_id: str, error: BaseException) -> None:
        super().__init__(f"{function_id} raised {type(error).__name__}")
        self.function_id = function_id
        self.error = error


class Runtime:
    """Loads and invokes the functions of a deployed :class:`StackInfo`.

    ``handlers`` replaces the handler of some functions (tests pass fakes for functions whose code does
    not exist yet). ``process_environment`` holds the variables the Lambda service would set around the
    function's own (region, and for a moto server the endpoint and fake credentials).
    """

    def __init__(
        self,
        stack: StackInfo,
        *,
        handlers: Mapping[str, Handler] | None = None,
        process_environment: Mapping[str, str] | None = None,
    ) -> None:
        self.stack = stack
        self._overrides = dict(handlers or {})
        self._loaded: dict[str, Handler] = {}
        self._process_environment = {
            "AWS_REGION": stack.region,
            "AWS_DEFAULT_REGION": stack.region,
            **(process_environment or {}),
        }
        if stack.endpoint_url:
            self._process_environment.setdefault("AWS_ENDPOINT_URL", stack.endpoint_url)
        self._in_flight = 0
        self._idle = threading.Condition()

    @property
    def in_flight(self) -> int:
        """Invocations started (or waiting for their turn) and not finished yet."""
        with self._idle:
            return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for in-flight invocations to finish; False if some still run."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=max(0.0, timeout))

    def cold_start(self) -> None:
        """Make the next invocation of every function a cold start, as a new deployment would.

        Handler modules stay imported (Python cannot unload them cleanly); what is reset are the
        layer's per-container caches (configuration, boto3 clients, built services), which would
        otherwise keep pointing at the tables and endpoint of a previous stack in this process.
        """
        self._loaded.clear()
        for target in _COLD_START_RESETS:
            module_name, _, function_name = target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            reset = getattr(module, function_name, None)
            if callable(reset):
                reset()

    def close(self) -> None:
        """Done with this stack: the next one in this process starts cold."""
        self.cold_start()

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        return self.stack.template.functions

    def environment(self, function_id: str) -> dict[str, str]:
        """What ``os.environ`` holds while ``function_id`` runs."""
        spec = self.functions[function_id]
        runtime_variables = {
            "AWS_LAMBDA_FUNCTION_NAME": self.stack.template.function_name(function_id),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.stack.template.function_name(function_id)}",
            "_HANDLER": spec.handler,
        }
        return {**self._process_environment, **runtime_variables, **self.stack.function_environment(function_id)}

    def conflicts(self) -> dict[str, set[str]]:
        """Variables that functions set to different values (see the module docstring's caveat)."""
        values: dict[str, set[str]] = {}
        for function_id in self.functions:
            for name, value in self.stack.function_environment(function_id).items():
                values.setdefault(name, set()).add(value)
        return {name: found for name, found in values.items() if len(found) > 1}

    @contextmanager
    def environment_of(self, variables: Mapping[str, str]) -> Iterator[None]:
        """Run a block with ``variables`` in ``os.environ``, serialised with every invocation."""
        with _INVOCATION_LOCK:
            previous = {name: os.environ.get(name) for name in variables}
            os.environ.update(variables)
            try:
                yield
            finally:
                for name, value in previous.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value

    def shared_environment(self) -> dict[str, str]:
        """``Globals`` only, with the process variables: for code that is not one function (seeding)."""
        return {**self._process_environment, **self.stack.global_environment()}

    def handler(self, function_id: str) -> Handler:
        if function_id in self._overrides:
            return self._overrides[function_id]
        if function_id not in self._loaded:
            spec = self.functions[function_id]
            module = importlib.import_module(spec.module)
            self._loaded[function_id] = getattr(module, spec.attribute)
        return self._loaded[function_id]

    def context(self, function_id: str) -> LambdaContext:
        spec = self.functions[function_id]
        return LambdaContext(
            function_name=self.stack.template.function_name(function_id),
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=self.stack.template.function_arn(function_id),
            timeout_s=float(spec.timeout_s),
        )

    def invoke(self, function_id: str, event: Any) -> Any:
        """Call the function's handler with ``event``; raises :class:`InvocationError` if it raises.

        The function's timeout is not enforced (a thread cannot be stopped), but an invocation that runs
        past it is logged, since Lambda would have stopped it.
        """
        if function_id not in self.functions:
            raise KeyError(f"no function {function_id} in the template")
        with self._idle:
            self._in_flight += 1
        try:
            return self._invoke(function_id, event)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _invoke(self, function_id: str, event: Any) -> Any:
        context = self.context(function_id)
        with self.environment_of(self.environment(function_id)):
            started = time.monotonic()
            current = CURRENT_FUNCTION.set(None if function_id in self._overrides else (self.stack, function_id))
            try:
                handler = self.handler(function_id)
                return handler(event, context)
            except Exception as error:
                _log_failure(function_id, error)
                raise InvocationError(function_id, error) from error
            finally:
                CURRENT_FUNCTION.reset(current)
                elapsed = time.monotonic() - started
                if elapsed > context.timeout_s:
                    logger.warning(
                        "%s ran %.1f s, longer than its %d s timeout: Lambda would have stopped it",
                        function_id,
                        elapsed,
                        self.functions[function_id].timeout_s,
                    )


def _log_failure(function_id: str, error: BaseException) -> None:
    # The exception's message may quote personal data from the request, so only its type and where it
    # was raised are logged.
    frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
    logger.error("%s raised %s\n%s", function_id, type(error).__name__, frames.rstrip())


# ------------------------------------------------------------------------------------------- worker processes

# A small pool per function, as Lambda keeps a few execution environments warm: at most this many workers
# of one function at once (more invocations wait for one), this many in all (the longest idle worker of
# another function is stopped to make room), and a worker idle this long is stopped. One worker costs about
# 70 MB resident once its handler is imported (measured with `make load`), so the pool stays small.
WORKERS_PER_FUNCTION = 3
MAX_WORKERS = 16
IDLE_SECONDS = 60.0
# Lambda stops an invocation at the function's timeout. Locally the emulator serves one request at a time on a
# shared machine, so a slow invocation is warned about at the timeout and only stopped well past it.
HARD_TIMEOUT_FACTOR = 3.0
HARD_TIMEOUT_MARGIN_S = 10.0
READY_TIMEOUT_S = 60.0
# What a worker inherits from this process besides its function's environment: how to run Python here.
_INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "TZ", "TMPDIR")
_INHERITED_PREFIXES = ("LC_", "PYTHON")


class FunctionError(RuntimeError):
    """The handler raised in its worker: its exception's type and frames (never its message)."""

    def __init__(self, type_name: str, frames: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name
        self.frames = frames


class WorkerCrashed(RuntimeError):
    """The worker process ended during an invocation (Lambda's ``Runtime.ExitError``)."""


class WorkerTimedOut(RuntimeError):
    """The invocation ran far past the function's timeout and its worker was stopped."""


class WorkerProcess:
    """One execution environment: a ``python -m infra.local.worker`` process serving one function."""

    def __init__(self, function_id: str, spec: Mapping[str, Any], environment: Mapping[str, str]) -> None:
        self.function_id = function_id
        self.started = time.monotonic()
        self.last_used = self.started
        self.invocations = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.worker", json.dumps(dict(spec))],
            cwd=REPO_ROOT,
            env=dict(environment),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait for the handler's import (the cold start); raises if it failed."""
        document = self._read(timeout)
        if not document.get("ready"):
            error = document.get("error") or {}
            raise FunctionError(str(error.get("type", "InitError")), str(error.get("frames", "")))

    def call(self, event: Any, request_id: str, timeout: float) -> Any:
        assert self.process.stdin is not None
        line = json.dumps({"event": event, "request_id": request_id}, separators=(",", ":")).encode() + b"\n"
        try:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as error:
            raise WorkerCrashed(f"worker {self.pid} is gone") from error
        self.invocations += 1
        document = self._read(timeout)
        if "error" in document:
            failure = document["error"]
            raise FunctionError(str(failure.get("type", "Exception")), str(failure.get("frames", "")))
        return document.get("result")

    def _read(self, timeout: float) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], max(0.0, timeout))
        if not readable:
            raise WorkerTimedOut(f"worker {self.pid} did not answer in {timeout:.0f} s")
        line = stdout.readline()
        if not line:
            code = self.process.poll()
            raise WorkerCrashed(f"worker {self.pid} exited ({code})")
        return dict(json.loads(line))

    def rss_bytes(self) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def kill(self) -> None:
        """Send the process SIGKILL without waiting for it (see :meth:`stop`)."""
        with contextlib.suppress(OSError):
            self.process.kill()

    def stop(self) -> None:
        """Stop the process now (an idle worker holds no state worth a graceful exit)."""
        self.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


@dataclass
class PoolStats:
    """What the pools did so far, per function, and what their live workers cost."""

    cold_starts: dict[str, int] = field(default_factory=dict)
    warm_starts: dict[str, int] = field(default_factory=dict)
    reaped: int = 0
    workers: dict[str, int] = field(default_factory=dict)
    rss_bytes: dict[str, int] = field(default_factory=dict)


class WorkerPools:
    """Workers per function: warm reuse (last used first), cold starts up to the limits, idle ones reaped."""

    def __init__(
        self,
        spawn: Callable[[str], WorkerProcess],
        *,
        per_function: int = WORKERS_PER_FUNCTION,
        total: int = MAX_WORKERS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        if per_function < 1 or total < 1:
            raise ValueError("a pool needs room for one worker")
        self._spawn = spawn
        self.per_function = per_function
        self.total = total
        self.idle_seconds = idle_seconds
        self._condition = threading.Condition()
        self._idle: dict[str, list[WorkerProcess]] = {}
        self._live: set[WorkerProcess] = set()
        self._count: dict[str, int] = {}  # live and starting workers per function
        self._closed = False
        self._stats = PoolStats()
        self._reaper_stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="worker-reaper", daemon=True)
        self._reaper.start()

    def acquire(self, function_id: str) -> tuple[WorkerProcess, bool]:
        """A worker for one invocation and whether it is a cold start; waits while the function is at its limit."""
        evicted: list[WorkerProcess] = []
        with self._condition:
            while True:
                if self._closed:
                    raise WorkerCrashed("the runtime is stopping")
                idle = self._idle.get(function_id)
                if idle:
                    worker = idle.pop()
                    self._stats.warm_starts[function_id] = self._stats.warm_starts.get(function_id, 0) + 1
                    return worker, False
                if self._count.get(function_id, 0) < self.per_function:
                    if sum(self._count.values()) >= self.total:
                        victim = self._longest_idle()
                        if victim is not None:
                            self._forget(victim)
                            evicted.append(victim)
                    if sum(self._count.values()) < self.total:
                        self._count[function_id] = self._count.get(function_id, 0) + 1
                        break
                self._condition.wait(1.0)
        for victim in evicted:
            victim.stop()
        try:
            worker = self._spawn(function_id)
        except BaseException:
            with self._condition:
                self._count[function_id] -= 1
                self._condition.notify_all()
            raise
        with self._condition:
            self._live.add(worker)
            self._stats.cold_starts[function_id] = self._stats.cold_starts.get(function_id, 0) + 1
            closed = self._closed
        if closed:
            self.release(worker, healthy=False)
            raise WorkerCrashed("the runtime is stopping")
        return worker, True

    def release(self, worker: WorkerProcess, *, healthy: bool) -> None:
        """Give a worker back after an invocation; one that crashed or timed out is stopped instead."""
        with self._condition:
            if healthy and not self._closed and worker in self._live:
                worker.last_used = time.monotonic()
                self._idle.setdefault(worker.function_id, []).append(worker)
                self._condition.notify_all()
                return
            if worker in self._live:
                self._forget(worker)
            self._condition.notify_all()
        worker.stop()

    def _forget(self, worker: WorkerProcess) -> None:
        """Drop a worker from the books (the caller holds the condition and stops the process after)."""
        self._live.discard(worker)
        idle = self._idle.get(worker.function_id, [])
        if worker in idle:
            idle.remove(worker)
        self._count[worker.function_id] -= 1

    def _longest_idle(self) -> WorkerProcess | None:
        candidates = [worker for idle in self._idle.values() for worker in idle]
        return min(candidates, key=lambda worker: worker.last_used) if candidates else None

    def reap(self, now: float | None = None) -> int:
        """Stop every worker idle for longer than ``idle_seconds``; returns how many."""
        moment = time.monotonic() if now is None else now
        with self._condition:
            expired = [
                worker
                for idle in self._idle.values()
                for worker in idle
                if moment - worker.last_used >= self.idle_seconds
            ]
            for worker in expired:
                self._forget(worker)
            self._stats.reaped += len(expired)
            if expired:
                self._condition.notify_all()
        for worker in expired:
            worker.stop()
        return len(expired)

    def _reap_loop(self) -> None:
        period = max(0.5, min(5.0, self.idle_seconds / 4))
        while not self._reaper_stop.wait(period):
            self.reap()

    def stop_workers(self) -> None:
        """Stop every worker, busy ones included (their invocations fail as a crashed environment would)."""
        with self._condition:
            workers = list(self._live)
            for worker in workers:
                self._forget(worker)
            self._condition.notify_all()
        for worker in workers:  # every one told at once, then each waited for: the stop stays short
            worker.kill()
        for worker in workers:
            worker.stop()

    def close(self) -> None:
        """Stop every worker and the reaper; nothing starts afterwards."""
        with self._condition:
            self._closed = True
        self._reaper_stop.set()
        self.stop_workers()

    def stats(self) -> PoolStats:
        with self._condition:
            live = list(self._live)
            stats = PoolStats(
                cold_starts=dict(self._stats.cold_starts),
                warm_starts=dict(self._stats.warm_starts),
                reaped=self._stats.reaped,
            )
        for worker in live:
            stats.workers[worker.function_id] = stats.workers.get(worker.function_id, 0) + 1
            stats.rss_bytes[worker.function_id] = stats.rss_bytes.get(worker.function_id, 0) + worker.rss_bytes()
        return stats


class ProcessRuntime(Runtime):
    """Invokes each function in worker processes of its own, concurrently, as Lambda does.

    Each worker is started with its function's environment only (plus the variables the Lambda runtime sets
    and the emulator's endpoint), so no function sees another's configuration, and no lock serialises
    invocations: two requests to one function run at the same time in two workers, and their AWS calls
    interleave at the emulator as they would at DynamoDB. The workers reach the emulator over HTTP, so the
    stack must have been deployed into a moto server (``stack.endpoint_url``). Functions whose handler is
    replaced (``handlers``) still run in this process.
    """

    def __init__(
        self,
        stack: StackInfo,
        *,
        handlers: Mapping[str, Handler] | None = None,
        process_environment: Mapping[str, str] | None = None,
        workers_per_function: int = WORKERS_PER_FUNCTION,
        max_workers: int = MAX_WORKERS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        if not stack.endpoint_url:
            raise ValueError("worker processes reach the emulator over HTTP: deploy into a moto server")
        super().__init__(stack, handlers=handlers, process_environment=process_environment)
        self.pools = WorkerPools(
            self._spawn, per_function=workers_per_function, total=max_workers, idle_seconds=idle_seconds
        )

    def worker_environment(self, function_id: str) -> dict[str, str]:
        """Everything a worker of ``function_id`` starts with."""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name in _INHERITED_VARIABLES or name.startswith(_INHERITED_PREFIXES)
        }
        python_path = os.pathsep.join(part for part in (str(REPO_ROOT), inherited.get("PYTHONPATH", "")) if part)
        return {**inherited, "PYTHONPATH": python_path, **self.environment(function_id)}

    def _spawn(self, function_id: str) -> WorkerProcess:
        spec = self.functions[function_id]
        worker = WorkerProcess(
            function_id,
            {
                "module": spec.module,
                "attribute": spec.attribute,
                "function_name": self.stack.template.function_name(function_id),
                "function_arn": self.stack.template.function_arn(function_id),
                "memory_mb": spec.memory_mb,
                "timeout_s": spec.timeout_s,
            },
            self.worker_environment(function_id),
        )
        try:
            worker.wait_ready()
        except BaseException:
            worker.stop()
            raise
        return worker

    def _invoke(self, function_id: str, event: Any) -> Any:
        if function_id in self._overrides:
            return super()._invoke(function_id, event)
        spec = self.functions[function_id]
        try:
            worker, _cold = self.pools.acquire(function_id)
        except FunctionError as error:  # the handler's import failed: an init error
            _log_remote_failure(function_id, error)
            raise InvocationError(function_id, error) from error
        except WorkerCrashed as error:  # stopping: nothing starts any more
            raise InvocationError(function_id, error) from error
        healthy = False
        started = time.monotonic()  # the function's timeout runs from here: waiting and the cold start are not in it
        try:
            result = worker.call(event, str(uuid.uuid4()), spec.timeout_s * HARD_TIMEOUT_FACTOR + HARD_TIMEOUT_MARGIN_S)
            healthy = True
            return result
        except FunctionError as error:
            healthy = True  # the handler raised; its environment lives on, as in Lambda
            _log_remote_failure(function_id, error)
            raise InvocationError(function_id, error) from error
        except (WorkerCrashed, WorkerTimedOut) as error:
            logger.error("%s: %s", function_id, error)
            raise InvocationError(function_id, error) from error
        finally:
            self.pools.release(worker, healthy=healthy)
            elapsed = time.monotonic() - started
            if elapsed > spec.timeout_s:
                logger.warning(
                    "%s ran %.1f s, longer than its %d s timeout: Lambda would have stopped it",
                    function_id,
                    elapsed,
                    spec.timeout_s,
                )

    def cold_start(self) -> None:
        super().cold_start()
        self.pools.stop_workers()

    def close(self) -> None:
        self.pools.close()
        super().close()

    def stats(self) -> PoolStats:
        return self.pools.stats()


def _log_remote_failure(function_id: str, error: FunctionError) -> None:
    logger.error("%s raised %s\n%s", function_id, error.type_name, error.frames)
