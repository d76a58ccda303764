"""Groups' background work, one function: the ``SaleRecorded`` and ``CustomerChanged`` consumer (its own queue
on SaleEventsTopic), the daily run (an EventBridge Scheduler schedule) and the re-evaluation job (one page of
customers per message on the jobs queue). :func:`lambda_handler` tells them apart: a scheduled run has no
``Records``; a queue message of a job carries ``job_id``.

Every step is idempotent: the consumer by the event's inbox marker (a sale) or the profile's version (a
profile change), the daily run by the merchant's watermark
and the facts' versions, a job step by deciding from the facts alone.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.groups.wiring import group_jobs_queue, groups_service
from clientele.kernel import clock
from clientele.kernel.events import CustomerChanged, SaleCustomerChanged, SaleRecorded, message_type
from clientele.platform.observability import logger, metrics, tracer

MARGIN_MS = 15_000
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def consume_sale(record: SQSRecord) -> str:
    try:
        event = SaleRecorded.from_message(record.body)
    except ValueError:
        metrics.add_metric(name="GroupsSale_ignored", unit=MetricUnit.Count, value=1)
        return "ignored"
    outcome = groups_service().record_sale(event)
    logger.info(
        "sale folded into groups",
        extra={"merchant_id": event.merchant_id, "sale_id": event.sale_id, "outcome": outcome},
    )
    metrics.add_metric(name=f"GroupsSale_{outcome}", unit=MetricUnit.Count, value=1)
    return outcome


def scheduled_time(event: dict[str, Any]) -> datetime:
    """The schedule's time ("now" of the run): the Scheduler input's ``now``, else the event's ``time``."""
    moment = event.get("now") or event.get("time")
    return clock.parse(str(moment)) if moment else clock.utcnow()


def run_day(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    def out_of_time() -> bool:  # stop with a margin; the next hourly run goes on where this one stopped
        return bool(context.get_remaining_time_in_millis() < MARGIN_MS)

    run = groups_service().run_day(scheduled_time(event), out_of_time=out_of_time)
    summary = {
        "merchants": run.merchants,
        "skipped": run.skipped,
        "read": run.read,
        "changed": run.changed,
        "unfinished": run.unfinished,
    }
    logger.info("groups daily run", extra=summary)
    metrics.add_metric(name="GroupsDaily_read", unit=MetricUnit.Count, value=run.read)
    metrics.add_metric(name="GroupsDaily_changed", unit=MetricUnit.Count, value=run.changed)
    return summary


def job_step(record: SQSRecord) -> str:
    message = json.loads(record.body)
    logger.append_keys(merchant_id=message.get("merchant_id"), job_id=message.get("job_id"))
    following = groups_service().reevaluate(message)
    if following is not None:
        group_jobs_queue().send(following)
        return "continued"
    return "done"


def consume_customer_change(record: SQSRecord) -> str:
    """A customer attached to or taken off a recorded sale: the customers named are recomputed."""
    event = SaleCustomerChanged.from_message(record.body)
    outcome = groups_service().sale_customer_changed(event)
    logger.info("sale customer change folded into groups", extra={"merchant_id": event.merchant_id, "outcome": outcome})
    metrics.add_metric(name=f"GroupsSaleCustomer_{outcome}", unit=MetricUnit.Count, value=1)
    return outcome


# --- CustomerChanged: a profile edit (labels, preferences, email, source) re-decides the customer's groups
def consume_customer(record: SQSRecord) -> str:
    try:
        event = CustomerChanged.from_message(record.body)
    except ValueError:
        metrics.add_metric(name="GroupsProfile_ignored", unit=MetricUnit.Count, value=1)
        return "ignored"
    outcome = groups_service().customer_changed(event)
    logger.info("profile change folded into groups", extra={"merchant_id": event.merchant_id, "outcome": outcome})
    metrics.add_metric(name=f"GroupsProfile_{outcome}", unit=MetricUnit.Count, value=1)
    return outcome


def handle_record(record: SQSRecord) -> str:
    """Each message by its kind: an event names its ``type``; a job step carries ``job_id``."""
    kind = message_type(record.body)
    if kind == CustomerChanged.TYPE:
        return consume_customer(record)
    if kind == SaleCustomerChanged.TYPE:
        return consume_customer_change(record)
    if kind is None and '"job_id"' in record.body:
        return job_step(record)
    return consume_sale(record)  # a SaleRecorded, or something it ignores


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:
        return run_day(event, context)
    response = process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    return dict(response)
