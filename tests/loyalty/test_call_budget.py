"""The AWS-call budget of loyalty on the till's path, counted as ``make bench`` counts (warm function caches)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.bench.aws_calls import CallCounter
from tests.conftest import ApiClient, ApiResponse
from tests.loyalty.helpers import adjust, enroll, set_program
from tests.sales.helpers import money, new_customer


def _calls(counter: CallCounter, call: Callable[[], ApiResponse]) -> int:
    with counter.measure() as calls:
        response = call()
    assert response.status < 400, response.text
    return sum(calls.values())


def test_a_sale_for_an_enrolled_customer_stays_within_the_sales_budget(client: ApiClient) -> None:
    set_program(client)
    ana = new_customer(client)
    enroll(client, ana, "+31 6 24681357")
    counter = CallCounter()

    def sale() -> ApiResponse:
        body: dict[str, Any] = {"type": "purchase", "total": money(6000), "customer_id": ana}
        return client.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex})

    sale()  # warm: the function's site cache
    assert 3 <= _calls(counter, sale) <= 4  # idempotency record, one read, one transaction (and the record's end)
    client.get("/v1/loyalty/accounts", params={"phone": "0624681357"})  # warm: the application secret
    assert _calls(counter, lambda: client.get("/v1/loyalty/accounts", params={"phone": "06 24681357"})) == 2
    key = {"Idempotency-Key": uuid.uuid4().hex}
    path = f"/v1/customers/{ana}/loyalty/redemptions"
    assert _calls(counter, lambda: client.post(path, {"reward_id": "coffee"}, headers=key)) <= 2
    assert _calls(counter, lambda: client.post(path, {"reward_id": "coffee"}, headers=key)) == 1  # the replay
    assert _calls(counter, lambda: adjust(client, ana, 3)) <= 2
    assert _calls(counter, lambda: client.get(f"/v1/customers/{ana}/loyalty/events")) == 1
