"""A request's answer, read off the plan entry for its value and what applying it did.

The planner decides; this only translates the decision into the result a ticketing system gets
(``schemas/result-v1.schema.json``). Every planner outcome has exactly one status:

    entry                             applied     status     what the ticket is told
    skip (unsafe value)               -           rejected   the value's field and why
    skip (unknown scenario)           -           rejected   the known scenarios
    conflict                          -           rejected   the group and its scenario
    adopt                             -           exists     the hand-made group, used as is
    unchanged                         -           exists     the group
    drift (DRIFT_POLICY=report)       -           exists     each difference, as a warning
    repair                            repaired    updated    each difference put back
    create                            created     created    the group Graph returned
    create                            exists      exists     Graph kept it (204) but shows it not

The group's profile and ESP assignments, when its scenario names them, are planned and applied
before the answer, and reported beside it (``assignments``), one status each:

    assignment entry    outcome of the write            status
    skip                -                               skipped
    conflict            -                               conflict
    drift               -                               drift
    unchanged           -                               unchanged
    assign / repair     assigned                        assigned / repaired
    assign / repair     already assigned                unchanged
    assign / repair     failed, not attempted           failed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.core.assignments import AssignAction, AssignmentEntry
from shared.core.model import Action, GroupSnapshot, PlanEntry, Refusal
from shared.core.planner import NOT_WRITTEN
from shared.core.requests import FieldError, group_view

NOT_SHOWN_YET = "the group exists, but Graph did not show it yet: its id is unknown"


@dataclass(frozen=True)
class Answer:
    status: str
    group: dict[str, Any] | None = None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assignments: dict[str, Any] | None = None  # the result's "assignments", when planned


def answer_for(
    entry: PlanEntry, applied: str = "", created: GroupSnapshot | None = None, *, value_field: str
) -> Answer:
    """The answer for ``entry`` after the apply: ``applied`` is what the write did (created,
    exists, repaired; empty when the entry writes nothing), ``created`` what Graph returned."""
    action, group = entry.action, entry.group
    if action is Action.SKIP:
        if entry.refusal is Refusal.UNSAFE_VALUE:
            return Answer("rejected", errors=[FieldError(value_field, _detail(entry.reason))])
        return Answer("rejected", errors=[FieldError("scenario", entry.reason)])
    if action is Action.CONFLICT:
        return Answer("rejected", group_view(group), errors=[FieldError("scenario", entry.reason)])
    if action is Action.ADOPT:
        return Answer("exists", group_view(group), warnings=[f"{entry.reason}; it is used as is"])
    if action is Action.UNCHANGED:
        return Answer("exists", group_view(group))
    if action is Action.DRIFT:
        warnings = [f"drift: {problem} (DRIFT_POLICY=report)" for problem in entry.problems]
        return Answer("exists", group_view(group), warnings=warnings)
    if action is Action.REPAIR and applied == "repaired":
        assert group is not None and entry.spec is not None
        repaired = replace(group, membership_rule=entry.spec.membership_rule, processing_state="On")
        warnings = [f"repaired: {problem}" for problem in entry.problems]
        return Answer("updated", group_view(repaired), warnings=warnings)
    if action is Action.CREATE and applied == "created":
        return Answer("created", group_view(created, entry.spec))
    if action is Action.CREATE and applied == "exists":
        return Answer("exists", group_view(None, entry.spec), warnings=[NOT_SHOWN_YET])
    raise ValueError(f"no answer for a {action} entry that was {applied or 'not applied'}")


def assignments_view(
    assignments: Sequence[tuple[AssignmentEntry, str]],
) -> dict[str, Any] | None:
    """The result's ``assignments``: each planned assignment with what became of it."""
    if not assignments:
        return None
    return {entry.kind.value: _assignment(entry, outcome) for entry, outcome in assignments}


_PLANNED_STATUS = {
    AssignAction.SKIP: "skipped",
    AssignAction.CONFLICT: "conflict",
    AssignAction.DRIFT: "drift",
    AssignAction.UNCHANGED: "unchanged",
}


def _assignment(entry: AssignmentEntry, outcome: str) -> dict[str, Any]:
    status = _PLANNED_STATUS.get(entry.action)
    message = entry.reason
    if status is None:  # an assign or a repair: what the write did
        if outcome.startswith("assigned"):
            status = "repaired" if entry.action is AssignAction.REPAIR else "assigned"
        elif outcome.startswith("already assigned"):
            status = "unchanged"
        else:
            status = "failed"
        message = "; ".join(part for part in (entry.reason, outcome) if part)
    return {
        "name": entry.name,
        "id": entry.target_id,
        "displayName": entry.target_name or None,
        "status": status,
        "message": message,
    }


def _detail(reason: str) -> str:
    return reason.removeprefix(NOT_WRITTEN)
