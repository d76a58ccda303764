"""Direct-debit collection: one batch per site and collection date, as an ISO 20022 ``pain.008.001.08`` file
built with sepaxml and validated against the XSD shipped in sepaxml's package before it is stored in the
private bucket; the bank's returns (R-transactions) recorded against the batch.

A direct-debit charge raised by the dues run leaves a collection entry for its site; the day's run builds
the batch from those entries whose membership has an active mandate (the others wait for one). Building is
idempotent: the batch's id is its site and date, its item is written once, and each charge leaves the queue
in the same transaction as its update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from clientele.kernel import clock
from clientele.kernel.crypto import unseal
from clientele.kernel.errors import NotFound, ValidationFailed
from clientele.kernel.money import Money
from clientele.kernel.permissions import Principal
from clientele.memberships import keys, rules
from clientele.memberships.model import (
    Charge,
    ChargeState,
    Debit,
    DirectDebitBatch,
    Mandate,
    MandateStatus,
    MembershipSettings,
    Reason,
)
from clientele.memberships.notices import MemberNotices
from clientele.memberships.repository import MembershipRepository, Stored
from clientele.memberships.service import MembershipService
from clientele.platform.aws import client
from clientele.storage.partitions import merchant_pk
from clientele.storage.table import Item, fields_of

SCHEMA = "pain.008.001.08"
INSUFFICIENT_FUNDS = "AM04"
MANDATE_GONE = frozenset({"MD01", "AC04", "MD07"})  # no mandate, account closed, debtor deceased
PRESIGNED_SECONDS = 300


def schema_path() -> Path:
    """The official XSD that sepaxml ships."""
    import sepaxml

    return Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"


@cache
def _schema() -> Any:
    """The schema, parsed once per container (parsing it costs more than validating a small file)."""
    import xmlschema

    return xmlschema.XMLSchema(str(schema_path()))


def validate(xml: bytes) -> None:
    """Raise if ``xml`` is not valid against the pain.008.001.08 schema."""
    from xml.etree import ElementTree

    _schema().validate(ElementTree.fromstring(xml))  # noqa: S314 - a document this module just built


@dataclass(frozen=True)
class DebitLine:
    end_to_end_id: str
    holder: str
    iban: str
    bic: str | None
    amount: int
    sequence: str
    collection_date: date
    mandate_reference: str
    mandate_date: date
    description: str


def build_file(settings: MembershipSettings, lines: list[DebitLine]) -> bytes:
    """The pain.008.001.08 file of ``lines`` (sepaxml, schema passed explicitly: its default is .02)."""
    from sepaxml import SepaDD

    config: dict[str, Any] = {
        "name": settings.creditor_name,
        "IBAN": settings.collection_iban,
        "batch": True,
        "creditor_id": settings.creditor_id,
        "currency": "EUR",
        "instrument": "CORE",
    }
    if settings.collection_bic:
        config["BIC"] = settings.collection_bic
    sepa = SepaDD(config, schema=SCHEMA, clean=True)
    for line in lines:
        payment: dict[str, Any] = {
            "name": line.holder,
            "IBAN": line.iban,
            "amount": line.amount,
            "type": line.sequence,
            "collection_date": line.collection_date,
            "mandate_id": line.mandate_reference,
            "mandate_date": line.mandate_date,
            "description": line.description,
            "endtoend_id": line.end_to_end_id,
        }
        if line.bic:
            payment["BIC"] = line.bic
        sepa.add_payment(payment)
    return bytes(sepa.export(validate=False))


def end_to_end_id(membership_id: str, period_start: date, attempt: int) -> str:
    """At most 35 characters, unique per charge and attempt."""
    return f"{period_start:%y%m%d}{membership_id.split('_', 1)[-1][:25]}{attempt}"[:35]


class DirectDebitService:
    def __init__(
        self,
        memberships: MembershipRepository,
        service: MembershipService,
        bucket: str,
        secret: Callable[[], bytes],
        *,
        notices: MemberNotices | None = None,
    ) -> None:
        self.memberships = memberships
        self.service = service
        self.bucket = bucket
        self._secret = secret
        self.notices = notices

    # Building ---------------------------------------------------------------------------------------
    def build(self, merchant_id: str, site_id: str, day: date, settings: MembershipSettings) -> DirectDebitBatch | None:
        """The batch of ``day`` for one site, if there is anything to collect (once: a second call finds it)."""
        if not (settings.creditor_id and settings.creditor_name and settings.collection_iban):
            return None
        existing = self.memberships.table.get(merchant_pk(merchant_id), keys.batch_sk(day, site_id))
        if existing:
            return _batch(existing)
        entries = self._queue(merchant_id, site_id)
        if not entries:
            return None
        by_membership: dict[str, list[date]] = {}
        for entry in entries:
            by_membership.setdefault(entry["membership_id"], []).append(date.fromisoformat(entry["period_start"]))
        stored = {s.membership.id: s for s in self.memberships.get_many(merchant_id, sorted(by_membership))}
        mandates = self._mandates(merchant_id, stored)
        lines: list[DebitLine] = []
        debits: list[Debit] = []
        for membership_id, periods in sorted(by_membership.items()):
            current = stored.get(membership_id)
            mandate = mandates.get(membership_id)
            if current is None or mandate is None or mandate.status is not MandateStatus.ACTIVE:
                continue  # waits for a mandate
            iban = unseal(self._secret(), "iban", mandate.iban_sealed or "", f"{merchant_id}/{mandate.id}")
            if iban is None or not mandate.holder_name:
                continue
            first = not mandate.first_collected
            for period in sorted(periods):
                charge = self.memberships.get_charge(merchant_id, membership_id, period)
                if charge is None or charge.state not in (ChargeState.PENDING_COLLECTION, ChargeState.FAILED):
                    continue
                e2e = end_to_end_id(membership_id, period, charge.attempts + 1)
                sequence = "FRST" if first else "RCUR"
                lines.append(
                    DebitLine(
                        end_to_end_id=e2e,
                        holder=mandate.holder_name,
                        iban=iban.decode(),
                        bic=mandate.bic,
                        amount=charge.amount.amount,
                        sequence=sequence,
                        collection_date=day,
                        mandate_reference=mandate.reference,
                        mandate_date=clock.parse(mandate.signed_at).date(),
                        description=f"{current.membership.number} {period.isoformat()}",
                    )
                )
                debits.append(
                    Debit(
                        end_to_end_id=e2e,
                        membership_id=membership_id,
                        period_start=period,
                        amount=charge.amount,
                        sequence=sequence,
                    )
                )
        if not debits:
            return None
        batch_id = f"ddb_{day:%Y%m%d}_{site_id}"
        xml = build_file(settings, lines)
        validate(xml)  # never store a file the bank would refuse
        file_key = f"direct-debits/{merchant_id}/{batch_id}.xml"
        client("s3").put_object(
            Bucket=self.bucket, Key=file_key, Body=xml, ContentType="application/xml", ServerSideEncryption="AES256"
        )
        batch = DirectDebitBatch(
            id=batch_id,
            site_id=site_id,
            collection_date=day,
            count=len(debits),
            total=Money(amount=sum(d.amount.amount for d in debits), currency="EUR"),
            file_key=file_key,
            created_at=clock.now_iso(),
            debits=debits,
        )
        self._record(merchant_id, site_id, batch, stored, mandates)
        return batch

    def _queue(self, merchant_id: str, site_id: str) -> list[Item]:
        found: list[Item] = []
        cursor = None
        while True:
            items, cursor = self.memberships.table.query(
                partition=("PK", keys.collect_pk(merchant_id, site_id)), limit=1000, cursor=cursor
            )
            found.extend(items)
            if not cursor:
                return found

    def _mandates(self, merchant_id: str, stored: dict[str, Stored]) -> dict[str, Mandate]:
        wanted = [
            (keys.membership_pk(merchant_id, s.membership.id), keys.mandate_sk(s.membership.mandate_id))
            for s in stored.values()
            if s.membership.mandate_id
        ]
        found: dict[str, Mandate] = {}
        for start in range(0, len(wanted), 100):
            for item in self.memberships.table.batch_get(wanted[start : start + 100]):
                mandate = Mandate.model_validate(fields_of(item))
                found[mandate.membership_id] = mandate
        return found

    def _record(
        self,
        merchant_id: str,
        site_id: str,
        batch: DirectDebitBatch,
        stored: dict[str, Stored],
        mandates: dict[str, Mandate],
    ) -> None:
        """The batch item first (once), then per membership: its charges collecting, its queue entries gone,
        its mandate recurring, and a failed payment cleared once nothing is left open."""
        table = self.memberships.table
        table.put(
            {"PK": merchant_pk(merchant_id), "SK": keys.batch_sk(batch.collection_date, site_id)}
            | {"entity": "direct_debit_batch"}
            | batch.model_dump(mode="json", exclude_none=True),
            condition="attribute_not_exists(PK)",
        )
        by_membership: dict[str, list[Debit]] = {}
        for debit in batch.debits:
            by_membership.setdefault(debit.membership_id, []).append(debit)
        for membership_id, debits in by_membership.items():
            current = stored[membership_id]
            m = current.membership
            tx = table.transaction()
            updates: list[Charge] = []
            for debit in debits:
                charge = self.memberships.get_charge(merchant_id, membership_id, debit.period_start)
                if charge is None:
                    continue
                updates.append(
                    charge.model_copy(
                        update={"state": ChargeState.COLLECTING, "batch_id": batch.id, "attempts": charge.attempts + 1}
                    )
                )
                tx.delete(
                    "collect", keys.collect_pk(merchant_id, site_id), keys.collect_sk(membership_id, debit.period_start)
                )
            mandate = mandates[membership_id]
            if not mandate.first_collected:
                tx.update(
                    "mandate",
                    keys.membership_pk(merchant_id, membership_id),
                    keys.mandate_sk(mandate.id),
                    "SET first_collected = :t",
                    vals={":t": True},
                )
            collected = {d.period_start for d in debits}
            new = m.model_copy(update={"open_charges": [d for d in m.open_charges if d not in collected]})
            self.service.save_collected(current, new, updates, tx)

    # Reads --------------------------------------------------------------------------------------------
    def list(self, principal: Principal) -> list[DirectDebitBatch]:
        items, _ = self.memberships.table.query(
            partition=("PK", merchant_pk(principal.merchant_id)),
            begins_with=("SK", keys.BATCH_PREFIX),
            limit=100,
            forward=False,
        )
        found = [_batch(i) for i in items]
        return [b for b in found if principal.site_ids is None or b.site_id in principal.site_ids]

    def get(self, principal: Principal, batch_id: str) -> DirectDebitBatch:
        parts = batch_id.split("_", 2)
        try:
            day = date(int(parts[1][:4]), int(parts[1][4:6]), int(parts[1][6:8]))
            site_id = parts[2]
        except (IndexError, ValueError) as exc:
            raise NotFound("No such batch.", field="id") from exc
        item = self.memberships.table.get(merchant_pk(principal.merchant_id), keys.batch_sk(day, site_id))
        if not item or (principal.site_ids is not None and site_id not in principal.site_ids):
            raise NotFound("No such batch.", field="id")
        return _batch(item)

    def download_url(self, batch: DirectDebitBatch) -> str:
        """A short-lived link to the file (no AWS call: a presigned GET)."""
        return str(
            client("s3").generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": batch.file_key}, ExpiresIn=PRESIGNED_SECONDS
            )
        )

    # Returns ------------------------------------------------------------------------------------------
    def record_return(
        self, principal: Principal, batch_id: str, end_to_end_id: str, reason_code: str
    ) -> DirectDebitBatch:
        """The bank returned one debit: the charge fails; insufficient funds (AM04) is collected again in the next
        batch and the membership shows ``payment_failed``; no mandate / account closed / deceased (MD01, AC04,
        MD07) revokes the mandate (``mandate_revoked``). Recording the same return again changes nothing."""
        batch = self.get(principal, batch_id)
        debit = next((d for d in batch.debits if d.end_to_end_id == end_to_end_id), None)
        if debit is None:
            raise ValidationFailed(
                "No debit of this batch has this end-to-end id.", field="end_to_end_id", code="UNKNOWN_DEBIT"
            )
        if debit.returned is not None:
            return batch
        merchant_id = principal.merchant_id
        current = self.memberships.get(merchant_id, debit.membership_id, consistent=True)
        charge = self.memberships.get_charge(merchant_id, debit.membership_id, debit.period_start)
        if charge is None:
            raise NotFound("The returned charge is gone.", field="end_to_end_id")
        m = current.membership
        table = self.memberships.table
        tx = table.transaction()
        debits = [d.model_copy(update={"returned": reason_code}) if d is debit else d for d in batch.debits]
        tx.update(
            "batch",
            merchant_pk(merchant_id),
            keys.batch_sk(batch.collection_date, batch.site_id),
            "SET debits = :d",
            vals={":d": [d.model_dump(mode="json", exclude_none=True) for d in debits]},
        )
        failed = charge.model_copy(update={"state": ChargeState.FAILED, "return_reason": reason_code})
        update: dict[str, Any] = {"open_charges": sorted({*m.open_charges, debit.period_start})}
        if reason_code in MANDATE_GONE and m.mandate_id:
            update.update(mandate_id=None, reason=Reason.MANDATE_REVOKED)
            tx.update(
                "mandate",
                keys.membership_pk(merchant_id, m.id),
                keys.mandate_sk(m.mandate_id),
                "SET #s = :r, revoked_reason = :c",
                names={"#s": "status"},
                vals={":r": MandateStatus.REVOKED.value, ":c": reason_code},
            )
        else:
            update["reason"] = Reason.PAYMENT_FAILED
        if reason_code not in MANDATE_GONE and m.status in rules.LIVE:
            # collected again in the next batch
            tx.put(
                "collect",
                {
                    "PK": keys.collect_pk(merchant_id, m.site_id),
                    "SK": keys.collect_sk(m.id, debit.period_start),
                    "entity": "collection_entry",
                    "membership_id": m.id,
                    "period_start": debit.period_start.isoformat(),
                },
            )
        saved = self.service.save_collected(current, m.model_copy(update=update), [failed], tx)
        if self.notices is not None and reason_code not in MANDATE_GONE:
            self.notices.payment_failed(saved, debit.amount.amount, debit.amount.currency, debit.end_to_end_id)
        return batch.model_copy(update={"debits": debits})


def _batch(item: Item) -> DirectDebitBatch:
    return DirectDebitBatch.model_validate(fields_of(item))


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start
