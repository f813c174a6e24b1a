"""NCRONTAB: the six- and five-field timer schedules of Azure Functions, parsed and stepped."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shared.config.ncrontab import ScheduleError, parse

EVERY = {
    "seconds": frozenset(range(60)),
    "minutes": frozenset(range(60)),
    "hours": frozenset(range(24)),
    "days": frozenset(range(1, 32)),
    "months": frozenset(range(1, 13)),
    "weekdays": frozenset(range(7)),
}

# (id, expression, the fields that are not "every value")
PARSED = [
    ("every second", "* * * * * *", {}),
    (
        "five fields run at second 0",
        "*/5 * * * *",
        {"seconds": {0}, "minutes": set(range(0, 60, 5))},
    ),
    ("every 15 minutes", "0 */15 * * * *", {"seconds": {0}, "minutes": {0, 15, 30, 45}}),
    ("step on seconds", "*/20 * * * * *", {"seconds": {0, 20, 40}}),
    ("step from a start", "5/15 * * * * *", {"seconds": {5, 20, 35, 50}}),
    ("range", "0 0 9-17 * * *", {"seconds": {0}, "minutes": {0}, "hours": set(range(9, 18))}),
    ("range with step", "0 0 9-17/4 * * *", {"seconds": {0}, "minutes": {0}, "hours": {9, 13, 17}}),
    ("list", "0 0 0 1,15 * *", {"seconds": {0}, "minutes": {0}, "hours": {0}, "days": {1, 15}}),
    (
        "list of ranges",
        "0 0 1-2,22-23 * * *",
        {"seconds": {0}, "minutes": {0}, "hours": {1, 2, 22, 23}},
    ),
    (
        "month names",
        "0 0 0 1 JAN,jul *",
        {"seconds": {0}, "minutes": {0}, "hours": {0}, "days": {1}, "months": {1, 7}},
    ),
    (
        "month name range",
        "0 0 0 1 FEB-APR *",
        {"seconds": {0}, "minutes": {0}, "hours": {0}, "days": {1}, "months": {2, 3, 4}},
    ),
    (
        "weekday names",
        "0 30 9 * * MON-FRI",
        {"seconds": {0}, "minutes": {30}, "hours": {9}, "weekdays": {1, 2, 3, 4, 5}},
    ),
    ("Sunday as 0", "0 0 0 * * 0", {"seconds": {0}, "minutes": {0}, "hours": {0}, "weekdays": {0}}),
    ("Sunday as 7", "0 0 0 * * 7", {"seconds": {0}, "minutes": {0}, "hours": {0}, "weekdays": {0}}),
    (
        "Sunday as SUN",
        "0 0 0 * * sun",
        {"seconds": {0}, "minutes": {0}, "hours": {0}, "weekdays": {0}},
    ),
    (
        "weekend",
        "0 0 0 * * 6,7",
        {"seconds": {0}, "minutes": {0}, "hours": {0}, "weekdays": {0, 6}},
    ),
    ("extra spaces", "  0  0   12 * * *  ", {"seconds": {0}, "minutes": {0}, "hours": {12}}),
]


@pytest.mark.parametrize(("expression", "fields"), [pytest.param(e, f, id=i) for i, e, f in PARSED])
def test_an_expression_is_parsed_into_the_allowed_values_of_each_field(
    expression: str, fields: dict[str, set[int]]
) -> None:
    schedule = parse(expression)
    assert schedule.expression == expression
    for name, every in EVERY.items():
        assert getattr(schedule, name) == fields.get(name, every), name


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        pytest.param("", "has 0 fields", id="empty"),
        pytest.param("*/5 * *", "has 3 fields", id="three fields"),
        pytest.param("* * * *", "has 4 fields", id="four fields"),
        pytest.param("* * * * * * *", "has 7 fields", id="seven fields"),
        pytest.param("60 * * * * *", "second field: 60 is outside 0-59", id="second 60"),
        pytest.param("61 * * * * *", "second field: 61", id="second 61"),
        pytest.param("0 60 * * * *", "minute field", id="minute 60"),
        pytest.param("0 0 24 * * *", "hour field", id="hour 24"),
        pytest.param("0 0 0 0 * *", "day field", id="day 0"),
        pytest.param("0 0 0 32 * *", "day field", id="day 32"),
        pytest.param("0 0 0 * 0 *", "month field", id="month 0"),
        pytest.param("0 0 0 * 13 *", "month field", id="month 13"),
        pytest.param("0 0 0 * * 8", "day-of-week field", id="weekday 8"),
        pytest.param("*/0 * * * * *", "step '0'", id="step 0"),
        pytest.param("*/x * * * * *", "step 'x'", id="step not a number"),
        pytest.param("*/-1 * * * * *", "step '-1'", id="negative step"),
        pytest.param("30-10 * * * * *", "runs backwards", id="backwards range"),
        pytest.param("MON * * * * *", "second field: 'MON'", id="name in the wrong field"),
        pytest.param("0 0 0 * * JAN", "day-of-week field: 'JAN'", id="month name as weekday"),
        pytest.param("0 0 0 * MONDAY *", "month field", id="unknown name"),
        pytest.param("1,,2 * * * * *", "is not a number", id="empty list item"),
        pytest.param("-1 * * * * *", "is not a number", id="negative value"),
        pytest.param("1- * * * * *", "is not a number", id="open range"),
        pytest.param("? * * * * *", "is not a number", id="question mark"),
        pytest.param("0 0 0 L * *", "is not a number", id="last day"),
    ],
)
def test_a_bad_expression_is_refused_saying_what_is_wrong(expression: str, words: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(words)):
        parse(expression)


UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        pytest.param(
            "0 */15 * * * *",
            "2024-05-10T10:07:30",
            "2024-05-10T10:15:00",
            id="every 15 minutes, mid-interval",
        ),
        pytest.param(
            "0 */15 * * * *",
            "2024-05-10T10:15:00",
            "2024-05-10T10:30:00",
            id="every 15 minutes, strictly after an occurrence",
        ),
        pytest.param(
            "0 */15 * * * *",
            "2024-05-10T10:14:59.999999",
            "2024-05-10T10:15:00",
            id="every 15 minutes, a microsecond before",
        ),
        pytest.param(
            "0 */15 * * * *",
            "2024-12-31T23:50:00",
            "2025-01-01T00:00:00",
            id="every 15 minutes, over the new year",
        ),
        pytest.param(
            "*/15 * * * *",
            "2024-05-10T10:07:30",
            "2024-05-10T10:15:00",
            id="five-field every 15 minutes",
        ),
        pytest.param(
            "0 30 9 * * 1-5",
            "2024-05-10T10:00:00",
            "2024-05-13T09:30:00",
            id="weekdays 09:30, Friday after: Monday",
        ),
        pytest.param(
            "0 30 9 * * MON-FRI",
            "2024-05-10T09:29:59",
            "2024-05-10T09:30:00",
            id="weekdays 09:30, Friday before: the same day",
        ),
        pytest.param(
            "0 30 9 * * 1-5",
            "2024-05-11T08:00:00",
            "2024-05-13T09:30:00",
            id="weekdays 09:30, Saturday: Monday",
        ),
        pytest.param(
            "0 0 0 * * 7", "2024-05-10T12:00:00", "2024-05-12T00:00:00", id="Sunday written 7"
        ),
        pytest.param(
            "0 0 12 29 2 *",
            "2024-01-01T00:00:00",
            "2024-02-29T12:00:00",
            id="Feb 29 in a leap year",
        ),
        pytest.param(
            "0 0 12 29 2 *",
            "2025-03-01T00:00:00",
            "2028-02-29T12:00:00",
            id="Feb 29, waiting for the next leap year",
        ),
        pytest.param(
            "0 0 0 31 * *",
            "2024-04-15T00:00:00",
            "2024-05-31T00:00:00",
            id="the 31st skips a 30-day month",
        ),
    ],
)
def test_the_next_occurrence_is_the_first_strictly_after(
    expression: str, after: str, expected: str
) -> None:
    assert parse(expression).next_after(at(after)) == at(expected)


def test_the_next_occurrence_keeps_the_time_zone() -> None:
    found = parse("0 0 12 * * *").next_after(dt.datetime(2024, 5, 10, 13, 0, tzinfo=UTC))
    assert found == dt.datetime(2024, 5, 11, 12, 0, tzinfo=UTC)
    assert found.tzinfo is UTC


def test_a_schedule_that_never_fires_says_so() -> None:
    with pytest.raises(ScheduleError, match="never fires"):
        parse("0 0 0 30 2 *").next_after(at("2024-01-01T00:00:00"))


@pytest.mark.parametrize(
    ("moment", "matches"),
    [
        pytest.param("2024-05-13T09:30:00", True, id="Monday 09:30"),
        pytest.param("2024-05-13T09:30:01", False, id="a second late"),
        pytest.param("2024-05-12T09:30:00", False, id="Sunday"),
    ],
)
def test_a_moment_matches_only_when_every_field_does(moment: str, matches: bool) -> None:
    assert parse("0 30 9 * * MON-FRI").matches(at(moment)) is matches
