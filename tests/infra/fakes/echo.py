"""Answers with the event it received, and the environment it ran in."""

from __future__ import annotations

import json
import os
from typing import Any

EVENTS: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-function": context.function_name},
        "cookies": ["a=1; Path=/", "b=2; Path=/"],
        "body": json.dumps(
            {
                "table": os.environ.get("TABLE_NAME"),
                "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
                "path": event["rawPath"],
            }
        ),
    }


def bare_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """No statusCode: API Gateway answers 200 with the result as JSON."""
    EVENTS.append(event)
    return {"hello": "world"}


def binary_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    return {
        "statusCode": 201,
        "headers": {"content-type": "image/png"},
        "isBase64Encoded": True,
        "body": "iVBORw0KGgo=",
    }


def failing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    address = event["headers"].get("x-email", "shopper@example.com")
    raise RuntimeError(f"{address} broke it")  # personal data in a message that must never be logged
