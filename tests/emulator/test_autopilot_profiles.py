"""Autopilot deployment profiles and their group assignments, served only under /beta."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import (
    INTUNE_WRITER,
    PROFILES,
    TOKEN_HEADERS,
    all_pages,
    assert_graph_error,
    profile_assignment,
    target,
    targets_of,
)

from graph_emulator import Emulator, ManualClock

NOBODY = "00000000-0000-4000-8000-0000000000ff"


@pytest.fixture
def tenant(emulator: Emulator) -> dict[str, Any]:
    """Two groups and two profiles, one of them hybrid join; the app's permissions."""
    emulator.set_permissions(INTUNE_WRITER)
    return {
        "pilot": emulator.add_group({"displayName": "Pilot devices"}),
        "sales": emulator.add_group({"displayName": "Autopilot - SALES-UD"}),
        "ud": emulator.add_autopilot_profile({"displayName": "User-driven Entra join"}),
        "hybrid": emulator.add_autopilot_profile(
            {"displayName": "Hybrid join", "@odata.type": "activeDirectory"}
        ),
    }


def assignments_url(profile: dict[str, Any]) -> str:
    return f"{PROFILES}/{profile['id']}/assignments"


# --- reads ---


def test_profiles_are_listed_with_their_type_and_profile_fields(emulator, tenant, beta) -> None:
    answer = beta.get(PROFILES)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["@odata.context"] == (
        f"{emulator.beta_url}/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles"
    )
    ud, hybrid = body["value"]
    assert ud["@odata.type"] == "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    assert hybrid["@odata.type"] == (
        "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"
    )
    assert (ud["id"], ud["displayName"]) == (tenant["ud"]["id"], "User-driven Entra join")
    for name in ("description", "createdDateTime", "lastModifiedDateTime", "deviceNameTemplate"):
        assert name in ud
    assert ud["language"] == "os-default"
    assert "hybridAzureADJoinSkipConnectivityCheck" in hybrid
    assert "@odata.nextLink" not in body


def test_profiles_come_in_pages_linked_by_a_skiptoken(emulator, beta) -> None:
    emulator.set_permissions(INTUNE_WRITER)
    made = [emulator.add_autopilot_profile({"displayName": f"P{n}"})["id"] for n in range(5)]
    emulator.set_intune_page_size(2)

    first = beta.get(PROFILES).json()

    assert len(first["value"]) == 2
    assert first["@odata.nextLink"].startswith(emulator.beta_url + PROFILES + "?")
    assert "$skiptoken=" in first["@odata.nextLink"]
    assert [p["id"] for p in all_pages(beta, PROFILES)] == made
    assert len(emulator.requests) == 4  # the first page alone, then three while paging


def test_profiles_page_at_100_by_default_and_top_makes_pages_smaller(emulator, beta) -> None:
    emulator.set_permissions(INTUNE_WRITER)
    for n in range(101):
        emulator.add_autopilot_profile({"displayName": f"P{n}"})

    default = beta.get(PROFILES).json()
    small = beta.get(PROFILES, params={"$top": "7"}).json()

    assert len(default["value"]) == 100 and "@odata.nextLink" in default
    assert len(small["value"]) == 7
    assert "%24top=7" in small["@odata.nextLink"] or "$top=7" in small["@odata.nextLink"]


def test_select_keeps_the_id_and_the_type_and_refuses_unknown_properties(tenant, beta) -> None:
    chosen = beta.get(PROFILES, params={"$select": "displayName"}).json()["value"][0]
    unknown = beta.get(PROFILES, params={"$select": "displayName,groupTag"})

    assert set(chosen) == {"@odata.type", "id", "displayName"}
    assert_graph_error(unknown, 400, "BadRequest")


@pytest.mark.parametrize(
    "query",
    [
        {"$filter": "displayName eq 'User-driven Entra join'"},
        {"$filter": "startswith(displayName,'User')"},
        {"$orderby": "displayName"},
        {"$expand": "assignedDevices"},
        {"$expand": "assignments($select=id)"},
    ],
)
def test_query_options_beyond_paging_and_select_get_intunes_error(tenant, beta, query) -> None:
    error = assert_graph_error(beta.get(PROFILES, params=query), 400, "BadRequest")
    assert error["message"].startswith("An error has occurred - Operation ID")


def test_one_profile_is_read_by_id_and_an_unknown_id_is_404(tenant, beta) -> None:
    found = beta.get(f"{PROFILES}/{tenant['hybrid']['id']}", params={"$select": "displayName"})
    missing = beta.get(f"{PROFILES}/{NOBODY}")

    assert found.status_code == 200
    assert found.json()["displayName"] == "Hybrid join"
    assert found.json()["@odata.context"].endswith("windowsAutopilotDeploymentProfiles/$entity")
    assert_graph_error(missing, 404, "ResourceNotFound")
    assert_graph_error(beta.get(f"{PROFILES}/{NOBODY}/assignments"), 404, "ResourceNotFound")


