"""One-time codes of the privacy portal: one item per address (by keyed hash), expiring by TTL."""

from __future__ import annotations

import hmac

from clientele.storage.table import ConditionFailed, Item, Table


def _pk(kind: str, value_hash: str) -> str:
    return f"OTP#{kind.upper()}#{value_hash}"


_SK = "OTP"


class OneTimeCodeRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def issue(self, kind: str, value_hash: str, code_hash: str, *, expires_at: int) -> None:
        """A new code replaces any earlier one (and its attempt count)."""
        self.table.put(
            {
                "PK": _pk(kind, value_hash),
                "SK": _SK,
                "entity": "one_time_code",
                "code_hash": code_hash,
                "attempts": 0,
                "expires_at": expires_at,
            }
        )

    def get(self, kind: str, value_hash: str) -> Item | None:
        return self.table.get(_pk(kind, value_hash), _SK, consistent=True)

    def attempt(self, kind: str, value_hash: str, code_hash: str, max_attempts: int) -> tuple[bool, int] | None:
        """Evaluate one guess: ``(right, attempts so far)``, or ``None`` when the code is used up or gone.

        Every guess first takes one of the code's attempts in a single conditional write (the count and
        the check that attempts remain are one operation), and only a guess that got an attempt is compared:
        however many guesses arrive at once, at most ``max_attempts`` are ever evaluated. A right guess then
        deletes the code, conditionally, so that it works once even if two right guesses race."""
        try:
            item = self.table.update(
                _pk(kind, value_hash),
                _SK,
                "ADD attempts :one",
                condition="attribute_exists(PK) AND attempts < :max AND attribute_not_exists(used)",
                vals={":one": 1, ":max": max_attempts},
            )
        except ConditionFailed:
            return None
        attempts = int(item["attempts"])
        if not hmac.compare_digest(str(item.get("code_hash", "")), code_hash):
            return False, attempts
        try:
            self.table.update(
                _pk(kind, value_hash),
                _SK,
                "SET used = :t",
                condition="attribute_exists(PK) AND attribute_not_exists(used)",
                vals={":t": True},
            )
        except ConditionFailed:
            return None
        self.table._client.delete_item(
            TableName=self.table.name, Key={"PK": {"S": _pk(kind, value_hash)}, "SK": {"S": _SK}}
        )
        return True, attempts
