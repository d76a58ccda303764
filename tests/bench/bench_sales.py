"""AWS calls of sales and insights (called by ``make bench`` through ``tests.bench``'s hook).

Warm figures: the sales function's site cache and the card-link cache are filled by a first request,
as in a warm Lambda container; the authorizer's answer is cached by API Gateway.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.sales.helpers import card, money, new_customer


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    customer = new_customer(api)
    api.post("/v1/sales", {"type": "purchase", "total": money(100), "customer_id": customer}, headers=_key())
    body = {"type": "purchase", "total": money(1250), "customer_id": customer}
    measure(
        "record sale with customer (incl. idempotency)", "<= 4", lambda: api.post("/v1/sales", body, headers=_key())
    )
    measure(
        "record anonymous cash sale",
        "<= 4",
        lambda: api.post("/v1/sales", {"type": "purchase", "total": money(450)}, headers=_key()),
    )
    paid = card(name="DOE/JANE")
    measure(
        "record sale, unknown card -> instant profile",
        "<= 4",
        lambda: api.post("/v1/sales", {"type": "purchase", "total": money(900), "card": paid}, headers=_key()),
    )
    measure(
        "record sale, known card (link cached)",
        "<= 4",
        lambda: api.post("/v1/sales", {"type": "purchase", "total": money(300), "card": paid}, headers=_key()),
    )
    replayed = _key()
    api.post("/v1/sales", body, headers=replayed)
    measure("replay of a recorded sale", "1", lambda: api.post("/v1/sales", body, headers=replayed))
    for n in range(60):
        api.post(
            "/v1/sales",
            {"type": "refund" if n % 5 == 0 else "purchase", "total": money(100 + n), "customer_id": customer},
            headers=_key(),
        )
    measure("customer insights", "1", lambda: api.get(f"/v1/customers/{customer}/insights"))
    measure("activity page of 50, by date", "<= 2", lambda: api.get(f"/v1/customers/{customer}/activity"))
    measure(
        "activity page, refunds by amount asc",
        "<= 2",
        lambda: api.get(
            f"/v1/customers/{customer}/activity", params={"type": "refund", "sort": "amount", "order": "asc"}
        ),
    )
    cursor = api.get(f"/v1/customers/{customer}/activity").json()["cursor"]
    measure(
        "activity, next page", "<= 2", lambda: api.get(f"/v1/customers/{customer}/activity", params={"cursor": cursor})
    )
    measure("overview, all time", "<= 2", lambda: api.get("/v1/insights"))
    measure(
        "overview, 31 days", "<= 2", lambda: api.get("/v1/insights", params={"from": "2026-01-01", "to": "2026-01-31"})
    )
    site = api.get("/v1/sites").json()["items"][0]["id"]
    measure(
        "overview, one site, 31 days",
        "<= 2",
        lambda: api.get("/v1/insights", params={"site_id": site, "from": "2026-01-01", "to": "2026-01-31"}),
    )
    measure("sales by card last4, page", "1", lambda: api.get("/v1/sales", params={"card_last4": "4242"}))
    _receipts(stack, api, counter, measure)


def _receipts(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    """A receipt asked for at the till, its status, the consumer's work per message, the hosted page."""
    from clientele.platform.secrets import link_signer

    shopper = api.post(
        "/v1/customers", {"given_name": "Rita", "email": "rita@example.net", "phone": "+31612340001"}
    ).json()["id"]
    line = {"description": "Flat white", "quantity": 5, "unit_price": money(350), "total": money(1750)}
    body = {"type": "purchase", "total": money(1750), "customer_id": shopper, "lines": [line]}
    sale = api.post("/v1/sales", body, headers=_key()).json()["id"]
    path = f"/v1/sales/{sale}/receipts"
    api.post(path, {"channel": "email"}, headers=_key())  # warm: the delivery service is built
    stack.drain()
    measure("send receipt (incl. idempotency)", "<= 6", lambda: api.post(path, {"channel": "email"}, headers=_key()))
    measure("send receipt, no Idempotency-Key", "<= 4", lambda: api.post(path, {"channel": "sms"}))
    measure("receipts of a sale, with status", "<= 2", lambda: api.get(path))
    stack.drain()
    for channel in ("email", "sms"):
        api.post(path, {"channel": channel}, headers=_key())
        with counter.measure() as calls:
            report = stack.drain()
        assert not report.failures
        detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
        label = f"receipt consumer, per {channel} message"
        print(f"   {label:<44} {sum(calls.values()):3d}  (target <= 7)  [{detail}]")
    merchant_id = api.get("/v1/settings").json()["merchant_id"]
    hosted = f"/r/{link_signer().receipt_token(merchant_id, sale)}"
    measure("hosted receipt page", "2", lambda: api.get(hosted, key=""))
