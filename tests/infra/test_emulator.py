"""The moto adaptations of ``infra.local.emulator``: TransactWriteItems with DynamoDB's documented semantics
(all or nothing, cancellation reasons in request order, ``ReturnValuesOnConditionCheckFailure``, validation
errors that change nothing) without whole-table copies; the emulator lock; bounded bookkeeping."""

from __future__ import annotations

import copy
import gc
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local import emulator

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    from moto import mock_aws

    emulator.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def _table(dynamodb: Any, *, sort_key: bool = True, stream: bool = False) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    keys = [{"AttributeName": "PK", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "PK", "AttributeType": "S"}]
    if sort_key:
        keys.append({"AttributeName": "SK", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "SK", "AttributeType": "S"})
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    dynamodb.create_table(
        TableName=name,
        KeySchema=keys,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return name


def _key(pk: str, sk: str | None = "A") -> dict[str, Any]:
    key: dict[str, Any] = {"PK": {"S": pk}}
    if sk is not None:
        key["SK"] = {"S": sk}
    return key


def _put(table: str, pk: str, sk: str | None = "A", **attributes: Any) -> dict[str, Any]:
    item = {**_key(pk, sk), **{name: {"S": str(value)} for name, value in attributes.items()}}
    return {"Put": {"TableName": table, "Item": item}}


def _items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return sorted(dynamodb.scan(TableName=table)["Items"], key=lambda item: (item["PK"]["S"], item.get("SK", {})))


def _backend_table(table: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"][REGION].get_table(table)


def _cancelled(error: ClientError) -> list[dict[str, Any]]:
    assert error.response["Error"]["Code"] == "TransactionCanceledException"
    return list(error.response["CancellationReasons"])


def test_install_replaces_the_whole_table_copy() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    emulator.install()
    emulator.install()  # idempotent
    assert DynamoDBBackend.transact_write_items is emulator.transact_write_items


def test_a_committed_transaction_applies_every_operation(dynamodb: Any) -> None:
    table = _table(dynamodb)
    other = _table(dynamodb, sort_key=False)
    dynamodb.put_item(TableName=table, Item={**_key("old"), "n": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={**_key("gone"), "x": {"S": "y"}})

    dynamodb.transact_write_items(
        TransactItems=[
            _put(table, "new", colour="red"),
            {
                "Update": {
                    "TableName": table,
                    "Key": _key("old"),
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": table, "Key": _key("gone")}},
            _put(other, "single", None, colour="blue"),
        ]
    )

    assert [(item["PK"]["S"], item.get("n", item.get("colour"))) for item in _items(dynamodb, table)] == [
        ("new", {"S": "red"}),
        ("old", {"N": "2"}),
    ]
    assert _items(dynamodb, other) == [{"PK": {"S": "single"}, "colour": {"S": "blue"}}]


def test_a_failed_condition_cancels_everything_and_reports_reasons_in_order(dynamodb: Any) -> None:
    table = _table(dynamodb)
    dynamodb.put_item(TableName=table, Item={**_key("counter"), "n": {"N": "5"}})
    dynamodb.put_item(TableName=table, Item={**_key("doomed"), "keep": {"S": "me"}})
    dynamodb.put_item(TableName=table, Item={**_key("taken"), "owner": {"S": "someone"}})
    before = _items(dynamodb, table)

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                _put(table, "fresh", colour="green"),
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("counter"),
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": _key("doomed")}},
                {
                    "Put": {
                        **_put(table, "taken", owner="me")["Put"],
                        "ConditionExpression": "attribute_not_exists(PK)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("missing"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )

    reasons = _cancelled(raised.value)
    assert [reason["Code"] for reason in reasons] == [
        "None",
        "None",
        "None",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
    ]
    assert reasons[3]["Item"] == {"PK": {"S": "taken"}, "SK": {"S": "A"}, "owner": {"S": "someone"}}
    assert "Item" not in reasons[4]  # no ReturnValuesOnConditionCheckFailure asked, and nothing stored
    # All or nothing: the put, the in-place update and the delete that succeeded are undone.
    assert _items(dynamodb, table) == before


def test_return_values_on_condition_check_failure_only_when_asked(dynamodb: Any) -> None:
    table = _table(dynamodb)
    dynamodb.put_item(TableName=table, Item={**_key("a"), "v": {"S": "1"}})
    failing = {
        "ConditionCheck": {
            "TableName": table,
            "Key": _key("a"),
            "ConditionExpression": "v = :two",
            "ExpressionAttributeValues": {":two": {"S": "2"}},
        }
    }
    with pytest.raises(ClientError) as plain:
        dynamodb.transact_write_items(TransactItems=[failing])
    assert _cancelled(plain.value) == [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]

    asked = copy.deepcopy(failing)
    asked["ConditionCheck"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with pytest.raises(ClientError) as returned:
        dynamodb.transact_write_items(TransactItems=[asked])
    assert _cancelled(returned.value)[0]["Item"] == {"PK": {"S": "a"}, "SK": {"S": "A"}, "v": {"S": "1"}}


def test_an_update_that_creates_an_item_is_undone_to_absent(dynamodb: Any) -> None:
    table = _table(dynamodb)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("created"),
                        "UpdateExpression": "SET n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("nobody"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    assert _items(dynamodb, table) == []
    assert dict(_backend_table(table).items) == {}  # no empty partition left behind either


def test_two_operations_on_one_item_are_a_validation_error_that_changes_nothing(dynamodb: Any) -> None:
    table = _table(dynamodb)
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[_put(table, "first"), _put(table, "dup", colour="a"), _put(table, "dup", colour="b")]
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "multiple operations on one item" in raised.value.response["Error"]["Message"]
    assert _items(dynamodb, table) == []


def test_more_than_100_operations_are_refused(dynamodb: Any) -> None:
    table = _table(dynamodb)
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[_put(table, f"p{n}") for n in range(101)])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _items(dynamodb, table) == []


def test_an_error_raised_part_way_rolls_back_what_was_written(dynamodb: Any) -> None:
    from moto.dynamodb.exceptions import TransactWriteSingleOpException
    from moto.dynamodb.models import DynamoDBBackend

    table = _table(dynamodb, sort_key=False)
    backend = DynamoDBBackend(REGION, "123456789012")
    backend.tables[table] = _backend_table(table)
    with pytest.raises(TransactWriteSingleOpException):
        emulator.transact_write_items(
            backend,
            [
                {"Put": {"TableName": table, "Item": {"PK": {"S": "written"}}}},
                {"Put": {"TableName": table, "Item": {"PK": {"S": "x"}}}, "Delete": {"TableName": table}},
            ],
        )
    assert _items(dynamodb, table) == []


def test_a_cancelled_transaction_leaves_no_stream_records(dynamodb: Any) -> None:
    table = _table(dynamodb, stream=True)
    dynamodb.put_item(TableName=table, Item=_key("kept"))
    shard = _backend_table(table).stream_shard
    recorded = len(shard.items)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                _put(table, "new"),
                {
                    "Delete": {
                        "TableName": table,
                        "Key": _key("kept"),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    assert len(shard.items) == recorded
    assert [item["PK"]["S"] for item in _items(dynamodb, table)] == ["kept"]


def test_a_transaction_costs_the_items_it_touches_not_the_table(dynamodb: Any, monkeypatch: Any) -> None:
    table = _table(dynamodb)
    for start in range(0, 2000, 25):
        dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": _key(f"bulk{n}")}} for n in range(start, start + 25)]}
        )
    copied: list[Any] = []
    real_deepcopy = copy.deepcopy

    def counting(value: Any, *args: Any) -> Any:
        copied.append(type(value).__name__)
        return real_deepcopy(value, *args)

    monkeypatch.setattr(emulator.copy, "deepcopy", counting)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("bulk1"),
                        "UpdateExpression": "SET n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("x"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    # Items and their values (the undo log's copy of the updated item, moto's own for its stream image),
    # never a table or its item dictionary.
    assert copied.count("Item") <= 2
    assert "Table" not in copied
    assert "defaultdict" not in copied
    assert "n" not in dynamodb.get_item(TableName=table, Key=_key("bulk1"))["Item"]


# ----------------------------------------------------------------------------------------------- the lock


def test_the_emulator_lock_is_reentrant_and_can_be_let_go_while_waiting() -> None:
    lock = emulator.EmulatorLock()
    entered = threading.Event()

    def other() -> None:
        with lock:
            entered.set()

    with lock, lock:
        assert lock.held()
        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(0.1)
        with lock.released():
            assert not lock.held()
            assert entered.wait(2)
            thread.join(2)
        assert lock.held()
    assert not lock.held()
    with pytest.raises(RuntimeError):
        lock.release()


def test_a_long_poll_does_not_hold_the_emulator(dynamodb: Any) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    table = _table(dynamodb)
    done: list[float] = []

    def poll() -> None:
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)
        done.append(time.monotonic())

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    started = time.monotonic()
    dynamodb.put_item(TableName=table, Item=_key("while-polling"))
    assert time.monotonic() - started < 1.0
    poller.join(5)
    assert done


# ----------------------------------------------------------------------------------------------- bookkeeping


def test_recent_set_keeps_the_newest_members() -> None:
    recent = emulator.RecentSet(3, ["a", "b"])
    recent.update(["c", "d"])
    recent.add("b")
    assert list(recent) == ["c", "d", "b"]
    assert "a" not in recent
    assert len(recent) == 3
    recent.discard("c")
    assert list(recent) == ["d", "b"]


def test_sqs_forgets_old_deleted_receipt_handles(dynamodb: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(emulator, "DELETED_HANDLES_KEPT", 5)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for n in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # a repeated delete is fine
    from moto.sqs.models import sqs_backends

    queue = sqs_backends["123456789012"][REGION].get_queue(url.rsplit("/", 1)[1])
    assert len(queue.deleted_messages) == 5


def test_missed_reads_and_deletes_leave_no_empty_partitions(dynamodb: Any) -> None:
    table = _table(dynamodb)
    for n in range(20):
        dynamodb.get_item(TableName=table, Key=_key(f"absent{n}"))
        dynamodb.delete_item(TableName=table, Key=_key(f"absent-too{n}"))
    dynamodb.put_item(TableName=table, Item=_key("here"))
    dynamodb.delete_item(TableName=table, Key=_key("here"))
    assert dict(_backend_table(table).items) == {}


def test_weak_instances_list_live_members_and_free_the_rest() -> None:
    class Thing:
        pass

    kept = [Thing() for _ in range(3)]
    instances = emulator.WeakInstances(kept)
    for _ in range(5000):  # made and dropped: swept as it grows
        instances.append(Thing())
    gc.collect()
    assert list(instances) == kept
    assert len(instances) == 3
    assert len(instances._refs) < 3000


def test_moto_models_are_not_kept_alive_by_its_instance_tracking(dynamodb: Any) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    table = _table(dynamodb)
    dynamodb.put_item(TableName=table, Item=_key("kept"))
    gc.collect()
    before = sum(isinstance(o, Item) for o in gc.get_objects())
    for n in range(100):  # each read and update copies items in moto
        dynamodb.put_item(TableName=table, Item={**_key(f"p{n}"), "n": {"N": "1"}})
        dynamodb.get_item(TableName=table, Key=_key(f"p{n}"))
        dynamodb.update_item(
            TableName=table,
            Key=_key(f"p{n}"),
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        dynamodb.delete_item(TableName=table, Key=_key(f"p{n}"))
    gc.collect()
    alive = sum(isinstance(o, Item) for o in gc.get_objects())
    assert alive - before <= 5  # only what the table holds (no new item is left): nothing kept by tracking
    assert any(item.hash_key.value == "kept" for item in Item.instances_tracked)  # the dashboard still lists it
