"""Delivery records: one per message to a customer, moved queued -> sending -> sent (or failed), and
later, when SES reports it, sent -> bounced or complained; and the merchant's suppression list.

Every transition is a conditional update, so two consumers of the same queue message never
both send it, a message already sent is never sent again, and a redelivered bounce changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from clientele.kernel.entity import Page
from clientele.messaging import keys
from clientele.messaging.model import Delivery, DeliveryStatus, Suppression
from clientele.storage import partitions
from clientele.storage.table import ConditionFailed, Item, Table, fields_of

_CLAIM = frozenset({"claim", "lease_until"})  # the sending consumer's claim, not part of a delivery


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to take a delivery for sending."""

    delivery: Delivery | None  # the record as it is now (None: it does not exist, e.g. erased)
    claimed: bool  # True: this caller holds it and may send


def _item(delivery: Delivery) -> Item:
    item: Item = {
        "PK": partitions.customer_pk(delivery.merchant_id, delivery.customer_id),
        "SK": keys.delivery_sk(delivery.id),
        "entity": "delivery",
        **delivery.model_dump(mode="json", exclude_none=True),
    }
    sale_id = delivery.refs.get("sale_id")
    if sale_id:
        item["GSI1PK"] = keys.deliveries_by_sale_pk(delivery.merchant_id, sale_id)
        item["GSI1SK"] = f"{delivery.created_at}#{delivery.id}"
    return item


def to_delivery(item: Item) -> Delivery:
    return Delivery.model_validate(fields_of(item, also=_CLAIM))


class NotSentYet(Exception):
    """SES reported on a delivery still being sent (its consumer has not marked it sent): try again later."""


# Where a merged-away customer's items went (``CustomerRepository.moved_to``): a merge moves the source's
# deliveries to the survivor, so a message queued, being sent or reported on under the source's id is
# looked for there once it is not found where it was.
MovedTo = Callable[[str, str], "str | None"]


