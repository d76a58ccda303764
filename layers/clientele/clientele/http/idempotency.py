"""``Idempotency-Key`` for every POST that creates money or messages (SPEC section 4).

Built on Powertools Idempotency with the DynamoDB persistence layer (``IdempotencyTable``): the record is
keyed by the route's scope, the merchant and the client's key, so two merchants never share a key; the
request body is hashed for payload validation, so the same key with another body is refused. A replay
returns the first response. Records live :data:`RECORD_SECONDS` (the spec asks for at least 24 hours).

Powertools' exceptions become domain errors here, so the one error mapping at the edge applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from clientele.kernel.errors import BadRequest, Conflict, ValidationFailed
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider

RECORD_SECONDS = 48 * 3600
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces: UUIDs, ULIDs, till receipt numbers


@dataclass(frozen=True)
class Outcome:
    response: dict[str, Any]
    replayed: bool


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise BadRequest(
            "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.",
            field="Idempotency-Key",
            code="INVALID_IDEMPOTENCY_KEY",
        )
    return key


class Idempotency:
    def __init__(self, table_name: str, dynamodb_client: Any) -> None:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

        self._persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb_client)
        self._config = IdempotencyConfig(
            event_key_jmespath="[scope, merchant_id, key]",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=RECORD_SECONDS,
            hash_function="sha256",
            response_hook=lambda response, _record: {**response, "__replayed": True},
        )

    def run(
        self,
        *,
        scope: str,
        merchant_id: str,
        key: str,
        payload: Any,
        action: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> Outcome:
        """Run ``action`` once per (scope, merchant, key); replays get its first answer back."""
        from aws_lambda_powertools.utilities.idempotency import idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
            # An in-progress record of a request that timed out expires with it, so a retry can proceed.
            self._config.register_lambda_context(lambda_context)

        def execute(request: dict[str, Any]) -> dict[str, Any]:
            return action()

        guarded = idempotent_function(
            execute,
            data_keyword_argument="request",
            persistence_store=self._persistence,
            config=self._config,
            key_prefix="clientele",
        )
        request = {"scope": scope, "merchant_id": merchant_id, "key": key, "payload": payload}
        try:
            response = dict(guarded(request=request))
        except IdempotencyValidationError as exc:
            raise ValidationFailed(
                "This Idempotency-Key was used with a different request body.",
                field="Idempotency-Key",
                code="IDEMPOTENCY_KEY_REUSED",
            ) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise Conflict(
                "A request with this Idempotency-Key is still in progress; retry shortly.",
                field="Idempotency-Key",
                code="IDEMPOTENCY_KEY_IN_USE",
            ) from exc
        replayed = bool(response.pop("__replayed", False))
        return Outcome(response=response, replayed=replayed)


HEADER = "Idempotency-Key"


def idempotent_post(
    app: Any,
    *,
    merchant_id: str,
    body: Any,
    action: Callable[[str | None], dict[str, Any]],
    status: int,
    location: Callable[[dict[str, Any]], str],
) -> Any:
    """The one way a POST that creates money, messages or points runs: ``action(key)`` once per
    ``Idempotency-Key`` (when the request sends one; services derive ids from it too), a replay answered with
    the first response and ``Idempotent-Replayed: true``. The key's scope is the route (``POST
    /v1/sales/{id}/receipts``); the payload a reused key must match is the path's parameters and the parsed
    ``body`` (a pydantic model, or None), so the same request written differently is still the same request."""
    from clientele.http.app import json_response

    event = app.current_event
    key = check_key(event.headers.get(HEADER.lower()))
    if key is None:
        response, replayed = action(None), False
    else:
        outcome = idempotency().run(
            scope=event.request_context.route_key,
            merchant_id=merchant_id,
            key=key,
            payload={
                "path": dict(event.path_parameters or {}),
                "body": None if body is None else body.model_dump(mode="json"),
            },
            action=lambda: action(key),
            lambda_context=app.lambda_context,
        )
        response, replayed = outcome.response, outcome.replayed
    headers = {"Location": location(response)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(status, response, headers=headers)


class IdempotencySettings(Settings):
    idempotency_table_name: str = Field(default="", alias="IDEMPOTENCY_TABLE_NAME")


@provider
def idempotency() -> Idempotency:
    """The idempotency store of this function (``IDEMPOTENCY_TABLE_NAME``)."""
    from clientele.platform.aws import client

    return Idempotency(settings(IdempotencySettings).idempotency_table_name, client("dynamodb"))
