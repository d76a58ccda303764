"""SQS messages reach their functions in batches, and failures are retried, then dead-lettered."""

from __future__ import annotations

import time

import boto3
import pytest

from infra.local.pollers import DrainTimeout, Pollers
from tests.infra.conftest import REGION
from tests.infra.fakes import worker


def _send(url: str, *bodies: str, **attributes: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=REGION)
    message_attributes = {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}
    return [
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=message_attributes)["MessageId"]
        for body in bodies
    ]


def _bodies(url: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def test_the_event_is_lambdas_sqs_event(pollers: Pollers, tiny_stack):
    queue = tiny_stack.queues["WorkQueue"]
    (message_id,) = _send(queue.url, "hello", kind="receipt")
    pollers.drain("WorkQueue")
    (record,) = worker.BATCHES[0]
    assert record["messageId"] == message_id
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == REGION
    assert record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "receipt", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }


def test_partial_batch_failures_are_retried_then_dead_lettered(pollers: Pollers, tiny_stack):
    queue = tiny_stack.queues["WorkQueue"]
    dead_letters = tiny_stack.queues["WorkDeadLetterQueue"]
    ok_first, failing, ok_last = _send(queue.url, "one", "fail", "two")

    report = pollers.drain("WorkQueue")

    assert sorted(report.processed) == sorted([ok_first, ok_last])
    # maxReceiveCount is 2: delivered twice, then moved to the dead-letter queue by the redrive policy.
    deliveries = [record for batch in worker.BATCHES for record in batch if record["messageId"] == failing]
    assert [record["attributes"]["ApproximateReceiveCount"] for record in deliveries] == ["1", "2"]
    assert report.failures == [failing, failing]
    assert _bodies(queue.url) == []
    assert _bodies(dead_letters.url) == ["fail"]
    # The successful messages were delivered once each.
    delivered = [record["messageId"] for batch in worker.BATCHES for record in batch]
    assert delivered.count(ok_first) == 1 and delivered.count(ok_last) == 1


def test_without_redelivery_a_failed_message_waits_for_its_visibility_timeout(pollers: Pollers, tiny_stack):
    queue = tiny_stack.queues["WorkQueue"]
    _send(queue.url, "fail")
    report = pollers.drain("WorkQueue", redeliver_failures=False)
    assert len(report.failures) == 1
    assert _bodies(queue.url) == []  # in flight for 30 s
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    sqs.purge_queue(QueueUrl=queue.url)


def test_batches_respect_the_batch_size(pollers: Pollers, tiny_stack):
    _send(tiny_stack.queues["WorkQueue"].url, *[f"m{i}" for i in range(12)])
    pollers.drain("WorkerFunction")
    assert sum(len(batch) for batch in worker.BATCHES) == 12
    assert max(len(batch) for batch in worker.BATCHES) <= 5


def test_without_report_batch_item_failures_a_batch_fails_as_a_whole(pollers: Pollers, tiny_stack):
    queue = tiny_stack.queues["StrictQueue"]
    _send(queue.url, "one", "fail")
    # No dead-letter queue: the poison message keeps coming back, and drain says so.
    with pytest.raises(DrainTimeout):
        pollers.drain("StrictQueue", timeout=0.5)
    delivered = [record["body"] for batch in worker.BATCHES for record in batch]
    assert delivered.count("one") >= 2  # retried with the failing one: nothing of the batch was deleted
    boto3.client("sqs", region_name=REGION).purge_queue(QueueUrl=queue.url)


def test_background_polling_delivers_without_being_asked(runtime, tiny_stack):
    pollers = Pollers(runtime, wait_seconds=1)
    pollers.start()
    try:
        _send(tiny_stack.queues["WorkQueue"].url, "background")
        deadline = time.monotonic() + 10
        while not worker.BATCHES and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pollers.stop()
    assert [record["body"] for record in worker.BATCHES[0]] == ["background"]


def test_an_unknown_queue_is_an_error(pollers: Pollers):
    with pytest.raises(KeyError):
        pollers.drain("NoSuchQueue")
