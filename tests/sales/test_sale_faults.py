"""Faults on the sale path: DynamoDB throttling and transaction conflicts, and a function that crashes after
its commit. Whatever happens, a sale records once and every counter is exact; a till's retry under the same
Idempotency-Key gets the first answer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import new_customer, sale_body


def _overview(client: ApiClient) -> dict[str, int]:
    body = client.get("/v1/insights").json()
    return {k: body[k] for k in ("total_customers", "total_sales", "returning_customers")}


def _counted_once(client: ApiClient, customer: str, amount: int) -> None:
    insights = client.get(f"/v1/customers/{customer}/insights").json()
    assert insights["purchase_count"] == 1 and insights["total_spent"] == {"amount": amount, "currency": "EUR"}
    assert _overview(client) == {"total_customers": 1, "total_sales": 1, "returning_customers": 0}
    assert len(client.get("/v1/sales", params={"customer_id": customer}).json()["items"]) == 1


@pytest.fixture
def failing_transactions(stack: Stack) -> Iterator[Callable[[int, Callable[[], Exception]], list[int]]]:
    """Make the next ``count`` TransactWriteItems calls fail with ``error()`` before moto applies them.

    Returns a list that grows by one for every transaction attempted while the fault is installed."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    plan: dict[str, Any] = {"left": 0, "error": None}
    seen: list[int] = []

    def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        if plan["left"] > 0:
            plan["left"] -= 1
            raise plan["error"]()
        return original(self, *args, **kwargs)

    def install(count: int, error: Callable[[], Exception]) -> list[int]:
        plan.update(left=count, error=error)
        seen.clear()
        return seen

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield install
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def _throughput_exceeded() -> Exception:
    from moto.dynamodb.exceptions import DynamodbException

    return DynamodbException(
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    )


def _conflict(items: int = 8) -> Callable[[], Exception]:
    def make() -> Exception:
        from moto.dynamodb.exceptions import TransactionCanceledException

        return TransactionCanceledException(
            [("TransactionConflict", "Transaction is ongoing for the item", None)] + [(None, None, None)] * (items - 1)
        )

    return make


class TestDynamoDBPushesBack:
    def test_throttled_transactions_are_retried_and_the_sale_counts_once(
        self, client: ApiClient, failing_transactions: Any
    ) -> None:
        customer = new_customer(client)
        attempts = failing_transactions(2, _throughput_exceeded)  # botocore's standard mode retries twice
        response = client.post(
            "/v1/sales", sale_body(1250, customer_id=customer), headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        assert response.status == 201, response.text
        assert len(attempts) == 3
        _counted_once(client, customer, 1250)

    def test_lasting_throttling_fails_the_request_and_the_tills_retry_records_once(
        self, client: ApiClient, failing_transactions: Any
    ) -> None:
        customer = new_customer(client)
        key = uuid.uuid4().hex
        failing_transactions(100, _throughput_exceeded)
        refused = client.post("/v1/sales", sale_body(990, customer_id=customer), headers={"Idempotency-Key": key})
        assert refused.status >= 500  # nothing was written; the till keeps the sale and retries
        failing_transactions(0, _throughput_exceeded)
        accepted = client.post("/v1/sales", sale_body(990, customer_id=customer), headers={"Idempotency-Key": key})
        assert accepted.status == 201, accepted.text
        _counted_once(client, customer, 990)

    def test_a_transaction_conflict_is_read_again_and_retried_by_the_product(
        self, client: ApiClient, failing_transactions: Any
    ) -> None:
        customer = new_customer(client)
        attempts = failing_transactions(2, _conflict())
        response = client.post(
            "/v1/sales", sale_body(700, customer_id=customer), headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        assert response.status == 201, response.text
        assert len(attempts) >= 3  # two cancelled, then the one that committed
        _counted_once(client, customer, 700)


class Crash(BaseException):
    """The process dies: nothing in the function gets to clean up (not an Exception)."""


class TestCrashAfterCommit:
    def _crash_after_commit(self, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> list[str]:
        from clientele.sales.service import SalesService

        original = SalesService.record
        committed: list[str] = []

        def record(self: Any, *args: Any, **kwargs: Any) -> Any:
            sale = original(self, *args, **kwargs)
            committed.append(sale.id)
            if len(committed) == 1:
                raise error  # after the commit, before any answer
            return sale

        monkeypatch.setattr(SalesService, "record", record)
        return committed

    def test_an_error_after_the_commit_then_the_same_key_answers_the_first_sale(
        self, client: ApiClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        customer = new_customer(client)
        committed = self._crash_after_commit(monkeypatch, RuntimeError("connection lost"))
        key = uuid.uuid4().hex
        failed = client.post("/v1/sales", sale_body(1500, customer_id=customer), headers={"Idempotency-Key": key})
        assert failed.status >= 500
        retried = client.post("/v1/sales", sale_body(1500, customer_id=customer), headers={"Idempotency-Key": key})
        assert retried.status in (200, 201), retried.text
        assert retried.json()["id"] == committed[0]
        again = client.post("/v1/sales", sale_body(1500, customer_id=customer), headers={"Idempotency-Key": key})
        assert again.json()["id"] == committed[0] and again.headers.get("idempotent-replayed") == "true"
        _counted_once(client, customer, 1500)

    def test_a_crash_after_the_commit_then_the_same_key_answers_the_first_sale_once_the_invocation_expired(
        self, stack: Stack, client: ApiClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The process dies holding the key's in-progress record: a retry is told to wait (409) until the dead
        invocation's time is up, then it gets the sale that was committed."""
        customer = new_customer(client)
        committed = self._crash_after_commit(monkeypatch, Crash())
        key = uuid.uuid4().hex
        with pytest.raises(Crash):
            client.post("/v1/sales", sale_body(2100, customer_id=customer), headers={"Idempotency-Key": key})
        waiting = client.post("/v1/sales", sale_body(2100, customer_id=customer), headers={"Idempotency-Key": key})
        assert waiting.status == 409 and waiting.error_codes() == ["IDEMPOTENCY_KEY_IN_USE"]
        timeout = stack.info.template.functions["SalesFunction"].timeout_s
        deadline = time.monotonic() + timeout + 5
        while True:
            retried = client.post("/v1/sales", sale_body(2100, customer_id=customer), headers={"Idempotency-Key": key})
            if retried.status != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert retried.status in (200, 201), retried.text
        assert retried.json()["id"] == committed[0]
        _counted_once(client, customer, 2100)
