"""Likely duplicates (``GET /v1/customers/duplicates``) and "possible duplicate of …" on create and import.

Read from the directory (one ``BatchGetItem``, whatever the list's size); candidates are blocked by email,
the last digits of a phone and each name token, so only customers sharing a block are compared, and a
very common block is cut at :data:`rules.BLOCK_LIMIT`: the cost is bounded, never all pairs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from clientele.customers.directory import DirectoryStore, entry_of
from clientele.customers.model import Customer
from clientele.customers.rules import Entry
from clientele.directory_jobs import rules
from clientele.directory_jobs.model import DuplicatePair
from clientele.kernel.errors import BadRequest
from clientele.kernel.permissions import Principal


@dataclass(frozen=True)
class DuplicatePage:
    items: list[DuplicatePair]
    cursor: str | None
    compared: int


def person_of(entry: Entry) -> rules.Person:
    return rules.Person(id=entry.id, name=f"{entry.given} {entry.family}".strip(), email=entry.email, phone=entry.phone)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = text.split(":", 1)
        if kind != "dup" or not value.isdigit():
            raise ValueError(cursor)
        return int(value)
    except ValueError as exc:
        raise BadRequest("The cursor is not valid.", field="cursor", code="INVALID_CURSOR") from exc


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"dup:{offset}".encode()).decode().rstrip("=")


class DuplicateService:
    def __init__(self, store: DirectoryStore, secret: Callable[[], bytes]) -> None:
        self.store = store
        self._secret = secret

    def _people(self, merchant_id: str) -> list[rules.Person]:
        return [person_of(e) for shard in self.store.load(merchant_id) for e in shard.entries.values()]

    def page(self, principal: Principal, *, limit: int, cursor: str | None) -> DuplicatePage:
        """Pairs, most alike first (then by ids), a page at a time."""
        found = rules.likely_duplicates(self._people(principal.merchant_id))
        ordered = sorted(found.pairs.items(), key=lambda kv: (-kv[1][1], kv[0]))
        start = _offset(cursor)
        page = ordered[start : start + limit]
        more = start + limit < len(ordered)
        return DuplicatePage(
            items=[
                DuplicatePair(first_id=a, second_id=b, reasons=sorted(reasons), score=score)
                for (a, b), (reasons, score) in page
            ],
            cursor=_cursor(start + limit) if more else None,
            compared=found.comparisons,
        )

    def possible_duplicates_of(self, principal: Principal, customer: Customer) -> list[tuple[str, list[str]]]:
        """Who ``customer`` looks like (never blocking: the caller only reports it)."""
        return rules.matches_for(person_of(entry_of(customer)), self._people(principal.merchant_id))[:10]
