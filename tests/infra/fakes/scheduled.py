"""A scheduled function that answers with the time it was told."""

from __future__ import annotations

from typing import Any

EVENTS: list[Any] = []


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    return {"ran_for": event.get("time") if isinstance(event, dict) else None}
