"""Exports of the customer list through the gateway, the jobs queue and the worker, on moto."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import frozen_time


def create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", fields)
    assert response.status == 201, response.text
    return response.json()


def export(client: ApiClient, stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    started = client.post("/v1/customer-exports", body)
    assert started.status == 202, started.text
    assert started.json()["status"] == "queued"
    stack.pollers.drain("DirectoryJobsQueue", timeout=120)
    done = client.get(f"/v1/customer-exports/{started.json()['id']}")
    assert done.status == 200, done.text
    return done.json()


def file_of(job: dict[str, Any]) -> bytes:
    """The exported file, read with the bucket and key the download link names."""
    import boto3

    url = urlparse(job["download_url"])
    parts = url.path.lstrip("/").split("/", 1)
    if url.hostname and url.hostname.endswith(".amazonaws.com") and not url.hostname.startswith("s3."):
        bucket, key = url.hostname.split(".", 1)[0], url.path.lstrip("/")
    else:
        bucket, key = parts[0], parts[1]
    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def rows(job: dict[str, Any]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(file_of(job).decode("utf-8-sig"))))


class TestCustomerExports:
    def test_a_csv_export_holds_the_specs_columns_and_a_link_valid_15_minutes(
        self, client: ApiClient, stack: Stack
    ) -> None:
        ana = create(client, given_name="Zoë", family_name="Lefèvre", email="zoe@example.com", phone="0612345678")
        job = export(client, stack, {"format": "csv"})
        assert job["status"] == "done" and job["row_count"] == 1 and job["kind"] == "customers"
        query = parse_qs(urlparse(job["download_url"]).query)
        assert query.get("X-Amz-Expires") == ["900"] or query.get("Expires")
        header, *body = rows(job)
        assert header == [
            "id", "first_name", "last_name", "email", "phone", "customer_since", "memberships",
            "active_memberships", "membership_type", "rate", "status", "member_since", "currency",
            "membership_number", "payment_method", "payments_up_to_date", "membership_ends", "next_billing",
        ]  # fmt: skip
        assert body == [[ana["id"], "Zoë", "Lefèvre", "zoe@example.com", "+31612345678", ana["created_at"][:10],
                         *[""] * 12]]  # fmt: skip

    def test_filters_of_the_directory_apply(self, client: ApiClient, stack: Stack) -> None:
        vip = client.post("/v1/labels", {"name": "VIP"}).json()["id"]
        kept = create(client, given_name="Kept", labels=[vip])
        create(client, given_name="Other")
        job = export(client, stack, {"format": "csv", "filters": {"label": vip}})
        assert [r[0] for r in rows(job)[1:]] == [kept["id"]]
        assert job["filters"] == {"label": vip}

    def test_group_membership_and_attribute_filters_of_the_directory_apply_too(
        self, client: ApiClient, stack: Stack
    ) -> None:
        made = client.post("/v1/custom-attributes", {"key": "vip", "name": "VIP", "type": "boolean"})
        assert made.status == 201, made.text
        kept = create(client, given_name="Kept", attributes={"vip": True})
        create(client, given_name="Other", attributes={"vip": False})
        body = {"format": "csv", "filters": {"attributes": {"vip": "true"}, "has_membership": "false"}}
        job = export(client, stack, body)
        assert [r[0] for r in rows(job)[1:]] == [kept["id"]]
        assert job["filters"] == {"attribute.vip": "true", "has_membership": "false"}
        unknown = client.post("/v1/customer-exports", {"filters": {"attributes": {"shoe": "true"}}})
        assert unknown.status == 400 and unknown.error_codes() == ["UNKNOWN_ATTRIBUTE"]
        bad_flag = client.post("/v1/customer-exports", {"filters": {"has_membership": "maybe"}})
        assert bad_flag.status == 400 and bad_flag.error_codes() == ["INVALID_PARAMETER"]

    def test_formula_payloads_are_stored_as_text_and_escaped_in_the_file(self, client: ApiClient, stack: Stack) -> None:
        evil = create(client, given_name='=HYPERLINK("http://evil")', family_name="@SUM(A1)")
        assert client.get(f"/v1/customers/{evil['id']}").json()["given_name"] == '=HYPERLINK("http://evil")'
        job = export(client, stack, {"format": "csv"})
        row = next(r for r in rows(job) if r[0] == evil["id"])
        assert row[1] == '\'=HYPERLINK("http://evil")' and row[2] == "'@SUM(A1)"

    def test_an_xlsx_export_is_an_excel_workbook_with_escaped_text_cells(self, client: ApiClient, stack: Stack) -> None:
        import zipfile

        create(client, given_name="+cmd|' /C calc'!A0", family_name="Plain")
        job = export(client, stack, {"format": "xlsx"})
        assert job["status"] == "done" and job["row_count"] == 1
        book = zipfile.ZipFile(io.BytesIO(file_of(job)))
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet  # no formula anywhere
        assert "&apos;+cmd" in shared + sheet or "'+cmd" in shared + sheet

    def test_the_opted_in_emails_of_a_preference_with_when_how_and_the_wording(
        self, client: ApiClient, stack: Stack
    ) -> None:
        news = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()["id"]
        with pytest.MonkeyPatch.context() as patch, frozen_time(patch, "2026-02-01T09:00:00Z"):
            yes = create(
                client, given_name="Yes", email=f"yes.{uuid.uuid4().hex[:6]}@example.com", marketing={news: True}
            )
        create(client, given_name="No", email=f"no.{uuid.uuid4().hex[:6]}@example.com", marketing={news: False})
        create(client, given_name="NoEmail", marketing={news: True})
        job = export(client, stack, {"format": "csv", "marketing_preference": news})
        assert job["kind"] == "marketing_emails"
        header, *body = rows(job)
        assert header == [
            "id", "first_name", "last_name", "email", "opted_in_at", "opted_in_how", "wording", "wording_version"
        ]  # fmt: skip
        assert [(r[0], r[3], r[4], r[5]) for r in body] == [
            (yes["id"], yes["email"], "2026-02-01T09:00:00.000Z", "manual")
        ]

    def test_an_unknown_preference_or_bad_filters_are_refused_before_any_work(self, client: ApiClient) -> None:
        assert client.post("/v1/customer-exports", {"marketing_preference": "pref_nope"}).status == 404
        assert client.post("/v1/customer-exports", {"format": "pdf"}).status == 422
        bad_sort = client.post("/v1/customer-exports", {"filters": {"sort": "shoe_size"}})
        assert bad_sort.status == 400
        assert client.post("/v1/customer-exports", {"filters": {"nickname": "x"}}).status == 422


class TestRecordsAndAccess:
    def test_every_export_is_recorded_and_owners_see_the_list(self, client: ApiClient, stack: Stack) -> None:
        create(client, given_name="One")
        job = export(client, stack, {"format": "xlsx", "filters": {"q": "one"}})
        listed = client.get("/v1/customer-exports").json()["items"]
        mine = next(j for j in listed if j["id"] == job["id"])
        assert mine["created_by"] and mine["created_at"] and mine["filters"] == {"q": "one"}
        assert mine["row_count"] == 1 and mine["download_url"] is None

    def test_staff_cannot_export_and_managers_cannot_list(self, client: ApiClient) -> None:
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        manager = client.as_key(client.post("/v1/api-keys", {"role": "manager"}).json()["secret"])
        assert staff.post("/v1/customer-exports", {"format": "csv"}).status == 403
        assert manager.get("/v1/customer-exports").status == 403
        assert manager.post("/v1/customer-exports", {"format": "csv"}).status == 202

    def test_another_merchants_export_is_404(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        job = client.post("/v1/customer-exports", {"format": "csv"}).json()
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/customer-exports/{job['id']}").status == 404

    def test_no_link_once_the_file_has_expired(self, client: ApiClient, stack: Stack) -> None:
        job = export(client, stack, {"format": "csv"})
        with pytest.MonkeyPatch.context() as patch, frozen_time(patch, "2099-01-01T00:00:00Z"):
            late = client.get(f"/v1/customer-exports/{job['id']}").json()
        assert late["status"] == "done" and late["download_url"] is None


class TestErasure:
    def test_the_tombstone_counts_the_live_exports_that_hold_the_erased_customer(
        self, client: ApiClient, stack: Stack
    ) -> None:
        from clientele.erasure.repository import ErasureRepository
        from clientele.storage.table import data_table

        inside = create(client, given_name="Inside")
        export(client, stack, {"format": "csv"})
        export(client, stack, {"format": "xlsx", "filters": {"q": "inside"}})
        outside = create(client, given_name="Outside")  # after both exports
        assert client.delete(f"/v1/customers/{inside['id']}").status == 204
        assert client.delete(f"/v1/customers/{outside['id']}").status == 204
        merchant_id = client.get("/v1/settings").json()["merchant_id"]
        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            tombstones = ErasureRepository(data_table())
            assert tombstones.tombstone(merchant_id, inside["id"])["counts"] == {"live_exports": 2}
            assert tombstones.tombstone(merchant_id, outside["id"])["counts"] == {"live_exports": 0}


class TestMembershipColumns:
    """The spa and gym software's Excel export: each customer's membership type, status, rate, member since,
    next billing date, read through the memberships' port."""

    def test_members_rows_describe_their_current_membership_in_csv_and_xlsx(
        self, client: ApiClient, stack: Stack
    ) -> None:
        from tests.memberships.conftest import days, enrol, make_type, today

        gold = make_type(client, name="=Gold", rate={"amount": 4500, "currency": "EUR"})
        yoga = make_type(client, name="Yoga", billing_period="weekly")
        member = create(client, given_name="Member")
        held = enrol(client, gold["id"], member["id"], start_date=today())
        paid = client.post(f"/v1/memberships/{held['id']}/payments", {"payment_type": "cash"})
        assert paid.status == 201, paid.text
        lapsed = create(client, given_name="Lapsed")
        ended = enrol(client, yoga["id"], lapsed["id"], start_date=today() - days(30))
        assert client.post(f"/v1/memberships/{ended['id']}/cancel", {"reason": "moved"}).status == 200
        upcoming = enrol(client, yoga["id"], lapsed["id"], start_date=today() + days(10), number="Y-77")
        plain = create(client, given_name="Plain")
        held = client.get(f"/v1/memberships/{held['id']}").json()

        job = export(client, stack, {"format": "csv"})

        header, *body = rows(job)
        by_id = {r[0]: dict(zip(header, r, strict=True)) for r in body}
        assert {k: by_id[member["id"]][k] for k in header[6:]} == {
            "memberships": "1", "active_memberships": "1", "membership_type": "'=Gold", "rate": "45.00",
            "status": "active", "member_since": today().isoformat(), "currency": "EUR",
            "membership_number": held["number"], "payment_method": "manual", "payments_up_to_date": "yes",
            "membership_ends": "", "next_billing": held["next_billing_date"] or "",
        }  # fmt: skip
        # Two memberships, none held: the one still to start is shown.
        shown = by_id[lapsed["id"]]
        assert (shown["memberships"], shown["active_memberships"]) == ("2", "0")
        assert (shown["membership_type"], shown["status"], shown["membership_number"]) == ("Yoga", "upcoming", "Y-77")
        assert shown["member_since"] == upcoming["start_date"] and shown["payments_up_to_date"] == ""
        assert all(by_id[plain["id"]][k] == "" for k in header[6:])

        workbook = export(client, stack, {"format": "xlsx", "filters": {"has_membership": "true"}})
        assert workbook["row_count"] == 1
        text = _xlsx_text(file_of(workbook))
        assert member["id"] in text and "'=Gold" in text.replace("&apos;", "'") and "45.00" in text
        assert lapsed["id"] not in text and plain["id"] not in text

    def test_the_port_reads_few_customers_one_by_one_and_many_from_the_whole_list(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from clientele.memberships import service as memberships
        from clientele.memberships.wiring import membership_service
        from tests.memberships.conftest import enrol, make_type

        kind = make_type(client)
        members = [enrol(client, kind["id"])["customer_id"] for _ in range(3)]
        other = create(client, given_name="Other")["id"]
        wanted = [*members[:2], other]

        one_by_one = membership_service().member_lines(merchant["merchant_id"], wanted)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(memberships, "_ONE_BY_ONE", 0)
            whole_list = membership_service().member_lines(merchant["merchant_id"], wanted)

        assert one_by_one == whole_list
        assert sorted(one_by_one) == sorted(members[:2])
        assert [line.type_name for line in one_by_one[members[0]]] == ["Monthly unlimited"]


def _xlsx_text(data: bytes) -> str:
    import zipfile

    book = zipfile.ZipFile(io.BytesIO(data))
    shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    return shared + book.read("xl/worksheets/sheet1.xml").decode()
