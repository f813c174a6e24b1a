"""A request's answer: its plan entry and the entry's outcome, turned into a version 1 result.

The planner decides and the apply settles each write with an ``Outcome``; this only translates
that into the result a ticketing system gets (``schemas/result-v1.schema.json``). Every planner
outcome has exactly one status:

    entry                             outcome     status     what the ticket is told
    skip (unsafe value)               -           rejected   the value's field and why
    skip (unknown scenario)           -           rejected   the known scenarios
    conflict                          -           rejected   the group and its scenario
    adopt                             -           exists     the hand-made group, used as is
    unchanged                         -           exists     the group
    drift (DRIFT_POLICY=report)       -           exists     each difference, as a warning
    repair                            repaired    updated    each difference put back
    restore (in the recycle bin)      restored    updated    that it was deleted and is back
    deleted (DELETED_GROUP_POLICY=    -           failed     the group, and how to restore it
             report)
    create                            created     created    the group Graph returned
    create                            exists      exists     Graph kept it (204) but shows it not
    create, repair, restore           (plan mode) planned    what would be done; nothing written

The group's profile and ESP assignments, when its scenario names them, are planned and applied
before the answer, and reported beside it (``assignments``), one status each:

    assignment entry    outcome of the write            status
    skip                -                               skipped
    conflict            -                               conflict
    drift               -                               drift
    unchanged           -                               unchanged
    pending             -                               pending (written, not shown yet)
    assign / repair     assigned                        assigned / repaired
    assign / repair     already assigned                unchanged
    assign / repair     deferred (Graph does not show   deferred (the next timer run
                        the group or its owner yet)     writes it)
    assign / repair     any other, or none              failed
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.core.model import GroupSnapshot, GroupSpec, Kind
from shared.core.plan import Action, AssignAction, AssignmentEntry, Done, PlanEntry, Refusal
from shared.core.request_schema import FieldError, ScenarioRequest
from shared.core.wording import outcome_text

STATUSES = ("created", "exists", "updated", "planned", "rejected", "failed")
PLAN_MODE = "RUN_MODE=plan: nothing was written"
_VERBS = {Action.CREATE: "create", Action.REPAIR: "repair", Action.RESTORE: "restore"}
NOT_SHOWN_YET = "the group exists, but Graph did not show it yet: its id is unknown"


@dataclass(frozen=True)
class Answer:
    status: str
    group: dict[str, Any] | None = None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assignments: dict[str, Any] | None = None  # the result's "assignments", when planned


def answer_for(entry: PlanEntry, *, value_field: str) -> Answer:
    """The answer for ``entry``, settled by its write when it had one."""
    action, group, done = entry.action, entry.group, entry.outcome and entry.outcome.done
    if action is Action.SKIP:
        if entry.refusal is Refusal.UNSAFE_VALUE:
            return Answer("rejected", errors=[FieldError(value_field, entry.reason)])
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
    if action is Action.REPAIR and done is Done.REPAIRED:
        assert group is not None and entry.spec is not None
        repaired = replace(group, membership_rule=entry.spec.membership_rule, processing_state="On")
        warnings = [f"repaired: {problem}" for problem in entry.problems]
        return Answer("updated", group_view(repaired), warnings=warnings)
    if action is Action.DELETED:
        return Answer("failed", group_view(group), errors=[FieldError(None, entry.reason)])
    if action is Action.RESTORE and done is Done.RESTORED:
        restored = entry.outcome.group if entry.outcome and entry.outcome.group else group
        return Answer("updated", group_view(restored), warnings=[f"restored: {entry.reason}"])
    if action is Action.CREATE and done is Done.CREATED:
        created = entry.outcome.group if entry.outcome else None
        return Answer("created", group_view(created, entry.spec))
    if action is Action.CREATE and done is Done.EXISTS:
        return Answer("exists", group_view(None, entry.spec), warnings=[NOT_SHOWN_YET])
    raise ValueError(f"no answer for a {action} entry that was {done or 'not applied'}")


def planned(entry: PlanEntry, *, value_field: str) -> Answer:
    """The answer in plan mode: what would have been done, with nothing written. An entry that
    writes nothing is answered as in apply mode."""
    if not entry.writes:
        return answer_for(entry, value_field=value_field)
    verb, name = _VERBS[entry.action], entry.display_name
    said = f"{PLAN_MODE}; in apply mode this request would {verb} the group {name!r}"
    return Answer(
        "planned", group_view(entry.group, entry.spec), warnings=[f"{said}: {entry.reason}"]
    )


def assignments_view(
    assignments: Sequence[AssignmentEntry], *, plan_mode: bool = False
) -> dict[str, Any] | None:
    """The result's ``assignments``: each planned assignment with what became of it (in plan
    mode, a write is ``planned``)."""
    if not assignments:
        return None
    return {entry.kind.value: _assignment(entry, plan_mode) for entry in assignments}


_PLANNED_STATUS = {
    AssignAction.SKIP: "skipped",
    AssignAction.CONFLICT: "conflict",
    AssignAction.DRIFT: "drift",
    AssignAction.UNCHANGED: "unchanged",
    AssignAction.PENDING: "pending",
}


def _assignment(entry: AssignmentEntry, plan_mode: bool) -> dict[str, Any]:
    status = _PLANNED_STATUS.get(entry.action)
    message = entry.reason
    if status is None and plan_mode and entry.outcome is None:
        status, message = "planned", f"{PLAN_MODE}; {entry.reason}"
    if status is None:  # an assign or a repair: what the write did
        done = entry.outcome.done if entry.outcome else None
        if done is Done.ASSIGNED:
            status = "repaired" if entry.action is AssignAction.REPAIR else "assigned"
        elif done is Done.ALREADY:
            status = "unchanged"
        elif done is Done.DEFERRED:
            status = "deferred"
        else:
            status = "failed"
        said = outcome_text(entry.outcome) if entry.outcome else ""
        message = "; ".join(part for part in (entry.reason, said) if part)
    return {
        "name": entry.name,
        "id": entry.target_id,
        "displayName": entry.target_name or None,
        "status": status,
        "message": message,
    }


def failed(message: str) -> Answer:
    """The answer when Graph refused the request, or gave up on it."""
    return Answer("failed", errors=[FieldError(None, message)])


# --- the result document ---------------------------------------------------------------------


def group_view(group: GroupSnapshot | None, spec: GroupSpec | None = None) -> dict[str, Any]:
    """The result's ``group``: what Graph showed, else what was written under the key."""
    if group is not None:
        return {
            "id": group.id,
            "displayName": group.display_name,
            "uniqueName": group.unique_name,
            "membershipRule": group.membership_rule,
        }
    assert spec is not None
    return {
        "id": None,
        "displayName": spec.display_name,
        "uniqueName": spec.unique_name,
        "membershipRule": spec.membership_rule,
    }


