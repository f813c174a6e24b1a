"""What a reconcile run did: the plan, each entry's outcome, and the totals the logs carry.

The timer logs its ``summary()``; the command line prints it as a table or ``to_dict()`` as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.core.assignments import AssignAction, AssignmentEntry
from shared.core.model import Action, Inventory, Plan, PlanEntry


@dataclass(repr=False)
class Report:
    mode: str  # "plan" or "apply"
    plan: Plan | None = None
    inventory: Inventory | None = None
    outcomes: dict[int, str] = field(default_factory=dict)  # entry index -> outcome
    assignment_outcomes: dict[int, str] = field(default_factory=dict)  # assignment index -> it
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
    def assignments(self) -> tuple[AssignmentEntry, ...]:
        return self.plan.assignments if self.plan else ()

    def assignment_outcome(self, index: int) -> str:
        return self.assignment_outcomes.get(index, "")

    @property
    def failed(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.startswith("failed"))

    @property
    def assignments_failed(self) -> int:
        """Assignments that failed, could not be attempted, or name no single profile or ESP."""
        return sum(
            1
            for index, entry in enumerate(self.assignments)
            if entry.unresolved
            or self.assignment_outcome(index).startswith(("failed", "not attempted"))
        )

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0 and self.assignments_failed == 0

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

    def assignment_totals(self) -> dict[str, int]:
        counts: dict[str, int] = {action.value: 0 for action in AssignAction}
        for entry in self.assignments:
            counts[entry.action.value] += 1
        outcomes = self.assignment_outcomes.values()
        counts["assigned"] = sum(1 for o in outcomes if o.startswith("assigned"))
        counts["failed"] = self.assignments_failed
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
        if self.assignments:
            a = self.assignment_totals()
            text += (
                f"; assignments: {a['assign'] + a['repair']} to write ({a['assigned']} written), "
                f"{a['unchanged']} unchanged, {a['conflict']} conflicts, {a['drift']} drifted, "
                f"{a['skip']} skipped, {a['failed']} failed"
            )
        return f"{text}; ERROR: {self.error}" if self.error else text

    def to_dict(self) -> dict[str, Any]:
        document = self._groups_dict()
        if self.assignments:
            document["assignmentTotals"] = self.assignment_totals()
            document["assignments"] = [
                {
                    "action": entry.action.value,
                    "kind": entry.kind.value,
                    "name": entry.name,
                    "targetId": entry.target_id,
                    "targetName": entry.target_name,
                    "scenario": entry.scenario,
                    "groupId": entry.group_id,
                    "groupName": entry.group_name,
                    "outcome": self.assignment_outcome(index),
                    "reason": entry.reason,
                }
                for index, entry in enumerate(self.assignments)
            ]
        return document

    def _groups_dict(self) -> dict[str, Any]:
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


_STATIC_OUTCOMES = {
    Action.ADOPT: "adopted",
    Action.UNCHANGED: "unchanged",
    Action.DRIFT: "drift reported",
    Action.CONFLICT: "conflict reported",
    Action.SKIP: "skipped",
    Action.CREATE: "pending",
    Action.REPAIR: "pending",
}


_STATIC_ASSIGNMENT_OUTCOMES = {
    AssignAction.ASSIGN: "pending",
    AssignAction.REPAIR: "pending",
    AssignAction.UNCHANGED: "unchanged",
    AssignAction.CONFLICT: "conflict reported",
    AssignAction.DRIFT: "drift reported",
    AssignAction.SKIP: "skipped",
}


def record_static_outcomes(report: Report) -> None:
    """What entries that write nothing end as; writes are pending until applied."""
    for index, entry in enumerate(report.entries):
        report.outcomes[index] = _STATIC_OUTCOMES[entry.action]
    for index, assignment in enumerate(report.assignments):
        report.assignment_outcomes[index] = _STATIC_ASSIGNMENT_OUTCOMES[assignment.action]
