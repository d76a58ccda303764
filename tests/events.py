"""Event factories for calling handlers directly: plain dicts shaped like the events AWS sends.

* :func:`http_event`: an API Gateway HTTP API (payload format 2.0) request, with the lambda
  authorizer's context for a :class:`~clientele.kernel.permissions.Principal` (as the authorizer
  function builds it) or for an anonymous caller.
* :func:`sqs_event`: an SQS batch of records (standard or FIFO queue).
* :func:`scheduled_event`: the event an EventBridge schedule rule sends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from clientele.kernel.permissions import Principal

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
API_ID = "a1b2c3d4e5"


def _moment(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC)


def authorizer_context(principal: Principal | None) -> dict[str, Any]:
    """What the authorizer function returns as ``context`` (``None``: no or an unknown API key)."""
    if principal is None:
        return {"authenticated": False}
    return {
        "authenticated": True,
        "merchant_id": principal.merchant_id,
        "key_id": principal.key_id,
        "role": principal.role.value,
        "site_ids": json.dumps(principal.site_ids) if principal.site_ids is not None else "",
        "terms_accepted": principal.terms_accepted,
        "country": principal.country,
        "locale": principal.locale,
    }


def http_event(
    method: str,
    path: str,
    *,
    principal: Principal | None = None,
    route_key: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    source_ip: str = "198.51.100.7",
    at: datetime | None = None,
    with_authorizer: bool = True,
) -> dict[str, Any]:
    """An HTTP API v2 event. ``body``: bytes are sent base64-encoded, str as is, anything else as JSON.

    ``route_key`` defaults to ``"METHOD path"``; give the templated route (``"GET /v1/customers/{id}"``)
    together with ``path_parameters`` for routes with parameters.
    """
    moment = _moment(at)
    domain = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
    sent_headers = {
        "host": domain,
        "user-agent": "till/1.0",
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "x-amzn-trace-id": f"Root=1-{int(moment.timestamp()):08x}-{uuid.uuid4().hex[:24]}",
    }
    if principal is not None:
        sent_headers["authorization"] = "Bearer ck_test"
    raw_body: str | None = None
    encoded = False
    if isinstance(body, bytes):
        raw_body, encoded = base64.b64encode(body).decode(), True
    elif isinstance(body, str):
        raw_body = body
    elif body is not None:
        raw_body = json.dumps(body)
        sent_headers["content-type"] = "application/json"
    if raw_body is not None:
        sent_headers["content-length"] = str(len(base64.b64decode(raw_body) if encoded else raw_body.encode()))
    sent_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    key = route_key or f"{method.upper()} {path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": key,
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": sent_headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": API_ID,
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": sent_headers["user-agent"],
            },
            "requestId": base64.urlsafe_b64encode(uuid.uuid4().bytes[:12]).decode(),
            "routeKey": key,
            "stage": "$default",
            "time": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment.timestamp() * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if with_authorizer:
        event["requestContext"]["authorizer"] = {"lambda": authorizer_context(principal)}
    if cookies:
        event["cookies"] = list(cookies)
    if query:
        event["queryStringParameters"] = dict(query)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if raw_body is not None:
        event["body"] = raw_body
    return event


def sqs_record(
    body: Any,
    *,
    queue: str = "delivery",
    receive_count: int = 1,
    group_id: str | None = None,
    attributes: dict[str, str] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One SQS record; ``body`` other than a str is sent as JSON. ``group_id``: a FIFO queue's record."""
    text = body if isinstance(body, str) else json.dumps(body)
    sent_ms = str(int(_moment(at).timestamp() * 1000))
    record_attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": sent_ms,
        "SenderId": "AROAEXAMPLE:clientele",
        "ApproximateFirstReceiveTimestamp": sent_ms,
    }
    if group_id is not None:
        record_attributes.update(
            MessageGroupId=group_id,
            MessageDeduplicationId=hashlib.sha256(text.encode()).hexdigest(),
            SequenceNumber=str(int(sent_ms) * 1000),
        )
    message_attributes = {
        name: {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
        for name, value in (attributes or {}).items()
    }
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": base64.b64encode(uuid.uuid4().bytes * 3).decode(),
        "body": text,
        "attributes": record_attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": hashlib.md5(text.encode()).hexdigest(),  # what SQS sends
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}{'.fifo' if group_id is not None else ''}",
        "awsRegion": REGION,
    }


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    """An SQS batch, from :func:`sqs_record` records."""
    return {"Records": list(records)}


def scheduled_event(rule: str = "clientele-daily", *, at: datetime | None = None) -> dict[str, Any]:
    """The event an EventBridge schedule rule (``rate(...)`` or ``cron(...)``) sends to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": _moment(at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }
