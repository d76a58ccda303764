"""Run the functions' ``Schedule`` and ``ScheduleV2`` events locally, on time or on demand.

EventBridge invokes a scheduled function with a "Scheduled Event" whose ``time`` is the scheduled time;
handlers take "today" from it, so :meth:`Scheduler.run` accepts a pretended ``now`` and a developer or a
test can replay any day (``POST /_local/schedules/{name}`` with ``{"now": "<RFC 3339>"}``). A background
thread runs enabled schedules at their times: ``rate(...)`` from the moment the scheduler starts, as a new
rule would, and ``cron(...)`` in UTC (or in ``ScheduleExpressionTimezone`` for ``ScheduleV2``), with
EventBridge's six-field syntax implemented here (``W`` excepted) rather than with a cron package, because
EventBridge's dialect differs from Unix cron (``?``, a year field, days of the week numbered from 1).

When an event declares ``Input``, the function receives that input instead of the scheduled event, as it
would in AWS; EventBridge Scheduler's ``<aws.scheduler.scheduled-time>`` placeholders are filled in.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.runtime import InvocationError, Runtime
from infra.local.template import ScheduleSpec

logger = logging.getLogger(__name__)


class UnknownSchedule(KeyError):
    pass


class UnsupportedExpression(ValueError):
    pass


# ----------------------------------------------------------------------------------------------- expressions

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_MONTHS = {name: index for index, name in enumerate(calendar.month_abbr) if name}
_MONTHS = {name.upper(): index for name, index in _MONTHS.items()}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def rate_interval(expression: str) -> timedelta | None:
    match = _RATE.match(expression.strip())
    if match is None:
        return None
    value, unit = int(match.group(1)), match.group(2)
    if value <= 0:
        raise UnsupportedExpression(f"{expression}: a rate must be positive")
    return timedelta(**{unit.rstrip("s") + "s": value})


def _values(field_text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for item in field_text.split(","):
        part, _, step_text = item.strip().upper().partition("/")
        step = int(step_text) if step_text else 1
        if step <= 0:
            raise UnsupportedExpression(f"bad step in {field_text}")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise UnsupportedExpression(f"{field_text}: out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise UnsupportedExpression(f"{text} is not supported in a cron field")
    return int(text)


@dataclass(frozen=True)
class CronExpression:
    """EventBridge's ``cron(minutes hours day-of-month month day-of-week year)``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: "?" (the day of the week decides)
    last_day: bool  # "L" in the day-of-month field
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday ... 7 = Saturday; None: "?"
    last_weekday: int | None  # "5L": the last Thursday of the month
    nth_weekday: tuple[int, int] | None  # "2#1": the first Monday of the month
    years: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> CronExpression:
        match = _CRON.match(expression.strip())
        if match is None:
            raise UnsupportedExpression(f"{expression} is not a cron expression")
        fields = match.group(1).split()
        if len(fields) != 6:
            raise UnsupportedExpression(f"{expression}: EventBridge cron has six fields")
        minutes, hours, day_field, month_field, weekday_field, year_field = fields
        if (day_field == "?") == (weekday_field == "?"):
            raise UnsupportedExpression(f"{expression}: exactly one of day-of-month and day-of-week is '?'")
        if "W" in day_field.upper():
            raise UnsupportedExpression(f"{expression}: 'W' is not supported locally")

        days: frozenset[int] | None = None
        last_day = False
        if day_field.upper() == "L":
            last_day = True
        elif day_field != "?":
            days = frozenset(_values(day_field, 1, 31))

        weekdays: frozenset[int] | None = None
        last_weekday: int | None = None
        nth_weekday: tuple[int, int] | None = None
        upper = weekday_field.upper()
        if upper.endswith("L") and upper != "L":
            last_weekday = _number(upper[:-1], _WEEKDAYS)
        elif "#" in upper:
            weekday_text, nth_text = upper.split("#", 1)
            nth_weekday = (_number(weekday_text, _WEEKDAYS), int(nth_text))
        elif upper == "L":
            weekdays = frozenset({7})
        elif weekday_field != "?":
            weekdays = frozenset(_values(weekday_field, 1, 7, _WEEKDAYS))

        return cls(
            minutes=frozenset(_values(minutes, 0, 59)),
            hours=frozenset(_values(hours, 0, 23)),
            days=days,
            last_day=last_day,
            months=frozenset(_values(month_field, 1, 12, _MONTHS)),
            weekdays=weekdays,
            last_weekday=last_weekday,
            nth_weekday=nth_weekday,
            years=frozenset(_values(year_field, 1970, 2199)),
        )

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        weekday = (day.isoweekday() % 7) + 1  # EventBridge: Sunday = 1
        last = calendar.monthrange(day.year, day.month)[1]
        if self.last_day:
            return day.day == last
        if self.days is not None:
            return day.day in self.days
        if self.last_weekday is not None:
            return weekday == self.last_weekday and day.day + 7 > last
        if self.nth_weekday is not None:
            return weekday == self.nth_weekday[0] and (day.day - 1) // 7 + 1 == self.nth_weekday[1]
        return self.weekdays is not None and weekday in self.weekdays

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time strictly after ``moment`` (in ``moment``'s time zone) that matches."""
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * 5):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=moment.tzinfo)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def next_run(spec: ScheduleSpec, after: datetime, started: datetime) -> datetime | None:
    """When ``spec`` fires next after ``after`` (UTC); rates count from ``started``."""
    expression = spec.expression.strip()
    interval = rate_interval(expression)
    if interval is not None:
        periods = int((after - started) / interval) + 1
        return started + periods * interval
    zone = ZoneInfo(spec.timezone) if spec.timezone else UTC
    at = _AT.match(expression)
    if at is not None:
        moment = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone).astimezone(UTC)
        return moment if moment > after else None
    cron = CronExpression.parse(expression)
    found = cron.next_after(after.astimezone(zone))
    return found.astimezone(UTC) if found is not None else None


