"""The data table's relay: the stream in, ``SaleRecorded`` events out on their topic (and ``CustomerChanged``
on the customers' topic).

Lambda reads the stream (template.yaml filters it to sale and profile items) and retries a batch from the first
record that failed (partial batch responses), so an event is never lost when a function dies right after
a sale's transaction committed: the record stays in the stream until this relay has published it.
Publishing is at least once; consumers are idempotent by the event's key (``storage.inbox``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.customers.events import customer_changed
from clientele.customers.wiring import customer_events_topic
from clientele.platform.observability import logger, metrics, tracer
from clientele.sales.events import sale_customer_changed, sale_recorded
from clientele.sales.wiring import sale_events_topic

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def relay(record: DynamoDBRecord) -> None:
    event = sale_recorded(record.raw_event)
    if event is not None:
        sale_events_topic().publish(event.to_message(), event_type=event.TYPE)
        logger.info("sale recorded", extra={"merchant_id": event.merchant_id, "sale_id": event.sale_id})
        metrics.add_metric(name="SaleRecorded", unit=MetricUnit.Count, value=1)
    changed = sale_customer_changed(record.raw_event)
    if changed is not None:
        sale_events_topic().publish(changed.to_message(), event_type=changed.TYPE)
        logger.info("sale customer changed", extra={"merchant_id": changed.merchant_id, "sale_id": changed.sale_id})
        metrics.add_metric(name="SaleCustomerChanged", unit=MetricUnit.Count, value=1)
    relay_customer(record)  # a profile item: the sale events above are None for it


# --- CustomerChanged: a profile created or changed by an administrative write (field names only)
def relay_customer(record: DynamoDBRecord) -> None:
    event = customer_changed(record.raw_event)
    if event is None:
        return
    customer_events_topic().publish(event.to_message(), event_type=event.TYPE)
    logger.info("customer changed", extra={"merchant_id": event.merchant_id, "fields": list(event.fields)})
    metrics.add_metric(name="CustomerChanged", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(event=event, record_handler=relay, processor=processor, context=context)
    return dict(response)
