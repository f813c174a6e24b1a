"""Autopilot deployment profiles (Graph beta only) and Enrollment Status Pages (v1.0).

Profiles exist only in beta (v1.0 has no collection and no ``assignments``). The beta SDK package
is over 600 MB, so these calls are raw requests to the beta URL (``GRAPH_BASE_URL`` with ``beta``
for ``v1.0``), sent through the same adapter and middleware as every other call. ESPs are v1.0
``deviceEnrollmentConfigurations`` of one ``@odata.type``; their ``assign`` action is taken to
replace the whole list (docs/graph-contract.md, row 34), so callers send the list they read plus
their additions, under a lock, and read it back.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from kiota_abstractions.method import Method

from shared.core.errors import PermanentGraphError, PermissionDeniedError, TransientGraphError
from shared.core.model import IntuneObject
from shared.core.permissions import DEVICE_WRITE_PERMISSION
from shared.graph.session import GraphSession, raw_request

PROFILES = "deviceManagement/windowsAutopilotDeploymentProfiles"
ENROLLMENT_CONFIGURATIONS = "deviceManagement/deviceEnrollmentConfigurations"
ESP_TYPE = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration"
GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget"
PROFILE_ASSIGNMENT = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment"
_DEFAULT_ESP_SUFFIX = "_DefaultWindows10EnrollmentCompletionPageConfiguration"


def group_target(group_id: str) -> dict[str, str]:
    return {"@odata.type": GROUP_TARGET, "groupId": group_id}


def group_ids(targets: list[dict[str, Any]]) -> frozenset[str]:
    """The groups an assignment list includes (not its exclusions or all-devices targets)."""
    return frozenset(
        str(t["groupId"])
        for t in targets
        if t.get("@odata.type") == GROUP_TARGET and t.get("groupId")
    )


class IntuneCalls(GraphSession):
    # --- Autopilot deployment profiles (beta) ---

    async def autopilot_profiles(self) -> list[IntuneObject]:
        url = self._url(f"{PROFILES}?$select=id,displayName", beta=True)
        found: list[IntuneObject] = []
        async for page in self._raw_list(url, "list Autopilot profiles", self.intune_permission):
            found.extend(IntuneObject(str(p["id"]), str(p.get("displayName") or "")) for p in page)
        return found

    async def profiles_with_assignments(
        self,
    ) -> list[tuple[IntuneObject, list[dict[str, Any]]]]:
        """Every profile with its assignment targets, in one paged read (``$expand``).

        A group on two profiles gets the oldest, so a conflict is judged against every profile,
        not only the ones the catalogue names (docs/graph-contract.md, row 38). Graph's 400 to the
        expansion is raised for the caller to fall back to one read per profile.
        """
        url = self._url(f"{PROFILES}?$select=id,displayName&$expand=assignments", beta=True)
        operation = "list Autopilot profiles with their assignments"
        found: list[tuple[IntuneObject, list[dict[str, Any]]]] = []
        async for page in self._raw_list(url, operation, self.intune_permission):
            for item in page:
                profile = IntuneObject(str(item["id"]), str(item.get("displayName") or ""))
                targets = [a.get("target") or {} for a in item.get("assignments") or []]
                more = item.get("assignments@odata.nextLink")
                if more:  # an expansion Graph pages on its own: read the rest of it
                    async for rest in self._raw_list(str(more), operation, self.intune_permission):
                        targets.extend(a.get("target") or {} for a in rest)
                found.append((profile, targets))
        return found

    async def profile_assignments(self, profile_id: str) -> list[dict[str, Any]]:
        """The profile's assignment targets."""
        url = self._url(f"{PROFILES}/{quote(profile_id)}/assignments", beta=True)
        operation = "read an Autopilot profile's assignments"
        targets: list[dict[str, Any]] = []
        async for page in self._raw_list(url, operation, self.intune_permission):
            targets.extend(a.get("target") or {} for a in page)
        return targets

    async def assign_profile(self, profile_id: str, group_id: str) -> bool:
        """Put a group on a profile: True if this call did, False if it was already there.

        Assigning a group twice is not documented (it may be refused, ignored or duplicated), so a
        400 is checked against the profile's assignments: there, it was already assigned (a replay
        of this very POST after a lost answer meets it too). Not there yet may be Graph's read
        lag after such a replay: the outcome is unknown, so it is left for a later try.
        """
        url = self._url(f"{PROFILES}/{quote(profile_id)}/assignments", beta=True)
        body = {"@odata.type": PROFILE_ASSIGNMENT, "target": group_target(group_id)}
        info = raw_request(Method.POST, url, body)
        try:
            await self._send(info, "assign an Autopilot profile", DEVICE_WRITE_PERMISSION)
        except PermanentGraphError as error:
            if isinstance(error, PermissionDeniedError) or error.status != 400:
                raise
            if group_id not in group_ids(await self.profile_assignments(profile_id)):
                raise TransientGraphError(
                    f"{error}; and the profile's assignments do not show the group yet, so "
                    "whether it is assigned is not known yet",
                    status=400,
                    code=error.code,
                ) from error
            return False
        return True

    # --- Enrollment Status Pages (v1.0) ---

    async def enrollment_status_pages(self) -> list[IntuneObject]:
        """The tenant's ESPs, the default one marked (it is never assigned to groups)."""
        url = self._url(ENROLLMENT_CONFIGURATIONS)
        operation = "list enrollment configurations"
        found: list[IntuneObject] = []
        async for page in self._raw_list(url, operation, self.intune_permission):
            found.extend(
                IntuneObject(
                    str(c["id"]),
                    str(c.get("displayName") or ""),
                    default=c.get("priority") == 0 or str(c["id"]).endswith(_DEFAULT_ESP_SUFFIX),
                )
                for c in page
                if c.get("@odata.type") == ESP_TYPE
            )
        return found

    async def esp_assignments(self, esp_id: str) -> list[dict[str, Any]]:
        """The ESP's assignment targets, every kind kept as read (exclusions included)."""
        url = self._url(f"{ENROLLMENT_CONFIGURATIONS}/{quote(esp_id)}/assignments")
        operation = "read an Enrollment Status Page's assignments"
        targets: list[dict[str, Any]] = []
        async for page in self._raw_list(url, operation, self.intune_permission):
            targets.extend(a.get("target") or {} for a in page)
        return targets

    async def assign_esp(self, esp_id: str, targets: list[dict[str, Any]]) -> None:
        """Replace the ESP's assignments with ``targets`` (the ``assign`` action)."""
        url = self._url(f"{ENROLLMENT_CONFIGURATIONS}/{quote(esp_id)}/assign")
        body = {"enrollmentConfigurationAssignments": [{"target": t} for t in targets]}
        info = raw_request(Method.POST, url, body)
        await self._send(info, "assign an Enrollment Status Page", DEVICE_WRITE_PERMISSION)


def canonical(target: dict[str, Any]) -> str:
    """One assignment target as comparable text: its type, group and filter."""
    keys = ("@odata.type", "groupId", "deviceAndAppManagementAssignmentFilterId")
    return json.dumps([target.get(key) for key in keys])