def answer_id(message_id: str | None, request_id: str | None) -> str:
    """The same for every answer to one queue message: a redelivery's answer repeats it.

    Answers are at least once (the host may deliver a message again after its answer was
    written); a consumer drops an answer whose answerId it has seen.
    """
    material = f"{message_id or ''}\x1f{request_id or ''}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_result(
    answer: Answer,
    *,
    request: ScenarioRequest | None = None,
    request_id: str | None = None,
    message_id: str | None = None,
    mode: str = "apply",
    processed_at: dt.datetime,
) -> dict[str, Any]:
    """A version 1 result; the caller says when it was processed (the core reads no clock)."""
    assert answer.status in STATUSES
    request_id = request.request_id if request else request_id
    result = {
        "version": 1,
        "requestId": request_id,
        "answerId": answer_id(message_id, request_id),
        "messageId": message_id,
        "status": answer.status,
        "mode": mode,
        "scenario": request.scenario if request else None,
        "groupTag": request.value if request and request.kind is Kind.TAG else None,
        "purchaseOrderId": (
            request.value if request and request.kind is Kind.PURCHASE_ORDER else None
        ),
        "requestedBy": request.requested_by if request else None,
        "group": answer.group,
        "errors": [{"field": e.field, "message": e.message} for e in answer.errors],
        "warnings": list(answer.warnings),
        "processedAt": processed_at.isoformat().replace("+00:00", "Z"),
    }
    if answer.assignments is not None:
        result["assignments"] = answer.assignments
    return result
