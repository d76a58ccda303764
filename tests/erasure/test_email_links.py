"""Erasure from the link at the bottom of a real email: sign up on the hosted page, receive the welcome
email, follow its erase link; then nothing of the person is left anywhere in the stack."""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data
from tests.signup.forms import FORM, body, hidden, path_of


def _sign_up(api: ApiClient, signup_url: str, **person: str) -> None:
    page = api.get(path_of(signup_url))
    assert page.status == 200
    fields = {**person, "consent": "yes", "locale": "en", "form_token": hidden(page.text, "form_token")}
    submitted = api.request("POST", path_of(signup_url), data=body(fields), headers=FORM)
    assert submitted.status in (200, 303), submitted.text


def _link(stack: Stack, to: str, marker: str) -> str:
    mails = [m for m in stack.outbox() if m["channel"] == "email" and to in str(m["to"]).lower()]
    assert mails, f"no email to {to}"
    return next(link for link in mails[0]["links"] if marker in link)


def test_the_welcome_emails_erase_link_erases_everything(
    stack: Stack, api: ApiClient, merchant: dict[str, Any]
) -> None:
    _sign_up(
        api,
        merchant["signup_url"],
        given_name="Hortense",
        family_name="Welcomeby",
        email="hortense.w@example.com",
        phone="+31 6 2345 7777",
    )
    stack.drain()
    owner = api.as_key(merchant["api_key"])
    (customer,) = owner.get("/v1/customers", params={"email": "hortense.w@example.com"}).json()["items"]
    link = path_of(_link(stack, "hortense.w@example.com", "/e/"))

    assert api.get(link).status == 200
    done = api.request("POST", link, data="locale=en", headers=FORM)
    assert done.status == 200, done.text

    assert owner.get(f"/v1/customers/{customer['id']}").status == 404
    # The sent email itself lives in SES's record, outside the stack's tables, buckets and queues.
    assert find_personal_data(stack.info, ["Hortense", "Welcomeby", "hortense.w@example.com", "+31623457777"]) == []
    tombstone = boto3.client("dynamodb").get_item(
        TableName=stack.info.tables["DataTable"],
        Key={"PK": {"S": f"MERCHANT#{merchant['merchant_id']}#CUSTOMER#{customer['id']}"}, "SK": {"S": "TOMBSTONE"}},
    )["Item"]
    assert tombstone["path"]["S"] == "welcome_link"


def test_a_receipts_erase_link_erases_everything(
    stack: Stack, api: ApiClient, client: ApiClient, merchant: dict[str, Any]
) -> None:
    customer = client.post(
        "/v1/customers", {"given_name": "Rosalind", "family_name": "Receiptova", "email": "rosalind.r@example.org"}
    ).json()
    sale = client.post(
        "/v1/sales",
        {"type": "purchase", "total": {"amount": 720, "currency": "EUR"}, "customer_id": customer["id"]},
        headers={"Idempotency-Key": "receipt-erase"},
    )
    assert sale.status == 201, sale.text
    sent = client.post(
        f"/v1/sales/{sale.json()['id']}/receipts",
        {"channel": "email"},
        headers={"Idempotency-Key": "receipt-erase-mail"},
    )
    assert sent.status == 202, sent.text
    stack.drain()
    before = client.get("/v1/insights").json()
    link = path_of(_link(stack, "rosalind.r@example.org", "/e/"))

    done = api.request("POST", link, data="locale=nl", headers=FORM)
    assert done.status == 200, done.text
    assert find_personal_data(stack.info, ["Rosalind", "Receiptova", "rosalind.r@example.org"]) == []
    after = client.get("/v1/insights").json()
    assert after["total_sales"] == before["total_sales"]
    assert client.get(f"/v1/sales/{sale.json()['id']}").status == 200  # the sale stays, without the customer
    tombstone = boto3.client("dynamodb").get_item(
        TableName=stack.info.tables["DataTable"],
        Key={"PK": {"S": f"MERCHANT#{merchant['merchant_id']}#CUSTOMER#{customer['id']}"}, "SK": {"S": "TOMBSTONE"}},
    )["Item"]
    assert tombstone["path"]["S"] == "receipt_link"
