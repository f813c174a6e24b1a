"""Every profile's assignments in one read: $expand=assignments on the beta profile list
(default), read through the lag, and refused under strict so the app reads each profile."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import (
    INTUNE_WRITER,
    PROFILES,
    TOKEN_HEADERS,
    assert_graph_error,
    profile_assignment,
    targets_of,
)

from graph_emulator import Emulator, ManualClock

QUERY = {"$expand": "assignments", "$select": "id,displayName"}


@pytest.fixture
def seeded(emulator: Emulator) -> dict[str, str]:
    emulator.set_permissions(INTUNE_WRITER)
    group = emulator.add_group({"displayName": "Legacy devices"})["id"]
    legacy = emulator.add_autopilot_profile({"displayName": "Legacy", "assignments": [group]})
    ud = emulator.add_autopilot_profile({"displayName": "User-driven"})
    return {"group": group, "legacy": legacy["id"], "ud": ud["id"]}


def test_the_list_carries_each_profiles_assignments(emulator, beta, seeded) -> None:
    body = beta.get(PROFILES, params=QUERY).json()

    legacy, ud = body["value"]
    assert body["@odata.context"].endswith(
        "windowsAutopilotDeploymentProfiles(id,displayName,assignments())"
    )
    assert set(legacy) == {
        "@odata.type",
        "id",
        "displayName",
        "assignments",
        "assignments@odata.context",
    }
    assert targets_of(legacy["assignments"]) == [("groupAssignmentTarget", seeded["group"])]
    (item,) = legacy["assignments"]
    assert item["id"] == f"{seeded['legacy']}_{seeded['group']}"
    assert item["@odata.type"] == "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment"
    assert ud["assignments"] == []
    same = beta.get(f"{PROFILES}/{seeded['legacy']}/assignments").json()["value"]
    assert legacy["assignments"] == same  # the same items as the assignments route


def test_expand_without_select_keeps_every_property(beta, seeded) -> None:
    (legacy, _) = beta.get(PROFILES, params={"$expand": "assignments"}).json()["value"]

    assert "deviceNameTemplate" in legacy and len(legacy["assignments"]) == 1


def test_one_profile_can_be_read_with_its_assignments_too(beta, seeded) -> None:
    one = beta.get(f"{PROFILES}/{seeded['legacy']}", params=QUERY).json()

    assert targets_of(one["assignments"]) == [("groupAssignmentTarget", seeded["group"])]
    assert one["@odata.context"].endswith("(id,displayName,assignments())/$entity")


def test_expanded_assignments_are_read_through_the_lag(
    emulator: Emulator, clock: ManualClock, beta, seeded
) -> None:
    emulator.set_lag(5)
    clock.advance(10)
    posted = beta.post(
        f"{PROFILES}/{seeded['ud']}/assignments", json=profile_assignment(seeded["group"])
    )

    before = beta.get(PROFILES, params=QUERY).json()["value"][1]["assignments"]
    clock.advance(5)
    after = beta.get(PROFILES, params=QUERY).json()["value"][1]["assignments"]

    assert posted.status_code == 201
    assert before == [] and targets_of(after) == [("groupAssignmentTarget", seeded["group"])]


@pytest.mark.parametrize("value", ["assignedDevices", "assignments($select=id)", "Assignments,x"])
def test_other_expansions_get_intunes_error(beta, seeded, value) -> None:
    error = assert_graph_error(beta.get(PROFILES, params={"$expand": value}), 400, "BadRequest")
    assert error["message"].startswith("An error has occurred - Operation ID")


def test_the_strict_profile_refuses_expand_so_the_app_reads_each_profile(clock) -> None:
    with (
        Emulator(clock=clock, strict=True) as emulator,
        httpx.Client(base_url=emulator.beta_url, headers=TOKEN_HEADERS) as beta,
    ):
        emulator.set_permissions(INTUNE_WRITER)
        profile = emulator.add_autopilot_profile({"displayName": "Legacy"})
        refused = beta.get(PROFILES, params=QUERY)
        one = beta.get(f"{PROFILES}/{profile['id']}", params={"$expand": "assignments"})
        fallback = beta.get(f"{PROFILES}/{profile['id']}/assignments")

    assert_graph_error(refused, 400, "BadRequest")
    assert_graph_error(one, 400, "BadRequest")
    assert fallback.status_code == 200
