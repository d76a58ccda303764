"""A REQUEST authorizer (payload 2.0, simple responses) that counts its invocations."""

from __future__ import annotations

from typing import Any

CALLS: list[dict[str, Any]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append(event)
    allowed = event["identitySource"] == ["Bearer good"]
    return {"isAuthorized": allowed, "context": {"merchant_id": "mer_1", "role": "owner"}}
