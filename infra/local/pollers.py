"""Deliver SQS messages to the functions whose ``Events`` declare ``Type: SQS``, as Lambda's poller does.

For each such event a :class:`QueuePoller` receives messages in batches (``BatchSize``), invokes the
function with the SQS event Lambda would send, and deletes what was processed. Failed messages are not
deleted: they become visible again after the queue's visibility timeout, and the queue's redrive policy
(moto implements it) moves them to the dead-letter queue once they were received ``maxReceiveCount``
times. With ``FunctionResponseTypes: [ReportBatchItemFailures]`` only the messages the function lists in
``batchItemFailures`` are kept; without it a batch succeeds or fails as a whole, as in Lambda.

Tests and scripts do not wait for background threads: :meth:`Pollers.drain` processes everything pending
synchronously and, by default, makes failed messages visible again at once, so retries and
dead-lettering happen within one call.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from infra.local.background import BackgroundPoller
from infra.local.runtime import InvocationError, Runtime
from infra.local.stack import QueueInfo, client
from infra.local.streams import StreamPoller
from infra.local.template import QueueEventSource

logger = logging.getLogger(__name__)

_RECEIVE_LIMIT = 10  # SQS returns at most ten messages per ReceiveMessage call


@dataclass
class BatchResult:
    """What one invocation did with one batch."""

    received: list[str] = field(default_factory=list)  # message ids
    failed: list[str] = field(default_factory=list)


@dataclass
class DrainReport:
    invocations: int = 0
    processed: list[str] = field(default_factory=list)  # message ids deleted after success
    failures: list[str] = field(default_factory=list)  # message ids, once per failed delivery

    def add(self, result: BatchResult) -> None:
        if result.received:
            self.invocations += 1
        self.processed.extend(mid for mid in result.received if mid not in result.failed)
        self.failures.extend(result.failed)


class DrainTimeout(TimeoutError):
    pass


class QueuePoller(BackgroundPoller):
    """Polls one queue for one function."""

    def __init__(self, runtime: Runtime, source: QueueEventSource, *, wait_seconds: int = 1) -> None:
        super().__init__(wait_seconds)
        self.runtime = runtime
        self.source = source
        self.enabled = source.enabled
        stack = runtime.stack
        if source.queue_id is not None:
            self.queue_id = source.queue_id
            self.queue: QueueInfo = stack.queue(source.queue_id)
        else:
            self.queue_id, self.queue = stack.queue_by_arn(str(source.queue_arn))
        self._sqs = client("sqs", region=stack.region, endpoint_url=stack.endpoint_url)

    @property
    def name(self) -> str:
        return f"{self.source.function_id}.{self.source.event_name}"

    # -- one batch

    def receive(self, wait_seconds: int) -> list[dict[str, Any]]:
        """Up to ``BatchSize`` messages; the first call may long-poll, the following ones do not."""
        messages: list[dict[str, Any]] = []
        wait = wait_seconds
        while len(messages) < self.source.batch_size:
            response = self._sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(_RECEIVE_LIMIT, self.source.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            if not batch:
                break
            messages.extend(batch)
            wait = 0
        return messages

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The event Lambda's SQS event source sends for ``messages``."""
        return {"Records": [self._record(message) for message in messages]}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _lambda_message_attribute(value)
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": self.runtime.stack.region,
        }
        if message.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def process(self, messages: list[dict[str, Any]]) -> BatchResult:
        """Invoke the function with ``messages`` and delete those that succeeded."""
        result = BatchResult(received=[message["MessageId"] for message in messages])
        if not messages:
            return result
        try:
            response = self.runtime.invoke(self.source.function_id, self.event(messages))
            failed = self._failed_ids(response, set(result.received))
        except InvocationError:
            failed = set(result.received)
        result.failed = [mid for mid in result.received if mid in failed]
        succeeded = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(succeeded), _RECEIVE_LIMIT):
            chunk = succeeded[start : start + _RECEIVE_LIMIT]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(chunk)
                ],
            )
        if result.failed:
            logger.info("%s: %d of %d messages failed", self.name, len(result.failed), len(messages))
        return result

    def _failed_ids(self, response: Any, received: set[str]) -> set[str]:
        if not self.source.report_batch_item_failures or response is None:
            return set()
        failures = response.get("batchItemFailures") if isinstance(response, dict) else ()
        if failures is None:
            return set()
        identifiers = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
        if not isinstance(failures, list) or not all(i in received for i in identifiers):
            # Lambda fails the whole batch when the response does not make sense.
            return set(received)
        return {str(identifier) for identifier in identifiers}

    def make_visible(self, messages: list[dict[str, Any]], message_ids: list[str]) -> None:
        for message in messages:
            if message["MessageId"] in message_ids:
                self._sqs.change_message_visibility(
                    QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )

    def poll_once(self, wait_seconds: int | None = None, *, redeliver_failures: bool = False) -> BatchResult:
        messages = self.receive(int(self.wait_seconds) if wait_seconds is None else wait_seconds)
        result = self.process(messages)
        if redeliver_failures and result.failed:
            self.make_visible(messages, result.failed)
        return result

    def pending(self) -> tuple[int, int]:
        """(visible or delayed, in flight) messages of the queue."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.queue.url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesDelayed",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        waiting = int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesDelayed"])
        return waiting, int(attributes["ApproximateNumberOfMessagesNotVisible"])

    # -- in the background

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self.receive(int(self.wait_seconds))
                if self._stop.is_set() and messages:
                    # Stopping: the batch is left for the next start (visible again after the timeout).
                    return
                self.process(messages)
            except Exception:  # a poller keeps polling, as Lambda's does
                logger.exception("%s: polling failed", self.name)
                self._stop.wait(1.0)


class Pollers:
    """Every SQS and DynamoDB stream event source of the template."""

    def __init__(self, runtime: Runtime, *, wait_seconds: int = 1) -> None:
        self.runtime = runtime
        self.pollers = [
            QueuePoller(runtime, source, wait_seconds=wait_seconds) for source in runtime.stack.template.queue_sources
        ]
        self.streams = [StreamPoller(runtime, source) for source in runtime.stack.template.stream_sources]

    def start(self) -> None:
        for poller in self._all():
            poller.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop every poller at once, then wait for them, ``timeout`` seconds at most in all."""
        for poller in self._all():
            poller._stop.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        for poller in self._all():
            poller.stop(None if deadline is None else deadline - time.monotonic())

    def _all(self) -> list[QueuePoller | StreamPoller]:
        return [*self.pollers, *self.streams]

    def drain_streams(self, *, timeout: float = 30.0) -> int:
        """Deliver every stream record written so far (retries included); the records delivered."""
        delivered = 0
        deadline = time.monotonic() + timeout
        for poller in self.streams:
            while True:
                result = poller.poll_once()
                delivered += result.delivered
                if not result.read:
                    break
                if time.monotonic() > deadline:
                    raise DrainTimeout(f"{poller.name}: stream records still pending after {timeout} s")
        return delivered

    def select(self, queue: str | None) -> list[QueuePoller]:
        """Pollers of ``queue`` (a queue's logical id, or a function id), or all when None."""
        if queue is None:
            return list(self.pollers)
        chosen = [
            poller for poller in self.pollers if queue in (poller.queue_id, poller.source.function_id, poller.name)
        ]
        if not chosen:
            raise KeyError(f"no SQS event source reads {queue}")
        return chosen

    def drain(self, queue: str | None = None, *, timeout: float = 30.0, redeliver_failures: bool = True) -> DrainReport:
        """Process every pending message of ``queue`` (or of all polled queues) before returning.

        With ``redeliver_failures`` (the default) a failed message is made visible again immediately
        instead of after the visibility timeout, so it is retried until it succeeds or the redrive policy
        moves it to the dead-letter queue; ``drain`` returns when the queues are empty. Without it,
        ``drain`` returns once no message is visible, leaving failed ones in flight.
        """
        pollers = self.select(queue)
        report = DrainReport()
        deadline = time.monotonic() + timeout
        while True:
            if queue is None:  # stream records first: what they publish may land in the queues
                self.drain_streams(timeout=max(0.1, deadline - time.monotonic()))
            received = False
            for poller in pollers:
                result = poller.poll_once(0, redeliver_failures=redeliver_failures)
                report.add(result)
                received = received or bool(result.received)
            counts = [(0, 0)] if received else [poller.pending() for poller in pollers]
            if not received and all(
                waiting == 0 and (in_flight == 0 or not redeliver_failures) for waiting, in_flight in counts
            ):
                return report
            if time.monotonic() > deadline:
                remaining = {poller.queue_id: poller.pending() for poller in pollers}
                raise DrainTimeout(f"messages still pending after {timeout} s (waiting, in flight): {remaining}")
            if not received:
                time.sleep(0.05)


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute → the shape Lambda's SQS event uses (camel case, binary as base64)."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute
