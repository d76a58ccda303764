"""The whole local stack over HTTP: moto's server, the deployed template, the gateway and /_local routes."""

from __future__ import annotations

import http.client
import json
import os
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from infra.local.gateway import MAX_REQUEST_BYTES
from infra.local.local_routes import swagger_ui_assets
from infra.local.server import DEMO_MERCHANT_NAME, LocalStack
from tests.infra.conftest import REGION, TINY_TEMPLATE
from tests.infra.fakes import echo, scheduled, worker

pytestmark = pytest.mark.stack


class FakeOnboarding:
    """Stands in for the domain's onboarding, which these tests are not about."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> dict[str, str]:
        if kwargs["name"] == "No domain":
            raise ImportError("clientele.account.onboarding")
        if kwargs["name"] == "Rejected":
            raise _DomainError()
        # The domain runs with the stack's configuration, as the functions do.
        self.calls.append({**kwargs, "table": os.environ.get("TABLE_NAME")})
        merchant_id = f"mer_{len(self.calls)}"
        return {"merchant_id": merchant_id, "api_key": f"key-{merchant_id}", "signup_url": f"http://x/s/{merchant_id}"}


class _Detail:
    code, detail, field = "INVALID_PHONE", "Not a phone number.", "legacy_customers.0.phone"


class _DomainError(Exception):
    status = 422
    details = [_Detail()]


@pytest.fixture(scope="module")
def onboarding() -> FakeOnboarding:
    return FakeOnboarding()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, onboarding: FakeOnboarding) -> Iterator[LocalStack]:
    folder = tmp_path_factory.mktemp("local-stack")
    template = folder / "template.yaml"
    template.write_text(TINY_TEMPLATE)
    stack = LocalStack(
        port=0,
        moto_port=0,
        template_path=template,
        create_merchant=onboarding,
        state_dir=folder / ".local",
        background=False,
        stack_name=f"infra-test-server-{uuid.uuid4().hex[:6]}",
        isolation="thread",  # the fake handlers record what they receive in this process
    )
    with stack:
        yield stack


def request(
    local: LocalStack, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    address = urlsplit(local.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        received: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            received.setdefault(name.lower(), []).append(value)
        return response.status, received, response.read()
    finally:
        connection.close()


def aws_client(local: LocalStack, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=local.aws_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


# ----------------------------------------------------------------------------------------------- start-up


def test_the_demo_merchant_and_the_stack_are_written_down(local: LocalStack, onboarding: FakeOnboarding):
    assert onboarding.calls[0]["name"] == DEMO_MERCHANT_NAME
    assert onboarding.calls[0]["accept_terms"] is True and onboarding.calls[0]["demo_data"] is True
    assert onboarding.calls[0]["table"] == local.stack.tables["Table"]
    state = Path(local.state_dir)
    assert json.loads((state / "demo-merchant.json").read_text()) == local.demo_merchant
    assert json.loads((state / "stack.json").read_text()) == {
        "api_url": local.url,
        "aws_endpoint_url": local.aws_endpoint_url,
        "region": local.region,
        "tables": local.stack.tables,  # the real table names, for the AWS CLI
    }


def test_the_tables_are_reachable_at_the_advertised_endpoint(local: LocalStack):
    tables = aws_client(local, "dynamodb").list_tables()["TableNames"]
    assert local.stack.tables["Table"] in tables


def test_health(local: LocalStack):
    assert request(local, "GET", "/_local/health")[::2] == (200, b'{"status": "ok"}')


# ----------------------------------------------------------------------------------------------- the gateway


def test_a_routed_request_reaches_its_function_with_the_stacks_environment(local: LocalStack):
    status, headers, body = request(local, "GET", "/items?x=1", headers={"Authorization": "Bearer good"})
    assert status == 200
    answer = json.loads(body)
    assert answer["table"] == local.stack.tables["Table"]
    assert answer["endpoint"] == local.aws_endpoint_url
    assert headers["set-cookie"] == ["a=1; Path=/", "b=2; Path=/"]
    assert local.stack.function_environment("EchoFunction")["PUBLIC_BASE_URL"] == local.url


def test_a_binary_body_arrives_base64_encoded(local: LocalStack):
    request(local, "POST", "/public", b"\x00\x01\xff", {"Content-Type": "application/octet-stream"})
    assert echo.EVENTS[-1]["isBase64Encoded"] is True and echo.EVENTS[-1]["body"] == "AAH/"


def test_gateway_errors(local: LocalStack):
    assert request(local, "GET", "/items")[0] == 401
    assert request(local, "GET", "/nowhere")[0] == 404
    status, headers, body = request(local, "TRACE", "/items")  # no route has this method
    assert status == 404 and headers["content-type"] == ["application/json"]
    assert json.loads(body)["errors"][0]["code"] == "NOT_FOUND"


def test_a_body_over_10_mb_is_refused_before_it_is_read(local: LocalStack):
    address = urlsplit(local.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("POST", "/public")
    connection.putheader("Content-Length", str(MAX_REQUEST_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    connection.close()


def test_queued_messages_reach_their_function(local: LocalStack):
    aws_client(local, "sqs").send_message(QueueUrl=local.stack.queues["WorkQueue"].url, MessageBody="over http")
    local.pollers.drain("WorkQueue")
    assert [record["body"] for record in worker.BATCHES[-1]] == ["over http"]


# ----------------------------------------------------------------------------------------------- /_local


def test_a_merchant_is_created_through_the_onboarding_seam(local: LocalStack, onboarding: FakeOnboarding):
    body = {"name": "Second shop", "email": "owner@shop.example", "legacy_customers": [{"given_name": "Ana"}]}
    status, _, answer = request(local, "POST", "/_local/merchants", json.dumps(body).encode())
    assert status == 201
    assert set(json.loads(answer)) == {"merchant_id", "api_key", "signup_url"}
    call = onboarding.calls[-1]
    assert call["accept_terms"] is False  # a new merchant accepts the terms through the API
    assert call["legacy_customers"] == [{"given_name": "Ana"}]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{", 400, "MALFORMED_JSON"),
        (b'{"email": "a@b.c"}', 422, "VALIDATION_ERROR"),
        (b'{"name": "Rejected"}', 422, "INVALID_PHONE"),
        (b'{"name": "No domain"}', 503, "ONBOARDING_UNAVAILABLE"),
    ],
)
def test_bad_merchant_requests(local: LocalStack, body: bytes, status: int, code: str):
    answer = request(local, "POST", "/_local/merchants", body)
    assert answer[0] == status and json.loads(answer[2])["errors"][0]["code"] == code


def test_the_outbox_as_json_and_as_an_escaped_page(local: LocalStack):
    ses = aws_client(local, "ses")
    ses.verify_domain_identity(Domain="shop.example")
    message = EmailMessage()
    message["From"] = "no-reply@shop.example"
    message["To"] = "outbox.page@example.com"
    message["Subject"] = "<script>alert(1)</script>"
    message.set_content("Hello")
    message.add_alternative('<p onclick="x()">Hi</p>', subtype="html")
    ses.send_raw_email(RawMessage={"Data": message.as_bytes()})

    status, _, body = request(local, "GET", "/_local/outbox", headers={"Accept": "application/json"})
    assert status == 200
    sent = [m for m in json.loads(body) if m["to"] == "outbox.page@example.com"]
    assert sent[0]["subject"] == "<script>alert(1)</script>"

    status, headers, page = request(local, "GET", "/_local/outbox")
    text = page.decode()
    assert status == 200 and headers["content-type"] == ["text/html; charset=utf-8"]
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'srcdoc="&lt;p onclick=&quot;x()&quot;&gt;Hi&lt;/p&gt;' in text  # shown in a sandboxed frame
    assert "default-src 'none'" in headers["content-security-policy"][0]


def test_a_schedule_runs_on_demand_with_a_pretended_time(local: LocalStack):
    status, _, body = request(local, "POST", "/_local/schedules/Nightly", b'{"now": "2026-05-01T03:00:00+02:00"}')
    assert (status, json.loads(body)) == (200, {"ran_for": "2026-05-01T01:00:00Z"})
    assert scheduled.EVENTS[-1]["detail-type"] == "Scheduled Event"
    status, _, _ = request(local, "POST", "/_local/schedules/Nightly")
    assert status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/_local/schedules/Weekly", b"", 404),
        ("POST", "/_local/schedules/Nightly", b'{"now": "yesterday"}', 400),
        ("POST", "/_local/schedules/Nightly", b'{"now": "2026-05-01T03:00:00"}', 400),  # no offset
        ("POST", "/_local/schedules/Nightly", b"[", 400),
        ("GET", "/_local/schedules/Nightly", b"", 405),
        ("GET", "/_local/nothing", b"", 404),
    ],
)
def test_bad_local_requests(local: LocalStack, method: str, path: str, body: bytes, status: int):
    answer = request(local, method, path, body)
    assert answer[0] == status and json.loads(answer[2])["errors"]


def test_swagger_ui_for_the_openapi_document(local: LocalStack):
    status, _, page = request(local, "GET", "/_local/docs")
    assert status == 200 and b'url: "/v1/openapi.json"' in page
    assert local.demo_merchant is not None  # "Try it out" works at once, as the demo merchant
    assert f'preauthorizeApiKey("apiKey", "{local.demo_merchant["api_key"]}")'.encode() in page
    if swagger_ui_assets() is not None:
        assert b'src="/_local/docs/swagger-ui-bundle.js"' in page
        status, headers, script = request(local, "GET", "/_local/docs/swagger-ui-bundle.js")
        assert status == 200 and headers["content-type"][0].endswith("javascript") and len(script) > 100_000
    else:
        assert b"cdn.jsdelivr.net" in page
    assert request(local, "GET", "/_local/docs/../../template.yaml")[0] == 404


def test_stopping_closes_the_ports(tmp_path: Path):
    template = tmp_path / "template.yaml"
    template.write_text(TINY_TEMPLATE)
    stack = LocalStack(
        port=0,
        moto_port=0,
        template_path=template,
        seed_demo=False,
        state_dir=None,
        stack_name=f"infra-test-stop-{uuid.uuid4().hex[:6]}",
    ).start()
    url = stack.url
    stack.stop()
    address = urlsplit(url)
    with pytest.raises(OSError):
        http.client.HTTPConnection(address.hostname, address.port, timeout=2).request("GET", "/_local/health")
