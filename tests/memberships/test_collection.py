"""Direct-debit collection: the day's pain.008.001.08 file per site (valid against the official schema,
FRST then RCUR), stored in the private bucket with a presigned download, and the bank's returns."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import boto3
import pytest

from clientele.memberships.collection import DebitLine, build_file, schema_path, validate
from clientele.memberships.model import MembershipSettings
from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import days, enrol, local_noon, make_customer, make_type, run_site, today
from tests.memberships.test_mandates import FORM, _form, _link, _set_up_sepa

SETTINGS = MembershipSettings(
    creditor_name="Gym Noord",
    creditor_id="NL57ZZZ999999999999",
    collection_iban="NL91ABNA0417164300",
    collection_bic="ABNANL2A",
)


def _line(n: int, sequence: str) -> DebitLine:
    return DebitLine(
        end_to_end_id=f"E2E{n:08d}",
        holder="Zoë Lefèvre",
        iban="BE68539007547034",
        bic=None,
        amount=3900,
        sequence=sequence,
        collection_date=date(2026, 3, 31),
        mandate_reference=f"M{n:06d}-ABCDEFGH",
        mandate_date=date(2026, 1, 31),
        description=f"M{n:06d} 2026-03-31",
    )


def test_the_file_is_pain_008_001_08_and_valid_against_the_official_schema() -> None:
    xml = build_file(SETTINGS, [_line(1, "FRST"), _line(2, "RCUR"), _line(3, "RCUR")])
    validate(xml)  # raises if not valid
    text = xml.decode()
    assert "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08" in text
    assert "<SeqTp>FRST</SeqTp>" in text and "<SeqTp>RCUR</SeqTp>" in text
    assert "<NbOfTxs>3</NbOfTxs>" in text and "<CtrlSum>117.00</CtrlSum>" in text
    assert "Zoe Lefevre" in text  # transliterated to the SEPA character set
    assert schema_path().name == "pain.008.001.08.xsd" and schema_path().exists()


def _mandated_member(stack: Stack, client: ApiClient, api: ApiClient, **enrolment: Any) -> dict[str, Any]:
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    customer = make_customer(client, email=email)
    member = enrol(client, make_type(client)["id"], customer["id"], payment_method="direct_debit", **enrolment)
    member["email"] = email
    assert client.post(f"/v1/memberships/{member['id']}/mandate-requests", {}).status == 202
    body = {"holder": "Zoë Lefèvre", "iban": "BE68 5390 0754 7034", "consent": "yes", "locale": "en"}
    assert api.request("POST", _link(stack, email), data=_form(body), headers=FORM).status == 200
    return member


STACK: list[Stack] = []


@pytest.fixture(autouse=True)
def _stack(stack: Stack) -> None:
    STACK[:] = [stack]


def _run(merchant: dict[str, Any], client: ApiClient, day: date) -> dict[str, Any]:
    site_id = client.get("/v1/sites").json()["items"][0]["id"]
    return run_site(STACK[0], merchant["merchant_id"], site_id, local_noon(day))


def _file(stack: Stack, batch_id: str) -> bytes:
    s3 = boto3.client("s3", region_name=stack.info.region)
    bucket = stack.info.buckets["DirectDebitBucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if o["Key"].endswith(f"/{batch_id}.xml")]
    assert len(keys) == 1
    return bytes(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read())


def test_collect_return_and_collect_again(
    stack: Stack, client: ApiClient, api: ApiClient, merchant: dict[str, Any]
) -> None:
    _set_up_sepa(client)
    member = _mandated_member(stack, client, api)
    report = _run(merchant, client, today() + days(1))
    assert report["batches"] == 1 and report["charges"] == 1

    [listed] = client.get("/v1/direct-debit-batches").json()["items"]
    assert listed["count"] == 1 and listed["total"] == {"amount": 3900, "currency": "EUR"}
    assert listed["collection_date"] == (today() + days(1)).isoformat()
    batch = client.get(f"/v1/direct-debit-batches/{listed['id']}").json()
    assert batch["download_url"].startswith("http") and "Signature" in batch["download_url"]
    [debit] = batch["debits"]
    assert debit["sequence"] == "FRST" and debit["membership_id"] == member["id"]
    xml = _file(stack, listed["id"])
    validate(xml)
    assert b"BE68539007547034" in xml and b"<SeqTp>FRST</SeqTp>" in xml
    charge = client.get(f"/v1/memberships/{member['id']}").json()["recent_charges"][0]
    assert charge["state"] == "collecting"

    assert _run(merchant, client, today() + days(1))["batches"] == 0  # the same day again: nothing more

    returned = client.post(
        f"/v1/direct-debit-batches/{listed['id']}/returns",
        {"end_to_end_id": debit["end_to_end_id"], "reason_code": "AM04"},
    )
    assert returned.status == 200, returned.text
    read = client.get(f"/v1/memberships/{member['id']}").json()
    assert (read["status"], read["reason"], read["payment_failed"]) == ("needs_attention", "payment_failed", True)
    assert read["recent_charges"][0]["state"] == "failed"
    again = client.post(
        f"/v1/direct-debit-batches/{listed['id']}/returns",
        {"end_to_end_id": debit["end_to_end_id"], "reason_code": "AM04"},
    )
    assert again.status == 200  # recorded once
    stack.drain("DeliveryQueue")
    failed_mails = [
        m for m in stack.outbox() if "did not go through" in (m.get("subject") or "") and m["to"] == member["email"]
    ]
    assert len(failed_mails) == 1

    _run(merchant, client, today() + days(2))  # the next batch collects it again, as a recurring debit
    second = [b for b in client.get("/v1/direct-debit-batches").json()["items"] if b["id"] != listed["id"]]
    assert len(second) == 1 and second[0]["count"] == 1
    assert b"<SeqTp>RCUR</SeqTp>" in _file(stack, second[0]["id"])
    read = client.get(f"/v1/memberships/{member['id']}").json()
    assert (read["status"], read["reason"]) == ("active", None)

    unknown = client.post(
        f"/v1/direct-debit-batches/{listed['id']}/returns", {"end_to_end_id": "X", "reason_code": "AM04"}
    )
    assert unknown.status == 422 and unknown.error_codes() == ["UNKNOWN_DEBIT"]
    assert client.get("/v1/direct-debit-batches/ddb_20260101_nope").status == 404


def test_a_revoked_mandate(stack: Stack, client: ApiClient, api: ApiClient, merchant: dict[str, Any]) -> None:
    _set_up_sepa(client)
    member = _mandated_member(stack, client, api)
    _run(merchant, client, today() + days(1))
    [batch] = client.get("/v1/direct-debit-batches").json()["items"]
    [debit] = client.get(f"/v1/direct-debit-batches/{batch['id']}").json()["debits"]
    client.post(
        f"/v1/direct-debit-batches/{batch['id']}/returns",
        {"end_to_end_id": debit["end_to_end_id"], "reason_code": "MD01"},
    )
    read = client.get(f"/v1/memberships/{member['id']}").json()
    assert (read["status"], read["reason"], read["needs_mandate"]) == ("needs_attention", "mandate_revoked", True)
    assert client.get("/v1/memberships/summary").json()["needs_mandate"]["count"] == 1
    _run(merchant, client, today() + days(2))
    assert len(client.get("/v1/direct-debit-batches").json()["items"]) == 1  # nothing to collect without a mandate


def test_without_a_mandate_nothing_is_collected_and_staff_see_no_batches(
    stack: Stack, client: ApiClient, merchant: dict[str, Any]
) -> None:
    _set_up_sepa(client)
    enrol(client, make_type(client)["id"], payment_method="direct_debit")
    assert _run(merchant, client, today() + days(1))["batches"] == 0
    staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
    assert staff.get("/v1/direct-debit-batches").status == 403


def test_the_sepa_pre_notification_14_days_before_each_collection(
    stack: Stack, client: ApiClient, api: ApiClient, merchant: dict[str, Any]
) -> None:
    from dateutil.relativedelta import relativedelta

    _set_up_sepa(client)
    member = _mandated_member(stack, client, api, start_date=today() + days(20))
    report = _run(merchant, client, today() + days(6))
    assert report["notices"] == {"prenotify": 1}
    stack.drain("DeliveryQueue")
    [notice] = [m for m in stack.outbox() if m["to"] == member["email"] and "Your direct debit" in m["subject"]]
    assert "€39.00" in notice["text"] and member["number"] in notice["text"]
    assert _run(merchant, client, today() + days(6))["notices"] == {}  # the same day again: nothing more
    second = today() + days(20) + relativedelta(months=1)
    assert _run(merchant, client, second - days(14))["notices"] == {"prenotify": 1}
