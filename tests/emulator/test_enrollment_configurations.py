"""Enrollment configurations (the ESP among them) and their assign action, under /v1.0."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import (
    CONFIGS,
    INTUNE_WRITER,
    all_pages,
    assert_graph_error,
    esp_assign,
    target,
    targets_of,
)

from graph_emulator import Emulator, ManualClock
from graph_emulator.enrollment_model import default_id_prefix

NOBODY = "00000000-0000-4000-8000-0000000000ff"
ESP_TYPE = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration"
DEFAULT_SUFFIXES = [
    "_DefaultLimit",
    "_DefaultPlatformRestrictions",
    "_DefaultWindowsHelloForBusiness",
    "_DefaultWindows10EnrollmentCompletionPageConfiguration",
]


@pytest.fixture
def tenant(emulator: Emulator) -> dict[str, Any]:
    """Three groups, an ESP for user-driven devices with an admin's group on it."""
    emulator.set_permissions(INTUNE_WRITER)
    pilot = emulator.add_group({"displayName": "Pilot devices"})
    return {
        "pilot": pilot,
        "sales": emulator.add_group({"displayName": "Autopilot - SALES-UD"}),
        "hr": emulator.add_group({"displayName": "Autopilot - HR-UD"}),
        "esp": emulator.add_enrollment_configuration(
            {"displayName": "ESP - User-driven", "assignments": ["Pilot devices"]}
        ),
    }


def assign_url(config: dict[str, Any]) -> str:
    return f"{CONFIGS}/{config['id']}/assign"


def assignments(client: httpx.Client, config: dict[str, Any]) -> list[tuple[str, str | None]]:
    answer = client.get(f"{CONFIGS}/{config['id']}/assignments")
    assert answer.status_code == 200, answer.text
    return targets_of(answer.json()["value"])


def default_esp(emulator: Emulator) -> str:
    prefix = default_id_prefix(emulator.tenant_id)
    return f"{prefix}_DefaultWindows10EnrollmentCompletionPageConfiguration"


# --- reads ---


def test_every_tenant_has_the_four_default_configurations_at_priority_0(emulator, client) -> None:
    emulator.set_permissions(INTUNE_WRITER)

    listed = client.get(CONFIGS).json()["value"]

    prefix = default_id_prefix(emulator.tenant_id)
    assert [c["id"] for c in listed] == [prefix + suffix for suffix in DEFAULT_SUFFIXES]
    assert all(c["priority"] == 0 for c in listed)
    esp = listed[-1]
    assert esp["@odata.type"] == ESP_TYPE
    assert esp["displayName"] == "All users and all devices"
    for name in ("description", "createdDateTime", "lastModifiedDateTime", "version"):
        assert name in esp


def test_configurations_of_every_kind_are_listed_with_their_type(emulator, tenant, client) -> None:
    emulator.add_enrollment_configuration({"@odata.type": "limit", "displayName": "Ten devices"})

    listed = client.get(CONFIGS).json()["value"]

    types = {c["@odata.type"].removeprefix("#microsoft.graph.") for c in listed}
    assert types == {
        "windows10EnrollmentCompletionPageConfiguration",
        "deviceEnrollmentLimitConfiguration",
        "deviceEnrollmentPlatformRestrictionsConfiguration",
        "deviceEnrollmentWindowsHelloForBusinessConfiguration",
    }
    mine = [c for c in listed if c["displayName"] in ("ESP - User-driven", "Ten devices")]
    assert [(c["priority"], c["id"].rsplit("_", 1)[1]) for c in mine] == [
        (1, "Windows10EnrollmentCompletionPageConfiguration"),
        (1, "Limit"),
    ]


def test_configurations_come_in_pages_and_honour_select(emulator, tenant, client) -> None:
    assert len(client.get(CONFIGS, params={"$top": "3"}).json()["value"]) == 3
    emulator.set_intune_page_size(2)

    first = client.get(CONFIGS, params={"$select": "displayName,priority"}).json()
    everything = all_pages(client, CONFIGS + "?$select=displayName,priority")

    assert len(first["value"]) == 2
    assert first["@odata.nextLink"].startswith(emulator.base_url + CONFIGS + "?")
    assert "$skiptoken=" in first["@odata.nextLink"]
    assert len(everything) == 5
    assert set(everything[0]) == {"@odata.type", "id", "displayName", "priority"}


def test_a_property_of_one_kind_is_selectable_on_it_but_not_on_the_list(tenant, client) -> None:
    one = client.get(
        f"{CONFIGS}/{tenant['esp']['id']}", params={"$select": "showInstallationProgress"}
    )
    listed = client.get(CONFIGS, params={"$select": "showInstallationProgress"})

    assert one.status_code == 200
    assert "showInstallationProgress" in one.json()
    assert_graph_error(listed, 400, "BadRequest")


