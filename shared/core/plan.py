"""The plan and its outcomes: one typed artefact for both triggers.

A plan is what the planner decided for each group (``PlanEntry``) and each of its profile and ESP
assignments (``AssignmentEntry``). Applying it settles each write with an ``Outcome``, attached to
its own entry, so reports, logs, exit codes and answers switch on values, never on text; the human
text is rendered from them in one place (``shared.core.wording``). A plan owns its safety valve:
``raise_if_unsafe`` raises ``UnsafePlanError``, and only an explicit force overrides it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from enum import StrEnum

from shared.core.errors import AppError, PermissionDeniedError, TransientError, UnsafePlanError
from shared.core.model import AssignmentKind, GroupSnapshot, GroupSpec, Kind


class Action(StrEnum):
    CREATE = "create"
    ADOPT = "adopt"
    REPAIR = "repair"
    DRIFT = "drift"  # drift found, reported only (DRIFT_POLICY=report)
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # asked for under one scenario, its group belongs to another
    RESTORE = "restore"  # its group is in the recycle bin: restored (DELETED_GROUP_POLICY)
    DELETED = "deleted"  # its group is in the recycle bin: reported, nothing created
    SKIP = "skip"


class Refusal(StrEnum):
    """Why a skipped value cannot have a group: what a request is told it got wrong."""

    NO_SCENARIO = "no scenario"  # matches no scenario, and the catalogue has no default
    UNKNOWN_SCENARIO = "unknown scenario"  # names a scenario the catalogue does not have
    UNSAFE_VALUE = "unsafe value"  # cannot be written into a rule without doubt


class AssignAction(StrEnum):
    ASSIGN = "assign"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # the group is on another Autopilot profile: not assigned
    DRIFT = "drift"  # taken off by someone; reported only (DRIFT_POLICY=report)
    REPAIR = "repair"  # taken off by someone; put back (DRIFT_POLICY=repair)
    PENDING = "pending"  # written by the app moments ago (confirmed), not shown by Graph yet
    SKIP = "skip"


# What counts as a write: the entries applying a plan sends to Graph.
WRITES = (Action.CREATE, Action.REPAIR, Action.RESTORE)
ASSIGN_WRITES = (AssignAction.ASSIGN, AssignAction.REPAIR)


class Done(StrEnum):
    """What one write did."""

    CREATED = "created"  # the upsert made the group (201)
    EXISTS = "exists"  # the upsert found the key taken (204): an overlapping run or a replay
    REPAIRED = "repaired"
    RESTORED = "restored"  # back from the recycle bin with its id, rule and assignments
    ASSIGNED = "assigned"
    ALREADY = "already assigned"  # the group was on the target before the write
    DEFERRED = "deferred"  # the group's id is not known yet: a later run writes it
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"  # stopped before it was tried (a missing permission...)
    REFUSED = "refused"  # the plan was unsafe: nothing was applied


@dataclass(frozen=True)
class Outcome:
    """What one write did, as a value: reports, exit codes and answers read these fields."""

    done: Done
    retry: bool = False  # trying again later may succeed (a transient failure, a deferral)
    group: GroupSnapshot | None = None  # the group Graph returned when the upsert created it
    error: AppError | None = None  # why it failed, or what stopped it
    note: str = ""  # for people only, never read back: why it was deferred or not attempted
    shown: bool = True  # an assignment: a read after the write shows it on its target
    put_back: int = 0  # an ESP write: assignments of others found missing and put back

    @classmethod
    def failed(cls, error: AppError) -> Outcome:
        return cls(Done.FAILED, retry=isinstance(error, TransientError), error=error)

    @property
    def failure(self) -> bool:
        """Counts as a failed write in a report: failed, or stopped before it was tried."""
        return self.done in (Done.FAILED, Done.NOT_ATTEMPTED)

    @property
    def denied(self) -> PermissionDeniedError | None:
        return self.error if isinstance(self.error, PermissionDeniedError) else None


NOT_ATTEMPTED = Outcome(Done.NOT_ATTEMPTED)
REFUSED = Outcome(Done.REFUSED)


@dataclass(frozen=True)
class PlanEntry:
    action: Action
    kind: Kind
    value: str
    scenario: str | None
    display_name: str
    unique_name: str | None
    membership_rule: str | None
    reason: str = ""
    group_id: str | None = None
    devices: int = 0
    spec: GroupSpec | None = None
    problems: tuple[str, ...] = ()  # DRIFT and REPAIR: what differs, one phrase each
    refusal: Refusal | None = None  # SKIP: why
    group: GroupSnapshot | None = None  # the group the entry is about, as observed
    outcome: Outcome | None = None  # what its write did, once applied (writes only)

    @property
    def writes(self) -> bool:
        return self.action in WRITES


@dataclass(frozen=True)
class AssignmentEntry:
    action: AssignAction
    kind: AssignmentKind
    name: str  # as the catalogue names the target
    target_id: str | None  # None when the name did not resolve
    target_name: str  # the target's display name ("" when the name did not resolve)
    group_key: str | None  # the uniqueName of the group's entry in the plan
    group_id: str | None  # None while the group is still to be created
    group_name: str
    scenario: str
    reason: str = ""
    unresolved: bool = False  # the name matched nothing, several objects, or the default ESP
    outcome: Outcome | None = None  # what its write did, once applied (writes only)

    @property
    def writes(self) -> bool:
        return self.action in ASSIGN_WRITES

    @property
    def failed(self) -> bool:
        """Failed, could not be attempted, or names no single profile or ESP."""
        return self.unresolved or bool(self.outcome and self.outcome.failure)


@dataclass(frozen=True)
class Plan:
    entries: tuple[PlanEntry, ...]
    max_new_groups: int
    assignments: tuple[AssignmentEntry, ...] = ()  # profiles and ESPs, after the groups

    @property
    def creates(self) -> int:
        return sum(1 for entry in self.entries if entry.action is Action.CREATE)

    @property
    def unsafe(self) -> bool:
        return self.creates > self.max_new_groups

    def count(self, action: Action) -> int:
        return sum(1 for entry in self.entries if entry.action is action)

    @property
    def digest(self) -> str:
        """A digest of exactly the writes this plan would make, and of nothing else.

        The same tenant and settings give the same digest run after run; one more tag, a tag
        swapped for another, a changed name or rule gives another. Reasons and timings are left
        out. ``APPROVE_PLAN`` set to it lets that plan, and only that plan, pass the valve.
        """
        writes = sorted(
            [
                json.dumps(
                    [
                        "group",
                        e.action,
                        e.unique_name,
                        e.display_name,
                        e.membership_rule,
                        e.group_id,
                    ]
                )
                for e in self.entries
                if e.writes
            ]
            + [
                json.dumps(["assign", a.action, a.kind, a.target_id, a.group_key, a.group_id])
                for a in self.assignments
                if a.writes
            ]
        )
        material = "\n".join(writes).encode()
        return f"sha256:{hashlib.sha256(material).hexdigest()[:16]}"

    def approved(self, approval: str | None) -> bool:
        """Whether an unsafe plan passes the valve because ``approval`` is its own digest."""
        return self.unsafe and bool(approval) and approval == self.digest

    def raise_if_unsafe(self, force: bool = False, approval: str | None = None) -> None:
        """``UnsafePlanError`` if the plan creates more groups than one run may, unless forced
        or approved: ``approval`` is this very plan's digest (``APPROVE_PLAN``)."""
        if self.unsafe and not force and not self.approved(approval):
            raise UnsafePlanError(self.creates, self.max_new_groups, self.digest)

    def settled(
        self,
        entries: tuple[PlanEntry, ...] | None = None,
        assignments: tuple[AssignmentEntry, ...] | None = None,
    ) -> Plan:
        """The same plan with (some of) its entries replaced by their applied selves."""
        return replace(
            self,
            entries=self.entries if entries is None else entries,
            assignments=self.assignments if assignments is None else assignments,
        )

    def refused(self) -> Plan:
        """Every write settled as refused: what an unsafe plan that was not forced did."""
        return self.settled(
            tuple(replace(e, outcome=REFUSED) if e.writes else e for e in self.entries),
            tuple(replace(a, outcome=REFUSED) if a.writes else a for a in self.assignments),
        )
