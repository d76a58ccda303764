"""The API shapes of the directory's jobs (merge, duplicates, exports, imports)."""

from __future__ import annotations

from pydantic import Field

from clientele.directory_jobs.model import DuplicatePair, MergeOutcome
from clientele.http.schemas import Input, Output


class MergeIn(Input):
    source_customer_id: str = Field(min_length=1, max_length=64, description="The profile merged away.")


class ConflictOut(Output):
    field: str = Field(description="The field both profiles held differently (`marketing.{id}` per preference).")
    kept: str = Field(description="The value the survivor kept.")
    dropped: str = Field(description="The value dropped (also kept in a note on the survivor).")


class MergeOut(Output):
    survivor_id: str
    source_id: str
    merged_at: str
    merged_by: str = Field(description="The API key that merged.")
    conflicts: list[ConflictOut]
    moved: dict[str, int] = Field(description="What moved to the survivor, by kind (`activity` counts sales).")
    note_id: str | None = Field(default=None, description="The note holding the dropped values.")

    @classmethod
    def of(cls, outcome: MergeOutcome) -> MergeOut:
        return cls(
            survivor_id=outcome.survivor_id,
            source_id=outcome.source_id,
            merged_at=outcome.merged_at,
            merged_by=outcome.merged_by,
            conflicts=[ConflictOut(field=c.field, kept=c.kept, dropped=c.dropped) for c in outcome.conflicts],
            moved=outcome.moved,
            note_id=outcome.note_id,
        )


class DuplicateOut(Output):
    customer_ids: list[str] = Field(description="The two customers, in id order.")
    reasons: list[str] = Field(description="`same_email`, `same_phone`, `similar_name`.")
    score: int = Field(description="100 for a shared email or phone; else the names' similarity (0-100).")

    @classmethod
    def of(cls, pair: DuplicatePair) -> DuplicateOut:
        return cls(customer_ids=[pair.first_id, pair.second_id], reasons=pair.reasons, score=pair.score)


class DuplicateList(Output):
    items: list[DuplicateOut]
    cursor: str | None = None
    compared: int = Field(description="Pairs compared (blocked by email, phone suffix and name token).")
