"""Membership exports: the list's columns as CSV and Excel, in the private bucket behind a presigned link."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import boto3

from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import enrol, make_customer, make_type, today


def _file(stack: Stack, export_id: str) -> bytes:
    s3 = boto3.client("s3", region_name=stack.info.region)
    bucket = stack.info.buckets["DirectDebitBucket"]
    [key] = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="membership-exports/")["Contents"]
        if export_id in o["Key"]
    ]
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_csv_and_excel(stack: Stack, client: ApiClient) -> None:
    kind = make_type(client, name="Monthly unlimited")
    ana = make_customer(client, given_name="=HYPERLINK(1)", family_name="Bakker")
    enrol(client, kind["id"], ana["id"])
    enrol(client, kind["id"], payment_method="direct_debit")

    created = client.post("/v1/membership-exports", {"format": "csv"})
    assert created.status == 201, created.text
    export = created.json()
    assert export["count"] == 2 and export["status"] == "done" and "Signature" in export["download_url"]
    rows = list(csv.reader(io.StringIO(_file(stack, export["id"]).decode("utf-8-sig"))))
    assert rows[0][:3] == ["status", "reason", "customer"]
    by_status = {r[0]: r for r in rows[1:]}
    assert by_status["active"][2] == "'=HYPERLINK(1) Bakker"  # shown as text, never run as a formula
    assert by_status["active"][5] == "Monthly unlimited" and by_status["active"][6] == "39.00"
    assert by_status["active"][8] == today().isoformat()
    assert by_status["needs_attention"][1] == "no_mandate"

    only = client.post("/v1/membership-exports", {"format": "xlsx", "status": "needs_attention"}).json()
    assert only["count"] == 1
    book = zipfile.ZipFile(io.BytesIO(_file(stack, only["id"])))
    assert "xl/worksheets/sheet1.xml" in book.namelist()
    assert client.get(f"/v1/membership-exports/{only['id']}").json()["count"] == 1

    staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
    assert staff.post("/v1/membership-exports", {"format": "csv"}).status == 403
    assert client.get("/v1/membership-exports/mexp_nope").status == 404
    bad: Any = client.post("/v1/membership-exports", {"format": "pdf"})
    assert bad.status == 422
