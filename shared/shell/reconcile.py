"""One reconcile run: observe Graph, plan, and (unless only planning) apply.

The timer function and ``python -m shared plan|apply`` both call ``run_reconcile``; it returns a
``Report`` and raises only for settings. Graph failures are recorded in the report, entry by
entry, so one failing group never hides the others, and a missing permission stops the run with
the permission named.
"""

from __future__ import annotations

import logging

from shared.config.settings import Settings
from shared.core.errors import GraphError
from shared.core.model import WRITES
from shared.core.planner import Wanted
from shared.core.planner import plan as make_plan
from shared.graph.gateway import GraphGateway
from shared.shell.apply import apply_plan
from shared.shell.memory import GroupQuery
from shared.shell.observe import observe_tenant
from shared.shell.report import Report, record_static_outcomes

log = logging.getLogger(__name__)


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
    group_query: GroupQuery | None = None,
) -> Report:
    """Observe, plan and, when ``apply``, write. Never raises for Graph failures.

    ``group_query`` is what the process learnt about Graph's group query (the timer's is kept
    for the life of the process); without it, this run starts from the combined query.
    """
    report = Report(mode="apply" if apply else "plan")
    own_gateway = gateway is None
    graph = gateway or GraphGateway.from_settings(settings)
    start = graph.requests_sent
    try:
        report.inventory, groups = await observe_tenant(
            graph, settings.purchase_order_groups, group_query or GroupQuery()
        )
        report.groups_observed = len(groups)
        report.plan = make_plan(report.inventory, groups, wanted_from(settings))
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
        elif apply:
            applied = await apply_plan(report.entries, graph)
            report.outcomes.update({i: done.text for i, done in applied.outcomes.items()})
            if applied.denied is not None:
                report.error = str(applied.denied)
    except GraphError as error:
        report.error = str(error)
    finally:
        report.graph_requests = graph.requests_sent - start
        if own_gateway:
            await graph.close()
    (log.info if report.ok else log.error)("reconcile: %s", report.summary())
    return report
