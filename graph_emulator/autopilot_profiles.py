"""``/beta/deviceManagement/windowsAutopilotDeploymentProfiles``: profiles and their groups.

Graph has this collection only in beta (v1.0 lacks it, docs/graph-contract.md, row 27), so
these routes are registered on the beta router alone. Profiles are seeded, never created over
HTTP; what the app writes is an assignment (``POST …/{id}/assignments``), one per profile
and group. A group may be on several profiles (Intune then gives a device the oldest one);
the strict profile refuses that as CIPP#2803's "Another Profile … is already assigned" says.
"""

from __future__ import annotations

import copy
from typing import Any

from graph_emulator import permissions
from graph_emulator.devices import check_intune_options, intune_error, intune_page_size
from graph_emulator.errors import GraphError, invalid_request
from graph_emulator.intune_assignments import (
    ALL_DEVICES,
    EXCLUSION,
    GROUP,
    AssignmentLists,
    Target,
    assignment_id,
    parse_target,
)
from graph_emulator.paging import page_response, parse_select, project, select_context
from graph_emulator.protocol import Request, Response, json_response
from graph_emulator.routes import Router
from graph_emulator.state import TenantState
from graph_emulator.tenant import SEED_TIME

JsonDict = dict[str, Any]

AZURE_AD = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
ACTIVE_DIRECTORY = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"
PROFILE_TYPES = {"azureAD": AZURE_AD, "activeDirectory": ACTIVE_DIRECTORY}
ASSIGNMENT_TYPE = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment"
PROFILE_TARGETS = (GROUP, EXCLUSION, ALL_DEVICES)
COLLECTION = "deviceManagement/windowsAutopilotDeploymentProfiles"
PROFILE_PROPERTIES = (
    "id",
    "displayName",
    "description",
    "language",
    "locale",
    "createdDateTime",
    "lastModifiedDateTime",
    "outOfBoxExperienceSettings",
    "extractHardwareHash",
    "deviceNameTemplate",
    "deviceType",
    "enableWhiteGlove",
    "roleScopeTagIds",
    "managementServiceAppId",
)
ASSIGNMENT_PROPERTIES = ("id", "target", "source", "sourceId")
_HYBRID_ONLY = "hybridAzureADJoinSkipConnectivityCheck"
_BODY_KEYS = {"@odata.type", "target", "id", "source", "sourceId"}  # the last three ignored


def seed_profile(partial: JsonDict, profile_id: str) -> JsonDict:
    """A full profile from a partial one (``displayName`` at least); Entra join unless
    ``@odata.type`` says ``activeDirectory`` (hybrid join)."""
    if not partial.get("displayName"):
        raise ValueError("an Autopilot profile needs a displayName")
    given = partial.get("@odata.type", AZURE_AD)
    odata_type = PROFILE_TYPES.get(given, given)
    if odata_type not in PROFILE_TYPES.values():
        raise ValueError(f"unknown Autopilot profile type {given!r}")
    profile: JsonDict = {
        "@odata.type": odata_type,
        "id": profile_id,
        "displayName": None,
        "description": "",
        "language": "os-default",
        "locale": "os-default",
        "createdDateTime": SEED_TIME,
        "lastModifiedDateTime": SEED_TIME,
        "outOfBoxExperienceSettings": {
            "hidePrivacySettings": True,
            "hideEULA": True,
            "userType": "standard",
            "deviceUsageType": "singleUser",
            "skipKeyboardSelectionPage": True,
            "hideEscapeLink": True,
        },
        "extractHardwareHash": False,
        "deviceNameTemplate": "",
        "deviceType": "windowsPc",
        "enableWhiteGlove": False,
        "roleScopeTagIds": ["0"],
        "managementServiceAppId": None,
    }
    if odata_type == ACTIVE_DIRECTORY:
        profile[_HYBRID_ONLY] = False
    profile.update({k: v for k, v in partial.items() if k != "@odata.type"})
    unknown = set(profile) - {"@odata.type", *PROFILE_PROPERTIES, _HYBRID_ONLY}
    if unknown:
        raise ValueError(f"unknown Autopilot profile properties: {sorted(unknown)}")
    return profile


