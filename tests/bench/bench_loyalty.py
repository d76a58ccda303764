"""AWS calls of loyalty (called by ``make bench`` through ``tests.bench``'s hook): a sale for an enrolled customer,
the till's look-up by phone, a redemption, a page of the ledger.

Warm figures, as the other benches: a first request of each kind fills the function's caches (the sales
function's sites, the application secret of keyed hashes).
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.loyalty.helpers import CAFE
from tests.sales.helpers import money, new_customer


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    api.put("/v1/loyalty/program", CAFE)
    customer = new_customer(api)
    enrolled = api.post(f"/v1/customers/{customer}/loyalty", {"phone": "+31 6 24681357"})
    assert enrolled.status == 201, enrolled.text
    api.post("/v1/sales", {"type": "purchase", "total": money(100), "customer_id": customer}, headers=_key())
    body = {"type": "purchase", "total": money(6000), "customer_id": customer}
    measure(
        "record sale, enrolled customer (incl. idempotency)",
        "<= 4",
        lambda: api.post("/v1/sales", body, headers=_key()),
    )
    api.get("/v1/loyalty/accounts", params={"phone": "06 24681357"})
    measure(
        "loyalty account by phone (till)",
        "<= 2",
        lambda: api.get("/v1/loyalty/accounts", params={"phone": "0624681357"}),
    )
    key = _key()
    measure(
        "redeem a reward",
        "<= 2",
        lambda: api.post(f"/v1/customers/{customer}/loyalty/redemptions", {"reward_id": "coffee"}, headers=key),
    )
    measure(
        "redeem again, same key (replay)",
        "<= 2",
        lambda: api.post(f"/v1/customers/{customer}/loyalty/redemptions", {"reward_id": "coffee"}, headers=key),
    )
    for n in range(60):
        api.post(f"/v1/customers/{customer}/loyalty/adjustments", {"points": n + 1, "reason": "bench"}, headers=_key())
    measure("loyalty ledger, page of 50", "1", lambda: api.get(f"/v1/customers/{customer}/loyalty/events"))
