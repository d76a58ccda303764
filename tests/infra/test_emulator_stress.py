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


def test_threads_hammering_transactions_queues_and_scans_see_no_emulator_error(aws: Any) -> None:
    setup = boto3.client("dynamodb", region_name=REGION)
    table = f"stress-{uuid.uuid4().hex[:6]}"
    setup.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(300):  # a table big enough for a whole-table copy to be slow and racy
        setup.put_item(TableName=table, Item={"PK": {"S": f"filler{n}"}, "SK": {"S": "x"}, "v": {"S": "y" * 200}})
    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName=f"stress-{uuid.uuid4().hex[:6]}")[
        "QueueUrl"
    ]

    deadline = time.monotonic() + SECONDS
    errors: list[BaseException] = []
    counts = {"committed": 0, "cancelled": 0, "received": 0, "scans": 0}
    lock = threading.Lock()

    def count(name: str) -> None:
        with lock:
            counts[name] += 1

    def committing() -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
        while time.monotonic() < deadline:
            item = uuid.uuid4().hex
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": {"PK": {"S": f"sale{item}"}, "SK": {"S": "sale"}}}},
                    _counter_update(table, "a"),
                    _counter_update(table, "b"),
                ]
            )
            count("committed")

    def cancelling() -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
        while time.monotonic() < deadline:
            try:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"PK": {"S": f"lost{uuid.uuid4().hex}"}, "SK": {"S": "x"}},
                            }
                        },
                        _counter_update(table, "a"),
                        _counter_update(table, "b"),
                        {
                            "ConditionCheck": {
                                "TableName": table,
                                "Key": {"PK": {"S": "never"}, "SK": {"S": "there"}},
                                "ConditionExpression": "attribute_exists(PK)",
                            }
                        },
                    ]
                )
            except ClientError as error:
                assert error.response["Error"]["Code"] == "TransactionCanceledException"
                count("cancelled")

    def queueing() -> None:
        sqs = boto3.client("sqs", region_name=REGION, config=CONFIG)
        while time.monotonic() < deadline:
            sqs.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(n), "MessageBody": f"m{n}"} for n in range(5)]
            )

    def polling() -> None:
        sqs = boto3.client("sqs", region_name=REGION, config=CONFIG)
        while time.monotonic() < deadline:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = batch.get("Messages", [])
            if messages:
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
                )
                for _ in messages:
                    count("received")

    def scanning() -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION, config=CONFIG)
        while time.monotonic() < deadline:
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                assert all("PK" in item for item in page["Items"])
            dynamodb.get_item(TableName=table, Key={"PK": {"S": f"miss{uuid.uuid4().hex}"}, "SK": {"S": "x"}})
            count("scans")

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # collected and reported by the test
                errors.append(error)

        return run

    workers = [committing, committing, cancelling, cancelling, queueing, polling, polling, scanning]
    threads = [threading.Thread(target=guarded(work)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 30)

    assert errors == []
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
