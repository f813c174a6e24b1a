"""Helpers for the emulator's tests (a module of its own: `conftest` is ambiguous once
tests/conftest.py exists, since both are imported under that name)."""

from __future__ import annotations

import re
from typing import Any

import httpx

TOKEN_HEADERS = {"Authorization": "Bearer test-token"}


def device(number: int, tag: str = "", **extra: Any) -> dict[str, Any]:
    """A small Autopilot device for seeding."""
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "serialNumber": f"SN{number:06d}",
        "groupTag": tag,
        **extra,
    }


def dynamic_group_body(name: str, rule: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": name,
        "mailEnabled": False,
        "mailNickname": name.replace(" ", "-")[:64],
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": rule or f'(device.devicePhysicalIds -any (_ -eq "[OrderID]:{name}"))',
        "membershipRuleProcessingState": "On",
    }
    body.update(extra)
    return body


GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def assert_graph_error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert GUID.match(response.headers["request-id"])
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    inner = error["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\Z", inner["date"])
    return error


# --- Intune: Autopilot deployment profiles (beta) and enrollment configurations (v1.0) ---

PROFILES = "/deviceManagement/windowsAutopilotDeploymentProfiles"
CONFIGS = "/deviceManagement/deviceEnrollmentConfigurations"
INTUNE_WRITER = ["DeviceManagementServiceConfig.ReadWrite.All", "Group.ReadWrite.All"]


def target(group_id: str | None, kind: str = "groupAssignmentTarget") -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.type": f"#microsoft.graph.{kind}"}
    if group_id is not None:
        body["groupId"] = group_id
    return body


def profile_assignment(group_id: str | None, kind: str = "groupAssignmentTarget") -> dict[str, Any]:
    """The body the app posts to …/windowsAutopilotDeploymentProfiles/{id}/assignments."""
    return {
        "@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
        "target": target(group_id, kind),
    }


def esp_assign(*targets: dict[str, Any]) -> dict[str, Any]:
    """The body of …/deviceEnrollmentConfigurations/{id}/assign."""
    return {"enrollmentConfigurationAssignments": [{"target": t} for t in targets]}


def all_pages(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    """Every item of a list, following each @odata.nextLink whole."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        answer = client.get(next_url)
        assert answer.status_code == 200, answer.text
        items += answer.json()["value"]
        next_url = answer.json().get("@odata.nextLink")
    return items


def targets_of(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(target type without the namespace, groupId) of each assignment."""
    return [
        (i["target"]["@odata.type"].removeprefix("#microsoft.graph."), i["target"].get("groupId"))
        for i in items
    ]


# --- the directory's recycle bin, owners and Autopilot device preparation ---

DELETED = "/directory/deletedItems"
DELETED_GROUPS = "/directory/deletedItems/microsoft.graph.group"
POLICIES = "/deviceManagement/configurationPolicies"
PROVISIONING_APP_ID = "f1346770-5b25-470b-88bd-d5744ab7952c"
DEVICE_PREP_WRITER = [
    "DeviceManagementConfiguration.ReadWrite.All",
    "Group.ReadWrite.All",
    "Application.Read.All",
]


def static_group_body(name: str, **extra: Any) -> dict[str, Any]:
    """An assigned (static) security group, as device preparation needs."""
    body: dict[str, Any] = {
        "displayName": name,
        "mailEnabled": False,
        "mailNickname": name.replace(" ", "-")[:64],
        "securityEnabled": True,
        "groupTypes": [],
    }
    body.update(extra)
    return body


def directory_object(object_id: str) -> str:
    """The ``@odata.id`` / ``@odata.bind`` URL of a directory object, as the app writes it."""
    return f"https://graph.microsoft.com/v1.0/directoryObjects/{object_id}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def membership_target(group_id: str) -> dict[str, Any]:
    """The body of …/configurationPolicies/{id}/setEnrollmentTimeDeviceMembershipTarget."""
    return {
        "enrollmentTimeDeviceMembershipTargets": [
            {"targetType": "staticSecurityGroup", "targetId": group_id}
        ]
    }


def target_statuses(answer: httpx.Response) -> tuple[bool, list[tuple[str, str | None]]]:
    """(validationSucceeded, [(targetId, targetValidationErrorCode)]) of a 200 result."""
    assert answer.status_code == 200, answer.text
    result = answer.json()["value"]
    statuses = result["enrollmentTimeDeviceMembershipTargetValidationStatuses"]
    return result["validationSucceeded"], [
        (s["targetId"], s["targetValidationErrorCode"]) for s in statuses
    ]
