"""When the runner polls an empty queue again and when a timer fires next.

Both are pure functions of their inputs (no clock, no sleeping) so they can be
tested with tables; ``host.py`` supplies the clock.

Polling follows the host's randomized exponential back-off: right after a
poll that found messages the next wait is the 100 ms minimum; each empty poll
after that roughly doubles it, up to host.json's ``maxPollingInterval``.

Timers use the function's NCRONTAB schedule through ``shared.config.ncrontab`` (the
app's own parser) unless the caller passes another parser, such as
``every(seconds)`` for a demo that should fire more often than its schedule.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from local_runner.errors import ConfigurationError
from local_runner.settings import MIN_POLLING_INTERVAL


class Schedule(Protocol):
    """Anything that tells the first occurrence strictly after a moment."""

    def next_after(self, moment: dt.datetime) -> dt.datetime: ...


ScheduleParser = Callable[[str], Schedule]


def next_poll_delay(
    previous: float,
    found_messages: bool,
    maximum: float,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before polling again after a poll that found nothing.

    ``found_messages`` says whether any message was found since the last wait;
    ``jitter`` returns a number in [0, 1) that spreads the wait by ±20 %.
    """
    minimum = min(MIN_POLLING_INTERVAL, maximum)
    if found_messages or previous <= 0:
        return minimum
    grown = previous * 2 * (0.8 + 0.4 * jitter())
    return max(minimum, min(maximum, grown))


@dataclass(frozen=True)
class EverySchedule:
    """A fixed interval, for ``--timer-every``: not NCRONTAB, only for demos."""

    seconds: float

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        return moment + dt.timedelta(seconds=self.seconds)


def every(seconds: float) -> ScheduleParser:
    """A parser that ignores the expression and fires every ``seconds``."""
    if seconds <= 0:
        raise ConfigurationError(f"timer interval must be > 0 seconds: {seconds}")
    return lambda expression: EverySchedule(seconds)


def ncrontab_parser() -> ScheduleParser:
    """The app's NCRONTAB parser (``shared.config.ncrontab.parse``)."""
    try:
        from shared.config import ncrontab
    except ImportError as e:
        raise ConfigurationError(
            "timer schedules need shared.config.ncrontab (parse); pass a schedule parser or "
            "--timer-every SECONDS instead"
        ) from e
    parse: ScheduleParser = ncrontab.parse
    return parse


def parse_schedule(parser: ScheduleParser, expression: str, function: str) -> Schedule:
    """Parse a timer's schedule, naming the function if it is invalid."""
    try:
        return parser(expression)
    except ValueError as e:
        raise ConfigurationError(f"function {function}: schedule {expression!r}: {e}") from e
