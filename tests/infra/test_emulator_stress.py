"""Several threads hammer one emulated AWS at once (transactions that commit and that are cancelled, queue
polling, scans and missed reads): moto, adapted by ``infra.local.emulator``, raises no error of its own and
every transaction is all or nothing."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local import emulator

REGION = "eu-west-1"
SECONDS = 4.0
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def aws() -> Any:
    from moto import mock_aws

    emulator.install()
    with mock_aws():
        yield


def _counter_update(table: str, pk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": {"PK": {"S": pk}, "SK": {"S": "counter"}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


class _Hammer:
    """The work of each thread, against one table and one queue, until the deadline."""

    def __init__(self, table: str, queue_url: str) -> None:
        self.table = table
        self.queue_url = queue_url
        self.deadline = time.monotonic() + SECONDS
        self.counts = {"committed": 0, "cancelled": 0, "received": 0, "scans": 0}
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def committing(self) -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
        while self.running():
            item = {"PK": {"S": f"sale{uuid.uuid4().hex}"}, "SK": {"S": "sale"}}
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": item}},
                    _counter_update(self.table, "a"),
                    _counter_update(self.table, "b"),
                ]
            )
            self.count("committed")

    def cancelling(self) -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
        never = {"PK": {"S": "never"}, "SK": {"S": "there"}}
        while self.running():
            item = {"PK": {"S": f"lost{uuid.uuid4().hex}"}, "SK": {"S": "x"}}
            with pytest.raises(ClientError) as raised:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": self.table, "Item": item}},
                        _counter_update(self.table, "a"),
                        _counter_update(self.table, "b"),
                        {
                            "ConditionCheck": {
                                "TableName": self.table,
                                "Key": never,
                                "ConditionExpression": "attribute_exists(PK)",
                            }
                        },
                    ]
                )
            assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
            self.count("cancelled")

    def queueing(self) -> None:
        sqs = boto3.client("sqs", region_name=REGION, config=CONFIG)
        while self.running():
            entries = [{"Id": str(n), "MessageBody": f"m{n}"} for n in range(5)]
            sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def polling(self) -> None:
        sqs = boto3.client("sqs", region_name=REGION, config=CONFIG)
        while self.running():
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = batch.get("Messages", [])
            if messages:
                entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
                sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
                self.count("received", len(messages))

    def scanning(self) -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
        while self.running():
            for page in dynamodb.get_paginator("scan").paginate(TableName=self.table):
                assert all("PK" in item for item in page["Items"])
            dynamodb.get_item(TableName=self.table, Key={"PK": {"S": f"miss{uuid.uuid4().hex}"}, "SK": {"S": "x"}})
            self.count("scans")

    def guarded(self, work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # collected and reported by the test
                self.errors.append(error)

        return run


def _setup() -> tuple[str, str]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = f"stress-{uuid.uuid4().hex[:6]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(300):  # a table big enough for a whole-table copy to be slow and racy
        dynamodb.put_item(TableName=table, Item={"PK": {"S": f"filler{n}"}, "SK": {"S": "x"}, "v": {"S": "y" * 200}})
    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName=f"stress-{uuid.uuid4().hex[:6]}")
    return table, queue_url["QueueUrl"]


def test_threads_hammering_transactions_queues_and_scans_see_no_emulator_error(aws: Any) -> None:
    table, queue_url = _setup()
    hammer = _Hammer(table, queue_url)
    workers = [
        hammer.committing,
        hammer.committing,
        hammer.cancelling,
        hammer.cancelling,
        hammer.queueing,
        hammer.polling,
        hammer.polling,
        hammer.scanning,
    ]
    threads = [threading.Thread(target=hammer.guarded(work)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 30)

    assert hammer.errors == []
    counts = hammer.counts
    assert counts["committed"] > 10 and counts["cancelled"] > 10 and counts["received"] > 10 and counts["scans"] > 2
    # All or nothing under concurrency: both counters moved once per committed transaction, never for a
    # cancelled one, and no item of a cancelled transaction remains.
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for pk in ("a", "b"):
        item = dynamodb.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "counter"}})["Item"]
        assert int(item["n"]["N"]) == counts["committed"]
    items = [item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
    assert sum(1 for item in items if item["PK"]["S"].startswith("sale")) == counts["committed"]
    assert not [item for item in items if item["PK"]["S"].startswith("lost")]
