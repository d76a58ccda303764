"""A QR code printed for a sale: the shopper who signs up from it gets that sale, counted once."""

from __future__ import annotations

from typing import Any

from clientele.sales.wiring import sales_service
from tests.conftest import ApiClient, Stack
from tests.signup.conftest import Shopper, unique_email


def test_signing_up_from_a_sales_qr_code_attaches_the_sale_once(
    stack: Stack, client: ApiClient, merchant: dict[str, Any]
) -> None:
    sale = client.post(
        "/v1/sales",
        {
            "type": "purchase",
            "total": {"amount": 1850, "currency": "EUR"},
            "lines": [
                {
                    "description": "Croissants",
                    "quantity": 2,
                    "unit_price": {"amount": 925, "currency": "EUR"},
                    "total": {"amount": 1850, "currency": "EUR"},
                }
            ],
        },
        headers={"Idempotency-Key": "qr-sale"},
    ).json()
    assert sale.get("customer_id") is None
    before = client.get("/v1/insights").json()
    qr = client.get("/v1/signup-qr", params={"format": "svg", "sale_id": sale["id"]})
    link = qr.headers["link"].split(";")[0].strip("<>")
    email = unique_email("qr")
    response = Shopper(client.as_key(None), link).submit({"given_name": "Quentin", "email": email, "consent": "yes"})
    assert response.status == 303, response.text

    (customer,) = client.get("/v1/customers", params={"email": email}).json()["items"]
    assert client.get(f"/v1/sales/{sale['id']}").json()["customer_id"] == customer["id"]
    insights = client.get(f"/v1/customers/{customer['id']}/insights").json()
    assert insights["purchase_count"] == 1 and insights["total_spent"]["amount"] == 1850
    after = client.get("/v1/insights").json()
    assert after["total_sales"] == before["total_sales"] + 1  # now linked to a customer

    stack.drain()
    welcome = next(m for m in stack.outbox() if m["to"] == email)
    assert "Croissants" in welcome["text"]

    from clientele.kernel.permissions import Principal, Role

    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        owner = Principal(merchant_id=merchant["merchant_id"], key_id="test", role=Role.OWNER)
        assert sales_service().attach(owner, sale["id"], customer["id"]) is True  # already this one's
        other = client.post("/v1/customers", {"given_name": "Other"}).json()
        assert sales_service().attach(owner, sale["id"], other["id"]) is False
    again = client.get(f"/v1/customers/{customer['id']}/insights").json()
    assert again["purchase_count"] == 1
    assert client.get("/v1/insights").json()["total_sales"] == after["total_sales"]
