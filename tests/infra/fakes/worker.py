"""An SQS consumer: a message whose body is "fail" fails, the others succeed."""

from __future__ import annotations

from typing import Any

BATCHES: list[list[dict[str, Any]]] = []


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event["Records"]
    BATCHES.append(records)
    failures = [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "fail"]
    return {"batchItemFailures": failures}


def all_or_nothing(event: dict[str, Any], context: Any) -> None:
    records = event["Records"]
    BATCHES.append(records)
    if any(record["body"] == "fail" for record in records):
        raise ValueError("a message failed")
