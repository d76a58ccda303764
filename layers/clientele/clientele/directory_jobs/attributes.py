"""Removing a custom attribute (``DELETE /v1/custom-attributes/{key}``): a job with progress.

The definition stops being usable at once (``deleting_since``: no value can be set, no filter used); when
no customer holds a value it is gone at once. Otherwise a job is recorded and queued: the worker takes the
value off the holders the directory names, 200 between two progress saves and at most
:data:`PER_MESSAGE` per message (it queues the rest, so no run nears the function's time limit), then
deletes the definition and the key is free again. Each step is safe to repeat: the holders are read again
from the directory on every run, and a customer who lost the value is no longer one. Asking again while
a removal runs answers that removal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from clientele.directory_jobs.model import AttributeRemoval
from clientele.kernel import clock, ids
from clientele.kernel.permissions import Principal, Role

if TYPE_CHECKING:
    from clientele.account.service import CustomAttributes
    from clientele.customers.search import DirectoryService
    from clientele.customers.service import CustomerService
    from clientele.directory_jobs.repository import AttributeRemovalRepository
    from clientele.platform.queues import Queue

CHUNK = 200  # customers between two progress saves
PER_MESSAGE = 2_000  # customers one worker message takes the value off before it queues the rest
RECORD_DAYS = 30


class AttributeRemovals:
    def __init__(
        self,
        removals: AttributeRemovalRepository,
        *,
        attributes: Callable[[], CustomAttributes],
        customers: Callable[[], CustomerService],
        directory: Callable[[], DirectoryService],
        queue: Callable[[], Queue],
    ) -> None:
        self.removals = removals
        self._attributes = attributes
        self._customers = customers
        self._directory = directory
        self._queue = queue

    def start(self, principal: Principal, key: str) -> AttributeRemoval | None:
        """The removal under way (a new one, or the one already running); ``None``: nobody held a value and
        the definition is gone already."""
        self._attributes().start_removal(principal, key)  # 404 for a key that does not exist
        running = self.removals.unfinished(principal.merchant_id, key)
        if running is not None:
            return running
        holders = self._directory().attribute_holders(principal, key)
        if not holders:
            self._attributes().finish_removal(principal, key)
            return None
        job = AttributeRemoval(
            id=ids.new_sortable_id("arm"),
            merchant_id=principal.merchant_id,
            key=key,
            total=len(holders),
            created_at=clock.now_iso(),
            created_by=principal.key_id,
        )
        self._save(job)
        self._send(job)
        return job

    def get(self, principal: Principal, removal_id: str) -> AttributeRemoval:
        return self.removals.get(principal.merchant_id, removal_id)

    def run(self, merchant_id: str, removal_id: str) -> AttributeRemoval:
        """Take the value off up to :data:`PER_MESSAGE` holders; queue the rest, or finish."""
        job = self.removals.get(merchant_id, removal_id)
        if job.status == "done":
            return job  # a redelivered message
        # The work is done as the key that asked (its id in each customer's audit entry).
        actor = Principal(merchant_id=merchant_id, key_id=job.created_by, role=Role.OWNER, terms_accepted=True)
        holders = self._directory().attribute_holders(actor, job.key)
        job = job.model_copy(update={"status": "running", "processed": max(job.processed, job.total - len(holders))})
        self._save(job)
        batch = holders[:PER_MESSAGE]
        for start in range(0, len(batch), CHUNK):
            self._customers().remove_attribute(actor, job.key, batch[start : start + CHUNK])
            left = len(holders) - min(start + CHUNK, len(batch))
            job = job.model_copy(update={"processed": max(job.processed, job.total - left)})
            self._save(job)
        if len(holders) > PER_MESSAGE:
            self._send(job)
            return job
        self._attributes().finish_removal(actor, job.key)
        job = job.model_copy(update={"status": "done", "processed": job.total, "finished_at": clock.now_iso()})
        self._save(job)
        return job

    def _save(self, job: AttributeRemoval) -> None:
        expires = clock.parse(job.created_at) + timedelta(days=RECORD_DAYS)
        self.removals.save(job, int(expires.timestamp()))

    def _send(self, job: AttributeRemoval) -> None:
        self._queue().send({"job": "attribute_removal", "merchant_id": job.merchant_id, "removal_id": job.id})
