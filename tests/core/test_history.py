"""The ledger read at one moment: a confirmed write not shown yet is pending, an intent without a
confirmed write is not a write, and nothing older than the window counts."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.core.history import RECENT, target_history
from shared.core.model import LedgerEntry, TargetHistory

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def at(minutes_ago: float) -> str:
    return (NOW - dt.timedelta(minutes=minutes_ago)).isoformat()


def sets(history: TargetHistory) -> tuple[bool, bool, bool, bool]:
    g = "g"
    return (
        g in history.known,
        g in history.pending,
        g in history.confirmed,
        g in history.intended,
    )


@pytest.mark.parametrize(
    ("entry", "known", "pending", "confirmed", "intended"),
    [
        pytest.param(LedgerEntry(written=at(1)), True, True, False, False, id="written, not seen"),
        pytest.param(
            LedgerEntry(written=at(1), intended=at(1.5)),
            True,
            True,
            False,
            False,
            id="intent, then its write confirmed",
        ),
        pytest.param(LedgerEntry(intended=at(1)), False, False, False, True, id="intent only"),
        pytest.param(
            LedgerEntry(written=at(5), intended=at(1)),
            True,
            False,
            False,
            True,
            id="a second attempt never confirmed",
        ),
        pytest.param(
            LedgerEntry(seen=at(1), written=at(2), intended=at(2)),
            True,
            False,
            True,
            False,
            id="seen after the write",
        ),
        pytest.param(LedgerEntry(written=at(11)), True, False, False, False, id="written long ago"),
        pytest.param(
            LedgerEntry(intended=at(11)), False, False, False, False, id="intent long ago"
        ),
    ],
)
def test_each_ledger_entry_falls_in_the_sets_its_times_say(
    entry, known, pending, confirmed, intended
):
    assert sets(target_history({"g": entry}, NOW)) == (known, pending, confirmed, intended)


def test_the_window_is_ten_minutes():
    assert dt.timedelta(minutes=10) == RECENT
