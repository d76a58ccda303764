"""Cursors are opaque for real: sealed and bound to the merchant, the route and the query, so any
alteration is a 400 INVALID_CURSOR (never a 500) and no cursor shows a table key."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import new_customer, record, sale_body


def _lists(client: ApiClient) -> dict[str, tuple[str, dict[str, Any]]]:
    customer = new_customer(client, email=f"cursor.{uuid.uuid4().hex[:8]}@example.net")
    for n in range(3):
        assert client.post(f"/v1/customers/{customer}/notes", {"text": f"note {n}"}).status == 201
        client.patch(f"/v1/customers/{customer}", {"family_name": f"Family{n}"})
    sales = [record(client, sale_body(100 + n, customer_id=customer)) for n in range(3)]
    new_customer(client)  # a second member of "all customers", so a page of one has a cursor
    return {
        "sales": ("/v1/sales", {}),
        "sales by customer": ("/v1/sales", {"customer_id": customer}),
        "notes": (f"/v1/customers/{customer}/notes", {}),
        "audit": (f"/v1/customers/{customer}/audit", {}),
        "activity": (f"/v1/customers/{customer}/activity", {}),
        "activity by amount": (f"/v1/customers/{customer}/activity", {"sort": "amount"}),
        "receipts": (f"/v1/sales/{sales[0]['id']}/receipts", {}),
        "group members": ("/v1/groups/grp_all/customers", {}),
    }


def _alterations(cursor: str) -> list[str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    flipped = bytearray(raw)
    flipped[len(flipped) // 2] ^= 1
    return [
        cursor[:-2],
        cursor + "AA",
        base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("="),
        base64.urlsafe_b64encode(b'{"PK":"x"}').decode().rstrip("="),
        "not a cursor!",
        "",
    ]


def test_every_list_cursor_is_sealed_and_bound(stack: Stack, client: ApiClient, api: ApiClient) -> None:
    lists = _lists(client)
    merchant_id = str(client.get("/v1/settings").json()["merchant_id"])
    other = api.as_key(stack.create_merchant()["api_key"])
    # Receipts of a sale: queue two so that a page of one has a cursor.
    receipts_path = lists["receipts"][0]
    sale_id = receipts_path.split("/")[3]
    for n in range(2):
        sent = client.post(receipts_path, {"channel": "email"}, headers={"Idempotency-Key": f"r{n}{sale_id}"})
        assert sent.status in (201, 202), sent.text
    cursors: dict[str, str] = {}
    for name, (path, params) in lists.items():
        first = client.get(path, params={**params, "limit": 1})
        assert first.status == 200, (name, first.text)
        cursor = first.json()["cursor"]
        assert cursor, name
        cursors[name] = cursor
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # No table key in sight: no key name, key prefix or id (a 2-byte b"PK" would match ciphertext by chance).
        for marker in (b"MERCHANT", b'"PK"', b"ACT#", merchant_id.encode()):
            assert marker not in decoded, (name, marker)
        assert client.get(path, params={**params, "limit": 1, "cursor": cursor}).status == 200
        for altered in _alterations(cursor):
            if not altered:
                continue
            response = client.get(path, params={**params, "limit": 1, "cursor": altered})
            assert response.status == 400 and response.error_codes() == ["INVALID_CURSOR"], (name, response.text)
        # Another merchant, or the same merchant's other query: refused too.
        assert other.get(path, params={**params, "cursor": cursor}).status in (400, 404)
        assert client.get(path, params={**params, "cursor": cursor, "card_last4": "4242"}).status == 400
    # One list's cursor on another list
    assert client.get("/v1/sales", params={"cursor": cursors["notes"]}).error_codes() == ["INVALID_CURSOR"]
    notes = lists["notes"][0]
    assert client.get(notes, params={"cursor": cursors["audit"]}).error_codes() == ["INVALID_CURSOR"]
