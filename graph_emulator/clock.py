"""Clocks for replication lag: the real one, and a manual one tests advance by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]


def monotonic_clock() -> float:
    return time.monotonic()


class ManualClock:
    """A clock that only moves when told to, so lag tests never sleep or race."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        with self._lock:
            self._now += seconds
