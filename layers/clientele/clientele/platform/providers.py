"""The registry of providers: what a container builds once (clients, repositories, services).

Each context declares its providers in its own ``wiring.py`` with :func:`provider`; a function builds
only what its routes ask for. :func:`reset` forgets everything built, for tests and the local stack's
cold starts, without a hand-kept list.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

_FORGET: list[Callable[[], Any]] = []


def provider(build: Callable[[], T]) -> Callable[[], T]:
    """``build`` runs once per container (until :func:`reset`)."""
    cached = cache(build)
    _FORGET.append(cached.cache_clear)
    return cached


def on_reset(forget: Callable[[], Any]) -> None:
    """Call ``forget`` on :func:`reset` (caches that are not providers: settings, clients)."""
    _FORGET.append(forget)


def reset() -> None:
    for forget in _FORGET:
        forget()
