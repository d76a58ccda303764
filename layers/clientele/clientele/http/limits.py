"""Per-key rate limits of the merchant API: one runaway till cannot spend the merchant's capacity.

Each API key has a fixed-window budget of requests per minute (``API_REQUESTS_PER_MINUTE``, 600 by
default), counted in the data table with :mod:`clientele.storage.rate_limits`; a key over its budget gets
429 ``RATE_LIMITED`` with ``Retry-After`` (seconds until the next window) before anything else runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from clientele.kernel import clock
from clientele.platform.config import Settings, settings
from clientele.platform.observability import logger
from clientele.storage.rate_limits import Bucket, LimitReached, RateLimitRepository
from clientele.storage.table import data_table

SCOPE = "api-key"
WINDOW_SECONDS = 60


class ApiLimitSettings(Settings):
    requests_per_minute: int = Field(default=600, ge=1, alias="API_REQUESTS_PER_MINUTE")


def bucket(key_id: str) -> Bucket:
    return Bucket(SCOPE, key_id, settings(ApiLimitSettings).requests_per_minute, WINDOW_SECONDS)


def retry_after(event: dict[str, Any]) -> int | None:
    """Count this request against its key; the seconds to wait when the key's budget is spent, else ``None``.
    Requests without an authenticated key (hosted pages, refused keys) are not counted here."""
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    context = authorizer.get("lambda") if isinstance(authorizer, dict) else None
    if not isinstance(context, dict) or context.get("authenticated") not in (True, "true"):
        return None
    key_id = context.get("key_id")
    if not isinstance(key_id, str) or not key_id:
        return None
    try:
        RateLimitRepository(data_table()).consume([bucket(key_id)], now_epoch=int(clock.utcnow().timestamp()))
    except LimitReached as exc:
        logger.warning("api key rate limited", extra={"key_id": key_id})
        return max(1, exc.retry_after)
    return None
