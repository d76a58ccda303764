"""The directory jobs' worker: one export, import or step of an attribute's removal per message from the jobs
queue, in the background.

Messages carry ids only. A job records its own state, so a message delivered twice finds its job finished
and does nothing; one that fails on AWS is retried by the queue (three receives, then its dead-letter
queue and an alarm).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.directory_jobs.wiring import attribute_removals, export_service, import_service
from clientele.platform.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def run(record: SQSRecord) -> None:
    message = json.loads(record.body)
    if message.get("job") == "export":
        job = export_service().run(str(message["merchant_id"]), str(message["export_id"]))
        logger.info("export finished", extra={"export_id": job.id, "status": job.status, "rows": job.row_count})
        metrics.add_metric(name="ExportRows", unit=MetricUnit.Count, value=job.row_count or 0)
        return
    if message.get("job") == "import":
        done = import_service().run(str(message["merchant_id"]), str(message["import_id"]))
        logger.info("import finished", extra={"import_id": done.id, "status": done.status, "rows": done.processed})
        metrics.add_metric(name="ImportRows", unit=MetricUnit.Count, value=done.processed)
        return
    if message.get("job") == "attribute_removal":
        removal = attribute_removals().run(str(message["merchant_id"]), str(message["removal_id"]))
        logger.info(
            "attribute removal step",
            extra={"removal_id": removal.id, "status": removal.status, "processed": removal.processed},
        )
        return
    logger.warning("unknown job", extra={"job": str(message.get("job"))[:40]})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(event=event, record_handler=run, processor=processor, context=context)
    return dict(response)
