"""One reconcile run: observe Graph, plan, and (unless only planning) apply, then report.

The timer function and ``python -m shared plan|apply`` both call ``run_reconcile``; it returns a
``Report`` and raises only for settings. Graph failures are recorded in the report, entry by
entry, so one failing group never hides the others, and a missing permission stops the run with
the permission named.
"""

from __future__ import annotations

import datetime as dt
import logging

from shared.config.settings import Settings
from shared.core.errors import GraphError, TransientError, UnsafePlanError
from shared.core.planner import plan as make_plan
from shared.graph.gateway import GraphGateway
from shared.shell.apply import apply_groups
from shared.shell.apply_assignments import apply_assignments
from shared.shell.memory import QueryForms
from shared.shell.observe import observe_deleted, observe_tenant
from shared.shell.observe_intune import observe_intune
from shared.shell.observe_preparation import observe_preparation
from shared.shell.report import Report
from shared.shell.run_log import log_run
from shared.storage.ledger import Ledger, ledger_for

log = logging.getLogger(__name__)


async def run_reconcile(
    settings: Settings,
    *,
    apply: bool,
    force: bool = False,
    gateway: GraphGateway | None = None,
    ledger: Ledger | None = None,
    query_forms: QueryForms | None = None,
) -> Report:
    """Observe, plan and, when ``apply``, write. Never raises for Graph or storage failures.

    ``query_forms`` is what the process learnt about Graph's query forms (the timer's is kept
    for the life of the process); without it, this run starts from the combined group query and
    the expanded profile list.
    """
    report = Report(mode="apply" if apply else "plan", started=_now())
    own_gateway = gateway is None
    graph = gateway or GraphGateway.from_settings(settings)
    start = graph.requests_sent
    try:
        await _run(report, settings, graph, ledger or ledger_for(settings), query_forms, force)
    except (GraphError, TransientError) as error:
        report.error, report.stopped_by = str(error), error
    finally:
        report.graph_requests = graph.requests_sent - start
        report.ended = _now()
        if own_gateway:
            await graph.close()
    log_run(log, report)
    return report


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


async def _run(
    report: Report,
    settings: Settings,
    graph: GraphGateway,
    ledger: Ledger | None,
    query_forms: QueryForms | None,
    force: bool,
) -> None:
    """Observe, plan, and apply unless only planning, filling in ``report`` as it goes."""
    now = dt.datetime.now(dt.UTC)
    catalogue, forms = settings.catalogue, query_forms or QueryForms()
    intune_reads = (
        observe_intune(graph, ledger, catalogue, now, forms=forms)
        if catalogue.has_targets
        else None
    )
    report.inventory, groups, intune = await observe_tenant(
        graph, settings.purchase_order_groups, forms, intune_reads
    )
    report.groups_observed = len(groups)
    if intune is not None and catalogue.prepares:
        intune = await observe_preparation(graph, intune, groups)
    plan = report.plan = make_plan(report.inventory, groups, settings.wanted(), intune)
    if plan.creates:  # a group to create may be in the recycle bin, holding its key
        deleted = await observe_deleted(graph)
        if deleted:
            plan = report.plan = make_plan(
                report.inventory, groups, settings.wanted(), intune, deleted
            )
    try:
        plan.raise_if_unsafe(force, settings.approve_plan)
    except UnsafePlanError as unsafe:
        report.plan, report.unsafe, report.error = plan.refused(), True, str(unsafe)
        return
    report.approved = plan.approved(settings.approve_plan) and not force
    if report.approved:
        log.warning(
            "reconcile: the plan creates %d groups, over MAX_NEW_GROUPS_PER_RUN=%d, and is let "
            "through by APPROVE_PLAN=%s, its own digest",
            plan.creates,
            plan.max_new_groups,
            plan.digest,
        )
    if report.mode != "apply":
        return
    groups_applied = await apply_groups(plan.entries, graph)
    report.plan = plan.settled(groups_applied.entries)
    if groups_applied.denied is not None:
        report.error = str(groups_applied.denied)
    elif intune is not None and plan.assignments:
        assigned = await apply_assignments(
            plan.assignments, groups_applied.entries, graph, ledger, intune, now
        )
        report.plan = report.plan.settled(assignments=assigned.entries)
        if assigned.denied is not None:
            report.error = str(assigned.denied)
