"""The directory jobs' providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.erasure.service import TombstoneCounts, tombstone_counts

# The contexts that take part in a merge declare their participants in their wiring: loyalty (points),
# memberships (moved) and groups (re-decided from the sales, which the merge moves before any participant).
from clientele.groups import wiring as _groups  # noqa: F401
from clientele.loyalty import wiring as _loyalty  # noqa: F401
from clientele.memberships import wiring as _memberships
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret
from clientele.sales import wiring as sales
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.directory_jobs.attributes import AttributeRemovals
    from clientele.directory_jobs.duplicates import DuplicateService
    from clientele.directory_jobs.exports import ExportService
    from clientele.directory_jobs.imports import ImportService
    from clientele.directory_jobs.merge import MergeService
    from clientele.directory_jobs.repository import ExportRepository
    from clientele.platform.files import FileStore
    from clientele.platform.queues import Queue


@provider
def merge_service() -> MergeService:
    from clientele.customers.merging import merge_participants
    from clientele.directory_jobs.merge import MergeService
    from clientele.directory_jobs.repository import MergeRepository

    repository = customers.customers()
    return MergeService(
        MergeRepository(data_table(), repository, sales.sales()), repository, app_secret, merge_participants
    )


@provider
def duplicate_service() -> DuplicateService:
    from clientele.directory_jobs.duplicates import DuplicateService

    repository = customers.customers()
    return DuplicateService(repository.directory, app_secret)


class DirectoryJobSettings(Settings):
    job_files_bucket: str = Field(default="", alias="JOB_FILES_BUCKET")
    directory_jobs_queue_url: str = Field(default="", alias="DIRECTORY_JOBS_QUEUE_URL")


@provider
def job_files() -> FileStore:
    """The private bucket of export and import files (``JOB_FILES_BUCKET``)."""
    from clientele.platform.files import FileStore

    return FileStore(settings(DirectoryJobSettings).job_files_bucket)


@provider
def jobs_queue() -> Queue:
    """The queue the worker runs exports and imports from (``DIRECTORY_JOBS_QUEUE_URL``)."""
    from clientele.platform.queues import Queue

    return Queue(settings(DirectoryJobSettings).directory_jobs_queue_url)


@provider
def exports() -> ExportRepository:
    from clientele.directory_jobs.repository import ExportRepository

    return ExportRepository(data_table())


@provider
def export_service() -> ExportService:
    from clientele.directory_jobs.exports import ExportService

    return ExportService(
        exports(),
        customers.customers(),
        account.merchants(),
        job_files,
        jobs_queue,
        memberships=lambda: _memberships.membership_service().member_lines,
    )


@tombstone_counts
def live_exports() -> TombstoneCounts:
    """An erased customer's tombstone counts the live exports that still hold them (until their 7 days end)."""
    from clientele.kernel import clock

    repository = exports()
    return lambda merchant_id, customer_id: {
        "live_exports": repository.live_exports_holding(merchant_id, customer_id, clock.now_iso())
    }


@provider
def import_service() -> ImportService:
    from clientele.directory_jobs.imports import ImportService
    from clientele.directory_jobs.repository import ImportRepository

    return ImportService(
        ImportRepository(data_table()),
        customers.customers(),
        account.merchants(),
        files=job_files,
        queue=jobs_queue,
        secret=app_secret,
    )


@provider
def attribute_removals() -> AttributeRemovals:
    """Removing a custom attribute from its holders, as a job of the jobs queue."""
    from clientele.directory_jobs.attributes import AttributeRemovals
    from clientele.directory_jobs.repository import AttributeRemovalRepository

    return AttributeRemovals(
        AttributeRemovalRepository(data_table()),
        attributes=account.custom_attributes,
        customers=customers.customer_service,
        directory=customers.directory_service,
        queue=jobs_queue,
    )
