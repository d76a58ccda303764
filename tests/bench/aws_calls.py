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
        self._hooked: set[int] = set()

    def _on_call(self, model: Any, **_: Any) -> None:
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