# ----------------------------------------------------------------------------------------------- the scheduler


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Scheduler:
    """The template's schedules, runnable by name and, once started, on time."""

    def __init__(self, runtime: Runtime, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.runtime = runtime
        self.schedules = list(runtime.stack.template.schedules)
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Checked at start-up, not at the first run; a schedule the local scheduler cannot time still runs
        # on demand.
        self.untimed: dict[str, str] = {}
        for spec in self.schedules:
            try:
                reference = datetime.now(UTC)
                next_run(spec, reference, reference)
            except (UnsupportedExpression, ValueError, KeyError) as error:
                self.untimed[f"{spec.function_id}.{spec.event_name}"] = str(error)
                logger.warning("%s.%s runs only on demand: %s", spec.function_id, spec.event_name, error)

    @property
    def names(self) -> list[str]:
        return [spec.event_name for spec in self.schedules]

    def find(self, name: str) -> ScheduleSpec:
        """A schedule by event name, ``Function.Event``, or function id (when it has one schedule)."""
        by_event = [spec for spec in self.schedules if spec.event_name == name]
        by_qualified = [spec for spec in self.schedules if f"{spec.function_id}.{spec.event_name}" == name]
        by_function = [spec for spec in self.schedules if spec.function_id == name]
        for found in (by_qualified, by_event, by_function):
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                choices = ", ".join(f"{spec.function_id}.{spec.event_name}" for spec in found)
                raise UnknownSchedule(f"{name} is ambiguous: use one of {choices}")
        raise UnknownSchedule(f"no schedule named {name}")

    def resource_arn(self, spec: ScheduleSpec) -> str:
        stack = self.runtime.stack
        name = spec.rule_name or f"{stack.stack_name}-{spec.function_id}{spec.event_name}"
        if spec.kind == "ScheduleV2":
            return f"arn:aws:scheduler:{stack.region}:{stack.account_id}:schedule/default/{name}"
        return f"arn:aws:events:{stack.region}:{stack.account_id}:rule/{name}"

    def event(self, spec: ScheduleSpec, now: datetime) -> Any:
        """What EventBridge (or EventBridge Scheduler) sends the function for a run at ``now``."""
        event_id = str(uuid.uuid4())
        if spec.input is not None:
            text = spec.input
            if spec.kind == "ScheduleV2":
                for placeholder, value in {
                    "<aws.scheduler.scheduled-time>": _rfc3339(now),
                    "<aws.scheduler.execution-id>": event_id,
                    "<aws.scheduler.schedule-arn>": self.resource_arn(spec),
                    "<aws.scheduler.attempt-number>": "1",
                }.items():
                    text = text.replace(placeholder, value)
            return json.loads(text)
        stack = self.runtime.stack
        return {
            "version": "0",
            "id": event_id,
            "detail-type": "Scheduled Event",
            "source": spec.source,
            "account": stack.account_id,
            "time": _rfc3339(now),
            "region": stack.region,
            "resources": [self.resource_arn(spec)],
            "detail": {},
        }

    def run(self, name: str, now: datetime | None = None) -> Any:
        """Invoke schedule ``name`` now (or pretending it is ``now``); returns the handler's result."""
        spec = self.find(name)
        moment = now if now is not None else self._clock()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.runtime.invoke(spec.function_id, self.event(spec, moment))

    # -- in the background

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(0.0, timeout))
            if not self._thread.is_alive():
                self._thread = None

    def _loop(self) -> None:
        started = self._clock()
        enabled = [
            spec
            for spec in self.schedules
            if spec.enabled and f"{spec.function_id}.{spec.event_name}" not in self.untimed
        ]
        upcoming = {id(spec): next_run(spec, started, started) for spec in enabled}
        while not self._stop.is_set():
            due_times = [moment for moment in upcoming.values() if moment is not None]
            if not due_times:
                return
            now = self._clock()
            wait = (min(due_times) - now).total_seconds()
            if wait > 0:
                self._stop.wait(min(wait, 60.0))
                continue
            for spec in enabled:
                moment = upcoming[id(spec)]
                if moment is not None and moment <= now:
                    self._fire(spec, moment)
                    upcoming[id(spec)] = next_run(spec, now, started)

    def _fire(self, spec: ScheduleSpec, moment: datetime) -> None:
        try:
            self.runtime.invoke(spec.function_id, self.event(spec, moment))
        except InvocationError:
            # EventBridge invokes asynchronously; Lambda's retries are not emulated, the failure is logged.
            logger.error("schedule %s.%s failed at %s", spec.function_id, spec.event_name, _rfc3339(moment))
