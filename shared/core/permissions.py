"""The Microsoft Graph application permissions the app needs, by name.

Least privilege is a promise to admins: each Graph call names the one permission whose absence
explains a 403, and the grant command gives exactly these. Reading Autopilot devices needs
``DeviceManagementServiceConfig.Read.All``; assigning deployment profiles and Enrollment Status
Pages needs ``.ReadWrite.All`` instead, so it is asked for only when a scenario names one.
"""

from __future__ import annotations

from shared.core.model import Catalogue

DEVICE_PERMISSION = "DeviceManagementServiceConfig.Read.All"
DEVICE_WRITE_PERMISSION = "DeviceManagementServiceConfig.ReadWrite.All"
GROUP_PERMISSION = "Group.ReadWrite.All"
# Autopilot device preparation: the policies (docs/graph-contract.md, row 44).
POLICY_PERMISSION = "DeviceManagementConfiguration.ReadWrite.All"
# What an admin's sign-in needs to grant application permissions (docs/graph-contract.md, row 25).
APP_READ_PERMISSION = "Application.Read.All"
ASSIGN_PERMISSION = "AppRoleAssignment.ReadWrite.All"


def intune_permission(catalogue: Catalogue) -> str:
    """The device management permission the catalogue needs: read, or read and write."""
    return DEVICE_WRITE_PERMISSION if catalogue.assigns else DEVICE_PERMISSION


def required_roles(catalogue: Catalogue) -> tuple[str, ...]:
    """Every application permission the app needs with this catalogue, and no more: device
    preparation adds the policies' permission and the one that finds the Intune Provisioning
    Client, only when a scenario names a device preparation policy."""
    roles: tuple[str, ...] = (intune_permission(catalogue), GROUP_PERMISSION)
    if catalogue.prepares:
        roles += (POLICY_PERMISSION, APP_READ_PERMISSION)
    return roles
