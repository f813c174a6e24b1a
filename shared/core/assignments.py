"""Which groups go on which Autopilot profile and Enrollment Status Page: the second half of a plan.

Microsoft's tutorial assigns the scenario's deployment profile and ESP to each of its device
groups (steps 5 and 6). A scenario that names them gets, for each of its groups (managed or
adopted), one entry per target: assign, unchanged, conflict, drift, repair or skip. Pure, like the
group planner: what Graph and the assignment history showed comes in, entries go out.

- A name is resolved against the tenant: by id, else by display name (ignoring case). A name that
  matches nothing or several objects, or the default ESP (it applies to every device and is never
  assigned to groups), skips that scenario's assignments and makes the run report a failure.
- A group is never put on a second profile: Intune gives its devices the oldest one, so a group
  already on another profile the catalogue names is a conflict, reported with that profile.
- The app never removes an assignment. A group the app saw on its target before, or assigned,
  and that is now missing was taken off by someone: drift, reported or (DRIFT_POLICY=repair) put
  back. A group the app assigned moments ago and Graph does not show yet is not drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from shared.core.catalogue import Catalogue, Scenario
from shared.core.model import Action, PlanEntry


class AssignmentKind(StrEnum):
    PROFILE = "autopilotProfile"
    ESP = "enrollmentStatusPage"


KIND_NAMES = {
    AssignmentKind.PROFILE: "Autopilot profile",
    AssignmentKind.ESP: "Enrollment Status Page",
}


class AssignAction(StrEnum):
    ASSIGN = "assign"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # the group is on another Autopilot profile: not assigned
    DRIFT = "drift"  # taken off by someone; reported only (DRIFT_POLICY=report)
    REPAIR = "repair"  # taken off by someone; put back (DRIFT_POLICY=repair)
    SKIP = "skip"


ASSIGN_WRITES = (AssignAction.ASSIGN, AssignAction.REPAIR)
# The group entries whose group exists, or will once applied, and so can be assigned.
_ASSIGNABLE = (Action.CREATE, Action.ADOPT, Action.UNCHANGED, Action.DRIFT, Action.REPAIR)


@dataclass(frozen=True)
class IntuneObject:
    """A deployment profile or an Enrollment Status Page, as Graph listed it."""

    id: str
    display_name: str
    default: bool = False  # the default ESP ("All users and all devices", priority 0)


@dataclass(frozen=True)
class TargetHistory:
    """What the app knows of one target from before: the assignment ledger, read at one moment.

    ``known``: the app's groups that were on the target (seen by a read, or written by the app);
    their absence now is drift. ``pending``: groups the app wrote moments ago that no read has
    shown since; their absence is Graph's read lag, not drift. ``confirmed``: groups a read has
    shown since the app last wrote them.
    """

    known: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()
    confirmed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IntuneView:
    """What was observed for the assignments of one plan."""

    objects: Mapping[AssignmentKind, Sequence[IntuneObject]] = field(default_factory=dict)
    assigned: Mapping[str, frozenset[str]] = field(default_factory=dict)  # target id -> groups
    history: Mapping[str, TargetHistory] = field(default_factory=dict)  # target id -> ledger


@dataclass(frozen=True)
class AssignmentEntry:
    action: AssignAction
    kind: AssignmentKind
    name: str  # as the catalogue names the target
    target_id: str | None  # None when the name did not resolve
    target_name: str  # the target's display name ("" when the name did not resolve)
    group_entry: int  # index of the group's entry in the plan
    group_id: str | None  # None while the group is still to be created
    group_name: str
    scenario: str
    reason: str = ""
    unresolved: bool = False  # the name matched nothing, several objects, or the default ESP


def named_targets(catalogue: Catalogue) -> dict[AssignmentKind, set[str]]:
    """Every profile and ESP the catalogue names, by kind."""
    named: dict[AssignmentKind, set[str]] = {kind: set() for kind in AssignmentKind}
    for scenario in catalogue.scenarios:
        for kind, name in _targets_of(scenario):
            named[kind].add(name)
    return {kind: names for kind, names in named.items() if names}


def resolve(kind: AssignmentKind, name: str, objects: Iterable[IntuneObject]) -> IntuneObject | str:
    """The one object ``name`` means, or why there is none."""
    listed = list(objects)
    matches = [o for o in listed if o.id.casefold() == name.casefold()] or [
        o for o in listed if o.display_name.casefold() == name.casefold()
    ]
    what = KIND_NAMES[kind]
    if not matches:
        return f"{what} {name!r} matches none of the tenant's {len(listed)}"
    if len(matches) > 1:
        ids = ", ".join(o.id for o in matches)
        return f"{what} {name!r} matches {len(matches)} of them ({ids}): name it by its id"
    if matches[0].default:
        return (
            f"{name!r} is the default Enrollment Status Page: it applies to every device and is "
            "not assigned to groups"
        )
    return matches[0]


def plan_assignments(
    entries: Sequence[PlanEntry], catalogue: Catalogue, view: IntuneView, drift_policy: str
) -> tuple[AssignmentEntry, ...]:
    """One entry per target for each group of a scenario that names a profile or an ESP."""
    resolved: dict[tuple[AssignmentKind, str], IntuneObject | str] = {}
    planned: list[AssignmentEntry] = []
    for index, entry in enumerate(entries):
        scenario = catalogue.get(entry.scenario) if entry.scenario else None
        if scenario is None or entry.action not in _ASSIGNABLE:
            continue
        for kind, name in _targets_of(scenario):
            key = (kind, name)
            if key not in resolved:
                resolved[key] = resolve(kind, name, view.objects.get(kind, ()))
            base = AssignmentEntry(
                AssignAction.SKIP,
                kind,
                name,
                None,
                "",
                index,
                entry.group_id,
                entry.display_name,
                scenario.key,
            )
            planned.append(_decide(base, resolved[key], view, drift_policy))
    return tuple(planned)


def _targets_of(scenario: Scenario) -> list[tuple[AssignmentKind, str]]:
    targets = [
        (AssignmentKind.PROFILE, scenario.autopilot_profile),
        (AssignmentKind.ESP, scenario.enrollment_status_page),
    ]
    return [(kind, name) for kind, name in targets if name]


def _decide(
    base: AssignmentEntry, target: IntuneObject | str, view: IntuneView, drift_policy: str
) -> AssignmentEntry:
    if isinstance(target, str):
        reason = f"{target}; the scenario's assignments are skipped"
        return replace(base, reason=reason, unresolved=True)
    what = f"{KIND_NAMES[base.kind]} {target.display_name!r}"
    entry = replace(base, target_id=target.id, target_name=target.display_name)
    group = base.group_id
    if group is None:
        return replace(entry, action=AssignAction.ASSIGN, reason=f"to {what}, once created")
    if group in view.assigned.get(target.id, frozenset()):
        return replace(entry, action=AssignAction.UNCHANGED)
    if base.kind is AssignmentKind.PROFILE:
        other = _other_profile(group, target, view)
        if other is not None:
            reason = (
                f"already on Autopilot profile {other.display_name!r} ({other.id}); a device "
                "whose group is on several profiles gets the oldest, so it is not put on a second"
            )
            return replace(entry, action=AssignAction.CONFLICT, reason=reason)
    history = view.history.get(target.id, TargetHistory())
    if group in history.pending:
        reason = f"assigned to {what} moments ago; Graph does not show it yet"
        return replace(entry, action=AssignAction.UNCHANGED, reason=reason)
    if group in history.known:
        taken = f"taken off {what} since the app saw it there"
        if drift_policy == "repair":
            return replace(entry, action=AssignAction.REPAIR, reason=f"{taken}; put back")
        return replace(entry, action=AssignAction.DRIFT, reason=f"{taken} (DRIFT_POLICY=report)")
    return replace(entry, action=AssignAction.ASSIGN, reason=f"not on {what} yet")


def _other_profile(group: str, target: IntuneObject, view: IntuneView) -> IntuneObject | None:
    for profile in view.objects.get(AssignmentKind.PROFILE, ()):
        if profile.id != target.id and group in view.assigned.get(profile.id, frozenset()):
            return profile
    return None
