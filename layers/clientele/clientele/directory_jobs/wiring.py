"""The directory jobs' providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.customers import wiring as customers
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret
from clientele.sales import wiring as sales
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.directory_jobs.duplicates import DuplicateService
    from clientele.directory_jobs.merge import MergeService


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
