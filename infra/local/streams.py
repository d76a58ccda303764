"""Deliver DynamoDB stream records to the functions whose ``Events`` declare ``Type: DynamoDB``, as Lambda's
stream poller does (moto implements the stream; this reads it through the DynamoDB Streams API).

For each such event a :class:`StreamPoller` reads the table's stream in order, keeps the records its
``FilterCriteria`` let through (Lambda's event filtering: records that match no pattern are skipped, never
delivered), and invokes the function with Lambda's stream event. A failed batch is retried from its first
failed record (``ReportBatchItemFailures``), or whole, until ``MaximumRetryAttempts``; then the batch is
described on the ``OnFailure`` destination queue, as Lambda does, and reading goes on. So a record is
never lost because a function died: it stays in the stream until it is processed or given up on loudly.

Locally the poller is the stream's only reader, so it also forgets what it has read from moto's shard
(real streams keep records 24 hours and then drop them), keeping a long-running stack's memory flat.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from infra.local.background import BackgroundPoller
from infra.local.runtime import InvocationError, Runtime
from infra.local.stack import client
from infra.local.template import StreamEventSource

logger = logging.getLogger(__name__)

READ_LIMIT = 1000  # records per GetRecords call (the API's maximum)


# ------------------------------------------------------------------------------------ event filtering
def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether ``event`` matches one Lambda event filter ``pattern`` (equality, ``exists``, ``prefix``,
    ``anything-but`` and ``numeric`` comparisons; nested objects match field by field)."""
    for name, expected in pattern.items():
        present = name in event
        value = event.get(name)
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
            continue
        if not isinstance(expected, list) or not any(_matches_one(rule, present, value) for rule in expected):
            return False
    return True