class DeliveryRepository:
    def __init__(self, table: Table, moved_to: MovedTo | None = None) -> None:
        self.table = table
        self._moved_to = moved_to

    def _survivor(self, merchant_id: str, customer_id: str) -> str | None:
        return self._moved_to(merchant_id, customer_id) if self._moved_to is not None else None

    def add(self, delivery: Delivery) -> Delivery | None:
        """Store a new delivery; if one with its id exists already, return that one instead."""
        try:
            self.table.put(_item(delivery), condition="attribute_not_exists(PK)")
        except ConditionFailed as exc:
            return to_delivery(exc.old) if exc.old else delivery
        return None

    def get(self, merchant_id: str, customer_id: str, delivery_id: str) -> Delivery | None:
        item = self.table.get(
            partitions.customer_pk(merchant_id, customer_id), keys.delivery_sk(delivery_id), consistent=True
        )
        if item is None and (survivor := self._survivor(merchant_id, customer_id)):
            item = self.table.get(
                partitions.customer_pk(merchant_id, survivor), keys.delivery_sk(delivery_id), consistent=True
            )
        return to_delivery(item) if item else None

    def claim(
        self,
        merchant_id: str,
        customer_id: str,
        delivery_id: str,
        *,
        claim_id: str,
        now: str,
        now_epoch: int,
        lease_seconds: int,
    ) -> Claim:
        """Take a queued (or failed and redriven, or abandoned) delivery for sending."""
        taken = self._claim(
            merchant_id,
            customer_id,
            delivery_id,
            claim_id=claim_id,
            now=now,
            now_epoch=now_epoch,
            lease_seconds=lease_seconds,
        )
        if taken.delivery is None and (survivor := self._survivor(merchant_id, customer_id)):
            return self._claim(
                merchant_id,
                survivor,
                delivery_id,
                claim_id=claim_id,
                now=now,
                now_epoch=now_epoch,
                lease_seconds=lease_seconds,
            )
        return taken

    def _claim(
        self,
        merchant_id: str,
        customer_id: str,
        delivery_id: str,
        *,
        claim_id: str,
        now: str,
        now_epoch: int,
        lease_seconds: int,
    ) -> Claim:
        try:
            item = self.table.update(
                partitions.customer_pk(merchant_id, customer_id),
                keys.delivery_sk(delivery_id),
                "SET #s = :sending, claim = :claim, lease_until = :lease, updated_at = :now ADD attempts :one",
                condition="attribute_exists(PK) AND (#s IN (:queued, :failed) OR "
                "(#s = :sending AND lease_until < :epoch))",
                names={"#s": "status"},
                vals={
                    ":sending": DeliveryStatus.SENDING.value,
                    ":queued": DeliveryStatus.QUEUED.value,
                    ":failed": DeliveryStatus.FAILED.value,
                    ":claim": claim_id,
                    ":lease": now_epoch + lease_seconds,
                    ":epoch": now_epoch,
                    ":now": now,
                    ":one": 1,
                },
            )
        except ConditionFailed as exc:
            return Claim(to_delivery(exc.old) if exc.old else None, claimed=False)
        return Claim(to_delivery(item), claimed=True)

    def mark_sent(self, delivery: Delivery, *, claim_id: str, now: str, provider_message_id: str) -> None:
        try:
            self._mark_sent(
                delivery.merchant_id,
                delivery.customer_id,
                delivery.id,
                claim_id=claim_id,
                now=now,
                pid=provider_message_id,
            )
        except ConditionFailed as exc:
            survivor = None if exc.old else self._survivor(delivery.merchant_id, delivery.customer_id)
            if survivor is None:
                raise
            # Moved by a merge while it was being sent: the copy carries the same claim.
            self._mark_sent(
                delivery.merchant_id, survivor, delivery.id, claim_id=claim_id, now=now, pid=provider_message_id
            )

    def _mark_sent(
        self, merchant_id: str, customer_id: str, delivery_id: str, *, claim_id: str, now: str, pid: str
    ) -> None:
        self.table.update(
            partitions.customer_pk(merchant_id, customer_id),
            keys.delivery_sk(delivery_id),
            "SET #s = :sent, sent_at = :now, updated_at = :now, provider_message_id = :pid "
            "REMOVE claim, lease_until, #e",
            condition="#s = :sending AND claim = :claim",
            names={"#s": "status", "#e": "error"},
            vals={
                ":sent": DeliveryStatus.SENT.value,
                ":sending": DeliveryStatus.SENDING.value,
                ":claim": claim_id,
                ":now": now,
                ":pid": pid,
            },
        )

    def release(self, delivery: Delivery, *, claim_id: str, now: str, error: str, final: bool) -> None:
        """Give a delivery back after a failed attempt: queued for a retry, or failed for good."""
        try:
            self._release(
                delivery.merchant_id, delivery.customer_id, delivery.id, claim=(claim_id, now), error=error, final=final
            )
        except ConditionFailed as exc:
            survivor = None if exc.old else self._survivor(delivery.merchant_id, delivery.customer_id)
            # Erased meanwhile, or the lease passed to another consumer: theirs to settle.
            if survivor is not None:
                with contextlib.suppress(ConditionFailed):
                    self._release(
                        delivery.merchant_id, survivor, delivery.id, claim=(claim_id, now), error=error, final=final
                    )

    def _release(
        self, merchant_id: str, customer_id: str, delivery_id: str, *, claim: tuple[str, str], error: str, final: bool
    ) -> None:
        claim_id, now = claim
        status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
        self.table.update(
            partitions.customer_pk(merchant_id, customer_id),
            keys.delivery_sk(delivery_id),
            "SET #s = :status, #e = :error, updated_at = :now REMOVE claim, lease_until",
            condition="#s = :sending AND claim = :claim",
            names={"#s": "status", "#e": "error"},
            vals={
                ":status": status.value,
                ":sending": DeliveryStatus.SENDING.value,
                ":claim": claim_id,
                ":error": error,
                ":now": now,
            },
        )

    def abandon(self, merchant_id: str, customer_id: str, delivery_id: str, *, now: str, now_epoch: int) -> bool:
        """Mark a delivery whose message was dead-lettered ``failed`` (``DEAD_LETTERED``), unless it was sent,
        already failed with its own reason, or is being sent right now (a live lease: its sender settles it)."""
        try:
            self.table.update(
                partitions.customer_pk(merchant_id, customer_id),
                keys.delivery_sk(delivery_id),
                "SET #s = :failed, #e = :error, updated_at = :now REMOVE claim, lease_until",
                condition="attribute_exists(PK) AND (#s = :queued OR (#s = :sending AND lease_until < :epoch))",
                names={"#s": "status", "#e": "error"},
                vals={
                    ":failed": DeliveryStatus.FAILED.value,
                    ":queued": DeliveryStatus.QUEUED.value,
                    ":sending": DeliveryStatus.SENDING.value,
                    ":error": "DEAD_LETTERED",
                    ":epoch": now_epoch,
                    ":now": now,
                },
            )
        except ConditionFailed:
            return False
        return True

    def list_for_sale(
        self, merchant_id: str, sale_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Delivery]:
        items, next_cursor = self.table.query(
            partition=("GSI1PK", keys.deliveries_by_sale_pk(merchant_id, sale_id)),
            index="GSI1",
            limit=limit,
            cursor=cursor,
            forward=False,
        )
        return Page[Delivery](items=[to_delivery(i) for i in items], cursor=next_cursor)

    def mark_feedback(
        self, merchant_id: str, customer_id: str, delivery_id: str, *, status: DeliveryStatus, error: str, now: str
    ) -> bool:
        """A sent delivery becomes ``bounced`` or ``complained`` with an error code; True if it changed.

        Once is enough: a redelivered notification finds it marked already and changes nothing; a delivery
        that is gone (its customer erased) stays gone. :class:`NotSentYet` when it is still being sent.
        A delivery a merge moved (the message's tags name the source) is marked where it went.
        """
        changed = self._mark_feedback(merchant_id, customer_id, delivery_id, status=status, error=error, now=now)
        if changed is None and (survivor := self._survivor(merchant_id, customer_id)):
            changed = self._mark_feedback(merchant_id, survivor, delivery_id, status=status, error=error, now=now)
        return bool(changed)

    def _mark_feedback(
        self, merchant_id: str, customer_id: str, delivery_id: str, *, status: DeliveryStatus, error: str, now: str
    ) -> bool | None:
        """True: marked; False: it was marked already; None: no such delivery here."""
        try:
            self.table.update(
                partitions.customer_pk(merchant_id, customer_id),
                keys.delivery_sk(delivery_id),
                "SET #s = :status, #e = :error, updated_at = :now",
                condition="attribute_exists(PK) AND #s = :sent",
                names={"#s": "status", "#e": "error"},
                vals={":status": status.value, ":error": error, ":now": now, ":sent": DeliveryStatus.SENT.value},
            )
        except ConditionFailed as exc:
            if exc.old and exc.old.get("status") in (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value):
                raise NotSentYet(delivery_id) from exc
            return False if exc.old else None
        return True


class SuppressionRepository:
    """The merchant's suppression list: addresses never mailed again, by keyed hash (docs/data-model.md)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, suppression: Suppression) -> bool:
        """Suppress an address; False when it was already (the first reason and time stay)."""
        item: Item = {
            "PK": keys.suppression_pk(suppression.merchant_id, suppression.email_hash),
            "SK": keys.SUPPRESSION_SK,
            "entity": "suppression",
            **suppression.model_dump(mode="json"),
        }
        try:
            self.table.put(item, condition="attribute_not_exists(PK)")
        except ConditionFailed:
            return False
        return True

    def get(self, merchant_id: str, email_hash: str) -> Suppression | None:
        item = self.table.get(keys.suppression_pk(merchant_id, email_hash), keys.SUPPRESSION_SK)
        if not item:
            return None
        return Suppression.model_validate(fields_of(item))
