"""One reconcile run: observe Graph, plan, and (unless only planning) apply.

The timer function and ``python -m shared plan|apply`` both call ``run_reconcile``; it returns a
``Report`` and raises only for settings. Graph failures are recorded in the report, entry by
entry, so one failing group never hides the others, and a missing permission stops the run with
the permission named.
"""

from __future__ import annotations

import datetime as dt
import logging

from shared.config.settings import Settings
from shared.core.assignments import ASSIGN_WRITES
from shared.core.errors import GraphError, TransientError
from shared.core.model import WRITES
from shared.core.planner import Wanted
from shared.core.planner import plan as make_plan
from shared.graph.gateway import GraphGateway
from shared.shell.apply import apply_plan
from shared.shell.assign import apply_assignments, observe_intune
from shared.shell.memory import GroupQuery
from shared.shell.observe import observe_tenant
from shared.shell.report import Report, record_static_outcomes
from shared.storage.ledger import Ledger

log = logging.getLogger(__name__)


def ledger_for(settings: Settings) -> Ledger | None:
    """The assignment ledger and locks, when a scenario assigns and storage is configured."""
    if not settings.catalogue.assigns or settings.storage is None:
        return None
    return Ledger(settings.storage)


def wanted_from(settings: Settings) -> Wanted:
    return Wanted(
        catalogue=settings.catalogue,
        all_devices_group=settings.all_devices_group,
        purchase_order_groups=settings.purchase_order_groups,
        drift_policy=settings.drift_policy,
        max_new_groups=settings.max_new_groups_per_run,
    )


async def run_reconcile(
    settings: Settings,
    *,
    apply: bool,
    force: bool = False,
    gateway: GraphGateway | None = None,
    ledger: Ledger | None = None,
    group_query: GroupQuery | None = None,
) -> Report:
    """Observe, plan and, when ``apply``, write. Never raises for Graph or storage failures.

    ``group_query`` is what the process learnt about Graph's group query (the timer's is kept
    for the life of the process); without it, this run starts from the combined query.
    """
    report = Report(mode="apply" if apply else "plan")
    own_gateway = gateway is None
    graph = gateway or GraphGateway.from_settings(settings)
    ledger = ledger or ledger_for(settings)
    start = graph.requests_sent
    now = dt.datetime.now(dt.UTC)
    try:
        catalogue = settings.catalogue
        intune_reads = observe_intune(graph, ledger, catalogue, now) if catalogue.assigns else None
        report.inventory, groups, intune = await observe_tenant(
            graph, settings.purchase_order_groups, group_query or GroupQuery(), intune_reads
        )
        report.groups_observed = len(groups)
        report.plan = make_plan(report.inventory, groups, wanted_from(settings), intune)
        record_static_outcomes(report)
        if report.plan.unsafe and not force:
            report.unsafe = True
            report.error = (
                f"unsafe plan: it creates {report.plan.creates} groups, more than "
                f"MAX_NEW_GROUPS_PER_RUN={settings.max_new_groups_per_run}; nothing was applied "
                "(check the group tags, raise the limit, or apply with --force)"
            )
            for index, entry in enumerate(report.entries):
                if entry.action in WRITES:
                    report.outcomes[index] = "refused (unsafe plan)"
            for index, assignment in enumerate(report.assignments):
                if assignment.action in ASSIGN_WRITES:
                    report.assignment_outcomes[index] = "refused (unsafe plan)"
        elif apply:
            applied = await apply_plan(report.entries, graph)
            report.outcomes.update({i: done.text for i, done in applied.outcomes.items()})
            if applied.denied is not None:
                report.error = str(applied.denied)
            elif intune is not None and report.assignments:
                assigned = await apply_assignments(
                    report.assignments, applied.outcomes, graph, ledger, intune, now
                )
                report.assignment_outcomes.update(assigned.outcomes)
                if assigned.denied is not None:
                    report.error = str(assigned.denied)
    except (GraphError, TransientError) as error:
        report.error = str(error)
    finally:
        report.graph_requests = graph.requests_sent - start
        if own_gateway:
            await graph.close()
    (log.info if report.ok else log.error)("reconcile: %s", report.summary())
    return report
