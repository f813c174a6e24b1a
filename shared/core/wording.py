"""Every word a person reads about an outcome, in one place.

Reports, tables, ``--json`` documents and answers render plan entries and outcomes with these
functions; nothing reads the words back. A test rewords every text here and shows that statuses,
report counts and exit codes stay as they were.
"""

from __future__ import annotations

from shared.core.plan import (
    Action,
    AssignAction,
    AssignmentEntry,
    Done,
    Outcome,
    PlanEntry,
    Refusal,
)

# What a write did. ``{error}`` is the error's message, ``{retry}`` says whether retrying may
# help, ``{note}`` the outcome's note.
DONE: dict[Done, str] = {
    Done.CREATED: "created",
    Done.EXISTS: "exists",
    Done.REPAIRED: "repaired",
    Done.RESTORED: "restored",
    Done.ASSIGNED: "assigned",
    Done.ALREADY: "already assigned",
    Done.DEFERRED: "deferred: {note}",
    Done.FAILED: "failed: {error} ({retry})",
    Done.NOT_ATTEMPTED: "not attempted (permission missing)",
    Done.REFUSED: "refused (unsafe plan)",
}
PHRASES: dict[str, str] = {
    "failed, denied": "failed: {error}",  # a missing permission: the error names the fix
    "not attempted, because": "not attempted: {note}",
    "transient": "transient",
    "permanent": "permanent",
    "not shown": " (Graph does not show it yet)",
    "put back": "; put back {count} assignment(s) another writer removed",
}
# What an entry that writes nothing ends as; a write is pending until applied.
GROUP_STATIC: dict[Action, str] = {
    Action.ADOPT: "adopted",
    Action.UNCHANGED: "unchanged",
    Action.DRIFT: "drift reported",
    Action.CONFLICT: "conflict reported",
    Action.DELETED: "deletion reported",
    Action.SKIP: "skipped",
    Action.CREATE: "pending",
    Action.REPAIR: "pending",
    Action.RESTORE: "pending",
}
ASSIGNMENT_STATIC: dict[AssignAction, str] = {
    AssignAction.ASSIGN: "pending",
    AssignAction.REPAIR: "pending",
    AssignAction.UNCHANGED: "unchanged",
    AssignAction.PENDING: "not shown yet",
    AssignAction.CONFLICT: "conflict reported",
    AssignAction.DRIFT: "drift reported",
    AssignAction.SKIP: "skipped",
}
# Put before a skipped entry's reason, by why it was skipped.
REASON_PREFIX: dict[Refusal, str] = {Refusal.UNSAFE_VALUE: "not written: "}


def outcome_text(outcome: Outcome) -> str:
    """One write's outcome, as reports show it."""
    if outcome.done is Done.FAILED and outcome.denied is not None:
        text = PHRASES["failed, denied"].format(error=outcome.error)
    elif outcome.done is Done.NOT_ATTEMPTED and outcome.note:
        text = PHRASES["not attempted, because"].format(note=outcome.note)
    else:
        retry = PHRASES["transient" if outcome.retry else "permanent"]
        text = DONE[outcome.done].format(error=outcome.error, retry=retry, note=outcome.note)
    if outcome.done in (Done.ASSIGNED, Done.ALREADY):
        if not outcome.shown:
            text += PHRASES["not shown"]
        if outcome.put_back:
            text += PHRASES["put back"].format(count=outcome.put_back)
    return text


def entry_outcome(entry: PlanEntry) -> str:
    """A group entry's outcome column: what its write did, or what it ends as without one."""
    return outcome_text(entry.outcome) if entry.outcome else GROUP_STATIC[entry.action]


def assignment_outcome(entry: AssignmentEntry) -> str:
    return outcome_text(entry.outcome) if entry.outcome else ASSIGNMENT_STATIC[entry.action]


def entry_reason(entry: PlanEntry) -> str:
    """A group entry's reason, as reports show it."""
    prefix = REASON_PREFIX.get(entry.refusal, "") if entry.refusal else ""
    return prefix + entry.reason
