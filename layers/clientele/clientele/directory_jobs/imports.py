"""Imports of a customer file (``POST /v1/customer-imports``): upload, dry run, apply, with progress.

The file goes straight to the private bucket through a presigned form (up to 10 MB, 50,000 rows); the
worker reads it whole first (a refused file writes nothing), then applies it in chunks: each row is
created, updated (matched by id, email or phone), unchanged or rejected (row, column, code). An update
never empties a field and never changes marketing choices; a new customer's opt-in column is recorded as
what it is (source ``import``). Progress (``processed`` of ``total``) is saved after every chunk, and a
new customer's id is derived from the import and the row, so a job that died half-way resumes without
creating anyone twice. A dry run reports the same without writing. The file is deleted when the job ends
(a dry run keeps it, for the real run, until the bucket's one-day rule).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from clientele.customers.directory import entry_of
from clientele.customers.keys import DIRECTORY_SHARDS, directory_shard
from clientele.customers.model import AuditEntry, ContactHashes, Customer, PreferenceChoice, Source
from clientele.directory_jobs import import_rules, keys, rules
from clientele.directory_jobs.duplicates import person_of
from clientele.directory_jobs.import_rules import FileRefused, RowValues
from clientele.directory_jobs.model import ImportJob, Rejection
from clientele.kernel import clock, contact, ids
from clientele.kernel.errors import Conflict, NotFound, ValidationFailed
from clientele.kernel.permissions import Principal
from clientele.storage.table import TransactionCancelled

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository
    from clientele.customers.repository import CustomerRepository
    from clientele.directory_jobs.repository import ImportRepository
    from clientele.platform.files import FileStore
    from clientele.platform.queues import Queue

UPLOAD_SECONDS = 15 * 60
RECORD_DAYS = 30
CHUNK = 200  # rows applied between two progress saves
MAX_REPORTED = 500
_ID_ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz"
_FIELDS = ("given_name", "family_name", "email", "phone", "birthday")


def row_customer_id(import_id: str, row: int) -> str:
    """The id a row's new customer gets: the same on every attempt of the same import."""
    number = int.from_bytes(hashlib.sha256(f"{import_id}#{row}".encode()).digest()[:16], "big")
    chars = []
    while number:
        number, rest = divmod(number, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[rest])
    return "cus_" + "".join(reversed(chars)).rjust(25, "0")


@dataclass
class _Known:
    """What the list holds, from the directory (one read), kept current as the file is applied."""

    ids: set[str] = field(default_factory=set)
    by_email: dict[str, str] = field(default_factory=dict)
    by_phone: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, list[rules.Person]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person: rules.Person) -> None:
        self.ids.add(person.id)
        if person.email:
            self.by_email[person.email] = person.id
        if person.phone:
            self.by_phone[person.phone] = person.id
        for key in _block_keys(person):
            self.blocks[key].append(person)

    def look_alikes(self, person: rules.Person) -> list[str]:
        from rapidfuzz import fuzz

        seen: dict[str, rules.Person] = {}
        for key in _block_keys(person):
            for other in self.blocks.get(key, [])[: rules.BLOCK_LIMIT]:
                seen.setdefault(other.id, other)
        return [
            other.id
            for other in seen.values()
            if other.id != person.id
            and rules.reasons_for(person, other, rules.NAME_THRESHOLD, fuzz.token_sort_ratio)[0]
        ]


def _block_keys(person: rules.Person) -> set[str]:
    found = {f"n:{t}" for t in person.name.split() if len(t) >= 2}
    if person.email:
        found.add(f"e:{person.email}")
    if person.phone:
        found.add(f"p:{person.phone[-rules.PHONE_SUFFIX :]}")
    return found


@dataclass
class _Plan:
    creates: list[tuple[int, Customer]] = field(default_factory=list)
    updates: list[tuple[int, Customer, Customer, list[str]]] = field(default_factory=list)  # row, before, after


