"""The groups' providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.customers.merging import Participant, merge_participant
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.sales import wiring as sales
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.groups.repository import GroupRepository
    from clientele.groups.service import GroupsService
    from clientele.platform.queues import Queue


class GroupSettings(Settings):
    group_jobs_queue_url: str = Field(default="", alias="GROUP_JOBS_QUEUE_URL")


@provider
def groups() -> GroupRepository:
    from clientele.groups.repository import GroupRepository

    return GroupRepository(data_table())


@provider
def group_jobs_queue() -> Queue:
    """Where a rule change queues its re-evaluation, one page of customers per message."""
    from clientele.platform.queues import Queue

    return Queue(settings(GroupSettings).group_jobs_queue_url)


@provider
def groups_service() -> GroupsService:
    from clientele.groups.service import GroupsService

    return GroupsService(groups(), customers.customers(), sales.sales(), account.merchants(), group_jobs_queue)


def _merge_groups(merchant_id: str, source_id: str, survivor_id: str) -> None:
    service = groups_service()
    service.erase_customer(merchant_id, source_id)  # the source leaves every group and index
    service.recompute_customer(merchant_id, survivor_id)  # the survivor's groups, from every sale now theirs


@merge_participant
def groups_merge() -> Participant:
    """A merge of two customers re-decides the survivor's groups, from the sales the merge has moved."""
    return Participant("groups", _merge_groups)
