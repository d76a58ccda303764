"""One-time codes of the privacy portal: one item per address (by keyed hash), expiring by TTL."""

from __future__ import annotations

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

    def count_attempt(self, kind: str, value_hash: str, max_attempts: int) -> int | None:
        """Count a wrong attempt; the attempts so far, or ``None`` when the code is used up or gone."""
        try:
            item = self.table.update(
                _pk(kind, value_hash),
                _SK,
                "ADD attempts :one",
                condition="attribute_exists(PK) AND attempts < :max",
                vals={":one": 1, ":max": max_attempts},
            )
        except ConditionFailed:
            return None
        return int(item["attempts"])

    def consume(self, kind: str, value_hash: str, code_hash: str, max_attempts: int) -> bool:
        """Delete the code if it is this one and still has attempts left: a code works once."""
        try:
            self.table.update(
                _pk(kind, value_hash),
                _SK,
                "SET used = :t",
                condition="code_hash = :h AND attempts < :max AND attribute_not_exists(used)",
                vals={":h": code_hash, ":max": max_attempts, ":t": True},
            )
        except ConditionFailed:
            return False
        self.table._client.delete_item(
            TableName=self.table.name, Key={"PK": {"S": _pk(kind, value_hash)}, "SK": {"S": _SK}}
        )
        return True