@pytest.mark.parametrize(
    "path",
    [PROFILES, f"{PROFILES}/{NOBODY}", f"{PROFILES}/{NOBODY}/assignments"],
)
def test_version_one_has_no_profile_collection(tenant, client, path) -> None:
    error = assert_graph_error(client.get(path), 400, "BadRequest")
    assert error["message"] == (
        "Resource not found for the segment 'windowsAutopilotDeploymentProfiles'."
    )


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/groups", "groups"),
        ("/deviceManagement/windowsAutopilotDeviceIdentities", "windowsAutopilotDeviceIdentities"),
        ("/deviceManagement/deviceEnrollmentConfigurations", "deviceEnrollmentConfigurations"),
        ("/servicePrincipals", "servicePrincipals"),
    ],
)
def test_beta_serves_nothing_but_the_profiles(tenant, beta, path, segment) -> None:
    error = assert_graph_error(beta.get(path), 400, "BadRequest")
    assert error["message"] == f"Resource not found for the segment '{segment}'."


# --- assignments ---


def test_a_group_assignment_is_created_with_201_and_then_listed(tenant, beta) -> None:
    ud, group = tenant["ud"], tenant["sales"]

    created = beta.post(assignments_url(ud), json=profile_assignment(group["id"]))

    assert created.status_code == 201, created.text
    assignment = created.json()
    assert assignment["@odata.type"] == (
        "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment"
    )
    assert assignment["id"] == f"{ud['id']}_{group['id']}"
    assert assignment["target"]["@odata.type"] == "#microsoft.graph.groupAssignmentTarget"
    assert assignment["target"]["groupId"] == group["id"]
    assert (assignment["source"], assignment["sourceId"]) == ("direct", ud["id"])
    del assignment["@odata.context"]
    assert beta.get(assignments_url(ud)).json()["value"] == [assignment]


def test_assignments_are_paged_and_selectable(emulator, tenant, beta) -> None:
    groups = [emulator.add_group({"displayName": f"G{n}"})["id"] for n in range(5)]
    for group_id in groups:
        emulator.add_profile_assignment(tenant["ud"]["id"], group_id)
    emulator.set_intune_page_size(2)

    items = all_pages(beta, assignments_url(tenant["ud"]) + "?$select=target")
    first = beta.get(assignments_url(tenant["ud"]), params={"$select": "target"}).json()

    assert [group_id for _, group_id in targets_of(items)] == groups
    assert set(items[0]) == {"@odata.type", "id", "target"}
    assert "$skiptoken=" in first["@odata.nextLink"]


def test_exclusion_and_all_devices_targets_are_listed_as_seeded(emulator, tenant, beta) -> None:
    ud = tenant["ud"]["id"]
    emulator.add_profile_assignment(ud, "Pilot devices", target_type="exclusionGroup")
    emulator.add_profile_assignment(ud, target_type="allDevices")

    listed = beta.get(assignments_url(tenant["ud"])).json()["value"]

    assert targets_of(listed) == [
        ("exclusionGroupAssignmentTarget", tenant["pilot"]["id"]),
        ("allDevicesAssignmentTarget", None),
    ]
    assert listed[1]["id"] == f"{ud}_adadadad-808e-44e2-905a-0b7873a8a531"


@pytest.mark.parametrize(
    "kind", ["groupAssignmentTarget", "exclusionGroupAssignmentTarget"], ids=["include", "exclude"]
)
def test_a_second_assignment_for_the_same_group_is_refused_and_not_stored(
    emulator, tenant, beta, kind
) -> None:
    url, group = assignments_url(tenant["ud"]), tenant["sales"]["id"]
    assert beta.post(url, json=profile_assignment(group)).status_code == 201

    again = beta.post(url, json=profile_assignment(group, kind))

    error = assert_graph_error(again, 400, "BadRequest")
    assert f"An assignment for group '{group}' already exists" in error["message"]
    assert len(emulator.profile_assignments(tenant["ud"]["id"])) == 1
    assert emulator.duplicate_profile_assignments() == []


def test_all_devices_can_be_posted_once(emulator, tenant, beta) -> None:
    url = assignments_url(tenant["ud"])
    first = beta.post(url, json=profile_assignment(None, "allDevicesAssignmentTarget"))
    second = beta.post(url, json=profile_assignment(None, "allDevicesAssignmentTarget"))

    assert first.status_code == 201
    assert_graph_error(second, 400, "BadRequest")