def test_filtering_by_type_is_refused_so_clients_filter_themselves(tenant, client) -> None:
    query = {"$filter": "isof('microsoft.graph.windows10EnrollmentCompletionPageConfiguration')"}
    error = assert_graph_error(client.get(CONFIGS, params=query), 400, "BadRequest")
    assert error["message"].startswith("An error has occurred - Operation ID")


def test_one_configuration_is_read_by_id_and_an_unknown_one_is_404(tenant, client) -> None:
    found = client.get(f"{CONFIGS}/{tenant['esp']['id']}")

    assert found.status_code == 200
    assert found.json()["@odata.type"] == ESP_TYPE
    assert found.json()["@odata.context"].endswith("deviceEnrollmentConfigurations/$entity")
    for path in (f"{CONFIGS}/{NOBODY}", f"{CONFIGS}/{NOBODY}/assignments"):
        assert_graph_error(client.get(path), 404, "ResourceNotFound")


def test_assignments_are_listed_paged_and_selectable(emulator, tenant, client) -> None:
    emulator.set_esp_assignments(
        tenant["esp"]["id"], [tenant["pilot"]["id"], tenant["sales"]["id"], tenant["hr"]["id"]]
    )
    emulator.set_intune_page_size(2)
    url = f"{CONFIGS}/{tenant['esp']['id']}/assignments"

    first = client.get(url, params={"$select": "target"}).json()
    items = all_pages(client, url + "?$select=target")

    assert len(first["value"]) == 2 and "$skiptoken=" in first["@odata.nextLink"]
    assert [i["target"]["groupId"] for i in items] == [
        tenant[name]["id"] for name in ("pilot", "sales", "hr")
    ]
    assert items[0]["@odata.type"] == "#microsoft.graph.enrollmentConfigurationAssignment"
    assert set(items[0]) == {"@odata.type", "id", "target"}


def test_configurations_are_not_served_under_beta(emulator, tenant, beta) -> None:
    error = assert_graph_error(beta.get(CONFIGS), 400, "BadRequest")
    assert (
        error["message"] == "Resource not found for the segment 'deviceEnrollmentConfigurations'."
    )


# --- assign: replace semantics ---


def test_assign_replaces_the_whole_list_with_the_bodys(emulator, tenant, client) -> None:
    answer = client.post(assign_url(tenant["esp"]), json=esp_assign(target(tenant["sales"]["id"])))

    assert answer.status_code == 204
    assert answer.content == b""
    assert assignments(client, tenant["esp"]) == [("groupAssignmentTarget", tenant["sales"]["id"])]


def test_assign_that_repeats_the_list_and_adds_keeps_everything(emulator, tenant, client) -> None:
    body = esp_assign(target(tenant["pilot"]["id"]), target(tenant["sales"]["id"]))

    assert client.post(assign_url(tenant["esp"]), json=body).status_code == 204

    assert assignments(client, tenant["esp"]) == [
        ("groupAssignmentTarget", tenant["pilot"]["id"]),
        ("groupAssignmentTarget", tenant["sales"]["id"]),
    ]


def test_duplicates_in_the_body_collapse_per_target_type_and_group(
    emulator, tenant, client
) -> None:
    sales = tenant["sales"]["id"]
    body = esp_assign(
        target(sales),
        target(sales.upper()),
        target(sales, "exclusionGroupAssignmentTarget"),
        target(None, "allDevicesAssignmentTarget"),
        target(None, "allDevicesAssignmentTarget"),
    )

    assert client.post(assign_url(tenant["esp"]), json=body).status_code == 204

    listed = client.get(f"{CONFIGS}/{tenant['esp']['id']}/assignments").json()["value"]
    assert targets_of(listed) == [
        ("groupAssignmentTarget", sales),
        ("exclusionGroupAssignmentTarget", sales),
        ("allDevicesAssignmentTarget", None),
    ]
    assert len({a["id"] for a in listed}) == 3


def test_an_empty_list_removes_every_assignment(emulator, tenant, client) -> None:
    assert client.post(assign_url(tenant["esp"]), json=esp_assign()).status_code == 204
    assert emulator.esp_assignments(tenant["esp"]["id"]) == []


def test_the_default_esp_cannot_be_assigned(emulator, tenant, client) -> None:
    answer = client.post(
        f"{CONFIGS}/{default_esp(emulator)}/assign", json=esp_assign(target(tenant["sales"]["id"]))
    )

    assert_graph_error(answer, 400, "BadRequest")
    assert emulator.esp_assignments(default_esp(emulator)) == []


