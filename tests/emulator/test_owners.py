"""Group owners: owners@odata.bind on create and upsert, the owners list, the two $ref writes,
their permissions and lag, and the drifts an admin can cause (a group made dynamic or
mail-enabled, an owner removed)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import (
    PROVISIONING_APP_ID,
    TOKEN_HEADERS,
    assert_graph_error,
    bearer,
    directory_object,
    static_group_body,
)

from graph_emulator import Emulator, ManualClock

UNIQUE = "apdp-user-driven"


@pytest.fixture
def client_sp(emulator: Emulator) -> dict[str, Any]:
    """The Intune Provisioning Client, as tenants that use device preparation hold it."""
    return emulator.add_provisioning_client()


def owners_url(group_id: str) -> str:
    return f"/groups/{group_id}/owners"


def upsert(client: httpx.Client, **extra: Any) -> httpx.Response:
    return client.patch(
        f"/groups(uniqueName='{UNIQUE}')",
        json=static_group_body("Autopilot device preparation", **extra),
        headers={"Prefer": "create-if-missing"},
    )


def test_the_provisioning_client_is_found_by_its_app_id(emulator, client, client_sp) -> None:
    emulator.set_permissions(["Application.Read.All"])
    answer = client.get(
        "/servicePrincipals",
        params={"$filter": f"appId eq '{PROVISIONING_APP_ID}'", "$select": "id,appId,displayName"},
    )

    (found,) = answer.json()["value"]
    assert found == {
        "id": client_sp["id"],
        "appId": PROVISIONING_APP_ID,
        "displayName": "Intune Provisioning Client",
    }


def test_a_group_created_with_owners_bound_keeps_them(emulator, client, client_sp) -> None:
    body = static_group_body("DP", **{"owners@odata.bind": [directory_object(client_sp["id"])]})

    created = client.post("/groups", json=body)

    assert created.status_code == 201, created.text
    assert emulator.owners(created.json()["id"]) == [client_sp["id"]]
    assert "owners@odata.bind" not in created.json()


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        (directory_object("00000000-0000-4000-8000-0000000000ff"), 404, "Request_ResourceNotFound"),
        ("not a url", 400, "BadRequest"),
        (
            "https://graph.microsoft.com/v1.0/groups/00000000-0000-4000-8000-0000000000ff",
            400,
            "BadRequest",
        ),
    ],
)
def test_a_bind_to_no_directory_object_is_refused(emulator, client, url, status, code) -> None:
    answer = client.post("/groups", json=static_group_body("DP", **{"owners@odata.bind": [url]}))

    assert_graph_error(answer, status, code)
    assert emulator.groups() == []


def test_the_owners_list_shows_a_service_principal_by_type_and_id(emulator, client_sp) -> None:
    group = emulator.add_group({"displayName": "DP", "owners": ["Intune Provisioning Client"]})
    url = emulator.base_url + owners_url(group["id"])

    limited = httpx.get(url, headers=bearer(emulator.app_token(["GroupMember.Read.All"]))).json()
    full = httpx.get(
        url, headers=bearer(emulator.app_token(["GroupMember.Read.All", "Application.Read.All"]))
    ).json()
    ids = httpx.get(url, params={"$select": "id"}, headers=TOKEN_HEADERS).json()

    (owner,) = limited["value"]
    assert owner["@odata.type"] == "#microsoft.graph.servicePrincipal"
    assert owner["id"] == client_sp["id"]
    assert owner["appId"] is None and owner["displayName"] is None  # limited information
    assert full["value"][0]["appId"] == PROVISIONING_APP_ID
    assert ids["value"] == [
        {"@odata.type": "#microsoft.graph.servicePrincipal", "id": client_sp["id"]}
    ]
    assert limited["@odata.context"].endswith("$metadata#directoryObjects")


def test_the_owners_list_is_paged(emulator, client) -> None:
    owners = [emulator.add_service_principal({"displayName": f"sp{n}"})["id"] for n in range(3)]
    group = emulator.add_group({"displayName": "G", "owners": owners})

    first = client.get(owners_url(group["id"]), params={"$top": "2"}).json()
    second = client.get(first["@odata.nextLink"]).json()

    assert [o["id"] for o in first["value"] + second["value"]] == owners
    assert "@odata.nextLink" not in second


def test_adding_an_owner_by_ref_answers_204_then_400_if_already_one(emulator, client, client_sp):
    group = emulator.add_group({"displayName": "DP"})
    reference = {"@odata.id": directory_object(client_sp["id"])}

    added = client.post(f"{owners_url(group['id'])}/$ref", json=reference)
    again = client.post(f"{owners_url(group['id'])}/$ref", json=reference)

    assert added.status_code == 204
    error = assert_graph_error(again, 400, "Request_BadRequest")
    assert error["message"] == (
        "One or more added object references already exist for the following modified "
        "properties: 'owners'."
    )
    assert emulator.owners(group["id"]) == [client_sp["id"]]


def test_adding_an_unknown_object_or_to_an_unknown_group_is_404(emulator, client, client_sp):
    group = emulator.add_group({"displayName": "DP"})
    nobody = "00000000-0000-4000-8000-0000000000ff"

    unknown_object = client.post(
        f"{owners_url(group['id'])}/$ref", json={"@odata.id": directory_object(nobody)}
    )
    unknown_group = client.post(
        f"{owners_url(nobody)}/$ref", json={"@odata.id": directory_object(client_sp["id"])}
    )

    assert_graph_error(unknown_object, 404, "Request_ResourceNotFound")
    assert_graph_error(unknown_group, 404, "Request_ResourceNotFound")


def test_removing_an_owner_answers_204_and_a_non_owner_is_404(emulator, client, client_sp):
    group = emulator.add_group({"displayName": "DP", "owners": [client_sp["id"]]})

    removed = client.delete(f"{owners_url(group['id'])}/{client_sp['id']}/$ref")
    again = client.delete(f"{owners_url(group['id'])}/{client_sp['id']}/$ref")

    assert removed.status_code == 204
    assert_graph_error(again, 404, "Request_ResourceNotFound")
    assert emulator.owners(group["id"]) == []


@pytest.mark.parametrize(
    ("roles", "listing", "adding"),
    [
        (["GroupMember.Read.All"], 200, 403),
        (["Group.Read.All"], 200, 403),
        (["Group.ReadWrite.All"], 200, 204),
        (["Directory.ReadWrite.All"], 200, 204),
        (["Application.Read.All"], 403, 403),
    ],
)
def test_permissions_of_the_owner_routes(emulator, client_sp, roles, listing, adding) -> None:
    group = emulator.add_group({"displayName": "DP"})
    headers = bearer(emulator.app_token(roles))
    url = emulator.base_url + owners_url(group["id"])

    listed = httpx.get(url, headers=headers)
    added = httpx.post(
        url + "/$ref", json={"@odata.id": directory_object(client_sp["id"])}, headers=headers
    )

    assert (listed.status_code, added.status_code) == (listing, adding)


def test_the_owners_list_is_read_through_the_lag(
    emulator: Emulator, clock: ManualClock, client, client_sp
) -> None:
    group = emulator.add_group({"displayName": "DP"})
    emulator.set_lag(5)
    clock.advance(10)

    added = client.post(
        f"{owners_url(group['id'])}/$ref", json={"@odata.id": directory_object(client_sp["id"])}
    )
    before = client.get(owners_url(group["id"])).json()["value"]
    clock.advance(5)
    after = client.get(owners_url(group["id"])).json()["value"]

    assert added.status_code == 204 and before == []
    assert [o["id"] for o in after] == [client_sp["id"]]


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_an_owner_for_a_group_made_a_moment_ago_is_404_under_strict_until_the_lag_passes(
    clock: ManualClock, strict: bool
) -> None:
    with (
        Emulator(clock=clock, strict=strict, lag_seconds=5) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as client,
    ):
        sp = emulator.add_provisioning_client()
        group = upsert(client).json()
        ref = {"@odata.id": directory_object(sp["id"])}
        at_once = client.post(f"{owners_url(group['id'])}/$ref", json=ref)
        clock.advance(5)
        later = client.post(f"{owners_url(group['id'])}/$ref", json=ref)

    if strict:
        assert_graph_error(at_once, 404, "Request_ResourceNotFound")
        assert later.status_code == 204
    else:
        assert at_once.status_code == 204
        assert_graph_error(later, 400, "Request_BadRequest")  # already its owner
    assert emulator.owners(group["id"]) == [sp["id"]]


def test_an_upsert_that_creates_sets_its_bound_owners(emulator, client, client_sp) -> None:
    bind = {"owners@odata.bind": [directory_object(client_sp["id"])]}

    created = upsert(client, **bind)
    updated = upsert(client, **bind)  # the same body again: still 204

    assert (created.status_code, updated.status_code) == (201, 204)
    assert emulator.owners(created.json()["id"]) == [client_sp["id"]]


def test_an_upsert_of_an_existing_group_adds_the_bound_owners_it_lacks(emulator, client, client_sp):
    group = upsert(client).json()
    other = emulator.add_service_principal({"displayName": "another owner"})
    emulator.add_owner(group["id"], other["id"])

    updated = upsert(client, **{"owners@odata.bind": [directory_object(client_sp["id"])]})

    assert updated.status_code == 204
    assert emulator.owners(group["id"]) == [other["id"], client_sp["id"]]


def test_the_strict_profile_refuses_owners_in_an_upsert(clock) -> None:
    with (
        Emulator(clock=clock, strict=True) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as client,
    ):
        sp = emulator.add_provisioning_client()
        refused = upsert(client, **{"owners@odata.bind": [directory_object(sp["id"])]})
        created = upsert(client)
        posted = client.post(
            "/groups",
            json=static_group_body("DP2", **{"owners@odata.bind": [directory_object(sp["id"])]}),
        )

    assert_graph_error(refused, 400, "Request_BadRequest")
    assert created.status_code == 201 and posted.status_code == 201  # POST keeps its binds
    assert emulator.owners(posted.json()["id"]) == [sp["id"]]


def test_an_admin_removing_the_owner_is_seen_after_the_lag(
    emulator: Emulator, clock: ManualClock, client, client_sp
) -> None:
    group = emulator.add_group({"displayName": "DP", "owners": [PROVISIONING_APP_ID]})
    emulator.set_lag(5)
    clock.advance(10)

    emulator.remove_owner(group["id"], client_sp["id"])

    assert emulator.owners(group["id"]) == []
    assert len(client.get(owners_url(group["id"])).json()["value"]) == 1
    clock.advance(5)
    assert client.get(owners_url(group["id"])).json()["value"] == []
    with pytest.raises(KeyError):
        emulator.remove_owner(group["id"], client_sp["id"])


def test_a_patch_can_make_an_assigned_group_dynamic(emulator, client) -> None:
    group = upsert(client).json()
    rule = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:X"))'

    answer = client.patch(
        f"/groups/{group['id']}",
        json={"groupTypes": ["DynamicMembership"], "membershipRule": rule},
    )
    (now,) = emulator.groups()
    half = client.patch(f"/groups/{group['id']}", json={"groupTypes": []})

    assert answer.status_code == 204
    assert now["groupTypes"] == ["DynamicMembership"] and now["membershipRule"] == rule
    assert now["membershipRuleProcessingState"] == "On"
    assert half.status_code == 204  # and back to assigned: the rule goes with it
    assert emulator.groups()[0]["membershipRule"] is None


def test_graph_refuses_to_mail_enable_a_security_group_but_an_admin_can(emulator, client):
    group = upsert(client).json()

    refused = client.patch(f"/groups/{group['id']}", json={"mailEnabled": True})
    rule_without_type = client.patch(f"/groups/{group['id']}", json={"membershipRule": "x"})
    emulator.update_group(group["id"], {"mailEnabled": True}, validate=False)

    assert_graph_error(refused, 400, "Request_BadRequest")
    assert_graph_error(rule_without_type, 400, "Request_BadRequest")
    fetched = client.get(f"/groups/{group['id']}").json()
    assert (fetched["mailEnabled"], fetched["securityEnabled"]) == (True, True)
