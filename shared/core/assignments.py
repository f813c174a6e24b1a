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
- A device preparation scenario's one group gets two targets: the Intune Provisioning Client as
  its owner, then the policy's enrollment-time device group. A policy that targets a group the
  app does not manage is a conflict: an admin's choice is kept. One that targets another of the
  app's groups, or none after the app set it, has drifted.
- The app never removes an assignment. A group the app saw on its target before, or assigned,
  and that is now missing was taken off by someone: drift, reported or (DRIFT_POLICY=repair) put
  back. A group the app assigned moments ago (a confirmed write) and Graph does not show yet is
  pending, not drift; one whose write was begun and never confirmed is assigned again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from shared.core.model import (
    PROVISIONING_CLIENT_APP_ID,
    AssignmentKind,
    Catalogue,
    IntuneObject,
    IntuneView,
    TargetHistory,
)
from shared.core.plan import Action, AssignAction, AssignmentEntry, PlanEntry

KIND_NAMES = {
    AssignmentKind.PROFILE: "Autopilot profile",
    AssignmentKind.ESP: "Enrollment Status Page",
    AssignmentKind.OWNER: "owner",
    AssignmentKind.DEVICE_PREPARATION: "device preparation policy",
}
NO_PROVISIONING_CLIENT = (
    "the tenant has no Intune Provisioning Client service principal (appId "
    f"{PROVISIONING_CLIENT_APP_ID}), which must own a device preparation group; an admin creates "
    f"it once: az ad sp create --id {PROVISIONING_CLIENT_APP_ID} (PowerShell: "
    f"New-MgServicePrincipal -AppId {PROVISIONING_CLIENT_APP_ID}). The app does not, as that "
    "needs Application.ReadWrite.All"
)
# The group entries whose group exists, or will once applied, and so can be assigned.
_ASSIGNABLE = (
    Action.CREATE,
    Action.ADOPT,
    Action.UNCHANGED,
    Action.DRIFT,
    Action.REPAIR,
    Action.RESTORE,
)


def resolve(kind: AssignmentKind, name: str, objects: Iterable[IntuneObject]) -> IntuneObject | str:
    """The one object ``name`` means, or why there is none."""
    listed = list(objects)
    matches = [o for o in listed if o.id.casefold() == name.casefold()] or [
        o for o in listed if o.display_name.casefold() == name.casefold()
    ]
    what = KIND_NAMES[kind]
    if kind is AssignmentKind.OWNER:  # found by its appId: there is one, or none
        return listed[0] if listed else NO_PROVISIONING_CLIENT
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
    for entry in entries:
        scenario = catalogue.get(entry.scenario) if entry.scenario else None
        if scenario is None or entry.action not in _ASSIGNABLE:
            continue
        for kind, name in scenario.targets(entry.kind):
            key = (kind, name)
            if key not in resolved:
                resolved[key] = resolve(kind, name, view.objects.get(kind, ()))
            base = AssignmentEntry(
                AssignAction.SKIP,
                kind,
                name,
                None,
                "",
                entry.unique_name,
                entry.group_id,
                entry.display_name,
                scenario.key,
            )
            planned.append(_decide(base, resolved[key], view, drift_policy))
    return tuple(planned)


def _decide(
    base: AssignmentEntry, target: IntuneObject | str, view: IntuneView, drift_policy: str
) -> AssignmentEntry:
    if isinstance(target, str):
        reason = f"{target}; the scenario's assignments are skipped"
        return replace(base, reason=reason, unresolved=True)
    what = f"{KIND_NAMES[base.kind]} {target.display_name!r}"
    if base.kind is AssignmentKind.OWNER:
        what = f"its owners ({target.display_name})"
    entry = replace(base, target_id=target.id, target_name=target.display_name)
    group = base.group_id
    current = view.assigned.get(target.id, frozenset())
    foreign = view.foreign.get(target.id, frozenset())
    if base.kind is AssignmentKind.DEVICE_PREPARATION and foreign and group not in current:
        reason = (
            f"{what} targets the group {', '.join(sorted(foreign))}, which the app does not "
            "manage: an admin's choice, kept"
        )
        return replace(entry, action=AssignAction.CONFLICT, reason=reason)
    if group is None:
        return replace(entry, action=AssignAction.ASSIGN, reason=f"to {what}, once created")
    if group in current:
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
        return replace(entry, action=AssignAction.PENDING, reason=reason)
    if base.kind is AssignmentKind.DEVICE_PREPARATION and current:
        taken = f"{what} targets another of the app's groups ({', '.join(sorted(current))})"
        if drift_policy == "repair":
            return replace(entry, action=AssignAction.REPAIR, reason=f"{taken}; set to this one")
        return replace(entry, action=AssignAction.DRIFT, reason=f"{taken} (DRIFT_POLICY=report)")
    # An attempt of the app's own, begun and not confirmed, comes before drift: the plan that
    # began it did not see the group there either (a writer beside this one, whose write's
    # answer was lost, must not make an earlier write of the app's look taken off).
    if group in history.intended:
        reason = f"a write to {what} was begun and never confirmed; written again"
        return replace(entry, action=AssignAction.ASSIGN, reason=reason)
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
