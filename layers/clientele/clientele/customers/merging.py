"""The merge port: how other contexts join a merge of two customers without this context knowing them.

The customer profile, its contact guards, notes, labels, consent and marketing choices belong to this
context; sales, cards and counters move with the merge use case (``directory_jobs``), which sits above
sales. Contexts built on customers (loyalty points, memberships, groups) keep their own items: each
declares a :func:`merge_participant` provider in its ``wiring.py``, and the merge calls every registered
participant once the source's own items have moved and before the source profile goes.

A participant must be idempotent: a merge that died half-way is resumed from the start of the
participants' step, so ``merge`` may be called twice for the same pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from clientele.platform.providers import provider


class MergeParticipant(Protocol):
    """One context's part of a merge: move or fold what it keeps for ``source_id`` into ``survivor_id``."""

    name: str

    def merge(self, merchant_id: str, source_id: str, survivor_id: str) -> None: ...


@dataclass(frozen=True)
class Participant:
    """A participant made of a name and the function that does its part."""

    name: str
    apply: Callable[[str, str, str], object]

    def merge(self, merchant_id: str, source_id: str, survivor_id: str) -> None:
        self.apply(merchant_id, source_id, survivor_id)


P = TypeVar("P", bound=MergeParticipant)

_REGISTERED: dict[str, Callable[[], MergeParticipant]] = {}


def merge_participant(build: Callable[[], P]) -> Callable[[], P]:
    """Declare a provider of a participant (built once per container, on the first merge)."""
    built = provider(build)
    _REGISTERED[f"{build.__module__}.{build.__qualname__}"] = built
    return built


def unregister(build: Callable[[], MergeParticipant]) -> None:
    """Take a participant out again (tests that declare their own)."""
    for name, registered in list(_REGISTERED.items()):
        if registered is build:
            del _REGISTERED[name]


def merge_participants() -> list[MergeParticipant]:
    """Every registered participant, in the order they were declared."""
    return [build() for build in _REGISTERED.values()]


__all__ = ["MergeParticipant", "Participant", "merge_participant", "merge_participants", "unregister"]
