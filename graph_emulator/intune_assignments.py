"""Intune group assignments: their targets, and the assignment lists of profiles and ESPs.

Autopilot deployment profiles (beta) and enrollment configurations (v1.0) are assigned to
groups with the same target types (docs/graph-contract.md, rows 29 and 34). Each owner (a
profile or a configuration) keeps its list of targets as a :class:`History`, so reads see the
list as it was ``lag`` seconds ago and writes act on the true one, as for groups
(``state.py``). Every write is logged with where it came from (``http``: a request, i.e. the
app; ``admin``: an in-process change), so tests can count what the app removed and what an
admin did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from graph_emulator.errors import invalid_request
from graph_emulator.state import TenantState
from graph_emulator.versions import History

JsonDict = dict[str, Any]

GROUP = "#microsoft.graph.groupAssignmentTarget"
EXCLUSION = "#microsoft.graph.exclusionGroupAssignmentTarget"
ALL_DEVICES = "#microsoft.graph.allDevicesAssignmentTarget"
ALL_USERS = "#microsoft.graph.allLicensedUsersAssignmentTarget"
TARGET_TYPES = {
    "group": GROUP,
    "exclusionGroup": EXCLUSION,
    "allDevices": ALL_DEVICES,
    "allLicensedUsers": ALL_USERS,
}
_WITH_GROUP = (GROUP, EXCLUSION)
# Intune's virtual groups, the ids its assignment ids and tools use for "all devices/users".
VIRTUAL_GROUPS = {
    ALL_DEVICES: "adadadad-808e-44e2-905a-0b7873a8a531",
    ALL_USERS: "acacacac-9df4-4c7d-9d50-4ef0226f57a9",
}
_FILTER_ID = "deviceAndAppManagementAssignmentFilterId"
_FILTER_TYPE = "deviceAndAppManagementAssignmentFilterType"
GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


@dataclass(frozen=True)
class Target:
    """Whom an assignment targets: a group (included or excluded), or all devices/users."""

    odata_type: str
    group_id: str | None = None

    @property
    def subject(self) -> str:
        """The group, or Intune's virtual group, the target names."""
        return self.group_id or VIRTUAL_GROUPS[self.odata_type]

    def to_json(self) -> JsonDict:
        body: JsonDict = {"@odata.type": self.odata_type}
        if self.group_id is not None:
            body["groupId"] = self.group_id
        body[_FILTER_ID] = None
        body[_FILTER_TYPE] = "none"
        return body


def assignment_id(owner_id: str, target: Target) -> str:
    """``<owner>_<group>`` as Intune writes them; an exclusion gets a suffix of its own."""
    suffix = "_exclusion" if target.odata_type == EXCLUSION else ""
    return f"{owner_id}_{target.subject}{suffix}"


def parse_target(
    value: object, allowed: Collection[str], group_known: Callable[[str], bool], owner: str
) -> Target:
    """A target from a request body; 400 ``BadRequest`` for a wrong shape, type or group."""
    if not isinstance(value, dict):
        raise invalid_request("Property 'target' is required and must be an object.")
    odata_type = value.get("@odata.type")
    if not isinstance(odata_type, str):
        raise invalid_request(
            "The target needs an '@odata.type': deviceAndAppManagementAssignmentTarget is abstract."
        )
    if odata_type not in allowed:
        raise invalid_request(f"Target type '{odata_type}' cannot be assigned to a {owner}.")
    type_name = odata_type.removeprefix("#microsoft.graph.")
    known = {"@odata.type", _FILTER_ID, _FILTER_TYPE}
    if odata_type in _WITH_GROUP:
        known.add("groupId")
    for key in value:
        if key not in known:
            raise invalid_request(
                f"Property '{key}' does not exist on type 'microsoft.graph.{type_name}'."
            )
    if value.get(_FILTER_ID) is not None or value.get(_FILTER_TYPE, "none") not in ("none", None):
        raise invalid_request("Assignment filters are not supported by the emulator.")
    if odata_type not in _WITH_GROUP:
        return Target(odata_type)
    group_id = value.get("groupId")
    if not isinstance(group_id, str) or not GUID.fullmatch(group_id):
        raise invalid_request(
            f"Invalid value for property 'groupId' of type 'microsoft.graph.{type_name}'."
        )
    if not group_known(group_id):
        raise invalid_request(f"Group '{group_id}' was not found in the directory.")
    return Target(odata_type, group_id.lower())


