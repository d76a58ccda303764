"""Shared fixtures: the template's stack on moto (in-process), the real handlers behind the local
gateway, and merchants made through the same code the admin CLI and the local stack use.

One emulated AWS serves the whole session; tests stay independent because each makes its own
merchant (tenant isolation is a product rule, so it is also the test isolation).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

# Fake credentials and region before anything creates a boto3 client; never a real AWS call.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_NAMESPACE="ClienteleTest",
    POWERTOOLS_SERVICE_NAME="clientele",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)

    def error_codes(self) -> list[str]:
        return [e["code"] for e in self.json()["errors"]]


class ApiClient:
    """Requests through the local gateway: route matching, the real authorizer (with its cache) and the
    real handlers, in this process."""

    def __init__(self, gateway: Any, key: str | None = None) -> None:
        self.gateway = gateway
        self.key = key

    def as_key(self, key: str | None) -> ApiClient:
        return ApiClient(self.gateway, key)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | str | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        source_ip: str = "198.51.100.7",
    ) -> ApiResponse:
        sent: dict[str, str] = {}
        chosen = key if key is not None else self.key
        if chosen:
            sent["authorization"] = f"Bearer {chosen}"
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["content-type"] = "application/json"
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        target = path + ("?" + urlencode(params, doseq=True) if params else "")
        return self._send(method, target, sent, body, source_ip)

    def _send(self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> ApiResponse:
        response = self.gateway.handle(method, target, list(headers.items()), body, source_ip)
        return ApiResponse(response.status, {k.lower(): v for k, v in response.headers}, response.body)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json_body=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, json_body=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PUT", path, json_body=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)


@dataclass
class Stack:
    """The deployed template in moto, with its runtime, gateway and pollers."""

    info: Any
    runtime: Any
    gateway: Any
    pollers: Any

    def drain(self, queue: str | None = None) -> Any:
        """Deliver every pending SQS message to its function (retries and dead-letters included). The time
        allowed is generous: on a busy 2-core machine a drain that settles everything can take over 30 s."""
        return self.pollers.drain(queue, timeout=120)

    def outbox(self) -> list[dict[str, Any]]:
        """Every email and SMS moto's SES and SNS recorded, newest first."""
        from infra.local.outbox import Outbox

        return Outbox(region=self.info.region).messages()

    def create_merchant(self, **kwargs: Any) -> dict[str, Any]:
        from infra.onboarding import create_merchant

        kwargs.setdefault("name", f"Shop {uuid.uuid4().hex[:6]}")
        kwargs.setdefault("email", None)
        kwargs.setdefault("accept_terms", True)
        with self.runtime.environment_of(self.runtime.shared_environment()):
            return create_merchant(**kwargs)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    from moto import mock_aws

    from clientele.platform import providers
    from clientele.platform.aws import reset_clients
    from infra.local import emulator
    from infra.local.gateway import Gateway
    from infra.local.pollers import Pollers
    from infra.local.runtime import Runtime
    from infra.local.stack import deploy_into_current_aws

    emulator.install()  # moto's transactions without whole-table copies (see infra/local/emulator.py)
    with mock_aws():
        reset_clients()
        providers.reset()
        info = deploy_into_current_aws("eu-west-1")
        runtime = Runtime(info)
        # Code that runs outside any one function in tests (seeding, direct service calls) sees the
        # same configuration as the functions.
        os.environ.update(runtime.shared_environment())
        yield Stack(info, runtime, Gateway(runtime), Pollers(runtime))
        reset_clients()
        providers.reset()


@pytest.fixture(scope="session", autouse=True)
def log_scan() -> Iterator[None]:
    """Every log line of the run is scanned for keys, tokens and personal data (tests/log_scan.py)."""
    import logging

    from clientele.platform.observability import logger as service_logger
    from tests.log_scan import Recorder, findings

    recorder = Recorder()
    recorder.setFormatter(service_logger.registered_formatter)
    watched = [logging.getLogger(service_logger.name), logging.getLogger()]
    for target in watched:
        target.addHandler(recorder)
    yield
    for target in watched:
        target.removeHandler(recorder)
    leaked = findings(recorder.lines)
    assert not leaked, f"{len(leaked)} log lines carry a key, a token or personal data:\n" + "\n".join(leaked[:20])


@pytest.fixture
def api(stack: Stack) -> ApiClient:
    return ApiClient(stack.gateway)


@pytest.fixture
def merchant(stack: Stack) -> dict[str, Any]:
    """A fresh merchant who has accepted the terms (demo data not included)."""
    return stack.create_merchant()


@pytest.fixture
def client(api: ApiClient, merchant: dict[str, Any]) -> ApiClient:
    """The API, as ``merchant``'s owner key."""
    return api.as_key(merchant["api_key"])


@pytest.fixture
def portal(stack: Stack) -> Iterator[tuple[Any, list[tuple[Any, str]]]]:
    """The privacy portal as a service, its one-time codes captured in the list instead of sent."""
    from clientele.account.wiring import merchants
    from clientele.customers.wiring import customers
    from clientele.erasure.wiring import erasure_service
    from clientele.platform.secrets import app_secret, link_signer
    from clientele.privacy.one_time_codes import OneTimeCodeRepository
    from clientele.privacy.portal import PrivacyPortal
    from clientele.storage.rate_limits import RateLimitRepository
    from clientele.storage.table import data_table

    sent: list[tuple[Any, str]] = []
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        service = PrivacyPortal(
            OneTimeCodeRepository(data_table()),
            customers=customers(),
            merchants=merchants(),
            erasure=erasure_service(),
            limits=RateLimitRepository(data_table()),
            signer=link_signer(),
            secret=app_secret,
            send_code=lambda address, code, locale: sent.append((address, code)),
        )
        yield service, sent