def assignment_json(profile_id: str, target: Target) -> JsonDict:
    return {
        "@odata.type": ASSIGNMENT_TYPE,
        "id": assignment_id(profile_id, target),
        "target": target.to_json(),
        "source": "direct",
        "sourceId": profile_id,
    }


class AutopilotProfileEndpoints:
    """Seeded profiles, their assignment lists (lagged for reads), and the beta routes."""

    def __init__(self, state: TenantState, page_size: int = 100, strict: bool = False) -> None:
        self.state = state
        self.page_size = page_size
        self.strict = strict
        self.assignments = AssignmentLists(state)
        self._profiles: dict[str, JsonDict] = {}

    def register(self, router: Router) -> None:
        base = r"/deviceManagement/windowsAutopilotDeploymentProfiles"
        item = base + r"/(?P<profile_id>[^/()]+)"
        router.add("GET", base, self.list, permissions.PROFILE_READ)
        router.add("GET", item, self.get, permissions.PROFILE_READ)
        router.add("GET", item + "/assignments", self.list_assignments, permissions.PROFILE_READ)
        router.add("POST", item + "/assignments", self.assign, permissions.PROFILE_WRITE)

    # --- seeding and inspection (the true state) ---

    def add_profile(self, partial: JsonDict, profile_id: str) -> JsonDict:
        profile = seed_profile(partial, profile_id)
        with self.state.lock:
            self.assignments.add_owner(profile["id"])
            self._profiles[profile["id"].lower()] = profile
        return copy.deepcopy(profile)

    def add_assignment(self, profile_id: str, target: Target) -> JsonDict:
        """An assignment that was always there; one per profile and group, as over HTTP."""
        with self.state.lock:
            profile = self._profile(profile_id)
            if self._assigned(profile["id"], target):
                raise ValueError(f"{target.subject} is already assigned to {profile['id']}")
            self.assignments.seed(profile["id"], target)
        return assignment_json(profile["id"], target)

    def profiles(self) -> list[JsonDict]:
        with self.state.lock:
            return copy.deepcopy(list(self._profiles.values()))

    def assignments_of(self, profile_id: str) -> list[JsonDict]:
        profile = self._profile(profile_id)
        return [assignment_json(profile["id"], t) for t in self.assignments.current(profile_id)]

    def groups_on_several_profiles(self) -> dict[str, list[str]]:
        """Group ids (and All devices' virtual id) included by more than one profile."""
        profiles_of: dict[str, list[str]] = {}
        for key, targets in self.assignments.all_current().items():
            for target in targets:
                if target.odata_type in (GROUP, ALL_DEVICES):
                    profiles_of.setdefault(target.subject, []).append(self._profiles[key]["id"])
        return {subject: ids for subject, ids in profiles_of.items() if len(ids) > 1}

    def duplicate_assignments(self) -> list[tuple[str, str]]:
        """(profile id, group id) pairs with more than one assignment row: always empty."""
        duplicates: list[tuple[str, str]] = []
        for key, targets in self.assignments.all_current().items():
            subjects = [t.subject for t in targets]
            for subject in sorted({s for s in subjects if subjects.count(s) > 1}):
                duplicates.append((self._profiles[key]["id"], subject))
        return duplicates

    # --- reads ---

    def list(self, request: Request) -> Response:
        expand = self._expand(request)
        select = parse_select(request.option("$select"), PROFILE_PROPERTIES, _TYPE_NAME)
        size = intune_page_size(request, self.page_size, self.strict)
        profiles = self.profiles()
        if expand:
            profiles = [self._with_assignments(request, p) for p in profiles]
        return page_response(
            request, profiles, size, select, COLLECTION, COLLECTION, expanded=expand
        )

    def get(self, request: Request, profile_id: str) -> Response:
        expand = self._expand(request)
        select = parse_select(request.option("$select"), PROFILE_PROPERTIES, _TYPE_NAME)
        profile = self._profile(profile_id)
        if expand:
            profile = self._with_assignments(request, profile)
        context = f"{request.service_root}/$metadata#{COLLECTION}"
        context += (select_context(select, expand) if expand else "") + "/$entity"
        body = project(profile, select, expand)
        return json_response(200, {"@odata.context": context, **body})

    def _expand(self, request: Request) -> tuple[str, ...]:
        """``$expand=assignments`` (a contained navigation of the profile in the beta
        metadata); any other value, and under strict any ``$expand``, gets Intune's 400."""
        for key, _ in request.query:
            if key.startswith("$") and key not in (*_PAGING, "$expand"):
                raise intune_error(request)
        expand = request.option("$expand")
        if expand is None:
            return ()
        if self.strict or expand.strip() != "assignments":
            raise intune_error(request)
        return ("assignments",)

    def _with_assignments(self, request: Request, profile: JsonDict) -> JsonDict:
        """The profile with its assignments as reads see them (through the lag)."""
        pid = profile["id"]
        items = [assignment_json(pid, t) for t in self.assignments.visible(pid)]
        context = f"{request.service_root}/$metadata#{COLLECTION}('{pid}')/assignments"
        return {**profile, "assignments@odata.context": context, "assignments": items}

    def list_assignments(self, request: Request, profile_id: str) -> Response:
        check_intune_options(request)
        select = parse_select(
            request.option("$select"), ASSIGNMENT_PROPERTIES, "windowsAutopilotDeploymentProfile"
        )
        pid = self._profile(profile_id)["id"]
        items = [assignment_json(pid, t) for t in self.assignments.visible(pid)]
        size = intune_page_size(request, self.page_size, self.strict)
        path = f"{COLLECTION}/{pid}/assignments"
        return page_response(
            request, items, size, select, f"{COLLECTION}('{pid}')/assignments", path
        )

    # --- the write ---

    def assign(self, request: Request, profile_id: str) -> Response:
        """POST …/{id}/assignments: 201 + the assignment; 400 if the group is already on it."""
        body = request.json()
        if body.get("@odata.type", ASSIGNMENT_TYPE) != ASSIGNMENT_TYPE:
            raise invalid_request(
                f"Invalid @odata.type '{body['@odata.type']}' for a profile assignment."
            )
        for key in body:
            if key not in _BODY_KEYS:
                raise invalid_request(
                    f"Property '{key}' does not exist on type "
                    "'microsoft.graph.windowsAutopilotDeploymentProfileAssignment'."
                )
        with self.state.lock:
            pid = self._profile(profile_id)["id"]
            target = parse_target(
                body.get("target"), PROFILE_TARGETS, self._group_known, "deployment profile"
            )
            if self._assigned(pid, target):
                raise invalid_request(
                    f"An assignment for group '{target.subject}' already exists on profile '{pid}'."
                )
            if self.strict:
                self._refuse_another_profile(pid, target)
            self.assignments.commit(pid, (*self.assignments.current(pid), target), "http")
        context = f"{request.service_root}/$metadata#{COLLECTION}('{pid}')/assignments/$entity"
        return json_response(201, {"@odata.context": context, **assignment_json(pid, target)})

    def _group_known(self, group_id: str) -> bool:
        """Strict: Intune knows a group only once Entra's replication has reached it."""
        if self.strict:
            return self.state.visible_group(group_id) is not None
        return self.state.current_group(group_id) is not None

    def _assigned(self, profile_id: str, target: Target) -> bool:
        return any(t.subject == target.subject for t in self.assignments.current(profile_id))

    def _refuse_another_profile(self, profile_id: str, target: Target) -> None:
        if target.odata_type not in (GROUP, ALL_DEVICES):
            return
        for key, targets in self.assignments.all_current().items():
            other = self._profiles[key]["id"]
            if other == profile_id or not any(
                t.odata_type == target.odata_type and t.subject == target.subject for t in targets
            ):
                continue
            whom = "All Devices" if target.odata_type == ALL_DEVICES else "this group"
            raise invalid_request(f"Another Profile {other} is already assigned to {whom}")

    def _profile(self, profile_id: str) -> JsonDict:
        with self.state.lock:
            profile = self._profiles.get(profile_id.lower())
        if profile is None:
            raise GraphError(
                404,
                "ResourceNotFound",
                f"No windowsAutopilotDeploymentProfile with id '{profile_id}'.",
            )
        return profile


_TYPE_NAME = "windowsAutopilotDeploymentProfile"
_PAGING = ("$select", "$top", "$skiptoken")
