"""Recording sales through the gateway, the authorizer and the sales function, on moto."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import card, money, new_customer, record, sale_body


def insights(client: ApiClient, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer_id}/insights")
    assert response.status == 200, response.text
    return response.json()


class TestRecording:
    def test_a_purchase_with_a_customer_reads_back_and_moves_the_customer_counters(self, client: ApiClient) -> None:
        customer = new_customer(client)
        lines = [
            {"description": "Flat white", "quantity": 2, "unit_price": money(350), "total": money(700)},
            {"description": "Croissant", "unit_price": money(250), "total": money(250)},
        ]
        sale = record(client, sale_body(950, lines=lines, customer_id=customer))

        assert sale["type"] == "purchase" and sale["customer_id"] == customer
        assert sale["total"] == money(950) and len(sale["lines"]) == 2 and sale["lines"][1]["quantity"] == 1
        assert client.get(f"/v1/sales/{sale['id']}").json() == sale
        figures = insights(client, customer)
        assert figures["total_spent"] == money(950)
        assert (figures["purchase_count"], figures["refund_count"]) == (1, 0)
        assert figures["first_visit_at"] == figures["last_visit_at"] == sale["occurred_at"]
        profile = client.get(f"/v1/customers/{customer}").json()
        assert profile["last_visit_at"] == sale["occurred_at"] and profile["site_ids"] == [sale["site_id"]]
        assert profile["updated_at"] == profile["created_at"]  # a sale is not an administrative change

    def test_refunds_are_netted_and_exchanges_count_their_difference(self, client: ApiClient) -> None:
        customer = new_customer(client)
        record(client, sale_body(5000, customer_id=customer))
        record(client, sale_body(1200, "refund", customer_id=customer))
        record(client, sale_body(-300, "exchange", customer_id=customer))
        figures = insights(client, customer)
        assert figures["total_spent"] == money(3500)
        assert (figures["purchase_count"], figures["refund_count"], figures["exchange_count"]) == (1, 1, 1)

    def test_an_anonymous_cash_sale_is_recorded_without_moving_customer_counters(self, client: ApiClient) -> None:
        before = client.get("/v1/insights").json()
        sale = record(client, sale_body(400))
        assert sale["customer_id"] is None and sale["card"] is None
        assert client.get("/v1/insights").json() == before

    def test_the_default_site_is_the_merchants_first(self, client: ApiClient) -> None:
        first = client.get("/v1/sites").json()["items"][0]
        other = client.post(
            "/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
        ).json()
        assert record(client, sale_body())["site_id"] == first["id"]
        assert record(client, sale_body(site_id=other["id"]))["site_id"] == other["id"]

    @pytest.mark.parametrize(
        ("body", "status", "code", "field"),
        [
            (sale_body(100) | {"total": money(100, "GBP")}, 422, "CURRENCY_MISMATCH", "total.currency"),
            (sale_body(-5), 422, "INVALID_AMOUNT", "total.amount"),
            (sale_body(100) | {"total": {"amount": 1.5, "currency": "EUR"}}, 422, None, "total.amount"),
            (sale_body(100) | {"total": {"amount": 100, "currency": "euro"}}, 422, None, "total.currency"),
            (sale_body(100, "gift"), 422, None, "type"),
            (
                sale_body(100, lines=[{"description": "Tea", "unit_price": money(300), "total": money(300)}]),
                422,
                "TOTAL_MISMATCH",
                "total.amount",
            ),
            (
                sale_body(
                    600, lines=[{"description": "Tea", "quantity": 2, "unit_price": money(300), "total": money(500)}]
                ),
                422,
                "LINE_TOTAL_MISMATCH",
                "lines.0.total",
            ),
            (sale_body(100, site_id="site_nope"), 422, "UNKNOWN_SITE", "site_id"),
            (sale_body(100, customer_id="cus_nope"), 404, "NOT_FOUND", "customer_id"),
            (sale_body(100, card_number="4111111111111111"), 422, "UNKNOWN_FIELD", "card_number"),
            ({"total": money(100)}, 422, "REQUIRED", "type"),
        ],
    )
    def test_bad_sales_answer_the_spec_error_shape(
        self, client: ApiClient, body: dict[str, Any], status: int, code: str | None, field: str
    ) -> None:
        response = client.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status == status, response.text
        errors = response.json()["errors"]
        assert any(e["field"] == field for e in errors), errors
        if code:
            assert code in [e["code"] for e in errors]

    def test_a_body_that_is_not_json_is_400(self, client: ApiClient) -> None:
        response = client.request("POST", "/v1/sales", data="{nope", headers={"content-type": "application/json"})
        assert response.status == 400 and response.error_codes() == ["MALFORMED_JSON"]

    def test_another_merchants_sale_and_customer_are_404(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        customer = new_customer(client)
        sale = record(client, sale_body(customer_id=customer))
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/sales/{sale['id']}").status == 404
        response = other.post("/v1/sales", sale_body(customer_id=customer))
        assert response.status == 404
        assert other.get(f"/v1/customers/{customer}/insights").status == 404

    def test_a_key_without_sales_write_or_an_unknown_key_is_refused(self, client: ApiClient, api: ApiClient) -> None:
        assert api.post("/v1/sales", sale_body()).status == 401
        assert api.as_key("ck_unknown").post("/v1/sales", sale_body()).status == 401

    def test_a_merchant_who_has_not_accepted_the_terms_cannot_record(self, stack: Stack, api: ApiClient) -> None:
        fresh = api.as_key(stack.create_merchant(accept_terms=False)["api_key"])
        response = fresh.post("/v1/sales", sale_body())
        assert response.status == 403 and response.error_codes() == ["TERMS_NOT_ACCEPTED"]


class TestIdempotency:
    def test_a_replay_answers_the_first_response_and_counts_once(self, client: ApiClient) -> None:
        customer = new_customer(client)
        body = sale_body(700, customer_id=customer)
        first = client.post("/v1/sales", body, headers={"Idempotency-Key": "till-1/receipt-0001"})
        again = client.post("/v1/sales", body, headers={"Idempotency-Key": "till-1/receipt-0001"})
        assert first.status == again.status == 201
        assert again.json() == first.json()
        assert again.headers.get("idempotent-replayed") == "true" and "idempotent-replayed" not in first.headers
        assert insights(client, customer)["purchase_count"] == 1

    def test_the_same_key_with_another_body_is_422(self, client: ApiClient) -> None:
        client.post("/v1/sales", sale_body(700), headers={"Idempotency-Key": "k-reused"})
        response = client.post("/v1/sales", sale_body(701), headers={"Idempotency-Key": "k-reused"})
        assert response.status == 422 and response.error_codes() == ["IDEMPOTENCY_KEY_REUSED"]

    def test_keys_are_per_merchant(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        other = api.as_key(stack.create_merchant()["api_key"])
        mine = client.post("/v1/sales", sale_body(700), headers={"Idempotency-Key": "shared-key"}).json()
        theirs = other.post("/v1/sales", sale_body(900), headers={"Idempotency-Key": "shared-key"})
        assert theirs.status == 201 and theirs.json()["id"] != mine["id"]

    @pytest.mark.parametrize("key", ["", "with space", "x" * 256, "ünïcode"])
    def test_a_malformed_key_is_400(self, client: ApiClient, key: str) -> None:
        response = client.post("/v1/sales", sale_body(), headers={"Idempotency-Key": key})
        assert response.status == 400 and response.error_codes() == ["INVALID_IDEMPOTENCY_KEY"]

    def test_a_retry_that_outlived_its_idempotency_record_still_counts_once(
        self, client: ApiClient, stack: Stack
    ) -> None:
        import boto3

        customer = new_customer(client)
        body = sale_body(700, customer_id=customer)
        first = client.post("/v1/sales", body, headers={"Idempotency-Key": "lost-record"}).json()
        table = stack.info.table_name("IdempotencyTable")
        dynamodb = boto3.client("dynamodb", region_name=stack.info.region)
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={"id": item["id"]})  # as if it expired or the write was lost

        again = client.post("/v1/sales", body, headers={"Idempotency-Key": "lost-record"})
        assert again.status == 201 and again.json()["id"] == first["id"]
        assert insights(client, customer)["purchase_count"] == 1
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={"id": item["id"]})
        reused = client.post(
            "/v1/sales", sale_body(999, customer_id=customer), headers={"Idempotency-Key": "lost-record"}
        )
        assert reused.status == 422 and reused.error_codes() == ["IDEMPOTENCY_KEY_REUSED"]

    def test_a_request_still_in_progress_is_409(self, client: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
        from clientele.sales.wiring import sales_service

        service = sales_service()
        original = service.record
        nested: dict[str, Any] = {}

        def record_and_duplicate(*args: Any, **kwargs: Any) -> Any:
            if not nested:
                nested["response"] = client.post("/v1/sales", sale_body(700), headers={"Idempotency-Key": "in-flight"})
            return original(*args, **kwargs)

        monkeypatch.setattr(service, "record", record_and_duplicate)
        first = client.post("/v1/sales", sale_body(700), headers={"Idempotency-Key": "in-flight"})
        assert first.status == 201
        assert nested["response"].status == 409
        assert nested["response"].error_codes() == ["IDEMPOTENCY_KEY_IN_USE"]


class TestCards:
    def test_an_unknown_card_with_a_name_creates_an_instant_profile_and_the_next_payment_lands_on_it(
        self, client: ApiClient
    ) -> None:
        paid = card(name="DOE/JANE")
        first = record(client, sale_body(1200, card=paid))
        assert first["instant_profile"] is True and first["customer_id"]
        profile = client.get(f"/v1/customers/{first['customer_id']}").json()
        assert (profile["given_name"], profile["family_name"], profile["source"]) == ("Jane", "Doe", "instant_profile")

        second = record(client, sale_body(800, card={k: v for k, v in paid.items() if k != "cardholder_name"}))
        assert second["customer_id"] == first["customer_id"] and second["instant_profile"] is False
        assert second["card"]["card_id"] == first["card"]["card_id"]
        figures = insights(client, first["customer_id"])
        assert figures["purchase_count"] == 2 and figures["total_spent"] == money(2000)
        cards = client.get(f"/v1/customers/{first['customer_id']}/cards").json()["items"]
        assert [(c["id"], c["brand"], c["last4"]) for c in cards] == [(first["card"]["card_id"], "visa", "4242")]
        assert "fingerprint" not in cards[0]

    def test_an_unknown_card_without_a_name_records_an_anonymous_sale(self, client: ApiClient) -> None:
        sale = record(client, sale_body(card=card()))
        assert sale["customer_id"] is None and sale["card"]["last4"] == "4242"

    def test_a_card_paid_with_a_customer_is_linked_to_that_customer(self, client: ApiClient) -> None:
        customer = new_customer(client)
        paid = card()
        record(client, sale_body(card=paid, customer_id=customer))
        assert record(client, sale_body(card=paid))["customer_id"] == customer

    def test_an_unlinked_card_no_longer_attaches_nor_creates_a_profile(self, client: ApiClient) -> None:
        paid = card(name="Jan Jansen")
        first = record(client, sale_body(card=paid))
        customer, card_id = first["customer_id"], first["card"]["card_id"]
        assert client.delete(f"/v1/customers/{customer}/cards/{card_id}").status == 204
        assert client.get(f"/v1/customers/{customer}/cards").json()["items"] == []
        later = record(client, sale_body(card=paid))
        assert later["customer_id"] is None
        assert client.delete(f"/v1/customers/{customer}/cards/{card_id}").status == 404

    def test_sales_are_found_by_the_cards_last_four_digits(self, client: ApiClient) -> None:
        last4 = f"{uuid.uuid4().int % 10_000:04d}"
        ids = {record(client, sale_body(card=card(last4=last4)))["id"] for _ in range(3)}
        record(client, sale_body(card=card(last4="0000" if last4 != "0000" else "1111")))
        page = client.get("/v1/sales", params={"card_last4": last4, "limit": 2}).json()
        rest = client.get("/v1/sales", params={"card_last4": last4, "limit": 2, "cursor": page["cursor"]}).json()
        assert {s["id"] for s in page["items"] + rest["items"]} == ids
        assert not rest.get("cursor")
        assert client.get("/v1/sales", params={"card_last4": "12345"}).status == 422

    def test_sales_are_found_by_customer(self, client: ApiClient) -> None:
        customer = new_customer(client)
        mine = [record(client, sale_body(100 + i, customer_id=customer))["id"] for i in range(2)]
        record(client, sale_body(5))
        found = client.get("/v1/sales", params={"customer_id": customer}).json()["items"]
        assert [s["id"] for s in found] == list(reversed(mine))

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("cardholder_name", "4111 1111 1111 1111"),
            ("cardholder_name", "JANE DOE 4111-1111-1111-1111"),
            ("fingerprint", "4111111111111111"),
            ("brand", "visa 5500005555555559"),
            ("fingerprint", "tok_4000056655665556"),
        ],
    )
    def test_anything_that_looks_like_a_card_number_is_refused(self, client: ApiClient, field: str, value: str) -> None:
        body = sale_body(card={**card(name="Jane Doe"), field: value})
        response = client.post("/v1/sales", body)
        assert response.status == 422, response.text
        assert response.json()["errors"][0]["field"] in (f"card.{field}",)
        assert value not in response.text

    def test_a_card_number_in_a_line_description_is_refused_but_a_barcode_is_not(self, client: ApiClient) -> None:
        line = {"description": "Voucher 4111 1111 1111 1111", "unit_price": money(100), "total": money(100)}
        response = client.post("/v1/sales", sale_body(100, lines=[line]))
        assert response.status == 422 and response.error_codes() == ["CARD_NUMBER_NOT_ALLOWED"]
        barcode = {**line, "description": "Coffee beans EAN 8712345678906"}
        assert client.post("/v1/sales", sale_body(100, lines=[barcode])).status == 201

    def test_last4_must_be_four_digits(self, client: ApiClient) -> None:
        response = client.post("/v1/sales", sale_body(card=card(last4="42")))
        assert response.status == 422 and response.json()["errors"][0]["field"] == "card.last4"

    def test_the_cardholder_name_is_never_in_a_key(self, client: ApiClient, stack: Stack) -> None:
        import boto3

        record(client, sale_body(card=card(name="Zebedee Quux")))
        dynamodb = boto3.client("dynamodb", region_name=stack.info.region)
        table = stack.info.table_name("DataTable")
        for item in dynamodb.scan(TableName=table)["Items"]:
            keys = " ".join(
                v.get("S", "") for k, v in item.items() if k in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
            )
            assert "zebedee" not in keys.lower() and "quux" not in keys.lower()
