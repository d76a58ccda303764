"""Per-key rate limits of the merchant API: one runaway till cannot spend the merchant's capacity.

Each API key has a fixed-window budget of requests per minute (``API_REQUESTS_PER_MINUTE``, 600 by
default), counted in the data table with :mod:`clientele.storage.rate_limits` in steps (see ``_tallies``);
a key over its budget gets 429 ``RATE_LIMITED`` with ``Retry-After`` (seconds until the next window)
before anything else runs.
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


FLUSH_EVERY = 10  # requests a container counts locally before it adds them to the key's counter


def bucket(key_id: str) -> Bucket:
    return Bucket(SCOPE, key_id, settings(ApiLimitSettings).requests_per_minute, WINDOW_SECONDS)


class _Tally:
    """What this container counted for one key in the current window and has not added to the table yet."""

    __slots__ = ("blocked", "pending", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self.pending = 0
        self.blocked = False


# Per container: a warm container adds its requests to the key's counter in steps of FLUSH_EVERY (and at
# the first request of each window), so most requests make no extra call; a key can overshoot its budget
# by fewer than FLUSH_EVERY requests per warm container. Once the counter is full, this container refuses
# the key without another call until the window ends.
_tallies: dict[str, _Tally] = {}


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
    now = int(clock.utcnow().timestamp())
    window = now - now % WINDOW_SECONDS
    wait = max(1, window + WINDOW_SECONDS - now)
    tally = _tallies.get(key_id)
    if tally is None or tally.window != window:
        if len(_tallies) > 10_000:
            _tallies.clear()
        tally = _tallies[key_id] = _Tally(window)
        first = True
    else:
        first = False
    if tally.blocked:
        return wait
    tally.pending += 1
    if not first and tally.pending < FLUSH_EVERY:
        return None
    counted, tally.pending = tally.pending, 0
    try:
        RateLimitRepository(data_table()).add(bucket(key_id), counted, now_epoch=now)
    except LimitReached:
        tally.blocked = True
        logger.warning("api key rate limited", extra={"key_id": key_id})
        return wait
    return None
