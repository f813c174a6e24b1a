"""Service principals as the emulator seeds them: Microsoft Graph's (every tenant has it, with
the application roles the app and the grant involve) and the Intune Provisioning Client (the
first-party app that must own an Autopilot device preparation group), or any other.
"""

from __future__ import annotations

import uuid
from typing import Any

JsonDict = dict[str, Any]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_SP_ID = "4a1e6f2c-0000-4000-8000-00000000a001"  # any id: Graph's differs per tenant
# The first-party app that must own an Autopilot device preparation group
# (docs/graph-contract.md, row 43); some tenants show the other name.
PROVISIONING_CLIENT_APP_ID = "f1346770-5b25-470b-88bd-d5744ab7952c"
PROVISIONING_CLIENT_NAMES = ("Intune Provisioning Client", "Intune Autopilot ConfidentialClient")
# Microsoft Graph's own application roles that the app, the grant, or near misses involve.
# Ids as published in the Graph permissions reference.
GRAPH_APP_ROLES = {
    "DeviceManagementServiceConfig.Read.All": "06a5fe6d-c49d-46a7-b082-56b1b14103c7",
    "DeviceManagementServiceConfig.ReadWrite.All": "5ac13192-7ace-4fcf-b828-1a26f28068ee",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "DeviceManagementConfiguration.Read.All": "dc377aa6-52d8-4e23-b271-2a7ae04cedf3",
    "DeviceManagementConfiguration.ReadWrite.All": "9241abd9-d0e6-425a-bd4f-47ba86e767a4",
}
SP_PROPERTIES = (
    "id",
    "appId",
    "displayName",
    "servicePrincipalType",
    "accountEnabled",
    "alternativeNames",
    "appRoles",
)


def graph_service_principal() -> JsonDict:
    """Microsoft Graph's service principal, as every tenant has it (only the roles used here)."""
    roles = [
        {
            "id": role_id,
            "value": value,
            "displayName": value,
            "description": f"Application permission {value}.",
            "allowedMemberTypes": ["Application"],
            "isEnabled": True,
            "origin": "Application",
        }
        for value, role_id in GRAPH_APP_ROLES.items()
    ]
    return {
        "id": GRAPH_SP_ID,
        "appId": GRAPH_APP_ID,
        "displayName": "Microsoft Graph",
        "servicePrincipalType": "Application",
        "appRoles": roles,
    }


def provisioning_client(sp_id: str, display_name: str = PROVISIONING_CLIENT_NAMES[0]) -> JsonDict:
    """The Intune Provisioning Client as a tenant holds it (Microsoft's app, no roles)."""
    return {
        "id": sp_id,
        "appId": PROVISIONING_CLIENT_APP_ID,
        "displayName": display_name,
        "servicePrincipalType": "Application",
    }


def seed_service_principal(partial: JsonDict) -> JsonDict:
    """A full service principal from a partial one; a managed identity unless it has roles."""
    if not partial.get("displayName"):
        raise ValueError("a service principal needs a displayName")
    sp: JsonDict = {
        "id": str(uuid.uuid4()),
        "appId": str(uuid.uuid4()),
        "servicePrincipalType": "Application" if partial.get("appRoles") else "ManagedIdentity",
        "accountEnabled": True,
        "alternativeNames": [],
        "appRoles": [],
    }
    sp.update(partial)
    unknown = set(sp) - set(SP_PROPERTIES)
    if unknown:
        raise ValueError(f"unknown service principal properties: {sorted(unknown)}")
    return sp
