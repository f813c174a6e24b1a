"""``LocalHost``: drive an app's registered functions the way the Functions host does.

Test and demo tooling, not a replacement for the host (use ``func start`` for
real use). It has a language worker index the app (Microsoft's library worker on
Python 3.13+, else the runner's in-process one: ``invoke.py``), reads host.json
``extensions.queues`` and the app settings, and then either runs one step at a
time (``poll_once``, ``drain``, ``fire_timer``: what tests want) or keeps
listening (``serve``: what the demo wants). Message handling itself is in
``processor.py``; this module wires functions to storage and to time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from functools import partial
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Literal

import azure.functions as func

from local_runner.azurite import Azurite, expand_development_storage
from local_runner.discovery import (
    QUEUE_TRIGGER,
    TIMER_TRIGGER,
    FunctionInfo,
    app_folder,
    describe,
    load_app,
)
from local_runner.errors import ConfigurationError, DrainTimeout
from local_runner.invoke import InProcessInvoker, Invoker, Worker
from local_runner.library_invoker import LibraryInvoker
from local_runner.library_worker import available as library_worker_available
from local_runner.outcome import InvocationOutcome
from local_runner.processor import BoundFunction, MessageProcessor
from local_runner.queues import QueueStore
from local_runner.schedule import (
    ScheduleParser,
    ncrontab_parser,
    next_poll_delay,
    parse_schedule,
)
from local_runner.settings import (
    PROCESSING_LEASE_SECONDS,
    QueueOptions,
    connection_setting_value,
    queue_options,
    read_host_json,
)
from local_runner.timer_listener import TimerListener
from local_runner.timer_lock import (
    DEFAULT_HOST_ID,
    HOST_ID_SETTING,
    ListenerLock,
    LockOptions,
    lock_options,
)
from local_runner.triggers import TimerFiring
from local_runner.waiting import first_of

log = logging.getLogger(__name__)

OutcomeCallback = Callable[[InvocationOutcome], None]
WorkerChoice = Literal["auto", "library", "in-process"]
# How long drain() waits between rounds while messages are still invisible.
_DRAIN_RECHECK_SECONDS = 0.05


class LocalHost:
    """The functions of one app, bound to storage, ready to be driven.

    ``app`` is a module name (default ``function_app``), a module, or a
    ``func.FunctionApp``. ``connection_string``, if given, is used for every
    queue binding instead of the app settings; otherwise each binding's
    ``connection`` names an app setting, where ``UseDevelopmentStorage=true``
    means ``azurite`` (or the emulator's default port). ``settings`` are the app
    settings (default: the environment). ``overrides`` take host.json key names
    and win over host.json, e.g. ``{"visibilityTimeout": 0}``. ``worker`` picks the
    language worker: ``auto`` (the default) is Microsoft's library worker where it is
    installed (Python 3.13+), else the in-process one. ``singleton`` overrides
    host.json ``singleton`` (the timers' listener lock), e.g.
    ``{"listenerLockRecoveryPollingInterval": 1}``.
    """

    def __init__(
        self,
        app: str | func.FunctionApp | ModuleType = "function_app",
        *,
        connection_string: str | None = None,
        host_json: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None,
        settings: Mapping[str, str] | None = None,
        azurite: Azurite | None = None,
        lease_seconds: float = PROCESSING_LEASE_SECONDS,
        schedule_parser: ScheduleParser | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        worker: WorkerChoice = "auto",
        singleton: Mapping[str, Any] | None = None,
    ) -> None:
        self._settings = dict(os.environ if settings is None else settings)
        self._connection_string = connection_string
        self._azurite = azurite
        self._schedule_parser = schedule_parser
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        if host_json is not None and not Path(host_json).exists():
            raise ConfigurationError(f"host.json not found: {host_json}")
        path = Path(host_json) if host_json is not None else app_folder(app) / "host.json"
        host_config = read_host_json(path)
        self.options: QueueOptions = queue_options(host_config, overrides)
        self.lock_options: LockOptions = lock_options(host_config, singleton)
        function_app = load_app(app)
        self._worker = Worker()
        self._stores: dict[str, QueueStore] = {}
        try:
            self._invoker = _start_worker(worker, function_app, self._worker)
            try:
                self.functions: dict[str, FunctionInfo] = describe(
                    self._invoker.indexed, self._settings
                )
                self._bound = {name: self._bind(info) for name, info in self.functions.items()}
            except BaseException:
                self._invoker.close()
                raise
        except BaseException:
            self._close_storage()
            self._worker.close()
            raise
        self._wakers: dict[str, asyncio.Event] = {}
        self._processor = MessageProcessor(
            self._worker, self._invoker, self.options, lease_seconds, notify=self._notify
        )
        self._queues_ready = False
        log.info(
            "host: %d functions (%s), %s worker, %s",
            len(self.functions),
            ", ".join(f"{n}: {i.trigger_type}" for n, i in self.functions.items()),
            self.worker,
            self.options,
        )

    @property
    def worker(self) -> str:
        """The language worker that indexes and invokes: ``library`` or ``in-process``."""
        return self._invoker.kind

    # -- wiring ---------------------------------------------------------------

    def _connection(self, connection: str) -> str:
        """The connection string a binding's ``connection`` (empty: the host's storage) means."""
        if self._connection_string is not None:
            value = self._connection_string
        else:
            value = connection_setting_value(connection, self._settings)
        return expand_development_storage(value, self._azurite)

    def _store(self, connection: str) -> QueueStore:
        value = self._connection(connection)
        store = self._stores.get(value)
        if store is None:
            store = self._stores[value] = QueueStore(value)
        return store

    def _bind(self, info: FunctionInfo) -> BoundFunction:
        trigger_store = None
        if info.trigger_type == QUEUE_TRIGGER:
            trigger_store = self._store(info.connection or "")
        outputs = {o.name: self._store(o.connection) for o in info.outputs}
        return BoundFunction(info, trigger_store, outputs)

    def _of_type(self, trigger_type: str) -> list[BoundFunction]:
        return [b for b in self._bound.values() if b.info.trigger_type == trigger_type]

    def _notify(self, queue: str) -> None:
        # As the host's shared queue watcher: a listener whose queue was just
        # written to polls again at once instead of finishing its back-off.
        waker = self._wakers.get(queue)
        if waker is not None:
            waker.set()

    async def _ensure_queues(self) -> None:
        if self._queues_ready:
            return
        for fn in self._of_type(QUEUE_TRIGGER):
            await self._worker.io(fn.store.ensure_queue, fn.queue)
            if fn.info.poison_queue_name is not None:
                await self._worker.io(fn.store.ensure_queue, fn.info.poison_queue_name)
        self._queues_ready = True

    # -- timers ---------------------------------------------------------------

    def fire_timer(self, name: str | None = None, *, past_due: bool = False) -> InvocationOutcome:
        """Invoke a timer function now (the only one, if ``name`` is None)."""
        timers = self._of_type(TIMER_TRIGGER)
        if name is None:
            if len(timers) != 1:
                raise ConfigurationError(
                    f"name the timer function to fire: the app has {len(timers)} "
                    f"({', '.join(t.info.name for t in timers)})"
                )
            fn = timers[0]
        else:
            fn = self._bound.get(name) or _missing(name, self.functions)
            if fn.info.trigger_type != TIMER_TRIGGER:
                raise ConfigurationError(f"function {name} is not timer-triggered")
        return self._worker.run(self._fire(fn, TimerFiring(past_due=past_due)))

    async def _fire_reported(
        self, fn: BoundFunction, on_outcome: OutcomeCallback, firing: TimerFiring
    ) -> None:
        await _reported(self._fire(fn, firing), on_outcome)

    async def _fire(self, fn: BoundFunction, firing: TimerFiring) -> InvocationOutcome:
        result = await self._invoker.invoke(fn.info, firing)
        if result.succeeded:
            result = await self._processor.write_outputs(fn, result)
        outputs = {
            name: [b.decode("utf-8", errors="replace") for b in bodies]
            for name, bodies in result.outputs.items()
        }
        status = "succeeded" if result.succeeded else "failed"
        log.log(
            logging.INFO if result.succeeded else logging.WARNING,
            "invoke: %s timer -> %s%s",
            fn.info.name,
            status,
            f" ({result.error})" if result.error else "",
        )
        return InvocationOutcome(
            function=fn.info.name,
            message_id=None,
            dequeue_count=None,
            status="succeeded" if result.succeeded else "failed",
            error=result.error,
            outputs=outputs,
        )

    # -- queues, one step at a time -------------------------------------------

    def poll_once(self) -> list[InvocationOutcome]:
        """One receive (up to batchSize) and process round for every queue-triggered function."""
        return self._worker.run(self._poll_round())

    async def _poll_round(self) -> list[InvocationOutcome]:
        await self._ensure_queues()
        functions = self._of_type(QUEUE_TRIGGER)
        batches = await asyncio.gather(
            *(
                self._worker.io(
                    fn.store.receive, fn.queue, self.options.batch_size, self._lease_seconds
                )
                for fn in functions
            )
        )
        work = [
            self._processor.process(fn, message)
            for fn, batch in zip(functions, batches, strict=True)
            for message in batch
        ]
        return list(await asyncio.gather(*work))

    @property
    def _lease_seconds(self) -> float:
        return self._processor.lease_seconds

    def pending(self) -> dict[str, int]:
        """Approximate message count (visible or not) of every trigger queue."""
        return {
            fn.queue: fn.store.approximate_count(fn.queue) for fn in self._of_type(QUEUE_TRIGGER)
        }

    def drain(self, timeout: float = 30.0) -> list[InvocationOutcome]:
        """Process rounds until every trigger queue is empty, including invisible messages.

        A message released with a visibility timeout counts as pending until it
        is processed again, so with host.json's 30 s ``visibilityTimeout`` a
        failing message keeps drain() waiting: tests override it to 0. Raises
        ``DrainTimeout`` (with what is left) after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        outcomes: list[InvocationOutcome] = []
        while True:
            round_outcomes = self.poll_once()
            outcomes.extend(round_outcomes)
            if not round_outcomes:
                remaining = {q: n for q, n in self.pending().items() if n}
                if not remaining:
                    return outcomes
            else:
                remaining = {}
            if time.monotonic() >= deadline:
                remaining = remaining or {q: n for q, n in self.pending().items() if n}
                raise DrainTimeout(
                    f"queues not drained after {timeout:.0f}s: {remaining} "
                    f"({len(outcomes)} invocations so far)",
                    remaining,
                )
            if not round_outcomes:
                time.sleep(_DRAIN_RECHECK_SECONDS)

    # -- serving --------------------------------------------------------------

    def serve(self, stop_event: threading.Event, on_outcome: OutcomeCallback | None = None) -> None:
        """Listen on every trigger queue and fire timers on schedule until ``stop_event`` is set.

        Each queue is polled as the host does: after a poll that found messages
        it polls again as soon as no more than ``newBatchThreshold`` are still
        running; after an empty poll it backs off up to ``maxPollingInterval``.
        On stop, running invocations finish before this returns.
        """
        timers = self._of_type(TIMER_TRIGGER)
        parser = (self._schedule_parser or ncrontab_parser()) if timers else None
        host_id = (self._settings.get(HOST_ID_SETTING) or DEFAULT_HOST_ID).lower()
        listeners = [
            (
                fn,
                TimerListener(
                    fn.info.name,
                    parse_schedule(parser, str(fn.info.schedule), fn.info.name),
                    ListenerLock(self._connection(""), host_id, fn.info.name, self.lock_options),
                    self.lock_options,
                    self._worker,
                    self._clock,
                    run_on_startup=fn.info.run_on_startup,
                ),
            )
            for fn in timers
            if parser is not None
        ]
        self._worker.run(self._serve(stop_event, listeners, on_outcome or (lambda o: None)))

    async def _serve(
        self,
        stop_event: threading.Event,
        timers: list[tuple[BoundFunction, TimerListener]],
        on_outcome: OutcomeCallback,
    ) -> None:
        await self._ensure_queues()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def watch() -> None:
            stop_event.wait()
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch, name="local-runner-stop", daemon=True).start()
        tasks = [self._listen(fn, stop, on_outcome) for fn in self._of_type(QUEUE_TRIGGER)]
        tasks += [
            listener.run(stop, partial(self._fire_reported, fn, on_outcome))
            for fn, listener in timers
        ]
        log.info("host: serving %d listeners; set the stop event to end", len(tasks))
        try:
            await asyncio.gather(*tasks)
        finally:
            self._wakers.clear()
        log.info("host: stopped")

    async def _listen(
        self, fn: BoundFunction, stop: asyncio.Event, on_outcome: OutcomeCallback
    ) -> None:
        waker = self._wakers.setdefault(fn.queue, asyncio.Event())
        in_flight: set[asyncio.Task[None]] = set()
        delay = 0.0
        found_since_delay = False
        while not stop.is_set():
            while len(in_flight) > self.options.new_batch_threshold:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            try:
                messages = await self._worker.io(
                    fn.store.receive, fn.queue, self.options.batch_size, self._lease_seconds
                )
            except Exception:
                log.exception("listen: receiving from %s failed; backing off", fn.queue)
                messages = []
            for message in messages:
                task = asyncio.ensure_future(
                    _reported(self._processor.process(fn, message), on_outcome)
                )
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if messages:
                found_since_delay = True
                continue
            delay = next_poll_delay(delay, found_since_delay, self.options.max_polling_interval)
            found_since_delay = False
            waker.clear()
            await first_of(stop.wait(), waker.wait(), timeout=delay)
        if in_flight:
            await asyncio.wait(in_flight)

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """Stop the language worker and the loop, and close the storage clients."""
        self._invoker.close()
        self._worker.close()
        self._close_storage()

    def _close_storage(self) -> None:
        """Close the storage clients."""
        for store in self._stores.values():
            store.close()

    def __enter__(self) -> LocalHost:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _start_worker(choice: WorkerChoice, app: func.FunctionApp, worker: Worker) -> Invoker:
    """The language worker for ``app``, which has indexed it."""
    if choice == "library" or (choice == "auto" and library_worker_available()):
        return LibraryInvoker(app, worker)
    if choice not in ("auto", "in-process"):
        raise ConfigurationError(f"worker must be auto, library or in-process: {choice!r}")
    return InProcessInvoker(app, worker.loop)


def _missing(name: str, functions: Mapping[str, FunctionInfo]) -> BoundFunction:
    raise ConfigurationError(f"no function named {name!r} (have: {', '.join(functions)})")


async def _reported(
    work: Coroutine[Any, Any, InvocationOutcome], on_outcome: OutcomeCallback
) -> None:
    """Run one piece of serve() work; an error is logged, never ends the listener."""
    try:
        outcome = await work
    except Exception:
        log.exception("host: processing failed outside the function")
        return
    try:
        on_outcome(outcome)
    except Exception:
        log.exception("host: on_outcome callback failed")