class ImportService:
    def __init__(
        self,
        imports: ImportRepository,
        customers: CustomerRepository,
        merchants: MerchantRepository,
        *,
        files: Callable[[], FileStore],
        queue: Callable[[], Queue],
        secret: Callable[[], bytes],
    ) -> None:
        self.imports = imports
        self.customers = customers
        self.merchants = merchants
        self._files = files
        self._queue = queue
        self._secret = secret

    # Requests --------------------------------------------------------------------------------------
    def request(self, principal: Principal, *, marketing_preference: str | None) -> tuple[ImportJob, dict[str, Any]]:
        """A new import waiting for its file, and the presigned form to upload it with."""
        if marketing_preference and marketing_preference not in {
            p.id for p in self.merchants.list_preferences(principal.merchant_id)
        }:
            raise NotFound("No such marketing preference.", field="marketing_preference")
        job = ImportJob(
            id=ids.new_sortable_id("imp"),
            merchant_id=principal.merchant_id,
            marketing_preference=marketing_preference,
            country=principal.country,
            created_at=clock.now_iso(),
            created_by=principal.key_id,
        )
        self._save(job)
        form = self._files().upload_form(
            keys.import_object_key(job.merchant_id, job.id), import_rules.MAX_BYTES, UPLOAD_SECONDS
        )
        return job, form

    def start(self, principal: Principal, import_id: str, *, dry_run: bool) -> ImportJob:
        """Run the uploaded file (again, for real, after a dry run)."""
        job = self.imports.get(principal.merchant_id, import_id)
        may_start = job.status == "awaiting_upload" or (job.status == "done" and job.dry_run and not dry_run)
        if not may_start:
            raise Conflict(f"This import is {job.status}; it cannot start again.", field="id", code="IMPORT_STARTED")
        size = self._files().size(keys.import_object_key(job.merchant_id, job.id))
        if size is None:
            raise ValidationFailed("Upload the file first, with the form given.", field="id", code="NO_FILE")
        job = ImportJob(
            **{
                **job.model_dump(include={"id", "merchant_id", "marketing_preference", "country", "created_at"}),
                "created_by": principal.key_id,
                "status": "queued",
                "dry_run": dry_run,
            }
        )
        self._save(job)
        self._queue().send({"job": "import", "merchant_id": job.merchant_id, "import_id": job.id})
        return job

    def get(self, principal: Principal, import_id: str) -> ImportJob:
        return self.imports.get(principal.merchant_id, import_id)

    def _save(self, job: ImportJob) -> None:
        expires = clock.parse(job.created_at) + timedelta(days=RECORD_DAYS)
        self.imports.save(job, int(expires.timestamp()))

    # Running (the jobs queue) ----------------------------------------------------------------------
    def run(self, merchant_id: str, import_id: str) -> ImportJob:
        job = self.imports.get(merchant_id, import_id)
        if job.status not in ("queued", "running"):
            return job  # a redelivered message of a finished job
        key = keys.import_object_key(merchant_id, import_id)
        files = self._files()
        try:
            size = files.size(key)
            if size is None:
                raise FileRefused("NO_FILE", "The uploaded file is gone; upload it again.")
            if size > import_rules.MAX_BYTES:
                raise FileRefused("FILE_TOO_LARGE", f"The file is {size} bytes; at most {import_rules.MAX_BYTES}.")
            text = import_rules.decode(files.read(key, import_rules.MAX_BYTES))
            mapping, numbered = import_rules.rows(text)
            all_rows = list(numbered)  # the whole file is read (and refused) before anything is written
        except FileRefused as refused:
            job = job.model_copy(
                update={
                    "status": "failed",
                    "failure_code": refused.code,
                    "failure_reason": refused.reason,
                    "finished_at": clock.now_iso(),
                }
            )
            self._save(job)
            files.delete(key)
            return job
        job = job.model_copy(
            update={
                "status": "running",
                "total": len(all_rows),
                "mapping": mapping.report(),
                "ignored_columns": mapping.ignored[:50],
                "started_at": job.started_at or clock.now_iso(),
            }
        )
        self._save(job)
        job = self._apply(job, mapping, all_rows)
        job = job.model_copy(update={"status": "done", "finished_at": clock.now_iso()})
        self._save(job)
        if not job.dry_run:
            files.delete(key)
        return job

    def _apply(self, job: ImportJob, mapping: import_rules.Mapping, all_rows: list[tuple[int, list[str]]]) -> ImportJob:
        known = _Known()
        for shard in self.customers.directory.load(job.merchant_id):
            for entry in shard.entries.values():
                known.add(person_of(entry))
        labels = {label.name.casefold(): label.id for label in self.merchants.list_labels(job.merchant_id)}
        secret = self._secret()
        for start in range(job.processed, len(all_rows), CHUNK):
            chunk = [import_rules.read_row(n, row, mapping, job.country) for n, row in all_rows[start : start + CHUNK]]
            job = self._chunk(job, chunk, known, labels, secret)
            job = job.model_copy(update={"processed": min(start + CHUNK, len(all_rows))})
            self._save(job)
        return job

    def _chunk(
        self,
        job: ImportJob,
        chunk: list[RowValues],
        known: _Known,
        labels: dict[str, str],
        secret: bytes,
    ) -> ImportJob:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        rejections: list[Rejection] = []
        matched = {self._match(job, row, known) for row in chunk if not row.errors} - {None}
        profiles = self._profiles(job.merchant_id, [cid for cid in matched if cid])
        plan = _Plan()
        now = clock.now_iso()
        alike: list[dict[str, str]] = []
        for row in chunk:
            if row.errors:
                rejections += [Rejection(row=row.number, column=c, code=code, reason=r) for c, code, r in row.errors]
                continue
            wanted = self._label_ids(job, row.values.pop("labels", []), labels)
            target = self._match(job, row, known)
            if target == row_customer_id(job.id, row.number):
                counts["created"] += 1  # made by an earlier attempt of this import
                continue
            clash = self._clash(row, target, known)
            if clash:
                rejections.append(Rejection(row=row.number, column=clash[0], code=clash[1], reason=clash[2]))
                continue
            if target is None:
                customer = self._new(job, row, wanted, now)
                plan.creates.append((row.number, customer))
                person = person_of(entry_of(customer))
                alike += [{"row": str(row.number), "customer_id": cid} for cid in known.look_alikes(person)[:3]]
                known.add(person)
                counts["created"] += 1
                continue
            before = profiles.get(target)
            if before is None:
                rejections.append(Rejection(row=row.number, column="", code="NOT_FOUND", reason="no such customer"))
                continue
            after, changed = self._changed(before, row, wanted, now)
            if not changed:
                counts["unchanged"] += 1
                continue
            plan.updates.append((row.number, before, after, changed))
            profiles[target] = after
            known.add(person_of(entry_of(after)))
            counts["updated"] += 1
        if not job.dry_run:
            failed = self._write(job, plan, secret, now)
            for number, code, column in failed:
                rejections.append(Rejection(row=number, column=column, code=code, reason="not written"))
                kind = "created" if any(n == number for n, _ in plan.creates) else "updated"
                counts[kind] -= 1
        return job.model_copy(
            update={
                "created": job.created + counts["created"],
                "updated": job.updated + counts["updated"],
                "unchanged": job.unchanged + counts["unchanged"],
                "rejected": job.rejected + len({r.row for r in rejections}),
                "rejections": (job.rejections + rejections)[:MAX_REPORTED],
                "possible_duplicates": (job.possible_duplicates + alike)[:100],
            }
        )

    @staticmethod
    def _match(job: ImportJob, row: RowValues, known: _Known) -> str | None:
        mine = row_customer_id(job.id, row.number)
        if mine in known.ids:
            return mine
        given = row.values.get("id")
        if given and given in known.ids:
            return str(given)
        email = row.values.get("email")
        if email and contact.email_key(email) in known.by_email:
            return known.by_email[contact.email_key(email)]
        phone = row.values.get("phone")
        if phone and phone in known.by_phone:
            return known.by_phone[phone]
        return None

    @staticmethod
    def _clash(row: RowValues, target: str | None, known: _Known) -> tuple[str, str, str] | None:
        """An email or phone of the row that belongs to someone else than the customer it updates."""
        email, phone = row.values.get("email"), row.values.get("phone")
        holder = known.by_email.get(contact.email_key(email)) if email else None
        if holder and target and holder != target:
            return ("email", "EMAIL_TAKEN", "another customer has this email")
        holder = known.by_phone.get(phone) if phone else None
        if holder and holder != target:
            return ("phone", "PHONE_TAKEN", "another customer has this phone")
        return None

    def _label_ids(self, job: ImportJob, names: list[str], labels: dict[str, str]) -> list[str]:
        from clientele.account.model import Label

        found = []
        for name in names:
            key = name.casefold()
            if key not in labels:
                labels[key] = ids.new_id("label")
                if not job.dry_run:
                    label = Label(id=labels[key], name=name, created_at=clock.now_iso())
                    self.merchants.put_label(job.merchant_id, label)
                job.labels_created += 1
            found.append(labels[key])
        return found

    @staticmethod
    def _new(job: ImportJob, row: RowValues, labels: list[str], now: str) -> Customer:
        marketing = {}
        if job.marketing_preference and "marketing" in row.values:
            # What the file says, recorded as what it is: an imported choice, never a consent given here.
            marketing[job.marketing_preference] = PreferenceChoice(
                opted_in=bool(row.values["marketing"]), changed_at=now, source=Source.IMPORT.value
            )
        return Customer(
            id=row_customer_id(job.id, row.number),
            merchant_id=job.merchant_id,
            **{k: row.values[k] for k in _FIELDS if k in row.values},
            labels=sorted(set(labels)),
            marketing=marketing,
            source=Source.IMPORT,
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def _changed(before: Customer, row: RowValues, labels: list[str], now: str) -> tuple[Customer, list[str]]:
        """Only cells with a value change a field; labels are added; marketing choices never change."""
        changes: dict[str, Any] = {
            k: row.values[k] for k in _FIELDS if k in row.values and row.values[k] != getattr(before, k)
        }
        if set(labels) - set(before.labels):
            changes["labels"] = sorted(set(before.labels) | set(labels))
        if not changes:
            return before, []
        return before.model_copy(update={**changes, "version": before.version + 1, "updated_at": now}), sorted(changes)

    def _profiles(self, merchant_id: str, wanted: list[str]) -> dict[str, Customer]:
        from clientele.customers.keys import CUSTOMER_SK
        from clientele.customers.repository import to_customer
        from clientele.storage import partitions

        found: dict[str, Customer] = {}
        for start in range(0, len(wanted), 100):
            items = self.customers.table.batch_get(
                [(partitions.customer_pk(merchant_id, cid), CUSTOMER_SK) for cid in wanted[start : start + 100]],
                consistent=True,
            )
            found.update({i["id"]: to_customer(i) for i in items})
        return found

    # Writing ---------------------------------------------------------------------------------------
    def _write(self, job: ImportJob, plan: _Plan, secret: bytes, now: str) -> list[tuple[int, str, str]]:
        """Write the chunk in transactions of up to 16 customers (one per directory shard); a cancelled one
        is written again customer by customer. The rows that could not be written, with a code."""
        writes: list[tuple[int, Any, Any]] = []
        for number, customer in plan.creates:
            audit = self._audit(customer.id, job, "imported", [f for f in _FIELDS if getattr(customer, f)], now)
            writes.append((number, (customer, self._hashes(secret, customer), audit), None))
        for number, before, after, changed in plan.updates:
            audit = self._audit(after.id, job, "imported", changed, now)
            update = (after, before.version, self._hashes(secret, before), self._hashes(secret, after), audit)
            writes.append((number, None, update))
        failed: list[tuple[int, str, str]] = []
        for group in _groups(writes):
            try:
                self.customers.write_many([c for _, c, _ in group if c], [u for _, _, u in group if u])
            except TransactionCancelled:
                for one in group:
                    failed += self._write_one(one)
        return failed

    def _write_one(self, one: tuple[int, Any, Any]) -> list[tuple[int, str, str]]:
        number, create, update = one
        try:
            self.customers.write_many([create] if create else [], [update] if update else [])
        except TransactionCancelled as exc:
            cancelled = exc.cancelled
            if create and cancelled.failed("customer"):
                return []  # created by an earlier attempt of this import
            for kind in ("email", "phone"):
                if cancelled.failed(f"{kind}_guard"):
                    return [(number, f"{kind.upper()}_TAKEN", kind)]
            return [(number, "CHANGED_MEANWHILE", "")]
        return []

    @staticmethod
    def _hashes(secret: bytes, customer: Customer) -> ContactHashes:
        return ContactHashes(
            contact.email_hash(secret, customer.email) if customer.email else None,
            contact.phone_hash(secret, customer.phone) if customer.phone else None,
        )

    @staticmethod
    def _audit(customer_id: str, job: ImportJob, action: str, fields: list[str], now: str) -> AuditEntry:
        return AuditEntry(
            id=ids.new_sortable_id("audit"), customer_id=customer_id, at=now, actor=job.created_by, action=action,
            fields=sorted(fields),
        )  # fmt: skip


def _groups(writes: list[tuple[int, Any, Any]]) -> list[list[tuple[int, Any, Any]]]:
    """Transactions of customers in distinct directory shards (each shard's item is written once), within
    the transaction's 100 operations (a customer takes at most 6)."""
    groups: list[list[tuple[int, Any, Any]]] = []
    shards: list[set[int]] = []
    for write in writes:
        customer = (write[1] or write[2])[0]
        shard = directory_shard(customer.id)
        for group, used in zip(groups, shards, strict=True):
            if shard not in used and len(group) < DIRECTORY_SHARDS:
                group.append(write)
                used.add(shard)
                break
        else:
            groups.append([write])
            shards.append({shard})
    return groups
