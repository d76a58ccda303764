"""Invoke the template's Lambda handlers in this process, the way the Lambda runtime would.

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

import contextvars
import importlib
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from infra.local.stack import StackInfo
from infra.local.template import FunctionSpec

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
