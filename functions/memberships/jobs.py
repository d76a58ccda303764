"""The daily dues run, on EventBridge Scheduler: every site once per local day, soon after its midnight."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.kernel import clock
from clientele.memberships.wiring import dues_run
from clientele.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def dues_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Runs for the event's scheduled time (a local rehearsal passes any ``now``); an event naming a
    ``merchant_id`` and ``site_id`` runs that one site (a rehearsal of one shop)."""
    now = clock.parse(str(event.get("time"))) if event.get("time") else clock.utcnow()
    if event.get("merchant_id") and event.get("site_id"):
        report = dues_run().run_site(str(event["merchant_id"]), str(event["site_id"]), now)
    else:
        report = dues_run().run(now)
    summary = {
        "ran_for": clock.isoformat(now),
        "sites": report.sites,
        "days": report.days,
        "memberships": report.memberships,
        "charges": report.charges,
        "credits": report.credits,
        "batches": report.batches,
        "notices": dict(report.notices),
    }
    logger.info("dues run", extra=summary)
    return summary
