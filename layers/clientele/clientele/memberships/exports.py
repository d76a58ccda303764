"""Membership exports (``POST /v1/membership-exports``): the list's columns (status, customer, type, rate,
start, end, next billing) as CSV or Excel (XlsxWriter in ``constant_memory`` mode), stored in the private
bucket under ``membership-exports/`` (deleted after a day by the bucket's lifecycle rule) and read through a
short-lived presigned link. The export runs when asked and answers ``done``; its item holds no personal data.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Any

from clientele.customers import keys as customer_keys
from clientele.kernel import clock
from clientele.kernel.errors import NotFound
from clientele.kernel.ids import new_sortable_id
from clientele.kernel.permissions import Principal
from clientele.memberships import rules
from clientele.memberships.model import Membership
from clientele.memberships.repository import MembershipRepository
from clientele.memberships.service import MembershipFilters, MembershipService
from clientele.platform.aws import client
from clientele.storage.partitions import customer_pk, merchant_pk
from clientele.storage.table import fields_of

COLUMNS = (
    "status",
    "reason",
    "customer",
    "customer_id",
    "number",
    "type",
    "rate",
    "currency",
    "start",
    "end",
    "next_billing",
)
PRESIGNED_SECONDS = 300
PREFIX = "membership-exports/"


class MembershipExports:
    def __init__(self, memberships: MembershipRepository, service: MembershipService, bucket: str) -> None:
        self.memberships = memberships
        self.service = service
        self.bucket = bucket

    def create(self, principal: Principal, fmt: str, filters: MembershipFilters) -> dict[str, Any]:
        rows = list(self._rows(principal, filters))
        export_id = new_sortable_id("mexp")
        key = f"{PREFIX}{principal.merchant_id}/{export_id}.{fmt}"
        body, content_type = (_xlsx(rows), _XLSX) if fmt == "xlsx" else (_csv(rows), "text/csv; charset=utf-8")
        client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )
        export = {
            "id": export_id,
            "status": "done",
            "format": fmt,
            "count": len(rows),
            "file_key": key,
            "created_at": clock.now_iso(),
        }
        self.memberships.table.put(
            {"PK": merchant_pk(principal.merchant_id), "SK": f"MEXPORT#{export_id}", "entity": "membership_export"}
            | export
        )
        return export

    def get(self, principal: Principal, export_id: str) -> dict[str, Any]:
        item = self.memberships.table.get(merchant_pk(principal.merchant_id), f"MEXPORT#{export_id}")
        if not item:
            raise NotFound("No such export.", field="id")
        return fields_of(item)

    def download_url(self, export: dict[str, Any]) -> str:
        return str(
            client("s3").generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": export["file_key"]}, ExpiresIn=PRESIGNED_SECONDS
            )
        )

    def _rows(self, principal: Principal, filters: MembershipFilters) -> Any:
        types = {t.id: t.name for t in self.memberships.list_types(principal.merchant_id)}
        cursor: str | None = None
        while True:
            page, cursor = self.service.search(principal, filters, limit=100, cursor=cursor)
            names = self._names(principal.merchant_id, page)
            for m in page:
                billing = rules.next_billing_date(m)
                yield [
                    m.status.value,
                    m.reason.value if m.reason else "",
                    names.get(m.customer_id, ""),
                    m.customer_id,
                    m.number,
                    types.get(m.type_id, m.type_id),
                    f"{m.rate.amount / 100:.2f}",
                    m.rate.currency,
                    m.start_date.isoformat(),
                    m.end_date.isoformat() if m.end_date else "",
                    billing.isoformat() if billing else "",
                ]
            if not cursor:
                return

    def _names(self, merchant_id: str, page: list[Membership]) -> dict[str, str]:
        wanted = sorted({m.customer_id for m in page})
        found = self.memberships.table.batch_get(
            [(customer_pk(merchant_id, c), customer_keys.CUSTOMER_SK) for c in wanted]
        )
        return {
            str(item["id"]): " ".join(p for p in (item.get("given_name"), item.get("family_name")) if p)
            for item in found
        }


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:  # a cell starting like a formula is quoted so a spreadsheet shows it as text
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[list[str]]) -> bytes:
    import xlsxwriter

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "memberships.xlsx")
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
        sheet = workbook.add_worksheet("Memberships")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, COLUMNS, bold)
        for index, row in enumerate(rows, start=1):
            sheet.write_row(index, 0, row)
        workbook.close()
        with open(path, "rb") as file:
            return file.read()