def _assign_body(case: str, group_id: str) -> Any:
    bodies: dict[str, Any] = {
        "a list": [target(group_id)],
        "no assignments": {},
        "assignments not a list": {
            "enrollmentConfigurationAssignments": {"target": target(group_id)}
        },
        "an unknown parameter": {**esp_assign(target(group_id)), "replace": False},
        "an item that is not an object": {"enrollmentConfigurationAssignments": [group_id]},
        "an item of another type": {
            "enrollmentConfigurationAssignments": [
                {"@odata.type": "#microsoft.graph.x", "target": target(group_id)}
            ]
        },
        "an item with an unknown property": {
            "enrollmentConfigurationAssignments": [{"target": target(group_id), "intent": "x"}]
        },
        "an item without a target": {"enrollmentConfigurationAssignments": [{}]},
        "a target without a type": esp_assign({"groupId": group_id}),
        "a groupId that is no GUID": esp_assign(target("Pilot devices")),
        "a group that does not exist": esp_assign(target(NOBODY)),
        "a groupId on all users": esp_assign(target(group_id, "allLicensedUsersAssignmentTarget")),
        "one bad item among good ones": esp_assign(target(group_id), target(NOBODY)),
    }
    return bodies[case]


@pytest.mark.parametrize(
    "case",
    [
        "a list",
        "no assignments",
        "assignments not a list",
        "an unknown parameter",
        "an item that is not an object",
        "an item of another type",
        "an item with an unknown property",
        "an item without a target",
        "a target without a type",
        "a groupId that is no GUID",
        "a group that does not exist",
        "a groupId on all users",
        "one bad item among good ones",
    ],
)
def test_an_assign_body_graph_would_not_take_is_400_and_changes_nothing(
    emulator, tenant, client, case
) -> None:
    answer = client.post(assign_url(tenant["esp"]), json=_assign_body(case, tenant["sales"]["id"]))

    assert_graph_error(answer, 400, "BadRequest")
    assert targets_of(emulator.esp_assignments(tenant["esp"]["id"])) == [
        ("groupAssignmentTarget", tenant["pilot"]["id"])
    ]


def test_assign_on_an_unknown_configuration_is_404(tenant, client) -> None:
    answer = client.post(f"{CONFIGS}/{NOBODY}/assign", json=esp_assign())
    assert_graph_error(answer, 404, "ResourceNotFound")


# --- what the app removed ---


def test_an_assign_over_http_that_drops_an_assignment_is_counted(emulator, tenant, client) -> None:
    before = emulator.clock()
    client.post(assign_url(tenant["esp"]), json=esp_assign(target(tenant["sales"]["id"])))

    (removed,) = emulator.esp_assignments_removed
    assert removed.config_id == tenant["esp"]["id"]
    assert removed.target["@odata.type"] == "#microsoft.graph.groupAssignmentTarget"
    assert removed.target["groupId"] == tenant["pilot"]["id"]
    assert removed.time >= before
    assert removed.source == "http"


def test_an_assign_that_keeps_every_assignment_is_not_counted(emulator, tenant, client) -> None:
    keep = esp_assign(target(tenant["pilot"]["id"]), target(tenant["sales"]["id"]))
    client.post(assign_url(tenant["esp"]), json=keep)
    client.post(assign_url(tenant["esp"]), json=keep)

    assert emulator.esp_assignments_removed == []


def test_an_admins_own_change_is_not_counted_as_the_apps(emulator, tenant, client) -> None:
    emulator.set_esp_assignments(tenant["esp"]["id"], [tenant["sales"]["id"]])

    assert emulator.esp_assignments_removed == []
    (removal,) = emulator.all_esp_assignment_removals()
    assert (removal.source, removal.target["groupId"]) == ("admin", tenant["pilot"]["id"])
    assert targets_of(emulator.esp_assignments(tenant["esp"]["id"])) == [
        ("groupAssignmentTarget", tenant["sales"]["id"])
    ]


def test_removals_compare_with_the_true_state_not_the_lagged_read(emulator, tenant, client) -> None:
    emulator.set_lag(60)
    emulator.set_esp_assignments(
        tenant["esp"]["id"], [tenant["pilot"]["id"], tenant["hr"]["id"]]
    )  # not yet visible to reads

    client.post(assign_url(tenant["esp"]), json=esp_assign(target(tenant["pilot"]["id"])))

    assert [r.target["groupId"] for r in emulator.esp_assignments_removed] == [tenant["hr"]["id"]]


# --- permissions ---


