"""SES's bounces and complaints: the email events queue's consumer (SNS topic -> SQS -> this function).

Each record is one SES notification (raw message delivery). The message tags every email carries (IDs only)
name its delivery: the delivery becomes ``bounced`` or ``complained`` with an error code, and a permanent
bounce or a complaint puts the address's keyed hash on the merchant's suppression list. A record that must
be tried again (its delivery is still being sent) is reported as a batch item failure; after the queue's
last receive it waits in the dead-letter queue, whose depth raises an alarm. Redelivered notifications
change nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.messaging.feedback import FeedbackOutcome
from clientele.messaging.rules import parse_ses_event
from clientele.messaging.wiring import email_feedback
from clientele.platform.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_feedback(record: SQSRecord) -> str:
    feedback = parse_ses_event(record.body)
    if feedback is None:
        metrics.add_metric(name="EmailEvent_ignored", unit=MetricUnit.Count, value=1)
        return "ignored"
    logger.append_keys(delivery_id=feedback.delivery_id, merchant_id=feedback.merchant_id)
    outcome = email_feedback().record(feedback)
    metrics.add_metric(name=f"EmailEvent_{outcome.value}", unit=MetricUnit.Count, value=1)
    if outcome is FeedbackOutcome.RECORDED:  # counted once, however often SNS and SQS deliver it
        metrics.add_metric(name=f"Email_{feedback.status.value}", unit=MetricUnit.Count, value=1)
    return outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_feedback, processor=processor, context=context
    )
    return dict(response)
