"""One reconcile run: observe Graph, plan, and (unless only planning) apply.

This is the imperative shell around the pure planner. The timer function and ``python -m shared
plan|apply`` both call ``run_reconcile``; it returns a ``Report`` and raises only for settings.
Graph failures are recorded in the report, entry by entry, so one failing group never hides the
others, and a missing permission stops the run with the permission named.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from shared.errors import GraphError, PermissionDeniedError, TransientGraphError
from shared.graph import GraphGateway
from shared.model import WRITES, Action, GroupSnapshot, Inventory, Plan, PlanEntry
from shared.naming import NICKNAME_PREFIX, fold
from shared.planner import Wanted
from shared.planner import plan as make_plan
from shared.settings import Settings

log = logging.getLogger(__name__)

# One query finds every group the planner must see: dynamic groups (hand-made ones to adopt and
# managed ones) and managed groups someone turned static (drift), found by their nickname prefix.
GROUP_FILTER = (
    f"groupTypes/any(c:c eq 'DynamicMembership') or startswith(mailNickname,'{NICKNAME_PREFIX}')"
)
WRITE_CONCURRENCY = 4


@dataclass(repr=False)
class Report:
    mode: str  # "plan" or "apply"
    plan: Plan | None = None
    inventory: Inventory | None = None
    outcomes: dict[int, str] = field(default_factory=dict)  # entry index -> outcome
    error: str | None = None
    unsafe: bool = False
    groups_observed: int = 0
    graph_requests: int = 0

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run formats the main task's result while it restores the
        # SIGINT handler, and a dataclass repr of 2,000 plan entries showed in the profile.
        return f"<Report {self.mode}: {len(self.entries)} entries, ok={self.ok}>"

    @property
    def entries(self) -> tuple[PlanEntry, ...]:
        return self.plan.entries if self.plan else ()

    def outcome(self, index: int) -> str:
        return self.outcomes.get(index, "")

    @property
    def failed(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.startswith("failed"))

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    def totals(self) -> dict[str, int]:
        counts: dict[str, int] = {action.value: 0 for action in Action}
        for entry in self.entries:
            counts[entry.action.value] += 1
        outcome_names = ("created", "exists", "repaired", "failed")
        for name in outcome_names:
            counts[name] = sum(1 for o in self.outcomes.values() if o.split(":")[0] == name)
        inventory = self.inventory or Inventory()
        counts.update(
            devices=inventory.devices,
            untaggedDevices=inventory.untagged,
            distinctTags=len(inventory.tags),
            devicePages=inventory.pages,
            groupsObserved=self.groups_observed,
            graphRequests=self.graph_requests,
        )
        return counts

    def summary(self) -> str:
        t = self.totals()
        text = (
            f"{self.mode}: {t['devices']} devices, {t['distinctTags']} tags, "
            f"{len(self.entries)} groups planned: {t['create']} to create "
            f"({t['created']} created, {t['exists']} already there), {t['adopt']} adopted, "
            f"{t['repair']} to repair ({t['repaired']} repaired), {t['drift']} drifted, "
            f"{t['unchanged']} unchanged, {t['skip']} skipped, {t['failed']} failed; "
            f"{t['graphRequests']} Graph requests"
        )
        return f"{text}; ERROR: {self.error}" if self.error else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "ok": self.ok,
            "error": self.error,
            "unsafe": self.unsafe,
            "totals": self.totals(),
            "entries": [
                {
                    "action": entry.action.value,
                    "kind": entry.kind.value,
                    "value": entry.value,
                    "scenario": entry.scenario,
                    "displayName": entry.display_name,
                    "uniqueName": entry.unique_name,
                    "membershipRule": entry.membership_rule,
                    "groupId": entry.group_id,
                    "devices": entry.devices,
                    "outcome": self.outcome(index),
                    "reason": entry.reason,
                }
                for index, entry in enumerate(self.entries)
            ],
        }


def wanted_from(settings: Settings) -> Wanted:
    return Wanted(
        catalogue=settings.catalogue,
        all_devices_group=settings.all_devices_group,
        purchase_order_groups=settings.purchase_order_groups,
        drift_policy=settings.drift_policy,
        max_new_groups=settings.max_new_groups_per_run,
    )


async def observe_devices(gateway: GraphGateway, purchase_orders: bool) -> Inventory:
    """Distinct tags (and purchase order ids), holding one page of devices at a time.

    Devices are counted by value exactly as spelled, and each distinct spelling is folded once at
    the end, in the order first seen (so the first spelling still names the group): 100,000
    devices carry a few thousand spellings, and folding per device was most of the CPU time.
    """
    inventory = Inventory()
    tags: dict[str, int] = {}
    orders: dict[str, int] = {}
    async for page in gateway.device_pages():
        inventory.pages += 1
        inventory.devices += len(page)
        for device in page:
            tag = device.get("groupTag") or ""
            tags[tag] = tags.get(tag, 0) + 1
            if purchase_orders:
                order = device.get("purchaseOrderIdentifier") or ""
                orders[order] = orders.get(order, 0) + 1
    for tag, count in tags.items():
        if tag.strip():
            _count(inventory.tags, inventory.tag_devices, tag, count)
        else:
            inventory.untagged += count
    for order, count in orders.items():
        if order.strip():
            _count(inventory.purchase_orders, inventory.purchase_order_devices, order, count)
    return inventory


def _count(first_spellings: dict[str, str], counts: dict[str, int], value: str, n: int) -> None:
    key = fold(value)
    first_spellings.setdefault(key, value)
    counts[key] = counts.get(key, 0) + n


async def observe_groups(gateway: GraphGateway) -> list[GroupSnapshot]:
    groups: list[GroupSnapshot] = []
    async for page in gateway.group_pages(GROUP_FILTER):
        groups.extend(GroupSnapshot.from_graph(item) for item in page)
    return groups


async def run_reconcile(
    settings: Settings,
    *,
    apply: bool,
    force: bool = False,
    gateway: GraphGateway | None = None,
) -> Report:
    """Observe, plan and, when ``apply``, write. Never raises for Graph failures."""
    report = Report(mode="apply" if apply else "plan")
    own_gateway = gateway is None
    graph = gateway or GraphGateway.from_settings(settings)
    start = graph.requests_sent
    try:
        report.inventory = await observe_devices(graph, settings.purchase_order_groups)
        groups = await observe_groups(graph)
        report.groups_observed = len(groups)
        report.plan = make_plan(report.inventory, groups, wanted_from(settings))
        _record_static_outcomes(report)
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
            await _apply(report, graph)
    except GraphError as error:
        report.error = str(error)
    finally:
        report.graph_requests = graph.requests_sent - start
        if own_gateway:
            await graph.close()
    (log.info if report.ok else log.error)("reconcile: %s", report.summary())
    return report


_STATIC_OUTCOMES = {
    Action.ADOPT: "adopted",
    Action.UNCHANGED: "unchanged",
    Action.DRIFT: "drift reported",
    Action.SKIP: "skipped",
    Action.CREATE: "pending",
    Action.REPAIR: "pending",
}


def _record_static_outcomes(report: Report) -> None:
    for index, entry in enumerate(report.entries):
        report.outcomes[index] = _STATIC_OUTCOMES[entry.action]


async def _apply(report: Report, graph: GraphGateway) -> None:
    """Write every create and repair with a few workers; a 403 stops the rest.

    A fixed set of workers takes the writes one by one, so a first run with thousands of groups
    holds a few requests in flight, not a coroutine per write.
    """
    pending = iter([(i, e) for i, e in enumerate(report.entries) if e.action in WRITES])
    denied: list[PermissionDeniedError] = []

    async def worker() -> None:
        for index, entry in pending:
            if denied:
                report.outcomes[index] = "not attempted (permission missing)"
                continue
            try:
                report.outcomes[index] = await _write(entry, graph)
            except PermissionDeniedError as error:
                denied.append(error)
                report.outcomes[index] = f"failed: {error}"
            except GraphError as error:
                kind = "transient" if isinstance(error, TransientGraphError) else "permanent"
                report.outcomes[index] = f"failed: {error} ({kind})"
                log.warning("apply: %s %s failed: %s", entry.action, entry.unique_name, error)

    await asyncio.gather(*(worker() for _ in range(WRITE_CONCURRENCY)))
    if denied:
        report.error = str(denied[0])


async def _write(entry: PlanEntry, graph: GraphGateway) -> str:
    if entry.action is Action.CREATE:
        assert entry.spec is not None
        result = await graph.upsert_group(entry.spec)
        log.info(
            "apply: %s %s (%s)",
            "created" if result.created else "found existing",
            entry.unique_name,
            entry.display_name,
        )
        return "created" if result.created else "exists"
    assert entry.group_id is not None and entry.repair is not None
    await graph.update_group(entry.group_id, entry.repair)
    log.info("apply: repaired %s (%s): %s", entry.unique_name, entry.display_name, entry.reason)
    return "repaired"
