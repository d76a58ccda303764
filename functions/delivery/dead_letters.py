"""The delivery dead-letter queue's sweep, on a schedule: a delivery whose message reached the dead-letter
queue without its consumer settling it (the function died on the last receive) ends ``failed`` with
``DEAD_LETTERED``. The messages stay in the queue for the operator to redrive."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.kernel import clock
from clientele.messaging.wiring import dead_letter_sweep
from clientele.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # The scheduled time, so a rehearsal with POST /_local/schedules/{name} and {"now": ...} sees leases expire.
    now = clock.parse(str(event["time"])) if event.get("time") else clock.utcnow()
    report = dead_letter_sweep().run(now, time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="Delivery_dead_lettered", unit=MetricUnit.Count, value=report.failed)
    return {"read": report.read, "failed": report.failed, "unreadable": report.unreadable}
