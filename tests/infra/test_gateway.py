"""The local gateway routes, authorizes and builds events the way API Gateway's HTTP API does."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from infra.local.gateway import GATEWAY_RESPONSES, MAX_REQUEST_BYTES, Gateway, RouteTable
from infra.local.runtime import Runtime
from infra.local.template import Template, load_sam_template
from tests.infra.conftest import REGION, FakeClock, header, tiny_template
from tests.infra.fakes import authorizer, echo

GOOD = {"authorization": "Bearer good"}


def _last_event() -> dict[str, Any]:
    return echo.EVENTS[-1]


# ----------------------------------------------------------------------------------------------- routes


def test_the_route_table_is_the_templates_http_api_events():
    sam = load_sam_template()
    declared = sorted(
        f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
        for resource in sam["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    )
    assert RouteTable(Template(sam, region=REGION).routes).route_keys == declared


def test_the_openapi_route_needs_no_key_and_the_others_use_the_default_authorizer():
    routes = {route.route_key: route for route in Template.load(region=REGION).routes}
    assert routes["GET /v1/openapi.json"].authorizer is None
    assert routes["GET /v1/customers"].authorizer is not None


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/items", "GET /items", None),
        ("GET", "/items/special", "GET /items/special", None),  # a literal beats {id}
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        ("GET", "/items/a%20b", "GET /items/{id}", {"id": "a b"}),
        ("DELETE", "/files/a/b/c.txt", "ANY /files/{proxy+}", {"proxy": "a/b/c.txt"}),
    ],
)
def test_the_most_specific_route_wins(gateway, method, path, route_key, parameters):
    response = gateway.handle(method, path, GOOD)
    assert response.status == 200
    assert _last_event()["routeKey"] == route_key
    assert _last_event().get("pathParameters") == parameters


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nothing"), ("PUT", "/items"), ("GET", "/files"), ("GET", "/items/1/more")]
)
def test_no_route_is_404_in_the_error_shape_without_invoking_anything(gateway, method, path):
    response = gateway.handle(method, path, GOOD)
    assert response.status == 404
    assert response.json() == {
        "errors": [{"code": "NOT_FOUND", "detail": GATEWAY_RESPONSES["NOT_FOUND"].detail, "field": None}]
    }
    assert not authorizer.CALLS and not echo.EVENTS


# ----------------------------------------------------------------------------------------------- events


def test_the_event_is_payload_format_2(gateway):
    gateway.handle(
        "GET",
        "/items/7?tag=a&tag=b&q=caf%C3%A9&empty=",
        [
            ("Authorization", "Bearer good"),
            ("X-Trace", "one"),
            ("x-trace", "two"),
            ("Cookie", "session=abc; theme=dark"),
            ("User-Agent", "pytest"),
            ("Host", "127.0.0.1:3000"),
        ],
        source_ip="198.51.100.7",
    )
    event = _last_event()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "tag=a&tag=b&q=caf%C3%A9&empty="
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "café", "empty": ""}
    assert event["pathParameters"] == {"id": "7"}
    assert event["headers"]["x-trace"] == "one,two"
    assert event["headers"]["authorization"] == "Bearer good"
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["stageVariables"] is None
    assert event["isBase64Encoded"] is False and "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "198.51.100.7",
        "userAgent": "pytest",
    }
    assert context["routeKey"] == "GET /items/{id}"
    assert context["stage"] == "$default"
    assert context["accountId"] == "123456789012"
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["requestId"] and isinstance(context["timeEpoch"], int) and "+0000" in context["time"]
    assert context["authorizer"] == {"lambda": {"merchant_id": "mer_1", "role": "owner"}}


def test_a_request_without_query_or_path_parameters_has_none(gateway):
    gateway.handle("GET", "/items", GOOD)
    event = _last_event()
    assert "queryStringParameters" not in event and "pathParameters" not in event and "cookies" not in event


@pytest.mark.parametrize(
    ("content_type", "body", "as_text"),
    [
        ("application/json", b'{"name": "Zo\xc3\xab"}', True),
        ("text/plain; charset=utf-8", "café".encode(), True),
        ("application/octet-stream", b"\x89PNG\r\n\x1a\n\x00", False),
        ("application/x-www-form-urlencoded", b"name=Zo%C3%AB", False),  # HTTP APIs encode form posts too
        ("application/json", b"\xff\xfe not utf-8", False),
    ],
)
def test_bodies_are_text_or_base64(gateway, content_type, body, as_text):
    gateway.handle("POST", "/items", {**GOOD, "content-type": content_type}, body)
    event = _last_event()
    assert event["isBase64Encoded"] is (not as_text)
    assert (event["body"].encode() if as_text else base64.b64decode(event["body"])) == body


def test_the_function_runs_with_its_own_environment_only_while_it_runs(gateway, tiny_stack):
    assert os.environ.get("ONLY_ECHO") is None
    response = gateway.handle("GET", "/items", GOOD)
    assert response.json()["table"] == tiny_stack.tables["Table"]
    assert header(response, "x-function") == [f"{tiny_stack.stack_name}-EchoFunction"]
    assert os.environ.get("ONLY_ECHO") is None


# ----------------------------------------------------------------------------------------------- responses


def test_a_structured_response_with_cookies(gateway):
    response = gateway.handle("GET", "/items", GOOD)
    assert response.status == 200
    assert header(response, "set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert header(response, "apigw-requestid")


def test_a_result_without_status_code_is_a_json_200(gateway):
    response = gateway.handle("GET", "/bare")
    assert (response.status, response.json()) == (200, {"hello": "world"})
    assert header(response, "content-type") == ["application/json"]


def test_a_bare_string_result_is_its_json(tiny_stack):
    gateway = Gateway(Runtime(tiny_stack, handlers={"BareFunction": lambda event, context: "Hello"}))
    response = gateway.handle("GET", "/bare")
    assert (response.status, response.body) == (200, b'"Hello"')


def test_a_base64_response_is_decoded(gateway):
    response = gateway.handle("GET", "/image")
    assert response.status == 201 and response.body == base64.b64decode("iVBORw0KGgo=")


def test_a_failing_function_is_a_500_without_its_message_in_the_logs(gateway, caplog):
    response = gateway.handle("GET", "/broken")
    assert response.status == 500 and response.json()["errors"][0]["code"] == "INTERNAL_ERROR"
    assert "FailingFunction raised RuntimeError" in caplog.text
    assert "shopper@example.com" not in caplog.text


def test_a_body_over_10_mb_is_413(gateway):
    response = gateway.handle("POST", "/public", {"content-type": "application/json"}, b"x" * (MAX_REQUEST_BYTES + 1))
    assert response.status == 413 and response.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert not echo.EVENTS


# ----------------------------------------------------------------------------------------------- the authorizer


def test_a_missing_identity_is_401_without_invoking_the_authorizer(gateway):
    response = gateway.handle("GET", "/items")
    assert response.status == 401
    assert response.json() == {
        "errors": [{"code": "UNAUTHORIZED", "detail": "A valid API key is required.", "field": None}]
    }
    assert authorizer.CALLS == [] and echo.EVENTS == []


def test_a_denied_key_is_403(gateway):
    response = gateway.handle("GET", "/items", {"authorization": "Bearer bad"})
    assert response.status == 403 and response.json()["errors"][0]["code"] == "FORBIDDEN"
    assert echo.EVENTS == []


def test_the_authorizer_event(gateway, tiny_stack):
    gateway.handle("POST", "/items/?x=1", {**GOOD, "content-type": "application/json"}, b'{"secret": 1}')
    event = authorizer.CALLS[-1]
    assert event["type"] == "REQUEST" and event["version"] == "2.0"
    assert event["identitySource"] == ["Bearer good"]
    assert event["routeArn"] == f"arn:aws:execute-api:{REGION}:123456789012:local/$default/POST/items/"
    assert event["routeKey"] == "POST /items"
    assert "body" not in event


def test_a_route_without_authorizer_never_calls_it(gateway):
    assert gateway.handle("POST", "/public", {"authorization": "Bearer bad"}).status == 200
    assert authorizer.CALLS == []


def test_results_are_cached_per_identity_for_the_ttl(gateway: Gateway, clock: FakeClock):
    assert gateway.handle("GET", "/items", GOOD).status == 200
    clock.now += 59
    assert gateway.handle("GET", "/items/1", GOOD).status == 200
    assert len(authorizer.CALLS) == 1
    assert gateway.handle("GET", "/items", {"authorization": "Bearer bad"}).status == 403
    assert gateway.handle("GET", "/items", {"authorization": "Bearer bad"}).status == 403
    assert len(authorizer.CALLS) == 2  # a deny is cached too
    clock.now += 2  # the first result expired
    assert gateway.handle("GET", "/items", GOOD).status == 200
    assert len(authorizer.CALLS) == 3
    # The cached context reaches the function as if the authorizer had run.
    assert echo.EVENTS[1]["requestContext"]["authorizer"] == {"lambda": {"merchant_id": "mer_1", "role": "owner"}}


def test_the_cache_keeps_a_bounded_number_of_results(gateway: Gateway, clock: FakeClock, monkeypatch):
    from infra.local import gateway as module

    monkeypatch.setattr(module, "AUTHORIZER_CACHE_ENTRIES", 3)
    for n in range(3):
        gateway.handle("GET", "/items", {"authorization": f"Bearer key{n}"})
    assert len(gateway._cache) == 3
    clock.now += 61  # all three expired
    assert gateway.handle("GET", "/items", GOOD).status == 200
    assert len(gateway._cache) == 1  # over the limit: the expired ones went first
    for n in range(5):
        gateway.handle("GET", "/items", {"authorization": f"Bearer more{n}"})
    assert len(gateway._cache) == 3  # then the oldest
    calls = len(authorizer.CALLS)
    assert gateway.handle("GET", "/items", {"authorization": "Bearer more4"}).status == 403  # the newest is kept
    assert len(authorizer.CALLS) == calls


def test_a_ttl_of_zero_never_caches(tiny_stack):
    from infra.local.stack import deploy_into_current_aws

    template = tiny_template(CacheSeconds="0")
    stack = deploy_into_current_aws(REGION, template=template)
    gateway = Gateway(Runtime(stack))
    for _ in range(3):
        assert gateway.handle("GET", "/items", GOOD).status == 200
    assert len(authorizer.CALLS) == 3


def test_a_broken_authorizer_is_500(tiny_stack):
    def broken(event: Any, context: Any) -> Any:
        return {"isAuthorized": "yes"}  # not a boolean

    gateway = Gateway(Runtime(tiny_stack, handlers={"AuthorizerFunction": broken}))
    response = gateway.handle("GET", "/items", GOOD)
    assert response.status == 500 and echo.EVENTS == []


def test_responses_are_json(gateway):
    assert json.loads(gateway.handle("GET", "/nothing").body)["errors"]