def _matches_one(rule: Any, present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if not isinstance(rule, dict):
        return present and rule in values
    if "exists" in rule:
        return present is bool(rule["exists"]) and not (rule["exists"] and isinstance(value, dict))
    tests: dict[str, Any] = {
        "prefix": lambda v: isinstance(v, str) and v.startswith(rule["prefix"]),
        "anything-but": lambda v: v not in _as_list(rule["anything-but"]),
        "numeric": lambda v: _numeric(rule["numeric"], v),
    }
    test = next((tests[name] for name in tests if name in rule), None)
    if not present or test is None:
        return False
    if "anything-but" in rule:
        return all(test(v) for v in values)
    return any(test(v) for v in values)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _numeric(conditions: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    checks = {"<": value.__lt__, "<=": value.__le__, "=": value.__eq__, ">": value.__gt__, ">=": value.__ge__}
    pairs = zip(conditions[::2], conditions[1::2], strict=False)
    return all(checks[operator](bound) for operator, bound in pairs)


# ------------------------------------------------------------------------------------ the poller
@dataclass
class StreamResult:
    read: int = 0  # records read from the stream
    delivered: int = 0  # records given to the function (after filtering)
    failed: bool = False
    gave_up: int = 0  # records described on the failure destination


class StreamPoller(BackgroundPoller):
    """Reads one table's stream for one function."""

    def __init__(self, runtime: Runtime, source: StreamEventSource, *, wait_seconds: float = 0.5) -> None:
        super().__init__(wait_seconds)
        self.runtime = runtime
        self.source = source
        self.enabled = source.enabled
        stack = runtime.stack
        self.table_name = stack.tables[source.table_id]
        self._dynamodb = client("dynamodb", region=stack.region, endpoint_url=stack.endpoint_url)
        self._streams = client("dynamodbstreams", region=stack.region, endpoint_url=stack.endpoint_url)
        self._sqs = client("sqs", region=stack.region, endpoint_url=stack.endpoint_url)
        self.failure_queue_url = stack.queue(source.on_failure_queue_id).url if source.on_failure_queue_id else None
        self.stream_arn = str(self._dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"])
        shard = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]
        self.shard_id = str(shard["ShardId"])
        self._next: str | None = None  # the sequence number to read from; None: the starting position
        # The starting position is taken once, when the mapping is created (LATEST: what is written after).
        self._start = str(
            self._streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=self.shard_id,
                ShardIteratorType="LATEST" if source.starting_position == "LATEST" else "TRIM_HORIZON",
            )["ShardIterator"]
        )
        self._attempts = 0  # failed tries of the batch at self._next
        self._lock = threading.Lock()  # one reader at a time: records go to the function in order

    @property
    def name(self) -> str:
        return f"{self.source.function_id}.{self.source.event_name}"

    def _iterator(self) -> str:
        if self._next is None:
            return self._start
        response = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn,
            ShardId=self.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=self._next,
        )
        return str(response["ShardIterator"])

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            **record,
            "awsRegion": self.runtime.stack.region,
            "dynamodb": change,
            "eventSourceARN": self.stream_arn,
        }

    def poll_once(self) -> StreamResult:
        """Read what the stream holds (up to :data:`READ_LIMIT` records), deliver what passes the filters in
        batches of ``BatchSize``, and advance past what succeeded. Filtering happens before batching, as in
        Lambda: a batch holds up to ``BatchSize`` records that matched."""
        with self._lock:
            response = self._streams.get_records(ShardIterator=self._iterator(), Limit=READ_LIMIT)
            records = [self._lambda_record(r) for r in response.get("Records", [])]
            result = StreamResult(read=len(records))
            if not records:
                return result
            wanted = [r for r in records if not self.source.filters or any(matches(p, r) for p in self.source.filters)]
            size = max(1, self.source.batch_size)
            for start in range(0, len(wanted), size):
                batch = wanted[start : start + size]
                failed_from = self._deliver(batch)
                result.delivered += len(batch)
                if failed_from is None:
                    continue
                result.failed = True
                self._attempts += 1
                retries = self.source.maximum_retry_attempts
                if retries >= 0 and self._attempts > retries:
                    result.gave_up = self._give_up(batch, failed_from)
                    self._advance_past(batch[-1])
                else:
                    self._next = failed_from  # retried from the first failed record, as Lambda does
                return result
            self._advance_past(records[-1])
            return result

    def _deliver(self, records: list[dict[str, Any]]) -> str | None:
        """Invoke the function; the sequence number to retry from, or None when the batch succeeded."""
        try:
            response = self.runtime.invoke(self.source.function_id, {"Records": records})
        except InvocationError:
            logger.warning("%s: the function failed; the batch is retried", self.name)
            return str(records[0]["dynamodb"]["SequenceNumber"])
        if not self.source.report_batch_item_failures or not isinstance(response, dict):
            return None
        failures = response.get("batchItemFailures") or []
        numbers = sorted(int(f["itemIdentifier"]) for f in failures if f.get("itemIdentifier"))
        return str(numbers[0]) if numbers else None

    def _advance_past(self, record: dict[str, Any]) -> None:
        last = int(record["dynamodb"]["SequenceNumber"])
        self._next = str(last + 1)
        self._attempts = 0
        _forget_read(self.table_name, last)

    def _give_up(self, records: list[dict[str, Any]], failed_from: str) -> int:
        """Describe the batch on the failure destination (Lambda sends its metadata, never the records)."""
        given_up = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= int(failed_from)]
        logger.error("%s: giving up on %d stream records after retries", self.name, len(given_up))
        if self.failure_queue_url and given_up:
            first, last = given_up[0]["dynamodb"]["SequenceNumber"], given_up[-1]["dynamodb"]["SequenceNumber"]
            description = {
                "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self._attempts},
                "DDBStreamBatchInfo": {
                    "shardId": self.shard_id,
                    "startSequenceNumber": first,
                    "endSequenceNumber": last,
                    "batchSize": len(given_up),
                    "streamArn": self.stream_arn,
                },
            }
            self._sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(description))
        return len(given_up)

    def pending(self) -> bool:
        """Whether the stream holds records this poller has not processed yet."""
        with self._lock:
            response = self._streams.get_records(ShardIterator=self._iterator(), Limit=1)
            return bool(response.get("Records"))

    # -- background polling, as Lambda's poller
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.poll_once()
            except Exception:  # a poller keeps polling, as Lambda's does
                logger.exception("%s: polling failed", self.name)
                self._stop.wait(1.0)
                continue
            if not result.read or result.failed:
                self._stop.wait(self.wait_seconds)


def _forget_read(table_name: str, up_to: int) -> None:
    """Drop the records up to sequence number ``up_to`` from moto's in-process shard (see the module doc).

    Sequence numbers stay what they were: the shard's starting number moves up by what is dropped.
    Without an in-process moto (a stack on a remote endpoint) there is nothing to do.
    """
    try:
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodbstreams.models import dynamodbstreams_backends
    except ImportError:  # pragma: no cover - moto is a dev dependency of the local stack
        return
    from infra.local.emulator import EMULATOR_LOCK

    with EMULATOR_LOCK:  # no request may see the shard half trimmed
        _trim(dynamodb_backends, dynamodbstreams_backends, table_name, up_to)


def _trim(dynamodb_backends: Any, dynamodbstreams_backends: Any, table_name: str, up_to: int) -> None:
    shards = []
    for backends in dynamodb_backends.values():
        for backend in backends.values():
            table = backend.tables.get(table_name)
            shard = getattr(table, "stream_shard", None) if table is not None else None
            if shard is None:
                continue
            shards.append(shard)
            drop = min(max(0, up_to - shard.starting_sequence_number + 1), len(shard.items))
            if drop:
                del shard.items[:drop]
                shard.starting_sequence_number += drop
    # Every GetRecords call registers a new iterator in moto and none is ever removed: forget this shard's.
    for stream_backends in dynamodbstreams_backends.values():
        for streams in stream_backends.values():
            for arn, iterator in list(streams.shard_iterators.items()):
                if iterator.stream_shard in shards:
                    streams.shard_iterators.pop(arn, None)
