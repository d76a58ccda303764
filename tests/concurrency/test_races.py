"""Races on the local stack with worker processes: parallel requests run in parallel invocations here, so
each test meets the interleavings Lambda would produce, and asserts what must hold whatever they are."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.concurrency.conftest import HttpApi, LiveStack, at_once, eventually, warm
from tests.signup import forms

pytestmark = pytest.mark.stack

MAX_CODE_ATTEMPTS = 5


def no_server_errors(statuses: list[int]) -> None:
    assert all(status < 500 for status in statuses), statuses


def overview(client: HttpApi) -> dict[str, int]:
    body = client.get("/v1/insights").json()
    return {k: body[k] for k in ("total_customers", "total_sales", "returning_customers")}


def new_customer(client: HttpApi, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", {"given_name": "Ana", **fields})
    assert response.status == 201, response.text
    return dict(response.json())


def sent_to(live: LiveStack, address: str) -> list[dict[str, Any]]:
    return [m for m in live.outbox() if str(m.get("to", "")).lower() == address.lower()]


class TestCustomers:
    def test_concurrent_creations_with_one_email_make_exactly_one_customer(self, client: HttpApi) -> None:
        email = f"twin.{uuid.uuid4().hex[:8]}@example.com"
        statuses = at_once(
            8, lambda n: client.post("/v1/customers", {"given_name": f"Twin {n}", "email": email}).status
        )
        assert sorted(statuses) == [201] + [409] * 7
        assert len(client.get("/v1/customers", params={"email": email}).json()["items"]) == 1

    def test_parallel_erasures_of_one_customer_erase_it_once(self, client: HttpApi) -> None:
        email = f"gone.{uuid.uuid4().hex[:8]}@example.com"
        customer = new_customer(client, email=email, phone="+31612345678")
        statuses = at_once(6, lambda _: client.delete(f"/v1/customers/{customer['id']}").status)
        no_server_errors(statuses)
        assert 204 in statuses and set(statuses) <= {204, 404}, statuses
        assert client.get(f"/v1/customers/{customer['id']}").status == 404
        assert client.get("/v1/customers", params={"email": email}).json()["items"] == []
        assert overview(client)["total_customers"] == 0
        # Every guard went with it: the address and the phone can be used again, once.
        assert new_customer(client, email=email, phone="+31612345678")["id"] != customer["id"]
        assert overview(client)["total_customers"] == 1


class TestSales:
    def test_parallel_sales_and_replays_for_one_customer_count_exactly(self, client: HttpApi) -> None:
        """12 tills post a sale for one new customer at once, each sale sent three times in parallel under its
        own Idempotency-Key: every key answers one sale, and every counter equals what the 12 sales say."""
        customer = new_customer(client)["id"]
        warm(client, "/v1/sales")
        plan = [(f"par-{uuid.uuid4().hex[:8]}", "refund" if i % 4 == 3 else "purchase", 100 + i) for i in range(12)]

        def till(index: int) -> tuple[str, str]:
            key, kind, amount = plan[index // 3]
            body = {"type": kind, "total": {"amount": amount, "currency": "EUR"}, "customer_id": customer}
            for _ in range(300):
                response = client.post("/v1/sales", body, headers={"Idempotency-Key": key})
                if response.status == 409:  # the same key in progress on another till: retry like a client
                    time.sleep(0.05)
                    continue
                assert response.status in (200, 201), response.text
                return key, str(response.json()["id"])
            raise AssertionError("never finished")

        answers: dict[str, set[str]] = {}
        for key, sale_id in at_once(len(plan) * 3, till):
            answers.setdefault(key, set()).add(sale_id)
        assert all(len(ids) == 1 for ids in answers.values()), answers
        assert len({next(iter(ids)) for ids in answers.values()}) == 12

        purchases = [amount for _, kind, amount in plan if kind == "purchase"]
        refunds = [amount for _, kind, amount in plan if kind == "refund"]
        insights = client.get(f"/v1/customers/{customer}/insights").json()
        assert (insights["purchase_count"], insights["refund_count"]) == (len(purchases), len(refunds))
        assert insights["total_spent"] == {"amount": sum(purchases) - sum(refunds), "currency": "EUR"}
        assert overview(client) == {"total_customers": 1, "total_sales": 12, "returning_customers": 1}
        activity = client.get(f"/v1/customers/{customer}/activity", params={"limit": 100}).json()["items"]
        assert len(activity) == 12

    def test_parallel_first_sales_of_many_customers_count_each_once(self, client: HttpApi) -> None:
        customers = [new_customer(client, given_name=f"C{i}")["id"] for i in range(5)]

        def till(index: int) -> list[int]:
            body = {
                "type": "purchase",
                "total": {"amount": 500, "currency": "EUR"},
                "customer_id": customers[index % 5],
            }
            return [
                client.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex}).status for _ in range(2)
            ]

        statuses = [status for pair in at_once(10, till) for status in pair]
        assert statuses == [201] * 20
        assert overview(client) == {"total_customers": 5, "total_sales": 20, "returning_customers": 5}


class TestReceipts:
    def test_parallel_receipts_for_one_sale_are_each_sent_exactly_once(self, live: LiveStack, client: HttpApi) -> None:
        email = f"receipt.{uuid.uuid4().hex[:8]}@example.net"
        customer = new_customer(client, email=email)
        sale = client.post(
            "/v1/sales",
            {"type": "purchase", "total": {"amount": 1750, "currency": "EUR"}, "customer_id": customer["id"]},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ).json()
        path = f"/v1/sales/{sale['id']}/receipts"
        shared = uuid.uuid4().hex

        def ask(index: int) -> tuple[int, str]:
            key = shared if index < 8 else uuid.uuid4().hex  # 8 retries of one request, 4 distinct requests
            for _ in range(300):
                response = client.post(path, {"channel": "email"}, headers={"Idempotency-Key": key})
                if response.status == 409:
                    time.sleep(0.05)
                    continue
                return response.status, str(response.json()["id"])
            raise AssertionError("never finished")

        answers = at_once(12, ask)
        assert {status for status, _ in answers} == {202}
        assert len({delivery for _, delivery in answers[:8]}) == 1
        assert len({delivery for _, delivery in answers}) == 5

        def all_sent() -> list[dict[str, Any]]:
            listed = client.get(path, params={"limit": 50}).json()["items"]
            return listed if len(listed) == 5 and all(d["status"] == "sent" for d in listed) else []

        assert eventually(all_sent), client.get(path).json()
        time.sleep(2)  # a duplicate send would land in the outbox after the status
        assert len(sent_to(live, email)) == 5


class TestSignup:
    def test_parallel_signups_with_one_email_from_different_ips_make_one_customer(
        self, live: LiveStack, client: HttpApi, merchant: dict[str, Any]
    ) -> None:
        email = f"queue.{uuid.uuid4().hex[:8]}@example.net"
        path = forms.path_of(merchant["signup_url"])
        ips = [f"127.0.{n + 1}.{uuid.uuid4().int % 200 + 2}" for n in range(6)]
        pages = [live.api.get(path, source_ip=ip) for ip in ips]
        assert all(page.status == 200 for page in pages)

        def submit(index: int) -> int:
            page = pages[index].text
            data = {
                "form_token": forms.hidden(page, "form_token"),
                "locale": forms.hidden(page, "locale"),
                "given_name": f"Shopper {index}",
                "email": email,
                "consent": "yes",
            }
            response = live.api.post(
                forms.form_action(page), data=urlencode(data), headers=forms.FORM, source_ip=ips[index]
            )
            return response.status

        statuses = at_once(len(ips), submit)
        assert statuses == [303] * len(ips)
        assert len(client.get("/v1/customers", params={"email": email}).json()["items"]) == 1
        assert overview(client)["total_customers"] == 1
        welcome = eventually(lambda: [m for m in sent_to(live, email) if m["subject"].startswith("Welcome")])
        time.sleep(2)
        assert len([m for m in sent_to(live, email) if m["subject"].startswith("Welcome")]) == len(welcome) == 1


class TestPortal:
    def test_twenty_parallel_guesses_at_one_code_evaluate_at_most_five(self, live: LiveStack, client: HttpApi) -> None:
        email = f"portal.{uuid.uuid4().hex[:8]}@example.net"
        new_customer(client, email=email)
        form = {"content-type": "application/x-www-form-urlencoded"}
        asked = live.api.post(
            "/privacy", data=urlencode({"action": "request", "contact": email, "country": "NL"}), headers=form
        )
        assert asked.status == 200, asked.text
        pending = re.search(r'name="pending" value="([^"]+)"', asked.text)
        assert pending
        mail = eventually(lambda: sent_to(live, email))
        code = re.search(r"\b(\d{6})\b", mail[0]["text"])
        assert code
        guesses = [f"{(int(code.group(1)) + n) % 10**6:06d}" for n in range(1, 21)]  # twenty wrong codes
        forged = urlencode({"action": "verify", "pending": "forged", "code": "123456"})
        warm(live.api, "/privacy", method="POST", data=forged, headers=form)
        before = len(live.conditional_writes())

        def guess(index: int) -> int:
            fields = {"action": "verify", "pending": pending.group(1), "code": guesses[index]}
            return live.api.post(
                "/privacy", data=urlencode(fields), headers=form, source_ip=f"127.0.9.{index + 2}"
            ).status

        statuses = at_once(20, guess)
        no_server_errors(statuses)
        assert set(statuses) <= {422, 410}, statuses
        # A guess is evaluated when its code is compared with the stored one while the code is still live.
        evaluated = [
            write
            for write in live.conditional_writes()[before:]
            if "code_hash" in write["condition"]
            and write["before"] is not None
            and not write["before"]["used"]
            and write["before"]["attempts"] < MAX_CODE_ATTEMPTS
        ]
        assert len(evaluated) <= MAX_CODE_ATTEMPTS, f"{len(evaluated)} guesses were compared with the code"
        right = live.api.post(
            "/privacy",
            data=urlencode({"action": "verify", "pending": pending.group(1), "code": code.group(1)}),
            headers=form,
        )
        assert right.status == 410  # used up: even the right code is refused now


class TestKeys:
    def test_keys_revoked_while_settings_are_saved_stay_revoked(self, client: HttpApi) -> None:
        keys = [client.post("/v1/api-keys", {"role": "manager", "name": f"till {n}"}).json() for n in range(6)]
        assert all(client.as_key(key["secret"]).get("/v1/customers").status == 200 for key in keys)
        warm(client, "/v1/settings")

        def act(index: int) -> list[int]:
            if index < len(keys):
                return [client.delete(f"/v1/api-keys/{keys[index]['id']}").status]
            statuses = []
            for n in range(6):
                version = client.get("/v1/settings").json()["version"]
                statuses.append(client.patch("/v1/settings", {"version": version, "business_name": f"Shop {n}"}).status)
            return statuses

        results = at_once(len(keys) + 2, act)
        assert [statuses[0] for statuses in results[: len(keys)]] == [204] * len(keys)
        no_server_errors([status for statuses in results for status in statuses])
        still_working = [key["id"] for key in keys if client.as_key(key["secret"]).get("/v1/customers").status != 401]
        assert still_working == []
        listed = {key["id"]: key for key in client.get("/v1/api-keys").json()["items"]}
        assert all(listed[key["id"]]["revoked_at"] for key in keys)
