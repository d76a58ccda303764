"""Exports of the customer list (``POST /v1/customer-exports``): a job, a file, a link that expires.

The request is checked and recorded (who, when, which filters), then a message on the jobs queue runs it
in the background: the directory is read once and filtered with the list's own query
(``customers.schemas.DirectoryParams`` → ``customers.rules``, so every directory filter applies), the
profiles are read 100 at a time and written straight to the file (CSV, or Excel in XlsxWriter's
constant-memory mode), so memory stays flat however long the list. The file goes to the private bucket
(deleted after 7 days by its lifecycle rule); the ids it holds are kept beside the record so that an
erasure can say how many live exports still hold the person.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from clientele.customers.model import Customer
from clientele.customers.rules import Entry, Query, arrange
from clientele.directory_jobs import keys, rules
from clientele.directory_jobs.model import ExportJob
from clientele.kernel import clock, ids
from clientele.kernel.entity import Page
from clientele.kernel.errors import DomainError, NotFound, ValidationFailed
from clientele.kernel.permissions import Principal
from clientele.storage import partitions

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository
    from clientele.customers.repository import CustomerRepository
    from clientele.directory_jobs.repository import ExportRepository
    from clientele.memberships.service import MemberLine
    from clientele.platform.files import FileStore
    from clientele.platform.queues import Queue

FILE_DAYS = 7  # the bucket's lifecycle rule deletes export files after this
RECORD_DAYS = 30  # the record (who, when, filters, rows) outlives the file
LINK_SECONDS = 15 * 60
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

CUSTOMER_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "customer_since", "memberships", "active_memberships",
    "membership_type", "rate", "status", "member_since",
    # beyond the spec's columns, as the spa and gym software's Excel export shows them
    "currency", "membership_number", "payment_method", "payments_up_to_date", "membership_ends", "next_billing",
)  # fmt: skip
# Read through the memberships' port (``MembershipService.member_lines``): customer ids -> their memberships.
MemberLines = Callable[[str, Sequence[str]], "dict[str, list[MemberLine]]"]
EMAIL_COLUMNS = (
    "id", "first_name", "last_name", "email", "opted_in_at", "opted_in_how", "wording", "wording_version",
)  # fmt: skip
_BATCH = 100
_PAGE = 2000  # profiles per Query page of the list's index (DynamoDB stops at 1 MB)
STREAM_FROM = 1000  # matching customers from which the list's index is read instead of keys


def customer_row(customer: Customer, memberships: Sequence[MemberLine] = ()) -> list[str]:
    """The customer's cells; the membership columns describe their current membership (:func:`shown`) and
    count all of them, and stay empty for customers who never had one.
    The phone is a validated E.164 number: its "+" can never start a formula, so it is written as it is."""
    safe = rules.safe_cell
    cells = [
        customer.id, safe(customer.given_name), safe(customer.family_name), safe(customer.email),
        customer.phone or "", customer.created_at[:10],
    ]  # fmt: skip
    m = shown(memberships)
    if m is None:
        return cells + [""] * (len(CUSTOMER_COLUMNS) - len(cells))
    return [
        *cells,
        str(len(memberships)), str(sum(1 for line in memberships if line.holding)), safe(m.type_name),
        rules.amount(m.rate.amount, m.rate.currency), m.status, m.start_date.isoformat(), m.rate.currency,
        safe(m.number), m.payment_method, ("yes" if m.up_to_date else "no") if m.holding else "",
        m.end_date.isoformat() if m.end_date else "", m.next_billing.isoformat() if m.next_billing else "",
    ]  # fmt: skip


def shown(memberships: Sequence[MemberLine]) -> MemberLine | None:
    """The membership a one-row-per-customer sheet describes: one held now, else one still to start, else
    the one that started last (each time the latest start first)."""
    if not memberships:
        return None
    rank = {"active": 0, "needs_attention": 0, "upcoming": 1}
    return min(memberships, key=lambda m: (rank.get(m.status, 2), -m.start_date.toordinal(), m.membership_id))


def email_row(customer: Customer, preference_id: str) -> list[str]:
    choice = customer.marketing[preference_id]
    safe = rules.safe_cell
    return [
        customer.id, safe(customer.given_name), safe(customer.family_name), safe(customer.email),
        choice.changed_at, choice.source, safe(choice.consent_text),
        safe(customer.consent.version if customer.consent else ""),
    ]  # fmt: skip


class Sheet:
    """One file being written row by row: CSV (UTF-8 with a BOM, so Excel reads accents) or Excel."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.fmt = fmt
        self.rows = 0
        if fmt == "xlsx":
            import xlsxwriter

            self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
            self._sheet = self._book.add_worksheet("Customers")
        else:
            self._file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._file)

    def write(self, cells: list[str] | tuple[str, ...]) -> None:
        """A row of cells already made safe (``rules.safe_cell``); Excel cells are always text, never formulas."""
        if self.fmt == "xlsx":
            for column, value in enumerate(cells):
                self._sheet.write_string(self.rows, column, value)
        else:
            self._csv.writerow(cells)
        self.rows += 1

    def close(self) -> None:
        if self.fmt == "xlsx":
            self._book.close()
        else:
            self._file.close()


