"""The whole local stack in one object, behind an HTTP server: what ``make run`` starts.

:class:`LocalStack` starts moto's server on loopback, deploys ``template.yaml`` into it, seeds the demo
merchant, starts the queue pollers and the scheduler, and serves the gateway and the ``/_local`` routes
with a ``ThreadingHTTPServer``. Tests start the same object on ephemeral ports (``port=0``,
``moto_port=0``) to drive the real stack over HTTP (schemathesis, browsers).

Handlers run in worker processes, a small pool per function (``runtime.ProcessRuntime``), and reach moto
over HTTP through ``AWS_ENDPOINT_URL``, like any AWS tool pointed at ``.local/stack.json`` can.
``isolation="thread"`` invokes them in this process instead, one at a time (the stack's own tests, whose
fake handlers record what they receive in this process).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.local import emulator, merchants, persistence
from infra.local.gateway import GATEWAY_RESPONSES, MAX_REQUEST_BYTES, Gateway, Response
from infra.local.local_routes import LocalRoutes
from infra.local.outbox import Outbox
from infra.local.pollers import Pollers
from infra.local.runtime import MAX_WORKERS, WORKERS_PER_FUNCTION, Handler, ProcessRuntime, Runtime
from infra.local.scheduler import Scheduler
from infra.local.stack import DEFAULT_STACK_NAME, StackInfo, deploy
from infra.local.template import DEFAULT_TEMPLATE, REPO_ROOT

logger = logging.getLogger(__name__)

DEFAULT_PORT = 3000
# Not 4566 (LocalStack's edge port) nor 5000 (moto's default, taken by AirPlay on macOS).
DEFAULT_MOTO_PORT = 4599
DEFAULT_REGION = "eu-west-1"
# SIGINT / SIGTERM stop everything within 5 seconds; this leaves the process time to exit.
STOP_SECONDS = 4.0
DEMO_MERCHANT_NAME = "Demo Café"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "date", "server"}


class LocalStack:
    """moto, the deployed template, the gateway, pollers, scheduler and outbox, started together.

    ``port`` / ``moto_port`` 0 pick free ports. ``handlers`` replaces some functions' handlers.
    ``create_merchant`` is the seam to the domain's onboarding (``merchants.create_merchant``).
    ``state_dir`` receives ``demo-merchant.json`` and ``stack.json`` (None: write nothing).
    ``background`` starts the pollers and the scheduler threads (tests may prefer ``pollers.drain``).
    ``stack_name`` names the CloudFormation stack in moto (tests that share one moto use their own).
    ``persist`` loads ``state_dir``'s snapshot at start and saves one at stop (see ``persistence.py``).
    ``isolation`` is ``"process"`` (each function in worker processes of its own, concurrently) or
    ``"thread"`` (every handler in this process, one invocation at a time); ``workers_per_function`` and
    ``max_workers`` bound the worker processes.
    """

    def __init__(
        self,
        *,
        port: int = DEFAULT_PORT,
        moto_port: int = DEFAULT_MOTO_PORT,
        host: str = "127.0.0.1",
        region: str = DEFAULT_REGION,
        template_path: Path | str = DEFAULT_TEMPLATE,
        parameters: Mapping[str, str] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        seed_demo: bool = True,
        create_merchant: Callable[..., dict[str, str]] = merchants.create_merchant,
        state_dir: Path | None = REPO_ROOT / ".local",
        background: bool = True,
        stack_name: str = DEFAULT_STACK_NAME,
        persist: bool = False,
        isolation: str = "process",
        workers_per_function: int = WORKERS_PER_FUNCTION,
        max_workers: int = MAX_WORKERS,
    ) -> None:
        if isolation not in ("process", "thread"):
            raise ValueError("isolation is 'process' or 'thread'")
        self.isolation = isolation
        self.workers_per_function = workers_per_function
        self.max_workers = max_workers
        self.host = host
        self.port = port
        self.moto_port = moto_port
        self.region = region
        self.template_path = template_path
        self.parameters = dict(parameters or {})
        self.handlers = dict(handlers or {})
        self.seed_demo = seed_demo
        self.create_merchant = create_merchant
        self.state_dir = state_dir
        self.background = background
        self.stack_name = stack_name
        self.persist = persist and state_dir is not None
        self.restored = False

        self.stack: StackInfo | None = None
        self.runtime: Runtime | None = None
        self.gateway: Gateway | None = None
        self.pollers: Pollers | None = None
        self.scheduler: Scheduler | None = None
        self.outbox: Outbox | None = None
        self.local_routes: LocalRoutes | None = None
        self.demo_merchant: dict[str, str] | None = None
        self._moto: Any = None
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._stopping = False

    # -- addresses

    @property
    def url(self) -> str:
        """Base URL of the local API (and of the hosted pages)."""
        if self._http is None:
            raise RuntimeError("the stack is not started")
        return f"http://{self.host}:{self._http.server_address[1]}"

    @property
    def aws_endpoint_url(self) -> str:
        if self._moto is None:
            raise RuntimeError("the stack is not started")
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    # -- life cycle

    def start(self) -> LocalStack:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every AWS call
        emulator.install()  # transactions without table copies, one request at a time in the backends
        self._stopping = False
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
        self._moto.start()
        try:
            # Bound before deploying: the functions' PUBLIC_BASE_URL is this server's address.
            self._http = _HttpServer((self.host, self.port), _RequestHandler)
            self._http.daemon_threads = True
            self._http.stack = self  # type: ignore[attr-defined]
            self.stack = deploy(
                self.aws_endpoint_url,
                self.region,
                template_path=self.template_path,
                parameters=self.parameters,
                stack_name=self.stack_name,
                public_base_url=self.url,
            )
            if self.persist:
                assert self.state_dir is not None
                self.restored = persistence.load(self.stack, self.state_dir)
            process_environment = {
                **FAKE_CREDENTIALS,
                "AWS_ENDPOINT_URL": self.aws_endpoint_url,
                # No X-Ray daemon listens locally; Powertools already skips tracing outside Lambda, and
                # saying so keeps the SDK from collecting segments should LAMBDA_TASK_ROOT ever be set.
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
            if self.isolation == "process":
                self.runtime = ProcessRuntime(
                    self.stack,
                    handlers=self.handlers,
                    process_environment=process_environment,
                    workers_per_function=self.workers_per_function,
                    max_workers=self.max_workers,
                )
            else:
                self.runtime = Runtime(self.stack, handlers=self.handlers, process_environment=process_environment)
            self.runtime.cold_start()
            for name, values in sorted(self.runtime.conflicts().items() if self.isolation == "thread" else ()):
                logger.warning("functions disagree on %s (%d values): process-wide caches keep one", name, len(values))
            self.gateway = Gateway(self.runtime)
            self.pollers = Pollers(self.runtime)
            self.scheduler = Scheduler(self.runtime)
            self.outbox = Outbox(self.stack.account_id)
            self.local_routes = LocalRoutes(self.runtime, self.scheduler, self.outbox, self.create_merchant)
            if self.seed_demo:
                self.demo_merchant = self._saved_demo() if self.restored else None
                if self.demo_merchant is None:
                    self.demo_merchant = self._seed()
                if self.demo_merchant is not None:
                    self.local_routes.demo_api_key = self.demo_merchant.get("api_key")
            self._write_state()
            if self.background:
                self.pollers.start()
                self.scheduler.start()
            self._http_thread = threading.Thread(target=self._http.serve_forever, name="http", daemon=True)
            self._http_thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop the pollers, the scheduler, the HTTP server and moto, in ``timeout`` seconds at most.

        Everything is told to stop at once; in-flight invocations get what is left of ``timeout`` to finish
        and are abandoned after that (their threads are daemons; their AWS calls fail once moto is gone).
        Both listening sockets are closed, so the ports are free when this returns.
        """
        deadline = time.monotonic() + timeout
        self._stopping = True
        self._signal_stop()
        http_stopped = None
        if self._http is not None and self._http_thread is not None:
            http_stopped = threading.Thread(target=self._http.shutdown, name="http-shutdown", daemon=True)
            http_stopped.start()
        if self.scheduler is not None:
            self.scheduler.stop(_left(deadline))
        if self.pollers is not None:
            self.pollers.stop(_left(deadline))
        if http_stopped is not None:
            http_stopped.join(_left(deadline))
        if self.runtime is not None and not self.runtime.wait_idle(_left(deadline) - 1.0):
            logger.warning("stopping: %d invocations still running are abandoned", self.runtime.in_flight)
        if self.persist and self._moto is not None:
            self._save()
        if self._http is not None:
            self._http.server_close()
            self._http_thread = None
        if self._moto is not None:
            _stop_moto(self._moto, _left(deadline))
            self._moto = None
        if isinstance(self.runtime, ProcessRuntime):
            stats = self.runtime.stats()
            logger.info(
                "worker processes: %d cold starts, %d warm invocations, %d reaped idle",
                sum(stats.cold_starts.values()),
                sum(stats.warm_starts.values()),
                stats.reaped,
            )
        if self.runtime is not None:
            # Workers are stopped; the next stack in this process gets new "containers", as a new deployment would.
            self.runtime.close()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- start-up steps

    def _seed(self) -> dict[str, str] | None:
        assert self.runtime is not None
        try:
            with self.runtime.environment_of(self.runtime.shared_environment()):
                return self.create_merchant(name=DEMO_MERCHANT_NAME, email=None, accept_terms=True, demo_data=True)
        except ImportError:
            logger.warning("the domain's onboarding is not available: no demo merchant")
        except Exception as error:
            logger.error("seeding the demo merchant failed: %s", type(error).__name__)
        return None

    def _signal_stop(self) -> None:
        """Tell the scheduler and every poller to stop, without waiting for them."""
        if self.scheduler is not None:
            self.scheduler._stop.set()
        for poller in self.pollers.pollers if self.pollers is not None else []:
            poller._stop.set()

    def _save(self) -> None:
        if self.stack is None or self.state_dir is None:
            return
        try:
            saved = persistence.save(self.stack, self.state_dir)
            logger.info("state saved to %s", saved)
        except Exception:
            logger.exception("saving the state failed")

    def _saved_demo(self) -> dict[str, str] | None:
        """The demo merchant of the run whose state was restored (its key is in the restored tables)."""
        assert self.state_dir is not None
        try:
            return dict(json.loads((self.state_dir / "demo-merchant.json").read_text()))
        except (OSError, ValueError):
            return None

    def _write_state(self) -> None:
        if self.state_dir is None:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # Enough for any AWS tool to inspect the emulated resources: where, which region, which table is which.
        where = {
            "api_url": self.url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "region": self.region,
            "tables": dict(self.stack.tables) if self.stack is not None else {},
        }
        (self.state_dir / "stack.json").write_text(json.dumps(where, indent=2) + "\n")
        demo_file = self.state_dir / "demo-merchant.json"
        if self.demo_merchant is not None:
            demo_file.write_text(json.dumps(self.demo_merchant, indent=2) + "\n")
            demo_file.chmod(0o600)  # it holds an API key
        elif demo_file.exists():
            demo_file.unlink()  # never leave a key of a previous run that no longer works

    # -- serving

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str) -> Response:
        """One HTTP request: ``/_local`` routes first, everything else through the gateway."""
        assert self.gateway is not None
        path = target.partition("?")[0]
        if LocalRoutes.owns(path) and self.local_routes is not None:
            lowered: dict[str, str] = {}
            for name, value in headers:
                lowered[name.lower()] = value
            return self.local_routes.handle(method, target, lowered, body)
        return self.gateway.handle(method, target, headers, body, source_ip)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _stop_moto(moto: Any, timeout: float) -> None:
    """Stop moto's threaded server without waiting forever, and free its port."""
    server = getattr(moto, "_server", None)
    if server is None:
        return
    stopping = threading.Thread(target=server.shutdown, name="moto-shutdown", daemon=True)
    stopping.start()
    stopping.join(max(0.1, timeout))
    with contextlib.suppress(Exception):
        server.server_close()


