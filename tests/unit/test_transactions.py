"""Named transactions and what a cancellation reports (``storage.table``), with a fake low-level client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from clientele.storage import table as table_module
from clientele.storage.table import Cancelled, Table, Transaction, TransactionCancelled

OLD = {"PK": "C#1", "SK": "STATS", "sale_count": 3}


def example() -> Cancelled:
    return Cancelled(
        reasons=[
            ("None", None),
            ("ConditionalCheckFailed", OLD),
            ("None", None),
            ("ConditionalCheckFailed", {"PK": "G#2"}),
            ("ConditionalCheckFailed", {"PK": "G#3"}),
        ],
        names=("sale", "customer_counters", "customer_counters", "email_guard", "email_guard"),
    )


class TestCancelled:
    def test_failed_by_name_is_any_operation_of_that_name(self) -> None:
        cancelled = example()
        assert cancelled.failed("customer_counters")
        assert cancelled.failed("email_guard")
        assert not cancelled.failed("sale")
        assert not cancelled.failed("no_such_operation")

    def test_failed_by_position(self) -> None:
        cancelled = example()
        assert [cancelled.failed(i) for i in range(5)] == [False, True, False, True, True]
        assert not cancelled.failed(5)
        assert not cancelled.failed(-1)  # not Python's "from the end"

    def test_old_by_name_is_the_first_failed_operations_item(self) -> None:
        cancelled = example()
        assert cancelled.old("customer_counters") == OLD
        assert cancelled.old("email_guard") == {"PK": "G#2"}
        assert cancelled.old("sale") is None
        assert cancelled.old("no_such_operation") is None

    def test_old_by_position_is_whatever_was_returned(self) -> None:
        cancelled = example()
        assert cancelled.old(1) == OLD
        assert cancelled.old(0) is None
        assert cancelled.old(9) is None

    def test_failures_name_the_failed_operations_in_order(self) -> None:
        assert example().failures() == ["customer_counters", "email_guard", "email_guard"]

    def test_other_reasons_are_not_condition_failures(self) -> None:
        cancelled = Cancelled([("TransactionConflict", None), ("None", None)], ("a", "b"))
        assert cancelled.conflict
        assert not cancelled.failed("a") and cancelled.failures() == []
        assert not Cancelled([("ConditionalCheckFailed", None)], ("a",)).conflict

    def test_without_names_only_positions_work(self) -> None:
        cancelled = Cancelled([("ConditionalCheckFailed", OLD)])
        assert cancelled.failed(0) and cancelled.old(0) == OLD
        assert cancelled.failures() == []

    def test_more_names_than_reasons_never_index_past_the_reasons(self) -> None:
        cancelled = Cancelled([("ConditionalCheckFailed", None)], ("a", "b", "b"))
        assert cancelled.failures() == ["a"]
        assert not cancelled.failed("b") and cancelled.old("b") is None


class FakeClient:
    def __init__(self, error: ClientError | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return {}


def cancelled_error(*reasons: dict[str, Any]) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": list(reasons),
        },
        "TransactWriteItems",
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    def install(error: ClientError | None = None) -> FakeClient:
        client = FakeClient(error)
        monkeypatch.setattr(table_module, "client", lambda service: client)
        return client

    return install


def transaction() -> Transaction:
    table = Table("data")
    tx = table.transaction()
    tx.put("sale", {"PK": "S#1", "SK": "SALE", "total": 1250}, "attribute_not_exists(PK)")
    tx.update(
        "customer_counters",
        "C#1",
        "STATS",
        "ADD sale_count :one",
        condition="sale_count = :n",
        vals={":one": 1, ":n": 3},
    )
    tx.check("customer", "C#1", "PROFILE", "attribute_exists(PK)")
    tx.delete("old_guard", "G#1", "GUARD")
    return tx


class TestCommit:
    def test_operations_are_sent_in_order_as_built(self, fake) -> None:
        client = fake()
        tx = transaction()
        assert len(tx) == 4 and tx.names == ["sale", "customer_counters", "customer", "old_guard"]
        tx.commit()
        [call] = client.calls
        sent = call["TransactItems"]
        assert [next(iter(op)) for op in sent] == ["Put", "Update", "ConditionCheck", "Delete"]
        put = sent[0]["Put"]
        assert put["TableName"] == "data"
        assert put["Item"] == {"PK": {"S": "S#1"}, "SK": {"S": "SALE"}, "total": {"N": "1250"}}
        assert put["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
        update = sent[1]["Update"]
        assert update["Key"] == {"PK": {"S": "C#1"}, "SK": {"S": "STATS"}}
        assert update["ExpressionAttributeValues"] == {":one": {"N": "1"}, ":n": {"N": "3"}}
        assert "ConditionExpression" not in sent[3]["Delete"]

    def test_extend_appends_another_transactions_named_operations(self, fake) -> None:
        client = fake()
        first, second = transaction(), Table("data").transaction()
        second.check("merchant", "M#1", "ACCOUNT", "attribute_exists(PK)")
        first.extend(second).commit()
        assert first.names[-1] == "merchant"
        assert "ConditionCheck" in client.calls[0]["TransactItems"][-1]

    def test_a_cancellation_names_the_failed_operations(self, fake) -> None:
        fake(
            cancelled_error(
                {"Code": "None"},
                {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                    "Item": {"PK": {"S": "C#1"}, "SK": {"S": "STATS"}, "sale_count": {"N": "4"}},
                },
                {"Code": "None"},
                {"Code": "None"},
            )
        )
        with pytest.raises(TransactionCancelled) as caught:
            transaction().commit()
        cancelled = caught.value.cancelled
        assert cancelled.names == ("sale", "customer_counters", "customer", "old_guard")
        assert cancelled.failures() == ["customer_counters"]
        assert cancelled.old("customer_counters") == {"PK": "C#1", "SK": "STATS", "sale_count": 4}
        assert not cancelled.conflict

    def test_a_conflict_is_reported_as_such(self, fake) -> None:
        fake(cancelled_error({"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}))
        with pytest.raises(TransactionCancelled) as caught:
            transaction().commit()
        assert caught.value.cancelled.conflict
        assert caught.value.cancelled.failures() == []

    def test_other_client_errors_are_not_cancellations(self, fake) -> None:
        fake(ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "TransactWriteItems"))
        with pytest.raises(ClientError) as caught:
            transaction().commit()
        assert not isinstance(caught.value, TransactionCancelled)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
