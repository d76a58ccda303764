"""The event factories make events Powertools (and so the handlers) read like AWS's."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, EventBridgeEvent, SQSEvent

from clientele.kernel.permissions import Principal, Role
from tests.events import http_event, scheduled_event, sqs_event, sqs_record

AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)


def test_powertools_data_classes_parse_every_factory_event() -> None:
    principal = Principal(merchant_id="mer_1", key_id="key_1", role=Role.STAFF, site_ids=["site_a"])
    http = APIGatewayProxyEventV2(
        http_event(
            "post",
            "/v1/customers/cus_1/notes",
            route_key="POST /v1/customers/{id}/notes",
            path_parameters={"id": "cus_1"},
            query={"limit": "5"},
            body={"text": "likes jazz"},
            principal=principal,
            source_ip="2001:db8::7",
            at=AT,
        )
    )
    assert http.request_context.http.method == "POST"
    assert http.raw_path == http.request_context.http.path == "/v1/customers/cus_1/notes"
    assert http.route_key == "POST /v1/customers/{id}/notes"
    assert http.path_parameters == {"id": "cus_1"}
    assert http.query_string_parameters == {"limit": "5"} and http.raw_query_string == "limit=5"
    assert http.json_body == {"text": "likes jazz"} and not http.is_base64_encoded
    assert http.headers["content-length"] == str(len(http.body or ""))
    assert http.request_context.http.source_ip == "2001:db8::7"
    assert http.request_context.time_epoch == int(AT.timestamp() * 1000)
    lambda_context = http.request_context.authorizer.get_lambda
    assert lambda_context is not None
    assert lambda_context["authenticated"] is True
    assert lambda_context["merchant_id"] == "mer_1" and lambda_context["role"] == "staff"
    assert json.loads(lambda_context["site_ids"]) == ["site_a"]

    binary = APIGatewayProxyEventV2(http_event("PUT", "/v1/logo", body=b"\x89PNG"))
    assert binary.is_base64_encoded and base64.b64decode(binary.body or "") == b"\x89PNG"
    assert binary.request_context.authorizer.get_lambda == {"authenticated": False}

    sqs = SQSEvent(
        sqs_event(
            sqs_record({"delivery_id": "del_1"}, receive_count=3, at=AT),
            sqs_record("plain", queue="receipts", group_id="mer_1", attributes={"kind": "receipt"}),
        )
    )
    first, second = list(sqs.records)
    assert first.json_body == {"delivery_id": "del_1"}
    assert first.attributes.approximate_receive_count == "3"
    assert first.attributes.sent_timestamp == str(int(AT.timestamp() * 1000))
    assert first.md5_of_body == hashlib.md5(first.body.encode()).hexdigest()
    assert first.event_source == "aws:sqs" and first.event_source_arn.endswith(":delivery")
    assert first.message_id != second.message_id
    assert second.body == "plain"
    assert second.attributes.message_group_id == "mer_1"
    assert second.event_source_arn.endswith(":receipts.fifo")
    assert second.message_attributes["kind"].string_value == "receipt"

    scheduled = EventBridgeEvent(scheduled_event("clientele-purge", at=AT))
    assert scheduled.detail_type == "Scheduled Event"
    assert scheduled.source == "aws.events"
    assert scheduled.time == "2026-03-14T09:26:53Z"
    assert scheduled.resources == [f"arn:aws:events:{scheduled.region}:{scheduled.account}:rule/clientele-purge"]
    assert scheduled.detail == {}


def test_the_merchant_api_reads_the_principal_an_event_carries() -> None:
    from clientele.http.app import principal as principal_of

    for expected in (
        Principal(merchant_id="mer_1", key_id="key_1", role=Role.MANAGER, terms_accepted=True, country="FR"),
        Principal(merchant_id="mer_2", key_id="key_2", role=Role.STAFF, site_ids=["site_a", "site_b"], locale="nl"),
        Principal(merchant_id="mer_3", key_id="key_3", role=Role.OWNER, site_ids=[]),
    ):
        resolver = APIGatewayHttpResolver()
        resolver.current_event = APIGatewayProxyEventV2(http_event("GET", "/v1/customers", principal=expected))
        assert principal_of(resolver) == expected
