"""Profiles and enrollment configurations from a tenant file and from in-process calls."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import targets_of

from graph_emulator import Emulator
from graph_emulator.enrollment_model import default_id_prefix

GROUP = "#microsoft.graph.groupAssignmentTarget"


def tenant_file(**extra: Any) -> dict[str, Any]:
    groups = [
        {"id": "11111111-1111-4111-8111-111111111111", "displayName": "Pilot devices"},
        {"displayName": "Twin"},
        {"displayName": "Twin"},
    ]
    return {"groups": groups, **extra}


def test_profile_assignments_name_groups_by_id_or_by_display_name() -> None:
    profiles = [
        {
            "displayName": "User-driven Entra join",
            "assignments": [
                "Pilot devices",
                {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
            ],
        },
        {
            "id": "22222222-2222-4222-8222-222222222222",
            "displayName": "Kiosk",
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "assignments": [
                {
                    "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                    "groupId": "11111111-1111-4111-8111-111111111111",
                }
            ],
        },
    ]

    emulator = Emulator(tenant_file(autopilotProfiles=profiles))

    ud, kiosk = emulator.autopilot_profiles()
    assert kiosk["id"] == "22222222-2222-4222-8222-222222222222"
    assert targets_of(emulator.profile_assignments(ud["id"])) == [
        ("groupAssignmentTarget", "11111111-1111-4111-8111-111111111111"),
        ("allDevicesAssignmentTarget", None),
    ]
    assert targets_of(emulator.profile_assignments(kiosk["id"])) == [
        ("exclusionGroupAssignmentTarget", "11111111-1111-4111-8111-111111111111")
    ]


@pytest.mark.parametrize(
    ("reference", "problem"),
    [("Twin", "several groups"), ("Nobody", "no group"), (42, "not an assignment target")],
)
def test_an_assignment_to_an_unclear_group_stops_the_load(reference: Any, problem: str) -> None:
    profiles = [{"displayName": "P", "assignments": [reference]}]
    with pytest.raises(ValueError, match=problem):
        Emulator(tenant_file(autopilotProfiles=profiles))


def test_the_defaults_are_added_unless_the_file_lists_them_by_id() -> None:
    tenant_id = "00000000-0000-4000-8000-000000000009"
    default_esp = (
        f"{default_id_prefix(tenant_id)}_DefaultWindows10EnrollmentCompletionPageConfiguration"
    )
    own = {
        "id": default_esp,
        "displayName": "All users and all devices",
        "priority": 0,
        "showInstallationProgress": True,
    }
    mine = {"displayName": "ESP - User-driven", "priority": 3, "assignments": ["Pilot devices"]}

    emulator = Emulator(tenant_file(tenantId=tenant_id, enrollmentConfigurations=[own, mine]))

    configurations = emulator.enrollment_configurations()
    assert [c["id"] == default_esp for c in configurations].count(True) == 1
    assert next(c for c in configurations if c["id"] == default_esp)["showInstallationProgress"]
    assert len(configurations) == 5
    esp = next(c for c in configurations if c["displayName"] == "ESP - User-driven")
    assert esp["priority"] == 3
    assert [a["target"]["groupId"] for a in emulator.esp_assignments(esp["id"])] == [
        "11111111-1111-4111-8111-111111111111"
    ]


@pytest.mark.parametrize(
    ("configuration", "problem"),
    [
        ({"displayName": "x", "priority": 0}, "priority 0"),
        ({"displayName": "x", "@odata.type": "#microsoft.graph.other"}, "unknown"),
        ({"displayName": "x", "limit": 3}, "unknown enrollment configuration properties"),
        ({"priority": 2}, "displayName"),
    ],
)
def test_a_configuration_graph_could_not_hold_is_refused(
    configuration: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Emulator().add_enrollment_configuration(configuration)


def test_priorities_are_given_in_turn_and_unique_within_a_kind() -> None:
    emulator = Emulator()
    first = emulator.add_enrollment_configuration({"displayName": "a"})
    second = emulator.add_enrollment_configuration({"displayName": "b"})
    limit = emulator.add_enrollment_configuration({"displayName": "c", "@odata.type": "limit"})

    assert (first["priority"], second["priority"], limit["priority"]) == (1, 2, 1)
    with pytest.raises(ValueError, match="taken"):
        emulator.add_enrollment_configuration({"displayName": "d", "priority": 2})


def test_seeding_the_same_group_twice_on_a_profile_is_refused() -> None:
    emulator = Emulator(tenant_file())
    profile = emulator.add_autopilot_profile({"displayName": "P"})
    emulator.add_profile_assignment(profile["id"], "Pilot devices")

    with pytest.raises(ValueError, match="already assigned"):
        emulator.add_profile_assignment(
            profile["id"], "Pilot devices", target_type="exclusionGroup"
        )


def test_an_admin_cannot_assign_the_default_configuration_either() -> None:
    emulator = Emulator(tenant_file())
    default_esp = next(c for c in emulator.enrollment_configurations() if c["priority"] == 0)

    with pytest.raises(ValueError, match="default"):
        emulator.set_esp_assignments(default_esp["id"], ["Pilot devices"])