def test_a_group_may_be_on_two_profiles_and_is_reported(emulator, tenant, beta) -> None:
    group = tenant["sales"]["id"]
    for profile in (tenant["ud"], tenant["hybrid"]):
        assert (
            beta.post(assignments_url(profile), json=profile_assignment(group)).status_code == 201
        )

    assert emulator.groups_on_several_profiles() == {
        group: [tenant["ud"]["id"], tenant["hybrid"]["id"]]
    }


def test_exclusions_do_not_count_as_a_group_on_several_profiles(emulator, tenant, beta) -> None:
    group = tenant["sales"]["id"]
    beta.post(assignments_url(tenant["ud"]), json=profile_assignment(group))
    beta.post(
        assignments_url(tenant["hybrid"]),
        json=profile_assignment(group, "exclusionGroupAssignmentTarget"),
    )

    assert emulator.groups_on_several_profiles() == {}


def _body(case: str, group_id: str) -> Any:
    bodies: dict[str, Any] = {
        "a list": [profile_assignment(group_id)],
        "another @odata.type": {**profile_assignment(group_id), "@odata.type": "#x.y"},
        "an unknown property": {**profile_assignment(group_id), "intent": "apply"},
        "no target": {"@odata.type": profile_assignment(group_id)["@odata.type"]},
        "a target without a type": {"target": {"groupId": group_id}},
        "a target type profiles take not": profile_assignment(
            None, "allLicensedUsersAssignmentTarget"
        ),
        "a groupId that is no GUID": profile_assignment("SALES-UD"),
        "a group that does not exist": profile_assignment(NOBODY),
        "no groupId": profile_assignment(None),
        "a groupId on all devices": profile_assignment(group_id, "allDevicesAssignmentTarget"),
        "an unknown target property": {"target": {**target(group_id), "intent": "x"}},
        "an assignment filter": {
            "target": {**target(group_id), "deviceAndAppManagementAssignmentFilterId": NOBODY}
        },
    }
    return bodies[case]


@pytest.mark.parametrize(
    "case",
    [
        "a list",
        "another @odata.type",
        "an unknown property",
        "no target",
        "a target without a type",
        "a target type profiles take not",
        "a groupId that is no GUID",
        "a group that does not exist",
        "no groupId",
        "a groupId on all devices",
        "an unknown target property",
        "an assignment filter",
    ],
)
def test_an_assignment_body_graph_would_not_take_is_400(emulator, tenant, beta, case) -> None:
    answer = beta.post(assignments_url(tenant["ud"]), json=_body(case, tenant["sales"]["id"]))

    assert_graph_error(answer, 400, "BadRequest")
    assert emulator.profile_assignments(tenant["ud"]["id"]) == []


def test_an_assignment_to_an_unknown_profile_is_404(tenant, beta) -> None:
    answer = beta.post(f"{PROFILES}/{NOBODY}/assignments", json=profile_assignment(NOBODY))
    assert_graph_error(answer, 404, "ResourceNotFound")


def test_a_body_that_is_not_json_is_400(tenant, beta) -> None:
    answer = beta.post(assignments_url(tenant["ud"]), content=b"{not json")
    assert_graph_error(answer, 400, "BadRequest")


# --- permissions and authentication ---


@pytest.mark.parametrize(
    ("granted", "method", "allowed"),
    [
        (["DeviceManagementServiceConfig.Read.All"], "GET", True),
        (["DeviceManagementServiceConfig.ReadWrite.All"], "GET", True),
        (["DeviceManagementConfiguration.ReadWrite.All"], "GET", False),
        (["Group.ReadWrite.All"], "GET", False),
        ([], "GET", False),
        (["DeviceManagementServiceConfig.ReadWrite.All"], "POST", True),
        (["DeviceManagementServiceConfig.Read.All"], "POST", False),
        (["DeviceManagementConfiguration.ReadWrite.All"], "POST", False),
        (["Group.ReadWrite.All"], "POST", False),
    ],
)
def test_permissions_gate_profile_reads_and_the_assignment(
    emulator, tenant, beta, granted, method, allowed
) -> None:
    emulator.set_permissions(granted)
    answers = (
        [beta.post(assignments_url(tenant["ud"]), json=profile_assignment(tenant["sales"]["id"]))]
        if method == "POST"
        else [
            beta.get(PROFILES),
            beta.get(f"{PROFILES}/{tenant['ud']['id']}"),
            beta.get(assignments_url(tenant["ud"])),
        ]
    )
    for answer in answers:
        if allowed:
            assert answer.status_code < 300, answer.text
        else:
            error = assert_graph_error(answer, 403, "Authorization_RequestDenied")
            assert error["message"] == "Insufficient privileges to complete the operation."


def test_no_bearer_token_is_401_under_beta(emulator, tenant) -> None:
    answer = httpx.get(emulator.beta_url + PROFILES)
    assert_graph_error(answer, 401, "InvalidAuthenticationToken")


