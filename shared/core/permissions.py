"""The Microsoft Graph application permissions the app needs, by name.

Least privilege is a promise to admins: each Graph call names the one permission whose absence
explains a 403, and the grant command gives exactly these.
"""

from __future__ import annotations

DEVICE_PERMISSION = "DeviceManagementServiceConfig.Read.All"
GROUP_PERMISSION = "Group.ReadWrite.All"
# What an admin's sign-in needs to grant application permissions (graph-facts §6).
APP_READ_PERMISSION = "Application.Read.All"
ASSIGN_PERMISSION = "AppRoleAssignment.ReadWrite.All"

REQUIRED_ROLES = (DEVICE_PERMISSION, GROUP_PERMISSION)
