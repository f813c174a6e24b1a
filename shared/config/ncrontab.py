"""NCRONTAB schedules, as Azure Functions timer triggers read them.

The host accepts six fields (``{second} {minute} {hour} {day} {month} {day-of-week}``) or five (no
seconds). Validating the expression here lets a bad ``RECONCILE_SCHEDULE`` fail at start with the
setting's name instead of surfacing later as a host indexing error, and lets the local runner fire
the timer on the same schedule the host would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.core.errors import AppError

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}

# (name, lowest, highest, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)


class ScheduleError(AppError):
    """The expression is not a valid NCRONTAB schedule."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: the set of allowed values for each field."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    def matches(self, moment: dt.datetime) -> bool:
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment.date())
        )

    def _day_matches(self, day: dt.date) -> bool:
        weekday = (day.weekday() + 1) % 7  # Python: Monday=0; NCRONTAB: Sunday=0
        return day.day in self.days and day.month in self.months and weekday in self.weekdays

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first occurrence strictly after ``moment`` (same tzinfo), within five years."""
        start = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
        day = start.date()
        for _ in range(366 * 5):
            if self._day_matches(day):
                first_of_day = start if day == start.date() else None
                found = self._first_time_in_day(day, first_of_day, moment.tzinfo)
                if found is not None:
                    return found
            day += dt.timedelta(days=1)
        raise ScheduleError(f"{self.expression!r} never fires in the next five years")

    def _first_time_in_day(
        self, day: dt.date, not_before: dt.datetime | None, tz: dt.tzinfo | None
    ) -> dt.datetime | None:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                for second in sorted(self.seconds):
                    candidate = dt.datetime(
                        day.year, day.month, day.day, hour, minute, second, tzinfo=tz
                    )
                    if not_before is None or candidate >= not_before:
                        return candidate
        return None


def parse(expression: str) -> Schedule:
    """Parse a five- or six-field NCRONTAB expression, raising ``ScheduleError`` if invalid."""
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ScheduleError(
            f"{expression!r} has {len(fields)} fields; NCRONTAB needs six "
            "({second} {minute} {hour} {day} {month} {day-of-week}) or five"
        )
    sets = [_parse_field(text, *spec) for text, spec in zip(fields, _FIELDS, strict=True)]
    return Schedule(expression, *sets)


def _parse_field(
    text: str, name: str, low: int, high: int, names: dict[str, int]
) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        values |= _parse_part(part, name, low, high, names)
    return frozenset(values)


def _parse_part(part: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    body, _, step_text = part.partition("/")
    step = 1
    if step_text:
        if not step_text.isdigit() or int(step_text) == 0:
            raise ScheduleError(f"{name} field: step {step_text!r} is not a positive whole number")
        step = int(step_text)
    if body == "*":
        first, last = low, high
    elif "-" in body:
        start_text, _, end_text = body.partition("-")
        first = _value(start_text, name, low, high, names)
        last = _value(end_text, name, low, high, names)
        if first > last:
            raise ScheduleError(f"{name} field: range {body!r} runs backwards")
    else:
        first = _value(body, name, low, high, names)
        last = high if step_text else first
    return set(range(first, last + 1, step))


def _value(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ScheduleError(f"{name} field: {text!r} is not a number")
    number = int(text)
    if name == "day-of-week" and number == 7:
        return 0  # Sunday may be written 7
    if not low <= number <= high:
        raise ScheduleError(f"{name} field: {number} is outside {low}-{high}")
    return number
