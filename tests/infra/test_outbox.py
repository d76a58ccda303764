"""The outbox lists what moto's SES and SNS recorded, newest first, parsed like a mail client would."""

from __future__ import annotations

from email.message import EmailMessage

import boto3
import pytest

from infra.local.outbox import Outbox, extract_links, messages
from tests.infra.conftest import REGION


@pytest.fixture
def ses(tiny_stack):  # deploying starts the outbox's clock
    client = boto3.client("ses", region_name=REGION)
    client.verify_domain_identity(Domain="shop.example")
    return client


def _receipt(to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Café Central <no-reply@shop.example>"
    message["To"] = f"Ana <{to}>"
    message["Subject"] = "Your receipt from Café Central"
    message["List-Unsubscribe"] = "<https://shop.example/p/tok?x=1>"
    message.set_content("Total: €4.50\nManage preferences: https://shop.example/p/tok?x=1.\n")
    message.add_alternative(
        '<p>Total: &euro;4.50</p><a href="https://shop.example/e/tok?a=1&amp;b=2">Erase my data</a>',
        subtype="html",
    )
    return message.as_bytes()


def test_a_raw_email_is_parsed(ses):
    ses.send_raw_email(RawMessage={"Data": _receipt("ana.raw@example.com")})
    (found,) = Outbox(region=REGION).emails(to="ana.raw@example.com")
    assert found["channel"] == "email"
    assert found["to"] == "ana.raw@example.com"
    assert found["from"] == "no-reply@shop.example"
    assert found["subject"] == "Your receipt from Café Central"
    assert "Total: €4.50" in found["text"]
    assert "Erase my data" in found["html"]
    assert found["headers"]["List-Unsubscribe"] == "<https://shop.example/p/tok?x=1>"
    assert found["links"] == ["https://shop.example/e/tok?a=1&b=2", "https://shop.example/p/tok?x=1"]
    assert found["sent_at"].endswith("Z") and found["id"]


def test_a_simple_email_keeps_its_one_body(ses):
    ses.send_email(
        Source="no-reply@shop.example",
        Destination={"ToAddresses": ["bram.simple@example.com"]},
        Message={"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "See https://shop.example/r/1"}}},
    )
    (found,) = Outbox(region=REGION).emails(to="bram.simple@example.com")
    assert (found["subject"], found["text"], found["html"]) == ("Hello", "See https://shop.example/r/1", None)
    assert found["links"] == ["https://shop.example/r/1"]


def test_sms_and_email_newest_first(ses):
    sns = boto3.client("sns", region_name=REGION)
    ses.send_raw_email(RawMessage={"Data": _receipt("chloe.order@example.com")})
    sns.publish(PhoneNumber="+33612340001", Message="Your receipt: https://shop.example/r/tok")
    mine = [m for m in messages(region=REGION) if m["to"] in ("chloe.order@example.com", "+33612340001")]
    assert [m["channel"] for m in mine] == ["sms", "email"]
    sms = mine[0]
    assert sms["text"] == "Your receipt: https://shop.example/r/tok"
    assert sms["links"] == ["https://shop.example/r/tok"]
    assert (sms["subject"], sms["html"], sms["headers"]) == (None, None, {})


def test_links_come_from_html_anchors_and_text_urls():
    assert extract_links("Go to https://a.example/x, then (https://b.example/y).", '<a href="/relative">r</a>') == [
        "/relative",
        "https://a.example/x",
        "https://b.example/y",
    ]


def test_the_outbox_keeps_only_the_newest_messages(ses, monkeypatch):
    from infra.local import outbox

    monkeypatch.setattr(outbox, "OUTBOX_LIMIT", 3)
    sns = boto3.client("sns", region_name=REGION)
    sent: list[str] = []
    for n in range(5):
        sent.append(ses.send_raw_email(RawMessage={"Data": _receipt(f"keep{n}@example.com")})["MessageId"])
        sent.append(sns.publish(PhoneNumber=f"+3361234100{n}", Message=f"text {n}")["MessageId"])
    box = Outbox(region=REGION)
    assert [m["to"] for m in box.emails()] == ["keep4@example.com", "keep3@example.com", "keep2@example.com"]
    assert [m["text"] for m in box.sms()] == ["text 4", "text 3", "text 2"]
    stamped = [message_id for message_id in sent if message_id in outbox._STAMPS]
    assert stamped == sent[4:]  # the stamps of forgotten messages go with them
