"""The delivery queue's consumer: renders and sends each queued message, at most once.

Each SQS record carries IDs only. A record that should be tried again (throttled, or held by
another consumer) is reported as a batch item failure, so only it comes back; after the queue's
last receive the delivery is marked failed and the message goes to the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.messaging.delivery import DeliveryMessage
from clientele.messaging.wiring import delivery_service
from clientele.platform.observability import logger, metrics, tracer

# A batch whose every record must be retried is still a normal answer, not a function error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def deliver(record: SQSRecord) -> str:
    message = DeliveryMessage.from_body(json.loads(record.body))
    receive_count = int(record.attributes.approximate_receive_count or "1")
    logger.append_keys(delivery_id=message.delivery_id, merchant_id=message.merchant_id)
    outcome = delivery_service().deliver(message, receive_count=receive_count)
    metrics.add_metric(name=f"Delivery_{outcome.value}", unit=MetricUnit.Count, value=1)
    return outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)
    return dict(response)