def _calling_code(country: str) -> str:
    import phonenumbers

    return str(phonenumbers.country_code_for_region((country or "").upper()) or "")


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class ExportService:
    def __init__(
        self,
        exports: ExportRepository,
        customers: CustomerRepository,
        merchants: MerchantRepository,
        files: Callable[[], FileStore],
        queue: Callable[[], Queue],
        *,
        memberships: Callable[[], MemberLines] | None = None,
    ) -> None:
        self.exports = exports
        self._memberships = memberships
        self.customers = customers
        self.merchants = merchants
        self._files = files
        self._queue = queue
        self._list_size = 0

    # The request -----------------------------------------------------------------------------------
    def request(
        self, principal: Principal, *, fmt: str, filters: dict[str, str], marketing_preference: str | None
    ) -> ExportJob:
        if fmt not in FORMATS:
            raise ValidationFailed("format is csv or xlsx.", field="format", code="INVALID_FORMAT")
        if marketing_preference is not None:
            if filters:
                raise ValidationFailed(
                    "Export the opted-in emails of a preference, or the list with filters: not both.",
                    field="marketing_preference",
                    code="FILTERS_WITH_PREFERENCE",
                )
            if marketing_preference not in {p.id for p in self.merchants.list_preferences(principal.merchant_id)}:
                raise NotFound("No such marketing preference.", field="marketing_preference")
        query = self._query(filters, principal.country)  # checked now, not in the background
        if query.attributes:
            from clientele.customers.rules import attribute_filter

            known = {d.key: d for d in self.merchants.list_attributes(principal.merchant_id)}
            for pair in query.attributes:
                key, value = pair.split("=", 1)
                attribute_filter(known.get(key), key, value)
        now = clock.utcnow()
        job = ExportJob(
            id=ids.new_sortable_id("exp"),
            merchant_id=principal.merchant_id,
            format=fmt,
            kind="marketing_emails" if marketing_preference else "customers",
            filters=filters,
            marketing_preference=marketing_preference,
            country=principal.country,
            created_at=clock.isoformat(now),
            created_by=principal.key_id,
            file_expires_at=clock.isoformat(now + timedelta(days=FILE_DAYS)),
        )
        self.exports.save(job, _epoch(now + timedelta(days=RECORD_DAYS)))
        self._queue().send({"job": "export", "merchant_id": job.merchant_id, "export_id": job.id})
        return job

    @staticmethod
    def _query(filters: dict[str, str], country: str) -> Query:
        from clientele.customers.schemas import DirectoryParams, attribute_parameters, check_directory_parameters

        check_directory_parameters(list(filters))
        plain = {k: v for k, v in filters.items() if not k.startswith("attribute.")}
        query = DirectoryParams(**plain, attributes=attribute_parameters(filters)).to_query(country)
        return replace(query, country_code=_calling_code(country), contact=True)

    # Reading ---------------------------------------------------------------------------------------
    def get(self, principal: Principal, export_id: str) -> tuple[ExportJob, str | None]:
        """The job, and a download link valid 15 minutes while its file exists."""
        job = self.exports.get(principal.merchant_id, export_id)
        link = None
        if job.status == "done" and job.file_expires_at > clock.now_iso():
            extension = job.format
            link = self._files().download_link(
                keys.export_object_key(job.merchant_id, job.id, extension),
                f"customers-{job.id}.{extension}",
                LINK_SECONDS,
            )
        return job, link

    def recent(self, principal: Principal, *, limit: int, cursor: str | None) -> Page[ExportJob]:
        return self.exports.recent(principal.merchant_id, limit=limit, cursor=cursor)

    # Running (the jobs queue) ----------------------------------------------------------------------
    def run(self, merchant_id: str, export_id: str) -> ExportJob:
        """Write the file; a redelivered message for a finished job does nothing."""
        job = self.exports.get(merchant_id, export_id)
        if job.status in ("done", "failed"):
            return job
        record_epoch = _epoch(
            datetime.fromisoformat(job.created_at.replace("Z", "+00:00")) + timedelta(days=RECORD_DAYS)
        )
        job = job.model_copy(update={"status": "running"})
        self.exports.save(job, record_epoch)
        try:
            written, exported = self._write(job)
        except DomainError as exc:
            job = job.model_copy(
                update={"status": "failed", "reason": exc.details[0].detail, "finished_at": clock.now_iso()}
            )
            self.exports.save(job, record_epoch)
            return job
        file_epoch = _epoch(clock.parse(job.file_expires_at))
        self.exports.save_ids(merchant_id, job.id, exported, file_epoch)
        job = job.model_copy(update={"status": "done", "row_count": written, "finished_at": clock.now_iso()})
        self.exports.save(job, record_epoch)
        return job

    def _write(self, job: ExportJob) -> tuple[int, list[str]]:
        entries = self._matching(job)
        exported: list[str] = []
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export.{job.format}"
            sheet = Sheet(path, job.format)
            try:
                sheet.write(EMAIL_COLUMNS if job.marketing_preference else CUSTOMER_COLUMNS)
                lines = self._member_lines(job, entries)
                for customer in self._profiles(job.merchant_id, entries):
                    if job.marketing_preference:
                        choice = customer.marketing.get(job.marketing_preference)
                        if not customer.email or choice is None or not choice.opted_in:
                            continue  # changed since the directory was read
                        sheet.write(email_row(customer, job.marketing_preference))
                    else:
                        sheet.write(customer_row(customer, lines.get(customer.id, ())))
                    exported.append(customer.id)
            finally:
                sheet.close()
            with path.open("rb") as body:
                key = keys.export_object_key(job.merchant_id, job.id, job.format)
                self._files().put(key, body, FORMATS[job.format])
        return len(exported), exported

    def _member_lines(self, job: ExportJob, entries: list[Entry]) -> dict[str, list[MemberLine]]:
        if job.marketing_preference or self._memberships is None:
            return {}
        return self._memberships()(job.merchant_id, [e.id for e in entries])

    def _matching(self, job: ExportJob) -> list[Entry]:
        shards = self.customers.directory.load(job.merchant_id)
        entries = [e for shard in shards for e in shard.entries.values()]
        self._list_size = len(entries)
        if job.marketing_preference:
            chosen = [e for e in entries if job.marketing_preference in e.opted_in and e.email]
            return sorted(chosen, key=lambda e: (e.email, e.id))
        query = self._query(job.filters, job.country)
        ordered, _ = arrange(entries, query, None, max(len(entries), 1))
        return ordered

    def _profiles(self, merchant_id: str, entries: list[Entry]) -> Iterator[Customer]:
        """The matching customers' profiles: 100 at a time by key when they are a few of the list; else the
        whole list page by page from its index (1 MB a call), keeping the matching ones (then in the order
        customers were created, newest first)."""
        from clientele.customers import keys as customer_keys
        from clientele.customers.repository import to_customer

        if len(entries) < STREAM_FROM or len(entries) * 10 < self._list_size:
            for start in range(0, len(entries), _BATCH):
                wanted = [e.id for e in entries[start : start + _BATCH]]
                items = self.customers.table.batch_get(
                    [(partitions.customer_pk(merchant_id, cid), customer_keys.CUSTOMER_SK) for cid in wanted]
                )
                by_id = {i["id"]: to_customer(i) for i in items}
                yield from (by_id[cid] for cid in wanted if cid in by_id)
            return
        wanted_ids = {e.id for e in entries}
        cursor = None
        while True:
            items, cursor = self.customers.table.query(
                partition=("GSI1PK", customer_keys.customers_by_created_pk(merchant_id)),
                index="GSI1",
                limit=_PAGE,
                cursor=cursor,
                forward=False,
            )
            yield from (to_customer(i) for i in items if i.get("id") in wanted_ids)
            if not cursor:
                return
