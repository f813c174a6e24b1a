"""Service principals and app role assignments answer as Graph documents them.

The facts are docs/graph-contract.md's rows 25 and 26.
"""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import TOKEN_HEADERS

from graph_emulator import Emulator
from graph_emulator.service_principals import GRAPH_APP_ID, GRAPH_APP_ROLES

GROUP_RW = GRAPH_APP_ROLES["Group.ReadWrite.All"]
ADMIN = ["Application.Read.All", "AppRoleAssignment.ReadWrite.All"]


@pytest.fixture
def admin(emulator: Emulator) -> Emulator:
    emulator.set_permissions(ADMIN)
    return emulator


def graph_sp(client: httpx.Client) -> dict:
    answer = client.get("/servicePrincipals", params={"$filter": f"appId eq '{GRAPH_APP_ID}'"})
    assert answer.status_code == 200, answer.text
    (sp,) = answer.json()["value"]
    return sp


def assign(client: httpx.Client, principal: str, resource: str, role: str) -> httpx.Response:
    body = {"principalId": principal, "resourceId": resource, "appRoleId": role}
    return client.post(f"/servicePrincipals/{resource}/appRoleAssignedTo", json=body)


def test_every_tenant_has_microsoft_graphs_service_principal_with_its_app_roles(admin, client):
    sp = graph_sp(client)

    assert sp["displayName"] == "Microsoft Graph"
    roles = {r["value"]: r for r in sp["appRoles"]}
    assert roles["DeviceManagementServiceConfig.Read.All"]["id"] == (
        "06a5fe6d-c49d-46a7-b082-56b1b14103c7"
    )
    assert roles["Group.ReadWrite.All"]["id"] == "62a82d76-70ea-41e2-9197-370581804d09"
    assert all(r["allowedMemberTypes"] == ["Application"] for r in roles.values())


def test_a_managed_identity_is_found_by_display_name_ignoring_case_and_by_id(admin, client):
    mi = admin.add_service_principal({"displayName": "id-autopilot-groups"})

    by_name = client.get(
        "/servicePrincipals", params={"$filter": "displayName eq 'ID-AUTOPILOT-GROUPS'"}
    )
    by_id = client.get(f"/servicePrincipals/{mi['id']}", params={"$select": "id,displayName"})

    assert [sp["id"] for sp in by_name.json()["value"]] == [mi["id"]]
    assert by_name.json()["value"][0]["servicePrincipalType"] == "ManagedIdentity"
    assert by_id.status_code == 200
    assert {k: v for k, v in by_id.json().items() if not k.startswith("@")} == {
        "id": mi["id"],
        "displayName": "id-autopilot-groups",
    }


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (
            "/servicePrincipals/00000000-0000-4000-8000-0000000000ff",
            404,
            "Request_ResourceNotFound",
        ),
        ("/servicePrincipals/not-a-guid", 400, "Request_BadRequest"),
    ],
)
def test_an_unknown_or_malformed_service_principal_id_is_refused(admin, client, path, status, code):
    answer = client.get(path)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code


def test_filters_other_than_app_id_or_display_name_are_refused(admin, client):
    answer = client.get("/servicePrincipals", params={"$filter": "startswith(displayName,'x')"})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "Request_UnsupportedQuery"


def test_an_assignment_is_created_and_listed_on_both_sides(admin, client):
    mi = admin.add_service_principal({"displayName": "id-app"})
    graph = graph_sp(client)

    created = assign(client, mi["id"], graph["id"], GROUP_RW)

    assert created.status_code == 201, created.text
    assignment = created.json()
    assert assignment["principalId"] == mi["id"]
    assert assignment["resourceId"] == graph["id"]
    assert assignment["appRoleId"] == GROUP_RW
    assert assignment["principalType"] == "ServicePrincipal"
    assert assignment["resourceDisplayName"] == "Microsoft Graph"
    assigned_to = client.get(f"/servicePrincipals/{graph['id']}/appRoleAssignedTo").json()
    assignments = client.get(f"/servicePrincipals/{mi['id']}/appRoleAssignments").json()
    assert [a["id"] for a in assigned_to["value"]] == [assignment["id"]]
    assert [a["id"] for a in assignments["value"]] == [assignment["id"]]


def test_the_sdks_odata_type_annotation_is_accepted_and_another_type_refused(admin, client):
    mi = admin.add_service_principal({"displayName": "id-app"})
    graph_id = graph_sp(client)["id"]
    body = {"principalId": mi["id"], "resourceId": graph_id, "appRoleId": GROUP_RW}
    url = f"/servicePrincipals/{graph_id}/appRoleAssignedTo"

    wrong = client.post(url, json={"@odata.type": "#microsoft.graph.group", **body})
    right = client.post(url, json={"@odata.type": "#microsoft.graph.appRoleAssignment", **body})

    assert wrong.status_code == 400
    assert right.status_code == 201


