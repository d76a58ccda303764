"""boto3 clients and resources, created on first use and reused for the life of the container.

``AWS_ENDPOINT_URL`` (honoured by botocore itself) points them at the local emulated AWS.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from clientele.platform.providers import on_reset

_BOTO_CONFIG = BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_BOTO_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between runs)."""
    client.cache_clear()


on_reset(reset_clients)
