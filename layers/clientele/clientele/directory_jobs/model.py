"""What the directory's jobs produce: a merge's outcome, a pair of likely duplicates, an export."""

from __future__ import annotations

from pydantic import Field

from clientele.kernel.entity import Entity


class FieldConflict(Entity):
    """A field both profiles held with different values: which one the survivor kept, which was dropped."""

    field: str
    kept: str
    dropped: str


class MergeOutcome(Entity):
    survivor_id: str
    source_id: str
    merged_at: str
    merged_by: str
    conflicts: list[FieldConflict] = Field(default_factory=list)
    moved: dict[str, int] = Field(default_factory=dict)  # item kind -> how many moved
    note_id: str | None = None  # the note holding the dropped values, when there were any


class DuplicatePair(Entity):
    first_id: str
    second_id: str
    reasons: list[str]  # "same_email", "same_phone", "similar_name"
    score: int  # 0-100: 100 for a shared email or phone, else the names' fuzzy score


class ExportJob(Entity):
    id: str
    merchant_id: str
    format: str  # csv | xlsx
    kind: str  # customers | marketing_emails
    filters: dict[str, str] = Field(default_factory=dict)
    marketing_preference: str | None = None  # kind marketing_emails: the preference opted into
    country: str = "NL"  # the merchant's, for phones in the filters
    status: str = "queued"  # queued | running | done | failed
    created_at: str
    created_by: str
    finished_at: str | None = None
    row_count: int | None = None
    file_expires_at: str  # when the file is deleted (lifecycle rule): the export stops being live
    reason: str | None = None


class Rejection(Entity):
    row: int  # as in a spreadsheet: the header is row 1
    column: str  # the file's own column name ("" for the whole row)
    code: str
    reason: str


class ImportJob(Entity):
    """An import and its report: counts, rejections (row, column, code), never a value from the file."""

    id: str
    merchant_id: str
    status: str = "awaiting_upload"  # awaiting_upload | queued | running | done | failed
    dry_run: bool = True
    marketing_preference: str | None = None  # what a yes/no opt-in column means, for new customers
    country: str = "NL"
    created_at: str
    created_by: str
    started_at: str | None = None
    finished_at: str | None = None
    total: int | None = None
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = Field(default_factory=list)  # the first 500
    mapping: dict[str, str] = Field(default_factory=dict)  # the file's column -> field
    ignored_columns: list[str] = Field(default_factory=list)
    labels_created: int = 0
    possible_duplicates: list[dict[str, str]] = Field(default_factory=list)  # {row, customer_id}, the first 100
    failure_code: str | None = None
    failure_reason: str | None = None


class AttributeRemoval(Entity):
    """Taking a custom attribute's values off its holders, in the background: ids, a key and counts only."""

    id: str
    merchant_id: str
    key: str  # the attribute's key (the merchant's own word, never a customer's)
    status: str = "queued"  # queued | running | done
    total: int  # customers holding a value when it started
    processed: int = 0  # of them, those whose value is gone
    created_at: str
    created_by: str
    finished_at: str | None = None
