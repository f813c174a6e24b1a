"""The composition root: settings read once, and the objects the functions share.

``function_app.py`` imports ``runtime`` at start, so a bad setting stops the app at start with the
setting named. Graph clients are made per event loop (an HTTP client belongs to the loop it was
made on) and reused across invocations, as the Functions worker runs every async function on one
loop.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from shared import __version__
from shared.config.hostconfig import QueueHostSettings, load_queue_settings
from shared.config.settings import Settings
from shared.config.typos import near_misses
from shared.core.errors import AppError
from shared.graph.gateway import GraphGateway
from shared.shell.memory import HandmadeGroups, QueryForms, RecentlyCreated
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from shared.shell.request_handler import Delivery, RequestContext, handle_message
from shared.storage.ledger import ledger_for
from shared.storage.queues import queue_client, send_text_async
from shared.storage.reports import REPORT_CONTAINER, ReportStore

log = logging.getLogger(__name__)


class ReconcileFailed(AppError):
    """A timer run did not finish cleanly; the report's summary says why."""


@dataclass
class LoopState:
    """What invocations on one event loop share: the Graph client and the request caches."""

    gateway: GraphGateway
    handmade: HandmadeGroups = field(default_factory=HandmadeGroups)
    recent: RecentlyCreated = field(default_factory=RecentlyCreated)


class Runtime:
    def __init__(self, settings: Settings, host: QueueHostSettings | None = None) -> None:
        self.settings = settings
        self.host = host or load_queue_settings()
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopState] = (
            weakref.WeakKeyDictionary()
        )
        self.last_report: Report | None = None  # the latest timer run's, for local tooling
        self.ledger = ledger_for(settings)  # the assignments' lock and history, when needed
        self.reports = ReportStore(settings.storage) if settings.storage else None
        # What Graph's group query taught this process, for its life: the timer and requests.
        self.query_forms = QueryForms()
        # The result queue's client for a failed answer on a message's last delivery: made on the
        # first request and kept, since a client per request cost a pipeline (and, for an
        # identity-based connection, a credential) on every message, though few ever fail.
        self._send_failed: Callable[[str], Awaitable[str]] | None = None

    def _shared(self) -> LoopState:
        loop = asyncio.get_running_loop()
        if loop not in self._per_loop:
            self._per_loop[loop] = LoopState(GraphGateway.from_settings(self.settings))
        return self._per_loop[loop]

    async def reconcile(self, *, past_due: bool = False) -> Report:
        """The timer's job: one run, in RUN_MODE (plan writes nothing), its report stored. Raises
        if anything failed, so the invocation shows failed."""
        if past_due:
            log.info("reconcile: the timer is past due; running now")
        gateway = self._shared().gateway  # one Graph client for every run on this event loop
        report = await run_reconcile(
            self.settings,
            apply=self.settings.applies,
            gateway=gateway,
            ledger=self.ledger,
            query_forms=self.query_forms,
        )
        self.last_report = report
        await self._store(report)
        if not report.ok:
            raise ReconcileFailed(report.summary())
        return report

    async def handle_request(
        self, body: bytes, message_id: str | None, dequeue_count: int | None
    ) -> str:
        shared = self._shared()
        if self._send_failed is None:
            results = queue_client(
                self.settings.storage,
                self.settings.result_queue,
                encoding=self.host.message_encoding,
            )
            self._send_failed = partial(send_text_async, results)
        context = RequestContext(
            wanted=self.settings.wanted(),
            gateway=shared.gateway,
            handmade=shared.handmade,
            send_failed=self._send_failed,
            recent=shared.recent,
            ledger=self.ledger,
            query_forms=self.query_forms,
            applies=self.settings.applies,
        )
        delivery = Delivery(
            message_id, dequeue_count or 1, self.host.max_dequeue_count, self.settings.poison_queue
        )
        return await handle_message(body, delivery, context)

    async def _store(self, report: Report) -> None:
        """Keep the run's report in the host's storage (the last 100); a failure is logged and
        does not change the run's outcome."""
        if self.reports is None:
            log.warning("reconcile: the run's report is not stored: AzureWebJobsStorage is not set")
            return
        try:
            name = await self.reports.save(report.to_dict())
        except AppError as error:
            log.error("reconcile: the run's report could not be stored: %s", error)
        else:
            log.info("reconcile: report stored as %s in %s", name, REPORT_CONTAINER)


def load_runtime() -> Runtime:
    for name, likely in near_misses():
        log.warning("settings: %s is not a setting the app reads; did you mean %s?", name, likely)
    runtime = Runtime(Settings.from_env())
    log.info(
        "autopilot-groups %s started in %s mode (RUN_MODE)", __version__, runtime.settings.run_mode
    )
    return runtime
