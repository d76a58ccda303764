"""The API shapes of the directory's jobs (merge, duplicates, exports, imports)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from clientele.customers.model import Source
from clientele.directory_jobs.model import AttributeRemoval, DuplicatePair, ExportJob, ImportJob, MergeOutcome
from clientele.http.schemas import Id, Input, Output


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


class ExportFilters(Input):
    """The directory's filters (as `GET /v1/customers` takes them); every one given must hold."""

    q: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    label: str | None = Field(default=None, max_length=1400, description="One id or several, comma-separated.")
    marketing_preference: str | None = Field(default=None, max_length=1400, description="Opted in (ids).")
    site_id: str | None = Field(default=None, max_length=1400)
    group_id: str | None = Field(default=None, max_length=1400)
    has_membership: str | None = Field(default=None, max_length=5, description="`true` or `false`.")
    attributes: dict[str, str] | None = Field(
        default=None, max_length=20, description="Custom attribute filters, `{key: value}` (`attribute.{key}=value`)."
    )
    source: Source | None = None
    sort: str | None = Field(default=None, max_length=20)
    order: str | None = Field(default=None, max_length=4)

    def to_dict(self) -> dict[str, str]:
        given = self.model_dump(mode="json", exclude_none=True)
        attributes = given.pop("attributes", None) or {}
        return {k: str(v) for k, v in given.items()} | {f"attribute.{k}": str(v) for k, v in attributes.items()}


class ExportIn(Input):
    format: Literal["csv", "xlsx"] = Field(default="csv", description="`csv` (UTF-8) or `xlsx` (Excel).")
    filters: ExportFilters | None = Field(default=None, description="The list's filters; none: everyone.")
    marketing_preference: Id | None = Field(
        default=None,
        description="Instead of the list: the emails opted into this preference, with when and how they opted "
        "in and the wording they saw.",
    )


class ExportOut(Output):
    id: str
    status: str = Field(description="`queued`, `running`, `done` or `failed`.")
    format: str
    kind: str = Field(description="`customers` or `marketing_emails`.")
    filters: dict[str, str]
    marketing_preference: str | None = None
    created_at: str
    created_by: str = Field(description="The API key that asked for it.")
    finished_at: str | None = None
    row_count: int | None = None
    file_expires_at: str = Field(description="When the file is deleted (7 days).")
    download_url: str | None = Field(default=None, description="While done and not expired: valid 15 minutes.")
    reason: str | None = Field(default=None, description="Why it failed.")

    @classmethod
    def of(cls, job: ExportJob, link: str | None = None) -> ExportOut:
        return cls(
            id=job.id,
            status=job.status,
            format=job.format,
            kind=job.kind,
            filters=job.filters,
            marketing_preference=job.marketing_preference,
            created_at=job.created_at,
            created_by=job.created_by,
            finished_at=job.finished_at,
            row_count=job.row_count,
            file_expires_at=job.file_expires_at,
            download_url=link,
            reason=job.reason,
        )


class ExportList(Output):
    items: list[ExportOut]
    cursor: str | None = None


class ImportIn(Input):
    marketing_preference: Id | None = Field(
        default=None,
        description="What a yes/no opt-in column (e.g. Square's `Email Subscription Status`) means for new "
        "customers, recorded with source `import`. Existing customers' choices never change.",
    )


class ImportStart(Input):
    dry_run: StrictBool = Field(default=True, description="Report what the import would do, writing nothing.")


class UploadForm(Output):
    url: str = Field(description="POST the file here as `multipart/form-data`, with `fields` first, then `file`.")
    fields: dict[str, str]
    max_bytes: int
    expires_in: int = Field(description="Seconds the form stays valid.")


class RejectionOut(Output):
    row: int = Field(description="As in a spreadsheet: the header is row 1.")
    column: str = Field(description="The file's column name (empty: the whole row).")
    code: str
    reason: str


class ImportOut(Output):
    id: str
    status: str = Field(description="`awaiting_upload`, `queued`, `running`, `done` or `failed`.")
    dry_run: bool
    marketing_preference: str | None = None
    created_at: str
    created_by: str
    started_at: str | None = None
    finished_at: str | None = None
    total: int | None = Field(default=None, description="Data rows in the file.")
    processed: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    rejections: list[RejectionOut] = Field(description="The first 500: row, column, code.")
    mapping: dict[str, str] = Field(description="Which of the file's columns became which field.")
    ignored_columns: list[str]
    labels_created: int
    possible_duplicates: list[dict[str, str]] = Field(description="New rows that look like a customer: row, id.")
    failure_code: str | None = None
    failure_reason: str | None = None
    upload: UploadForm | None = Field(default=None, description="Only when the import was just created.")

    @classmethod
    def of(cls, job: ImportJob, upload: UploadForm | None = None) -> ImportOut:
        return cls(
            **job.model_dump(exclude={"merchant_id", "country", "rejections"}),
            rejections=[RejectionOut(**r.model_dump()) for r in job.rejections],
            upload=upload,
        )


class AttributeRemovalOut(Output):
    """A custom attribute's removal: its values are taken off the customers in the background."""

    id: str
    key: str
    status: str = Field(description="`queued`, `running` or `done` (the definition is gone, the key free).")
    total: int = Field(description="Customers holding a value when it started.")
    processed: int = Field(description="Of them, those whose value is gone.")
    remaining: int = Field(description="`total` - `processed`.")
    created_at: str
    created_by: str = Field(description="The API key that asked for it.")
    finished_at: str | None = None

    @classmethod
    def of(cls, job: AttributeRemoval) -> AttributeRemovalOut:
        return cls(
            id=job.id, key=job.key, status=job.status, total=job.total, processed=job.processed,
            remaining=job.total - job.processed, created_at=job.created_at, created_by=job.created_by,
            finished_at=job.finished_at,
        )  # fmt: skip
