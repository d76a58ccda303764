"""Pure rules of hosted signup."""

from __future__ import annotations

from clientele.kernel import clock


def link_is_current(generation: int, current: int, previous_until: str | None, now: str | None = None) -> bool:
    """Whether a signup (or kiosk) link made in ``generation`` still opens the page: the merchant's current
    generation always, the one just before it until ``previous_until`` (the rotation's grace period), never
    an older one. Timestamps are RFC 3339 UTC strings, so they compare as text."""
    if generation == current:
        return True
    if generation != current - 1 or previous_until is None:
        return False
    return (now or clock.now_iso()) < previous_until