class _HttpServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections when a burst of tills connects at once.
    request_queue_size = 128


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "clientele-local"
    sys_version = ""

    def _serve(self) -> None:
        stack: LocalStack = self.server.stack  # type: ignore[attr-defined]
        if stack._stopping:
            # A kept-alive connection may outlive the server's loop; nothing new starts while stopping.
            self.close_connection = True
            self._send(
                Response(
                    503,
                    [("content-type", "application/json"), ("retry-after", "5")],
                    b'{"errors":[{"code":"STOPPING","detail":"The local stack is stopping."}]}',
                )
            )
            return
        try:
            body = self._read_body()
        except _TooLarge:
            answer = GATEWAY_RESPONSES["PAYLOAD_TOO_LARGE"]
            self.close_connection = True  # the rest of the body is not read
            self._send(Response(answer.status, [("content-type", "application/json")], answer.body()))
            return
        except ValueError:
            self.close_connection = True
            self._send(
                Response(
                    400,
                    [("content-type", "application/json")],
                    b'{"errors":[{"code":"BAD_REQUEST","detail":"Unreadable body."}]}',
                )
            )
            return
        try:
            response = stack.handle(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
        except Exception as error:  # the local server must answer, whatever broke
            logger.error("local stack failed on %s: %s", self.command, type(error).__name__)
            answer = GATEWAY_RESPONSES["INTEGRATION_FAILURE"]
            response = Response(answer.status, [("content-type", "application/json")], answer.body())
        self._send(response)

    def __getattr__(self, name: str) -> Any:
        # Every method goes to the gateway, which answers 404 for one no route declares (TRACE, PROPFIND...)
        # as API Gateway does; the base class would answer 501 in HTML.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BYTES:
                    raise _TooLarge
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        if length < 0:
            raise ValueError("negative content-length")
        if length > MAX_REQUEST_BYTES:
            raise _TooLarge
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method, the route's pattern (a hosted link's token is a bearer capability, and a query string may
        # hold an email or a phone number), status.
        logger.info("%s %s %s", self.command, _logged_path(self.server.stack, self.command, self.path), code)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


def _logged_path(stack: LocalStack, method: str, target: str) -> str:
    """The route pattern a request matched (``/e/{token}``), never the path's own values: a hosted link's
    token is a bearer capability. The local stack's own routes as they are; any other path is not shown."""
    path = target.partition("?")[0]
    if path.startswith("/_local/"):
        return path
    found = stack.gateway.routes.match(method, path) if stack.gateway is not None else None
    if found is not None and found[0].path != "$default":
        return found[0].path
    return "(no route)"


class _TooLarge(Exception):
    pass
