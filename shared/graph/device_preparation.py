"""Autopilot device preparation: its policies (Graph beta), their enrollment-time device group,
the group's owners, and the Intune Provisioning Client service principal that must own it.

A policy is a beta ``configurationPolicy``; the app takes as device preparation policies the
Windows ones of the enrollment technology and the enrollment configuration template family
(docs/graph-contract.md, row 44): a settings catalog policy of the same name is not one, nor is
macOS's automated device enrollment policy. Its target is set with the
``setEnrollmentTimeDeviceMembershipTarget`` action and read back with
``retrieveEnrollmentTimeDeviceMembershipTarget``; a refused target is still a 200, with a
validation code per target, read here whether or not the per-target ``validationSucceeded``
is there (Microsoft's docs and metadata disagree on it: row 45).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kiota_abstractions.method import Method

from shared.core.errors import PermanentGraphError
from shared.core.model import PROVISIONING_CLIENT_APP_ID, IntuneObject
from shared.core.permissions import APP_READ_PERMISSION, GROUP_PERMISSION, POLICY_PERMISSION
from shared.graph.session import GraphSession, raw_request

POLICIES = "deviceManagement/configurationPolicies"
POLICY_FIELDS = "id,name,platforms,technologies,templateReference"
ENROLLMENT_FILTER = "technologies has 'enrollment'"
SET_TARGET = "setEnrollmentTimeDeviceMembershipTarget"
GET_TARGET = "retrieveEnrollmentTimeDeviceMembershipTarget"
STATIC_GROUP = "staticSecurityGroup"
# What each validation code means, and what fixes it (the enum the beta description gives).
VALIDATION_CODES = {
    "securityGroupNotFound": "the group does not exist (or Intune does not see it yet)",
    "notSecurityGroup": "the group is not a security group (or is mail-enabled)",
    "notStaticSecurityGroup": "the group is dynamic; device preparation needs an assigned group",
    "firstPartyAppNotAnOwner": "the Intune Provisioning Client is not the group's owner",
    "securityGroupNotInCallerScope": "the group is outside the app's Intune scope (scope tags)",
}


@dataclass(frozen=True)
class TargetStatus:
    """A policy's target as Graph answered: its groups, and a validation code where one failed."""

    groups: frozenset[str]
    failed: dict[str, str]  # group id -> validation code

    def said(self) -> str:
        return "; ".join(
            f"{code}: {VALIDATION_CODES.get(code, 'not a documented code')}"
            for code in self.failed.values()
        )


def is_device_preparation(policy: dict[str, Any]) -> bool:
    platforms = str(policy.get("platforms") or "").lower()
    technologies = str(policy.get("technologies") or "").lower()
    family = str((policy.get("templateReference") or {}).get("templateFamily") or "")
    return (
        "windows10" in platforms
        and "enrollment" in technologies.replace(" ", "").split(",")
        and family == "enrollmentConfiguration"
    )


def target_status(answer: dict[str, Any]) -> TargetStatus:
    """The groups and failed codes of a set… or retrieve… answer (``value``, or the top)."""
    value = answer.get("value")
    result: dict[str, Any] = value if isinstance(value, dict) else answer
    statuses = result.get("enrollmentTimeDeviceMembershipTargetValidationStatuses") or []
    groups, failed = set(), {}
    for status in statuses:
        group = str(status.get("targetId") or "")
        code = status.get("targetValidationErrorCode")
        succeeded = status.get("validationSucceeded")
        if succeeded is False or (succeeded is None and code not in (None, "", "unknown")):
            failed[group] = str(code or "unknown")
        if group:
            groups.add(group)
    return TargetStatus(frozenset(groups), failed)


class PreparationCalls(GraphSession):
    async def provisioning_client(self) -> IntuneObject | None:
        """The Intune Provisioning Client's service principal, found by its appId."""
        odata_filter = quote(f"appId eq '{PROVISIONING_CLIENT_APP_ID}'")
        url = self._url(f"servicePrincipals?$filter={odata_filter}&$select=id,appId,displayName")
        operation = "find the Intune Provisioning Client"
        item = await self._first_item(self._raw_list(url, operation, APP_READ_PERMISSION))
        return IntuneObject(str(item["id"]), str(item.get("displayName") or "")) if item else None

    async def group_owners(self, group_id: str) -> frozenset[str]:
        url = self._url(f"groups/{quote(group_id)}/owners?$select=id")
        found: set[str] = set()
        async for page in self._raw_list(url, "read a group's owners", GROUP_PERMISSION):
            found.update(str(item["id"]).lower() for item in page if item.get("id"))
        return frozenset(found)

    async def add_owner(self, group_id: str, owner_id: str) -> bool:
        """Make ``owner_id`` an owner: True if this call did, False if it already was (400)."""
        body = {"@odata.id": self._url(f"directoryObjects/{owner_id}")}
        info = raw_request(Method.POST, self._url(f"groups/{quote(group_id)}/owners/$ref"), body)
        try:
            await self._send(info, "add a group's owner", GROUP_PERMISSION)
        except PermanentGraphError as error:
            if error.status != 400:
                raise
            # "One or more added object references already exist": a replay, or someone added
            # it. Graph's words, or else its owners read (row 43), say so.
            if "already exist" in str(error) or owner_id.lower() in await self.group_owners(
                group_id
            ):
                return False
            raise
        return True

    async def device_preparation_policies(self, filtered: bool = True) -> list[IntuneObject]:
        """The tenant's device preparation policies, by name. ``filtered``: ask Graph for the
        enrollment technology's only (a 400 to that is raised for the caller to fall back)."""
        query = f"$select={POLICY_FIELDS}"
        if filtered:
            query += f"&$filter={quote(ENROLLMENT_FILTER)}"
        url = self._url(f"{POLICIES}?{query}", beta=True)
        found: list[IntuneObject] = []
        operation = "list device preparation policies"
        async for page in self._raw_list(url, operation, POLICY_PERMISSION):
            found.extend(
                IntuneObject(str(p["id"]), str(p.get("name") or ""))
                for p in page
                if is_device_preparation(p)
            )
        return found

    async def policy_target(self, policy_id: str) -> TargetStatus:
        url = self._url(f"{POLICIES}/{quote(policy_id)}/{GET_TARGET}", beta=True)
        info = raw_request(Method.POST, url)
        content = await self._send(
            info, "read a device preparation policy's group", POLICY_PERMISSION
        )
        return target_status(_json(content))

    async def set_policy_target(self, policy_id: str, group_id: str) -> TargetStatus:
        url = self._url(f"{POLICIES}/{quote(policy_id)}/{SET_TARGET}", beta=True)
        body = {
            "enrollmentTimeDeviceMembershipTargets": [
                {"targetType": STATIC_GROUP, "targetId": group_id}
            ]
        }
        info = raw_request(Method.POST, url, body)
        content = await self._send(
            info, "set a device preparation policy's group", POLICY_PERMISSION
        )
        return target_status(_json(content))


def _json(content: bytes) -> dict[str, Any]:
    document = json.loads(content or b"{}")
    return document if isinstance(document, dict) else {}