def seed_target(entry: object, groups: Iterable[JsonDict]) -> Target:
    """A target from a tenant file or an in-process call: a group's id or displayName (a
    groupAssignmentTarget), or a target dict whose ``groupId`` is an id or displayName."""
    body = {"@odata.type": GROUP, "groupId": entry} if isinstance(entry, str) else entry
    if not isinstance(body, dict) or body.get("@odata.type") not in TARGET_TYPES.values():
        raise ValueError(f"not an assignment target: {entry!r}")
    if body["@odata.type"] not in _WITH_GROUP:
        return Target(body["@odata.type"])
    wanted = str(body.get("groupId") or "")
    listed = list(groups)
    by_id = [g for g in listed if g["id"].lower() == wanted.lower()]
    found = by_id or [g for g in listed if g.get("displayName") == wanted]
    if len(found) != 1:
        problem = "no group" if not found else "several groups"
        raise ValueError(f"assignment target {entry!r}: {problem} with that id or displayName")
    return Target(body["@odata.type"], found[0]["id"].lower())


@dataclass(frozen=True)
class AssignmentChange:
    """One write to an owner's list: what it held before and after, when, and from where."""

    owner_id: str
    source: str  # "http" (a request) or "admin" (in-process)
    before: tuple[Target, ...]
    after: tuple[Target, ...]
    time: float

    @property
    def removed(self) -> tuple[Target, ...]:
        return tuple(t for t in self.before if t not in self.after)

    @property
    def added(self) -> tuple[Target, ...]:
        return tuple(t for t in self.after if t not in self.before)


class AssignmentLists:
    """Each owner's targets, versioned for the lag; guarded by the tenant state's lock."""

    def __init__(self, state: TenantState) -> None:
        self._state = state
        self._lists: dict[str, History[tuple[Target, ...]]] = {}
        self._changes: list[AssignmentChange] = []

    def add_owner(self, owner_id: str) -> None:
        with self._state.lock:
            if owner_id.lower() in self._lists:
                raise ValueError(f"id {owner_id!r} is already taken")
            self._lists[owner_id.lower()] = History()
            self._lists[owner_id.lower()].reset(())

    def current(self, owner_id: str) -> tuple[Target, ...]:
        with self._state.lock:
            return self._lists[owner_id.lower()].current or ()

    def visible(self, owner_id: str) -> tuple[Target, ...]:
        """The list as reads see it: as it was ``lag`` seconds ago."""
        cutoff = self._state.read_cutoff()
        with self._state.lock:
            return self._lists[owner_id.lower()].visible(cutoff) or ()

    def all_current(self) -> dict[str, tuple[Target, ...]]:
        with self._state.lock:
            return {key: history.current or () for key, history in self._lists.items()}

    def commit(self, owner_id: str, targets: Iterable[Target], source: str) -> AssignmentChange:
        """A write now: the owner's list becomes ``targets`` (reads see it after the lag)."""
        with self._state.lock:
            history = self._lists[owner_id.lower()]
            change = AssignmentChange(
                owner_id, source, history.current or (), tuple(targets), self._state.clock()
            )
            history.commit(change.time, change.after)
            self._changes.append(change)
            return change

    def seed(self, owner_id: str, target: Target) -> None:
        """Add ``target`` as if it had always been there (visible at once, not logged)."""
        with self._state.lock:
            history = self._lists[owner_id.lower()]
            if target in (history.current or ()):
                raise ValueError(f"{owner_id!r} already has the assignment {target.to_json()}")
            history.rewrite(lambda targets: (*targets, target), ())

    def changes(self) -> list[AssignmentChange]:
        with self._state.lock:
            return list(self._changes)
