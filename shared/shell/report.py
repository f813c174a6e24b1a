"""What a reconcile run did: its plan, each entry settled with its outcome, and the totals.

The timer logs its ``summary()``; the command line prints it as a table or ``to_dict()`` as JSON.
Counts and ``ok`` read the outcomes' values; the words come from ``core.wording``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from shared import __version__
from shared.core.errors import AppError
from shared.core.model import Inventory
from shared.core.plan import Action, AssignAction, AssignmentEntry, Done, Plan, PlanEntry
from shared.core.wording import assignment_outcome, entry_outcome, entry_reason

_COUNTED = (Done.CREATED, Done.EXISTS, Done.REPAIRED, Done.RESTORED, Done.FAILED)


@dataclass(repr=False)
class Report:
    mode: str  # "plan" or "apply"
    plan: Plan | None = None  # after an apply, every write settled with its outcome
    inventory: Inventory | None = None
    error: str | None = None
    stopped_by: AppError | None = None  # the error that stopped the run, if one did
    unsafe: bool = False
    approved: bool = False  # an unsafe plan let through by APPROVE_PLAN (its own digest)
    groups_observed: int = 0
    graph_requests: int = 0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started: str = ""  # ISO 8601, UTC
    ended: str = ""

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run formats the main task's result while it restores the
        # SIGINT handler, and a dataclass repr of 2,000 plan entries showed in the profile.
        return f"<Report {self.mode}: {len(self.entries)} entries, ok={self.ok}>"

    @property
    def entries(self) -> tuple[PlanEntry, ...]:
        return self.plan.entries if self.plan else ()

    @property
    def assignments(self) -> tuple[AssignmentEntry, ...]:
        return self.plan.assignments if self.plan else ()

    def _done(self, done: Done) -> int:
        return sum(1 for e in self.entries if e.outcome is not None and e.outcome.done is done)

    @property
    def failed(self) -> int:
        return self._done(Done.FAILED)

    @property
    def assignments_failed(self) -> int:
        """Assignments that failed, could not be attempted, or name no single profile or ESP."""
        return sum(1 for entry in self.assignments if entry.failed)

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0 and self.assignments_failed == 0

    @property
    def outcome(self) -> str:
        """ok, failed or unsafe: what the run's summary log line says first."""
        return "unsafe" if self.unsafe else "ok" if self.ok else "failed"

    @property
    def digest(self) -> str | None:
        return self.plan.digest if self.plan else None

    def totals(self) -> dict[str, int]:
        counts: dict[str, int] = {action.value: 0 for action in Action}
        for entry in self.entries:
            counts[entry.action.value] += 1
        for done in _COUNTED:
            counts[done.value] = self._done(done)
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
        counts["assigned"] = sum(
            1 for e in self.assignments if e.outcome is not None and e.outcome.done is Done.ASSIGNED
        )
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
        if t["restore"] or t["deleted"]:  # managed groups someone deleted (the recycle bin)
            text += (
                f"; deleted groups: {t['restore']} to restore ({t['restored']} restored), "
                f"{t['deleted']} reported"
            )
        if self.assignments:
            a = self.assignment_totals()
            text += (
                f"; assignments: {a['assign'] + a['repair']} to write ({a['assigned']} written), "
                f"{a['unchanged']} unchanged, {a['pending']} pending, {a['conflict']} conflicts, "
                f"{a['drift']} drifted, "
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
                    "outcome": assignment_outcome(entry),
                    "reason": entry.reason,
                }
                for entry in self.assignments
            ]
        return document

    def _groups_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "app": __version__,
            "runId": self.run_id,
            "startedAt": self.started or None,
            "endedAt": self.ended or None,
            "mode": self.mode,
            "ok": self.ok,
            "error": self.error,
            "unsafe": self.unsafe,
            "digest": self.digest,
            "approved": self.approved,
            "summary": self.summary(),
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
                    "outcome": entry_outcome(entry),
                    "reason": entry_reason(entry),
                }
                for entry in self.entries
            ],
        }
