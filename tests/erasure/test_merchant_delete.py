"""The merchant's ``DELETE /v1/customers/{id}``: the erasure service, checked by scanning every table,
bucket and queue of the stack for the person's data."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data

PERSON = {
    "given_name": "Josephine",
    "family_name": "Vanderbeek",
    "email": "Josephine.V@Example.org",
    "phone": "06 4455 6677",
}


def _customer_with_history(client: ApiClient) -> dict[str, Any]:
    customer = client.post(
        "/v1/customers",
        {**PERSON, "birthday": "1985-02-03", "addresses": [{"line1": "Keizersgracht 1", "city": "Amsterdam"}]},
    )
    assert customer.status == 201, customer.text
    cid = customer.json()["id"]
    assert client.post(f"/v1/customers/{cid}/notes", {"text": "Josephine prefers the window seat"}).status == 201
    for n, amount in enumerate((1250, 800)):
        sale = client.post(
            "/v1/sales",
            {"type": "purchase", "total": {"amount": amount, "currency": "EUR"}, "customer_id": cid},
            headers={"Idempotency-Key": f"sale-{cid}-{n}"},
        )
        assert sale.status == 201, sale.text
    card_sale = client.post(
        "/v1/sales",
        {
            "type": "purchase",
            "total": {"amount": 500, "currency": "EUR"},
            "customer_id": cid,
            "card": {
                "fingerprint": "fp_josephine_1",
                "brand": "visa",
                "last4": "4242",
                "cardholder_name": "J VANDERBEEK",
            },
        },
        headers={"Idempotency-Key": f"sale-{cid}-card"},
    )
    assert card_sale.status == 201, card_sale.text
    return customer.json()


def test_a_merchant_erases_a_customer_everywhere_and_totals_stay(stack: Stack, client: ApiClient) -> None:
    customer = _customer_with_history(client)
    before = client.get("/v1/insights").json()
    assert find_personal_data(stack.info, ["Vanderbeek", "josephine.v@example.org"])  # the scan does find it

    erased = client.delete(f"/v1/customers/{customer['id']}")
    assert erased.status == 204, erased.text

    leftovers = find_personal_data(
        stack.info,
        [
            PERSON["given_name"],
            PERSON["family_name"],
            PERSON["email"],
            customer["email"],
            PERSON["phone"],
            customer["phone"],
            "J VANDERBEEK",
            "Keizersgracht",
            "window seat",
        ],
    )
    assert leftovers == []
    assert client.get(f"/v1/customers/{customer['id']}").status == 404
    assert client.get(f"/v1/customers/{customer['id']}/notes").status == 404
    assert client.get("/v1/customers", params={"email": PERSON["email"]}).json()["items"] == []
    after = client.get("/v1/insights").json()
    assert after["total_sales"] == before["total_sales"]
    assert after["total_customers"] == before["total_customers"] - 1
    assert after["returning_customers"] == before["returning_customers"] - 1
    # The email and phone are free again; the card no longer attaches to anyone.
    assert client.post("/v1/customers", {"email": PERSON["email"], "phone": PERSON["phone"]}).status == 201


def test_erasing_twice_is_a_404_and_changes_nothing_more(client: ApiClient) -> None:
    customer = client.post("/v1/customers", {"given_name": "Twice"}).json()
    assert client.delete(f"/v1/customers/{customer['id']}").status == 204
    count = client.get("/v1/insights").json()["total_customers"]
    assert client.delete(f"/v1/customers/{customer['id']}").status == 404
    assert client.get("/v1/insights").json()["total_customers"] == count


def test_the_service_itself_is_safe_to_run_twice(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> None:
    from clientele.erasure.service import ErasurePath
    from clientele.erasure.wiring import erasure_service

    customer = client.post("/v1/customers", {"given_name": "Again", "email": "again@example.com"}).json()
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        first = erasure_service().erase(merchant["merchant_id"], customer["id"], ErasurePath.PORTAL)
        second = erasure_service().erase(merchant["merchant_id"], customer["id"], ErasurePath.MERCHANT)
    assert first == second and first.path == "portal"


def test_staff_cannot_erase_and_foreign_customers_are_404(stack: Stack, api: ApiClient, client: ApiClient) -> None:
    customer = client.post("/v1/customers", {"given_name": "Kept"}).json()
    staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
    refused = staff.delete(f"/v1/customers/{customer['id']}")
    assert refused.status == 403 and refused.error_codes() == ["FORBIDDEN"]
    other = api.as_key(stack.create_merchant()["api_key"])
    assert other.delete(f"/v1/customers/{customer['id']}").status == 404
    assert client.get(f"/v1/customers/{customer['id']}").status == 200


def test_every_item_type_in_the_data_map_has_an_erasure_rule() -> None:
    from pathlib import Path

    from clientele.erasure.service import RULES

    text = (Path(__file__).resolve().parents[2] / "docs" / "data-model.md").read_text()
    entities = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) > 3 and cells[1].startswith("`") and not cells[0].startswith("-"):
            entities.add(cells[0].split(" ")[0])
    entities -= {"entity", "#"}
    assert {"customer", "guard", "note", "audit"} <= entities
    missing = sorted(e for e in entities if e not in RULES)
    assert missing == [], f"item types without an erasure rule: {missing}"


def test_an_instant_profile_is_erased_with_everything_its_card_sale_stored(stack: Stack, client: ApiClient) -> None:
    sale = client.post(
        "/v1/sales",
        {
            "type": "purchase",
            "total": {"amount": 990, "currency": "EUR"},
            "card": {
                "fingerprint": "fp_instant_ottoline",
                "brand": "mastercard",
                "last4": "5454",
                "cardholder_name": "OTTOLINE MORRELLSON",
            },
        },
        headers={"Idempotency-Key": "instant-ottoline"},
    )
    assert sale.status == 201, sale.text
    customer_id = sale.json()["customer_id"]
    assert client.get(f"/v1/customers/{customer_id}").json()["source"] == "instant_profile"
    assert find_personal_data(stack.info, ["Morrellson"])  # the scan does see it, idempotency record included

    assert client.delete(f"/v1/customers/{customer_id}").status == 204
    assert find_personal_data(stack.info, ["Ottoline", "Morrellson", "OTTOLINE MORRELLSON"]) == []
    # The same card later neither attaches to anyone nor makes a new profile from the holder's name.
    again = client.post(
        "/v1/sales",
        {
            "type": "purchase",
            "total": {"amount": 100, "currency": "EUR"},
            "card": {
                "fingerprint": "fp_instant_ottoline",
                "brand": "mastercard",
                "last4": "5454",
                "cardholder_name": "OTTOLINE MORRELLSON",
            },
        },
        headers={"Idempotency-Key": "instant-ottoline-2"},
    )
    assert again.status == 201 and again.json().get("customer_id") is None