def test_a_version_other_than_beta_or_v1_is_refused(emulator, tenant) -> None:
    answer = httpx.get(f"http://127.0.0.1:{emulator.port}/v2.0{PROFILES}", headers=TOKEN_HEADERS)
    error = assert_graph_error(answer, 400, "BadRequest")
    assert error["message"] == "Invalid version: v2.0"


# --- faults and the request log ---


@pytest.mark.parametrize("form", ["seconds", "fractional", "http-date", "none"])
def test_a_429_on_the_beta_list_has_each_retry_after_form(emulator, tenant, beta, form) -> None:
    emulator.faults.script("429", path=PROFILES, retry_after=form)

    throttled = beta.get(PROFILES)

    assert_graph_error(throttled, 429, "TooManyRequests")
    assert ("Retry-After" in throttled.headers) == (form != "none")
    assert beta.get(PROFILES).status_code == 200


def test_a_503_on_the_assignment_processes_nothing(emulator, tenant, beta) -> None:
    emulator.faults.script("503", method="POST", path=PROFILES)

    answer = beta.post(
        assignments_url(tenant["ud"]), json=profile_assignment(tenant["sales"]["id"])
    )

    assert_graph_error(answer, 503, "serviceNotAvailable")
    assert emulator.profile_assignments(tenant["ud"]["id"]) == []


def test_a_504_after_commit_has_made_the_assignment(emulator, tenant, beta) -> None:
    emulator.faults.script("504-after-commit", method="POST", path=PROFILES)
    body = profile_assignment(tenant["sales"]["id"])

    timed_out = beta.post(assignments_url(tenant["ud"]), json=body)
    replay = beta.post(assignments_url(tenant["ud"]), json=body)

    assert_graph_error(timed_out, 504, "GatewayTimeout")
    assert len(emulator.profile_assignments(tenant["ud"]["id"])) == 1
    assert_graph_error(replay, 400, "BadRequest")  # the replay meets the committed one


def test_a_drop_after_commit_has_made_the_assignment(emulator, tenant, beta) -> None:
    emulator.faults.script("drop-after-commit", method="POST", path=PROFILES)

    with pytest.raises(httpx.RemoteProtocolError):
        beta.post(assignments_url(tenant["ud"]), json=profile_assignment(tenant["sales"]["id"]))

    assert targets_of(emulator.profile_assignments(tenant["ud"]["id"])) == [
        ("groupAssignmentTarget", tenant["sales"]["id"])
    ]
    assert emulator.requests[-1].status == 0


def test_a_drop_before_commit_makes_nothing(emulator, tenant, beta) -> None:
    emulator.faults.script("drop", method="POST", path=PROFILES)

    with pytest.raises(httpx.RemoteProtocolError):
        beta.post(assignments_url(tenant["ud"]), json=profile_assignment(tenant["sales"]["id"]))

    assert emulator.profile_assignments(tenant["ud"]["id"]) == []


def test_a_latency_fault_delays_a_profile_read_but_answers_it(emulator, tenant, beta) -> None:
    emulator.faults.script("latency", path=PROFILES, seconds=0.01)
    assert beta.get(PROFILES).status_code == 200
    assert emulator.requests[-1].fault == "latency"


def test_the_request_log_tells_beta_from_v1(emulator, tenant, beta, client) -> None:
    beta.get(PROFILES)
    client.get("/groups")

    paths = [r.path for r in emulator.requests]

    assert paths == [f"/beta{PROFILES}", "/v1.0/groups"]
    assert sum(p.startswith("/beta/") for p in paths) == 1


# --- replication lag ---


def test_a_new_assignment_is_invisible_to_reads_until_the_lag_has_passed(
    emulator, tenant, beta, clock: ManualClock
) -> None:
    emulator.set_lag(30)
    url, group = assignments_url(tenant["ud"]), tenant["sales"]["id"]
    assert beta.post(url, json=profile_assignment(group)).status_code == 201

    assert beta.get(url).json()["value"] == []
    assert len(emulator.profile_assignments(tenant["ud"]["id"])) == 1  # the true state
    assert beta.post(url, json=profile_assignment(group)).status_code == 400  # writes see it
    clock.advance(29.9)
    assert beta.get(url).json()["value"] == []
    clock.advance(0.1)
    assert targets_of(beta.get(url).json()["value"]) == [("groupAssignmentTarget", group)]


def test_seeded_assignments_are_visible_at_once_under_lag(emulator, tenant, beta) -> None:
    emulator.set_lag(30)
    emulator.add_profile_assignment(tenant["ud"]["id"], "Pilot devices")

    listed = beta.get(assignments_url(tenant["ud"])).json()["value"]

    assert targets_of(listed) == [("groupAssignmentTarget", tenant["pilot"]["id"])]