@pytest.mark.parametrize(
    ("granted", "method", "allowed"),
    [
        (["DeviceManagementServiceConfig.Read.All"], "GET", True),
        (["DeviceManagementServiceConfig.ReadWrite.All"], "GET", True),
        (["DeviceManagementConfiguration.Read.All"], "GET", True),
        (["DeviceManagementConfiguration.ReadWrite.All"], "GET", True),
        (["Group.ReadWrite.All"], "GET", False),
        ([], "GET", False),
        (["DeviceManagementServiceConfig.ReadWrite.All"], "POST", True),
        (["DeviceManagementConfiguration.ReadWrite.All"], "POST", True),
        (["DeviceManagementServiceConfig.Read.All"], "POST", False),
        (["DeviceManagementConfiguration.Read.All"], "POST", False),
        (["Group.ReadWrite.All"], "POST", False),
    ],
)
def test_permissions_gate_configuration_reads_and_assign(
    emulator, tenant, client, granted, method, allowed
) -> None:
    emulator.set_permissions(granted)
    esp = tenant["esp"]
    answers = (
        [client.post(assign_url(esp), json=esp_assign(target(tenant["pilot"]["id"])))]
        if method == "POST"
        else [
            client.get(CONFIGS),
            client.get(f"{CONFIGS}/{esp['id']}"),
            client.get(f"{CONFIGS}/{esp['id']}/assignments"),
        ]
    )
    for answer in answers:
        if allowed:
            assert answer.status_code < 300, answer.text
        else:
            assert_graph_error(answer, 403, "Authorization_RequestDenied")


def test_no_bearer_token_is_401(emulator, tenant) -> None:
    assert_graph_error(httpx.get(emulator.base_url + CONFIGS), 401, "InvalidAuthenticationToken")


# --- faults ---


@pytest.mark.parametrize("form", ["seconds", "fractional", "http-date"])
def test_a_429_on_assign_processes_nothing(emulator, tenant, client, form) -> None:
    emulator.faults.script("429", method="POST", path="/assign", retry_after=form)

    answer = client.post(assign_url(tenant["esp"]), json=esp_assign())

    assert_graph_error(answer, 429, "TooManyRequests")
    assert answer.headers["Retry-After"]
    assert len(emulator.esp_assignments(tenant["esp"]["id"])) == 1


def test_a_503_on_the_list_answers_nothing_else(emulator, tenant, client) -> None:
    emulator.faults.script("503", path=CONFIGS, retry_after="2")
    answer = client.get(CONFIGS)
    assert_graph_error(answer, 503, "serviceNotAvailable")
    assert answer.headers["Retry-After"] == "2"


def test_a_504_after_commit_on_assign_has_applied_the_write(emulator, tenant, client) -> None:
    emulator.faults.script("504-after-commit", method="POST", path="/assign")

    answer = client.post(assign_url(tenant["esp"]), json=esp_assign(target(tenant["sales"]["id"])))

    assert_graph_error(answer, 504, "GatewayTimeout")
    assert targets_of(emulator.esp_assignments(tenant["esp"]["id"])) == [
        ("groupAssignmentTarget", tenant["sales"]["id"])
    ]
    assert len(emulator.esp_assignments_removed) == 1


def test_a_drop_after_commit_on_assign_has_applied_the_write(emulator, tenant, client) -> None:
    emulator.faults.script("drop-after-commit", method="POST", path="/assign")

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(assign_url(tenant["esp"]), json=esp_assign())

    assert emulator.esp_assignments(tenant["esp"]["id"]) == []


def test_a_drop_before_commit_on_assign_changes_nothing(emulator, tenant, client) -> None:
    emulator.faults.script("drop", method="POST", path="/assign")

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(assign_url(tenant["esp"]), json=esp_assign())

    assert len(emulator.esp_assignments(tenant["esp"]["id"])) == 1
    assert emulator.requests[-1].path == f"/v1.0{CONFIGS}/{tenant['esp']['id']}/assign"


# --- replication lag ---


def test_an_assign_is_invisible_to_reads_until_the_lag_has_passed(
    emulator, tenant, client, clock: ManualClock
) -> None:
    emulator.set_lag(20)
    pilot, sales = tenant["pilot"]["id"], tenant["sales"]["id"]

    client.post(assign_url(tenant["esp"]), json=esp_assign(target(pilot), target(sales)))

    assert assignments(client, tenant["esp"]) == [("groupAssignmentTarget", pilot)]
    clock.advance(19.5)
    assert assignments(client, tenant["esp"]) == [("groupAssignmentTarget", pilot)]
    clock.advance(0.5)
    assert assignments(client, tenant["esp"]) == [
        ("groupAssignmentTarget", pilot),
        ("groupAssignmentTarget", sales),
    ]


def test_an_admins_change_is_lagged_too_but_seeding_is_not(
    emulator, tenant, client, clock: ManualClock
) -> None:
    emulator.set_lag(20)
    emulator.set_esp_assignments(tenant["esp"]["id"], [])
    later = emulator.add_enrollment_configuration(
        {"displayName": "ESP - seeded", "assignments": [tenant["hr"]["id"]]}
    )

    assert assignments(client, tenant["esp"]) == [("groupAssignmentTarget", tenant["pilot"]["id"])]
    assert assignments(client, later) == [("groupAssignmentTarget", tenant["hr"]["id"])]
    clock.advance(20)
    assert assignments(client, tenant["esp"]) == []
