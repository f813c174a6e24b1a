"""Tenant files: ``{"tenantId", "grantedPermissions", "devices", "groups"}`` as JSON.

Devices are windowsAutopilotDeviceIdentity dicts (v1.0 properties); groups are group dicts
with at least displayName (the rest is filled in, see :func:`seed_group`). Optional
``servicePrincipals`` (at least displayName; absent: Microsoft Graph's alone) and
``appRoleAssignments`` (``principalId``, ``resourceId``, ``appRoleId``) serve the permission
grant (``graph_emulator.service_principals``). Optional ``autopilotProfiles`` and
``enrollmentConfigurations`` (with ``assignments`` naming groups by id or displayName) and
``configurationPolicies`` (with an optional ``membershipTarget``) are seeded by ``Emulator``
after the groups; a group's ``owners`` and ``outsideCallerScope`` keys are the emulator's own.
See the README's "Tenant file".
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from graph_emulator.group_model import GROUP_PROPERTIES, security_identifier, validate_group
from graph_emulator.permissions import DEFAULT_GRANTED

JsonDict = dict[str, Any]
DEFAULT_TENANT_ID = "00000000-0000-4000-8000-000000000001"
SEED_TIME = "2024-01-01T00:00:00Z"


def empty_tenant() -> JsonDict:
    return {
        "tenantId": DEFAULT_TENANT_ID,
        "grantedPermissions": list(DEFAULT_GRANTED),
        "devices": [],
        "groups": [],
    }


def load_tenant(path: str | Path) -> JsonDict:
    """Read a tenant file; missing keys get their defaults."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a tenant file holds a JSON object")
    return {**empty_tenant(), **data}


def seed_group(
    partial: JsonDict, group_id: str | None = None, *, validate: bool = True
) -> JsonDict:
    """A full group from a partial one: a security group, dynamic if it has a rule."""
    group: JsonDict = dict.fromkeys(GROUP_PROPERTIES)
    group.update(
        createdDateTime=SEED_TIME,
        renewedDateTime=SEED_TIME,
        creationOptions=[],
        proxyAddresses=[],
        resourceBehaviorOptions=[],
        resourceProvisioningOptions=[],
        onPremisesProvisioningErrors=[],
        serviceProvisioningErrors=[],
        mailEnabled=False,
        securityEnabled=True,
    )
    group.update(partial)
    group["id"] = group.get("id") or group_id or str(uuid.uuid4())
    if not group.get("mailNickname"):
        nickname = re.sub(r"[^A-Za-z0-9_.-]", "", str(group.get("displayName") or ""))[:50]
        group["mailNickname"] = nickname or "group"
    if group.get("groupTypes") is None:
        group["groupTypes"] = ["DynamicMembership"] if group.get("membershipRule") else []
    if group.get("securityIdentifier") is None:
        group["securityIdentifier"] = security_identifier(group["id"])
    unknown = set(group) - set(GROUP_PROPERTIES)
    if unknown:
        raise ValueError(f"unknown group properties: {sorted(unknown)}")
    return validate_group(group) if validate else group
