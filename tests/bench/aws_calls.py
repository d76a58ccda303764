"""Count the AWS calls an operation makes, with botocore's event hooks.

Every boto3 client the product uses comes from ``clientele.platform.aws.client``; a ``before-call``
handler registered on each of them sees every API call (retries are separate sends, not calls).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clientele.platform import aws


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.key_counter_flushes = 0  # the per-key API rate limit's amortised UpdateItem, counted apart
        self._hooked: set[int] = set()

    def _on_call(self, model: Any, params: Any = None, **_: Any) -> None:
        body = params.get("body") if isinstance(params, dict) else None  # the request as it is sent (JSON)
        if (
            model.name == "UpdateItem"
            and isinstance(body, bytes | str)
            and '"RATE#api-key#' in (body.decode() if isinstance(body, bytes) else body)
        ):
            # A warm container adds a key's requests to its per-minute counter at the first request of each
            # minute and every tenth one after (http/limits.py): a cost of the key's traffic, not of the
            # operation measured, so it is counted apart (and printed by the bench).
            self.key_counter_flushes += 1
            return
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def hook_clients(self) -> None:
        """Hook every client created so far (call again after new clients appear)."""
        original = aws.client
        for service in ("dynamodb", "sqs", "ses", "sesv2", "sns", "secretsmanager", "ssm", "s3"):
            client = original(service)
            if id(client) not in self._hooked:
                client.meta.events.register("before-call.*.*", self._on_call)
                self._hooked.add(id(client))

    @contextmanager
    def measure(self) -> Iterator[Counter[str]]:
        self.hook_clients()
        self.calls.clear()
        found: Counter[str] = Counter()
        yield found
        found.update(self.calls)