def test_a_duplicate_assignment_is_refused_with_graphs_message_and_not_stored(admin, client):
    mi = admin.add_service_principal({"displayName": "id-app"})
    graph = graph_sp(client)
    assign(client, mi["id"], graph["id"], GROUP_RW)

    again = assign(client, mi["id"], graph["id"], GROUP_RW)

    assert again.status_code == 400
    error = again.json()["error"]
    assert error["code"] == "Request_BadRequest"
    assert error["message"] == "Permission being assigned already exists on the object"
    assert len(admin.app_role_assignments()) == 1


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("unknown app role", 400),
        ("unknown principal", 404),
        ("unknown resource", 404),
        ("resource differs from the URL", 400),
        ("not a guid", 400),
    ],
)
def test_an_assignment_that_cannot_be_made_is_refused(admin, client, case, status):
    mi = admin.add_service_principal({"displayName": "id-app"})
    graph_id = graph_sp(client)["id"]
    nobody = "00000000-0000-4000-8000-0000000000ff"
    principal, resource, role, url_id = mi["id"], graph_id, GROUP_RW, graph_id
    if case == "unknown app role":
        role = nobody
    elif case == "unknown principal":
        principal = nobody
    elif case == "unknown resource":
        resource = url_id = nobody
    elif case == "resource differs from the URL":
        resource = mi["id"]
    else:
        role = "Group.ReadWrite.All"
    body = {"principalId": principal, "resourceId": resource, "appRoleId": role}

    answer = client.post(f"/servicePrincipals/{url_id}/appRoleAssignedTo", json=body)

    assert answer.status_code == status, answer.text
    assert admin.app_role_assignments() == []


@pytest.mark.parametrize(
    ("granted", "method", "status"),
    [
        ([], "GET", 403),
        (["AppRoleAssignment.ReadWrite.All"], "GET", 403),
        (["Application.Read.All"], "GET", 200),
        (["Application.Read.All"], "POST", 403),
        (ADMIN, "POST", 201),
    ],
)
def test_reads_need_application_read_and_the_grant_needs_app_role_assignment_write(
    emulator, client, granted, method, status
):
    mi = emulator.add_service_principal({"displayName": "id-app"})
    graph_id = next(sp["id"] for sp in emulator.service_principals() if sp["appId"] == GRAPH_APP_ID)
    emulator.set_permissions(granted)

    if method == "GET":
        answer = client.get(f"/servicePrincipals/{graph_id}/appRoleAssignedTo")
    else:
        answer = assign(client, mi["id"], graph_id, GROUP_RW)

    assert answer.status_code == status, answer.text
    if status == 403:
        assert answer.json()["error"]["code"] == "Authorization_RequestDenied"


def test_assignment_lists_are_paged_with_a_next_link(admin, client):
    graph_id = graph_sp(client)["id"]
    for number in range(3):
        mi = admin.add_service_principal({"displayName": f"id-{number}"})
        admin.add_app_role_assignment(
            {"principalId": mi["id"], "resourceId": graph_id, "appRoleId": GROUP_RW}
        )

    first = client.get(f"/servicePrincipals/{graph_id}/appRoleAssignedTo", params={"$top": "2"})
    second = httpx.get(first.json()["@odata.nextLink"], headers=TOKEN_HEADERS)

    assert len(first.json()["value"]) == 2
    assert len(second.json()["value"]) == 1
    assert "@odata.nextLink" not in second.json()


def test_a_tenant_file_seeds_service_principals_and_existing_assignments():
    mi = {"id": "11111111-1111-4111-8111-111111111111", "displayName": "id-seeded"}
    graph = {
        "id": "22222222-2222-4222-8222-222222222222",
        "appId": GRAPH_APP_ID,
        "displayName": "Microsoft Graph",
        "appRoles": [
            {"id": GROUP_RW, "value": "Group.ReadWrite.All", "isEnabled": True},
        ],
    }
    tenant = {
        "servicePrincipals": [graph, mi],
        "appRoleAssignments": [
            {"principalId": mi["id"], "resourceId": graph["id"], "appRoleId": GROUP_RW}
        ],
    }

    emu = Emulator(tenant=tenant)

    assert {sp["displayName"] for sp in emu.service_principals()} == {
        "Microsoft Graph",
        "id-seeded",
    }
    (assignment,) = emu.app_role_assignments()
    assert assignment["principalDisplayName"] == "id-seeded"


def test_a_second_service_principal_for_one_application_is_refused(admin):
    admin.add_provisioning_client()

    with pytest.raises(ValueError, match="appId 'f1346770-5b25-470b-88bd-d5744ab7952c' exists"):
        admin.add_provisioning_client()
    assert sum(s["appId"].startswith("f1346770") for s in admin.service_principals()) == 1
