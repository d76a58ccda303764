"""Schedules run on demand with a pretended time, and EventBridge's cron and rate expressions are honoured."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from infra.local.scheduler import CronExpression, Scheduler, UnknownSchedule, UnsupportedExpression, next_run
from infra.local.template import ScheduleSpec
from tests.infra.conftest import REGION
from tests.infra.fakes import scheduled


def test_a_schedule_receives_the_time_it_is_run_for(scheduler: Scheduler, tiny_stack):
    result = scheduler.run("Nightly", datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    assert result == {"ran_for": "2026-03-01T03:00:00Z"}
    (event,) = scheduled.EVENTS
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-03-01T03:00:00Z"
    assert event["region"] == REGION and event["account"] == "123456789012"
    assert event["resources"] == [
        f"arn:aws:events:{REGION}:123456789012:rule/{tiny_stack.stack_name}-ScheduledFunctionNightly"
    ]
    assert event["detail"] == {} and event["version"] == "0" and event["id"]


def test_schedule_v2_events_come_from_the_scheduler(scheduler: Scheduler):
    scheduler.run("ScheduledFunction.Hourly", datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))))
    event = scheduled.EVENTS[-1]
    assert event["source"] == "aws.scheduler"
    assert event["time"] == "2026-03-01T10:30:00Z"  # always UTC
    assert ":schedule/default/" in event["resources"][0]


def test_without_a_time_it_runs_for_now(scheduler: Scheduler):
    before = datetime.now(UTC).replace(microsecond=0)
    scheduler.run("Nightly")
    ran_for = datetime.fromisoformat(scheduled.EVENTS[-1]["time"])
    assert before <= ran_for <= datetime.now(UTC)


def test_schedules_are_found_by_event_name_qualified_name_or_function(scheduler: Scheduler):
    assert scheduler.find("Nightly").event_name == "Nightly"
    assert scheduler.find("ScheduledFunction.Hourly").event_name == "Hourly"
    with pytest.raises(UnknownSchedule, match="ambiguous"):
        scheduler.find("ScheduledFunction")  # it has two schedules
    with pytest.raises(UnknownSchedule):
        scheduler.find("Weekly")


def test_an_input_replaces_the_event_and_gets_the_scheduled_time(runtime):
    spec = ScheduleSpec(
        function_id="ScheduledFunction",
        event_name="WithInput",
        kind="ScheduleV2",
        expression="rate(1 day)",
        input='{"time": "<aws.scheduler.scheduled-time>", "job": "dues"}',
    )
    scheduler = Scheduler(runtime)
    assert scheduler.event(spec, datetime(2026, 1, 2, 6, tzinfo=UTC)) == {"time": "2026-01-02T06:00:00Z", "job": "dues"}


# ----------------------------------------------------------------------------------------------- expressions

NOW = datetime(2026, 3, 4, 10, 7, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 3 * * ? *)", datetime(2026, 3, 5, 3, 0)),
        ("cron(0/15 * ? * MON-FRI *)", datetime(2026, 3, 4, 10, 15)),
        ("cron(30 9 ? * SAT,SUN *)", datetime(2026, 3, 7, 9, 30)),
        ("cron(0 9 L * ? *)", datetime(2026, 3, 31, 9, 0)),
        ("cron(0 10 ? * 6L *)", datetime(2026, 3, 27, 10, 0)),  # the last Friday
        ("cron(0 8 ? * 2#1 *)", datetime(2026, 4, 6, 8, 0)),  # the first Monday
        ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0)),
        ("cron(7 10 4 3 ? 2026)", None),  # that minute has just passed, and never comes back
    ],
)
def test_cron_expressions(expression: str, expected: datetime | None):
    found = CronExpression.parse(expression).next_after(NOW)
    assert found == (expected.replace(tzinfo=UTC) if expected else None)


@pytest.mark.parametrize(
    "expression",
    ["cron(0 3 * * * *)", "cron(0 3 ? * ? *)", "cron(0 3 * *)", "cron(0 3 15W * ? *)", "cron(61 3 * * ? *)"],
)
def test_invalid_or_unsupported_cron_expressions_are_refused(expression: str):
    with pytest.raises(UnsupportedExpression):
        CronExpression.parse(expression)


def test_rates_count_from_the_start_and_time_zones_apply():
    started = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    hourly = ScheduleSpec("F", "E", "Schedule", "rate(1 hour)")
    assert next_run(hourly, started, started) == started + timedelta(hours=1)
    assert next_run(hourly, started + timedelta(minutes=90), started) == started + timedelta(hours=2)
    amsterdam = ScheduleSpec("F", "E", "ScheduleV2", "cron(0 6 * * ? *)", timezone="Europe/Amsterdam")
    assert next_run(amsterdam, started, started) == datetime(2026, 3, 5, 5, 0, tzinfo=UTC)  # 06:00 CET
    once = ScheduleSpec("F", "E", "ScheduleV2", "at(2026-03-04T12:00:00)")
    assert next_run(once, started, started) == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_the_background_loop_runs_due_schedules(runtime):
    moments = iter([datetime(2026, 3, 4, 10, 0, tzinfo=UTC)] + [datetime(2026, 3, 4, 11, 0, 1, tzinfo=UTC)] * 100)
    scheduler = Scheduler(runtime, clock=lambda: next(moments))
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while not scheduled.EVENTS and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        scheduler.stop()
    assert scheduled.EVENTS[0]["source"] == "aws.scheduler"  # the hourly rate fired
    assert scheduled.EVENTS[0]["time"] == "2026-03-04T11:00:00Z"


def test_a_schedule_the_local_scheduler_cannot_time_still_runs_on_demand(runtime, monkeypatch):
    weekdays = ScheduleSpec("ScheduledFunction", "Weekdays", "Schedule", "cron(0 9 15W * ? *)")
    monkeypatch.setattr(runtime.stack.template, "schedules", [*runtime.stack.template.schedules, weekdays])
    scheduler = Scheduler(runtime)
    assert list(scheduler.untimed) == ["ScheduledFunction.Weekdays"]
    assert scheduler.run("Weekdays", datetime(2026, 3, 16, 9, tzinfo=UTC)) == {"ran_for": "2026-03-16T09:00:00Z"}
