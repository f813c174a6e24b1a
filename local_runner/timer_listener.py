"""One timer function's listener, as the host runs it: under its lock, on its schedule.

While this runner holds the function's listener lock (``timer_lock.py``) the listener fires on
the schedule and renews the lock at half its period beside; otherwise, or once the lock is lost,
it tries to take the lock again every recovery interval. ``run_on_startup`` fires once, the first
time the lock is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from local_runner.invoke import Worker
from local_runner.schedule import Schedule
from local_runner.timer_lock import ListenerLock, LockOptions
from local_runner.triggers import TimerFiring
from local_runner.waiting import first_of

log = logging.getLogger(__name__)

Fire = Callable[[TimerFiring], Coroutine[Any, Any, None]]


class TimerListener:
    """Fires one timer function (through ``fire``) while its lock is held."""

    def __init__(
        self,
        name: str,
        schedule: Schedule,
        lock: ListenerLock,
        options: LockOptions,
        worker: Worker,
        clock: Callable[[], dt.datetime],
        *,
        run_on_startup: bool = False,
    ) -> None:
        self.name = name
        self._schedule = schedule
        self._lock = lock
        self._options = options
        self._worker = worker
        self._clock = clock
        self._run_on_startup = run_on_startup

    async def run(self, stop: asyncio.Event, fire: Fire) -> None:
        """Listen until ``stop`` is set; the lock is released and closed at the end."""
        started = False
        try:
            while not stop.is_set():
                if not await self._take():
                    await first_of(stop.wait(), timeout=self._options.recovery_interval)
                    continue
                log.info("timer: %s holds its lock", self.name)
                if self._run_on_startup and not started:
                    await fire(TimerFiring())
                started = True
                await self._fire_while_locked(stop, fire)
        finally:
            await self._worker.io(self._lock.close)

    async def _take(self) -> bool:
        """Try to take the lock; a storage error counts as not taken (tried again later)."""
        try:
            taken = await self._worker.io(self._lock.acquire)
        except Exception:
            log.exception("timer: %s: taking its lock failed; trying again later", self.name)
            return False
        if not taken:
            log.info("timer: %s is locked by another instance; waiting", self.name)
        return taken

    async def _fire_while_locked(self, stop: asyncio.Event, fire: Fire) -> None:
        """Fire on schedule until stopped or the lock is lost (its renewals run beside)."""
        lost = asyncio.Event()
        renewals = asyncio.ensure_future(self._keep_lock(stop, lost))
        last: dt.datetime | None = None
        try:
            while not (stop.is_set() or lost.is_set()):
                due = self._schedule.next_after(self._clock())
                log.info("timer: %s next at %s", self.name, due.isoformat())
                while not (stop.is_set() or lost.is_set()) and self._clock() < due:
                    wait = (due - self._clock()).total_seconds()
                    await first_of(stop.wait(), lost.wait(), timeout=max(0.0, wait))
                if stop.is_set() or lost.is_set():
                    return
                await fire(TimerFiring(False, last, self._schedule.next_after(due)))
                last = due
        finally:
            renewals.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewals

    async def _keep_lock(self, stop: asyncio.Event, lost: asyncio.Event) -> None:
        while not stop.is_set():
            await first_of(stop.wait(), timeout=self._options.period / 2)
            if not stop.is_set() and not await self._worker.io(self._lock.renew):
                lost.set()
                return
