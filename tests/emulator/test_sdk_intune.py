"""The real msgraph-sdk's pipeline against the profile (beta) and ESP (v1.0) routes.

The beta SDK is not installed (the msgraph-beta-sdk package is over 600 MB), so beta calls go as
raw ``RequestInformation`` through the v1.0 ``GraphRequestAdapter``, middleware and all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from emulator_helpers import INTUNE_WRITER, PROFILES, profile_assignment
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.device_management.device_enrollment_configurations.item.assign.assign_post_request_body import (  # noqa: E501
    AssignPostRequestBody,
)
from msgraph.generated.models.enrollment_configuration_assignment import (
    EnrollmentConfigurationAssignment,
)
from msgraph.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph.generated.models.windows10_enrollment_completion_page_configuration import (
    Windows10EnrollmentCompletionPageConfiguration,
)
from sdk_helpers import graph_adapter, graph_client, run

from graph_emulator import Emulator


@pytest.fixture
def tenant(emulator: Emulator) -> dict[str, Any]:
    emulator.set_permissions(INTUNE_WRITER)
    pilot = emulator.add_group({"displayName": "Pilot devices"})
    return {
        "pilot": pilot,
        "sales": emulator.add_group({"displayName": "Autopilot - SALES-UD"}),
        "profile": emulator.add_autopilot_profile({"displayName": "User-driven Entra join"}),
        "esp": emulator.add_enrollment_configuration(
            {"displayName": "ESP - User-driven", "assignments": [pilot["id"]]}
        ),
    }


def raw(method: Method, url: str, body: dict[str, Any] | None = None) -> RequestInformation:
    info = RequestInformation()
    info.http_method = method
    info.url = url
    info.headers.try_add("Accept", "application/json")
    if body is not None:
        info.set_stream_content(json.dumps(body).encode(), "application/json")
    return info


def send(emulator: Emulator, info: RequestInformation) -> Any:
    """Through the SDK's adapter; the JSON answer, None for 204, APIError for errors."""
    content = run(graph_adapter(emulator).send_primitive_async(info, "bytes", None))
    return json.loads(content) if content else None


def test_a_raw_request_lists_the_beta_profiles_through_the_sdk(emulator, tenant) -> None:
    emulator.set_intune_page_size(1)
    emulator.add_autopilot_profile({"displayName": "Lab test profile"})

    first = send(emulator, raw(Method.GET, emulator.beta_url + PROFILES))
    second = send(emulator, raw(Method.GET, first["@odata.nextLink"]))

    assert [p["displayName"] for p in first["value"] + second["value"]] == [
        "User-driven Entra join",
        "Lab test profile",
    ]
    assert [r.path for r in emulator.requests] == [f"/beta{PROFILES}"] * 2


def test_a_raw_post_assigns_a_group_to_a_beta_profile(emulator, tenant) -> None:
    url = f"{emulator.beta_url}{PROFILES}/{tenant['profile']['id']}/assignments"

    created = send(emulator, raw(Method.POST, url, profile_assignment(tenant["sales"]["id"])))

    assert created["target"]["groupId"] == tenant["sales"]["id"]
    assert [a["id"] for a in emulator.profile_assignments(tenant["profile"]["id"])] == [
        created["id"]
    ]


def test_the_sdk_replays_a_profile_post_after_a_504_and_meets_the_duplicate(
    emulator, tenant
) -> None:
    emulator.faults.script("504-after-commit", method="POST", path=PROFILES, retry_after="1")
    url = f"{emulator.beta_url}{PROFILES}/{tenant['profile']['id']}/assignments"

    with pytest.raises(APIError) as raised:
        send(emulator, raw(Method.POST, url, profile_assignment(tenant["sales"]["id"])))

    assert raised.value.response_status_code == 400  # kiota retried the POST: a duplicate
    assert [r.status for r in emulator.requests] == [504, 400]
    assert len(emulator.profile_assignments(tenant["profile"]["id"])) == 1


def test_the_sdk_retries_a_throttled_beta_read(emulator, tenant) -> None:
    emulator.faults.script("429", path=PROFILES, retry_after="1")

    listed = send(emulator, raw(Method.GET, emulator.beta_url + PROFILES))

    assert len(listed["value"]) == 1
    assert [r.status for r in emulator.requests] == [429, 200]


def test_a_raw_request_to_the_v1_assign_action_replaces_the_list(emulator, tenant) -> None:
    url = f"{emulator.base_url}/deviceManagement/deviceEnrollmentConfigurations/"
    url += f"{tenant['esp']['id']}/assign"
    body = {
        "enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}}
            for g in (tenant["pilot"]["id"], tenant["sales"]["id"])
        ]
    }

    assert send(emulator, raw(Method.POST, url, body)) is None  # 204

    groups = [a["target"]["groupId"] for a in emulator.esp_assignments(tenant["esp"]["id"])]
    assert groups == [tenant["pilot"]["id"], tenant["sales"]["id"]]
    assert emulator.esp_assignments_removed == []


def test_the_sdks_own_builders_read_esps_and_assign_them(emulator, tenant) -> None:
    configurations = graph_client(emulator).device_management.device_enrollment_configurations
    esp = configurations.by_device_enrollment_configuration_id(tenant["esp"]["id"])
    body = AssignPostRequestBody(
        enrollment_configuration_assignments=[
            EnrollmentConfigurationAssignment(target=GroupAssignmentTarget(group_id=group_id))
            for group_id in (tenant["pilot"]["id"], tenant["sales"]["id"])
        ]
    )

    async def read_assign_read() -> tuple[Any, Any]:
        listed = await configurations.get()
        await esp.assign.post(body)
        return listed, await esp.assignments.get()

    listed, assignments = run(read_assign_read())

    esps = [
        c for c in listed.value if isinstance(c, Windows10EnrollmentCompletionPageConfiguration)
    ]
    assert [c.display_name for c in esps] == ["All users and all devices", "ESP - User-driven"]
    assert [a.target.group_id for a in assignments.value] == [
        tenant["pilot"]["id"],
        tenant["sales"]["id"],
    ]
    assert isinstance(assignments.value[0].target, GroupAssignmentTarget)
