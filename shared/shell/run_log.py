"""The log lines of a run and of an answer: what an admin searches for, by group name.

Every entry that is not unchanged is logged once per run, with its action and outcome: drift,
conflict, skip, a deleted group and any failure at warning level; create, adopt, repair, restore
and assign at information. The run ends with one summary line that starts ``reconcile run ok``,
``reconcile run failed`` or ``reconcile run unsafe`` (the alerts in infra/main.bicep match these
starts); every answer is one ``request answered: <status>`` line, and a request given up on the
last delivery one ``request poisoned`` line. Each line says its mode and carries its fields as
structured properties too (``extra``: Application Insights shows them as customDimensions).
"""

from __future__ import annotations

import logging
from typing import Any

from shared import __version__
from shared.core.plan import Action, AssignAction, AssignmentEntry, PlanEntry
from shared.core.wording import assignment_outcome, entry_outcome, entry_reason
from shared.shell.report import Report

_WARN_GROUP = (Action.DRIFT, Action.CONFLICT, Action.SKIP, Action.DELETED)
_WARN_ASSIGNMENT = (AssignAction.DRIFT, AssignAction.CONFLICT, AssignAction.SKIP)


def log_run(log: logging.Logger, report: Report) -> None:
    """One line per entry that is not unchanged, then the summary line."""
    common = {"runId": report.run_id, "runMode": report.mode, "appVersion": __version__}
    for entry in report.entries:
        if entry.action is not Action.UNCHANGED:
            _log_entry(log, entry, report.mode, common)
    for assignment in report.assignments:
        if assignment.action is not AssignAction.UNCHANGED:
            _log_assignment(log, assignment, report.mode, common)
    level = logging.INFO if report.outcome == "ok" else logging.ERROR
    fields = {
        **common,
        "event": "reconcile.run",
        "outcome": report.outcome,
        "digest": report.digest,
        "approved": report.approved,
        **{f"total_{k}": v for k, v in report.totals().items()},
    }
    log.log(level, "reconcile run %s: %s", report.outcome, report.summary(), extra=fields)


def _log_entry(log: logging.Logger, entry: PlanEntry, mode: str, common: dict[str, Any]) -> None:
    failed = bool(entry.outcome and entry.outcome.failure)
    level = logging.WARNING if failed or entry.action in _WARN_GROUP else logging.INFO
    name = entry.display_name or entry.value
    outcome, reason = entry_outcome(entry), entry_reason(entry)
    fields = {
        **common,
        "event": "reconcile.entry",
        "action": entry.action.value,
        "groupName": name,
        "uniqueName": entry.unique_name,
        "kind": entry.kind.value,
        "value": entry.value,
        "scenario": entry.scenario,
        "outcome": outcome,
        "reason": reason,
    }
    log.log(
        level,
        "reconcile entry (%s mode): %s %r (%s %r, scenario %s): %s; %s",
        mode,
        entry.action.value,
        name,
        entry.kind.value,
        entry.value,
        entry.scenario or "-",
        outcome,
        reason or "-",
        extra=fields,
    )


def _log_assignment(
    log: logging.Logger, entry: AssignmentEntry, mode: str, common: dict[str, Any]
) -> None:
    warn = entry.failed or entry.action in _WARN_ASSIGNMENT
    outcome = assignment_outcome(entry)
    target = entry.target_name or entry.name
    fields = {
        **common,
        "event": "reconcile.assignment",
        "action": entry.action.value,
        "groupName": entry.group_name,
        "assignmentKind": entry.kind.value,
        "target": target,
        "scenario": entry.scenario,
        "outcome": outcome,
        "reason": entry.reason,
    }
    log.log(
        logging.WARNING if warn else logging.INFO,
        "reconcile assignment (%s mode): %s %r on %s %r: %s; %s",
        mode,
        entry.action.value,
        entry.group_name,
        entry.kind.value,
        target,
        outcome,
        entry.reason or "-",
        extra=fields,
    )


def log_answer(log: logging.Logger, result: dict[str, Any], mode: str) -> None:
    """The answer's line: ``request answered: <status>``, at warning for rejected and error for
    failed."""
    status = result["status"]
    level = {"failed": logging.ERROR, "rejected": logging.WARNING}.get(status, logging.INFO)
    group = result["group"]["displayName"] if result["group"] else None
    fields = {
        "event": "request.answered",
        "runMode": mode,
        "appVersion": __version__,
        "requestId": result["requestId"],
        "answerId": result["answerId"],
        "messageId": result["messageId"],
        "status": status,
        "groupName": group,
        "scenario": result["scenario"],
        "requestedBy": result["requestedBy"],
    }
    log.log(
        level,
        "request answered: %s requestId=%s (%s mode)%s (requested by %s)",
        status,
        result["requestId"],
        mode,
        f" group {group!r}" if group else "",
        result["requestedBy"] or "unknown",
        extra=fields,
    )


def log_poisoned(
    log: logging.Logger,
    request_id: str,
    message_id: str | None,
    deliveries: int,
    poison_queue: str,
    error: Exception,
) -> None:
    """A request given up on its last delivery: the host moves it to the poison queue."""
    fields = {
        "event": "request.poisoned",
        "appVersion": __version__,
        "requestId": request_id,
        "messageId": message_id,
        "deliveries": deliveries,
        "poisonQueue": poison_queue,
    }
    log.error(
        "request poisoned: requestId=%s after %d deliveries; the host moves it to %s: %s",
        request_id,
        deliveries,
        poison_queue,
        error,
        extra=fields,
    )
