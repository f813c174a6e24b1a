"""Deleted groups: the recycle bin (directory/deletedItems), restore, purge, the lag, and the
uniqueName a deleted group frees (default) or keeps (strict)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import (
    DELETED,
    DELETED_GROUPS,
    INTUNE_WRITER,
    PROFILES,
    TOKEN_HEADERS,
    all_pages,
    assert_graph_error,
    bearer,
    dynamic_group_body,
)

from graph_emulator import Emulator, ManualClock

UNIQUE = "apg-sales-ud"
RULE = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))'


def upsert(client: httpx.Client, name: str = UNIQUE, **extra: Any) -> httpx.Response:
    body = dynamic_group_body(f"Autopilot {name}", RULE, mailNickname=name, **extra)
    return client.patch(
        f"/groups(uniqueName='{name}')", json=body, headers={"Prefer": "create-if-missing"}
    )


@pytest.fixture
def made(emulator: Emulator, client: httpx.Client) -> dict[str, Any]:
    created = upsert(client)
    assert created.status_code == 201
    return created.json()


def test_a_deleted_group_leaves_the_groups_and_enters_the_recycle_bin(client, made) -> None:
    assert client.delete(f"/groups/{made['id']}").status_code == 204

    listed = client.get(DELETED_GROUPS).json()
    (item,) = listed["value"]
    assert listed["@odata.context"].endswith("/$metadata#groups")
    assert (item["id"], item["uniqueName"], item["membershipRule"]) == (made["id"], UNIQUE, RULE)
    assert item["deletedDateTime"] is not None
    assert client.get("/groups").json()["value"] == []
    assert_graph_error(client.get(f"/groups/{made['id']}"), 404, "Request_ResourceNotFound")


def test_one_deleted_group_is_read_by_id_as_a_directory_object(emulator, client, made) -> None:
    emulator.delete_group(made["id"])

    found = client.get(f"{DELETED}/{made['id']}", params={"$select": "id,displayName"})
    cast = client.get(f"{DELETED}/{made['id']}/microsoft.graph.group")

    assert found.status_code == 200
    assert found.json()["@odata.context"].endswith("$metadata#directoryObjects/$entity")
    assert found.json()["@odata.type"] == "#microsoft.graph.group"
    assert set(found.json()) == {"@odata.context", "@odata.type", "id", "displayName"}
    assert cast.json()["uniqueName"] == UNIQUE
    missing = client.get(f"{DELETED}/00000000-0000-4000-8000-0000000000ff")
    assert_graph_error(missing, 404, "Request_ResourceNotFound")


def test_the_list_needs_the_cast_and_also_takes_the_sdks_alias(emulator, client, made) -> None:
    emulator.delete_group(made["id"])

    assert_graph_error(client.get(DELETED), 400, "Request_BadRequest")
    assert [g["id"] for g in client.get(f"{DELETED}/graph.group").json()["value"]] == [made["id"]]


def test_the_list_is_paged_and_selectable(emulator, client) -> None:
    for number in range(5):
        emulator.delete_group(emulator.add_group({"displayName": f"G{number}"})["id"])

    first = client.get(DELETED_GROUPS, params={"$top": "2", "$select": "displayName"}).json()

    assert len(first["value"]) == 2 and set(first["value"][0]) == {"id", "displayName"}
    assert "$skiptoken=" in first["@odata.nextLink"]
    everything = all_pages(client, DELETED_GROUPS + "?$top=2")
    assert [g["displayName"] for g in everything] == [f"G{n}" for n in range(5)]
    bad_top = client.get(DELETED_GROUPS, params={"$top": "1000"})
    assert_graph_error(bad_top, 400, "Request_BadRequest")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"uniqueName eq '{UNIQUE}'", ["Autopilot apg-sales-ud"]),
        ("displayName eq 'other group'", ["Other group"]),
        ("startswith(displayName,'Autopilot')", ["Autopilot apg-sales-ud"]),
        ("startswith(uniqueName,'apg-')", ["Autopilot apg-sales-ud"]),
    ],
)
def test_the_group_filters_work_on_deleted_groups(emulator, client, made, text, found) -> None:
    other = emulator.add_group({"displayName": "Other group"})
    emulator.delete_group(made["id"])
    emulator.delete_group(other["id"])

    answer = client.get(DELETED_GROUPS, params={"$filter": text})

    assert [g["displayName"] for g in answer.json()["value"]] == found


def test_filters_the_group_list_refuses_are_refused_here_too(emulator, client, made) -> None:
    emulator.delete_group(made["id"])

    contains = client.get(DELETED_GROUPS, params={"$filter": "contains(displayName,'x')"})
    advanced = client.get(DELETED_GROUPS, params={"$filter": "endswith(displayName,'x')"})

    assert_graph_error(contains, 400, "Request_UnsupportedQuery")
    assert_graph_error(advanced, 400, "Request_UnsupportedQuery")


def test_ordering_by_deleted_date_needs_the_advanced_query_parameters(emulator, client) -> None:
    for name in ("B", "A"):
        emulator.delete_group(emulator.add_group({"displayName": name})["id"])
    order = {"$orderby": "deletedDateTime desc"}

    plain = client.get(DELETED_GROUPS, params=order)
    advanced = client.get(
        DELETED_GROUPS,
        params={**order, "$count": "true"},
        headers={"ConsistencyLevel": "eventual"},
    )
    by_name = client.get(DELETED_GROUPS, params={"$orderby": "displayName"})

    assert_graph_error(plain, 400, "Request_UnsupportedQuery")
    assert advanced.status_code == 200 and advanced.json()["@odata.count"] == 2
    assert [g["displayName"] for g in by_name.json()["value"]] == ["A", "B"]


def test_restore_brings_the_group_back_with_its_id_rule_and_assignments(
    emulator, client, beta, made
) -> None:
    emulator.set_permissions(INTUNE_WRITER)
    profile = emulator.add_autopilot_profile({"displayName": "User-driven"})
    emulator.add_profile_assignment(profile["id"], made["id"])
    emulator.delete_group(made["id"])

    restored = client.post(f"{DELETED}/{made['id']}/restore")

    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["@odata.type"] == "#microsoft.graph.group"
    assert body["@odata.context"].endswith("$metadata#directoryObjects/$entity")
    assert (body["id"], body["membershipRule"], body["deletedDateTime"]) == (made["id"], RULE, None)
    assert client.get(f"/groups/{made['id']}").json()["uniqueName"] == UNIQUE
    assignments = beta.get(f"{PROFILES}/{profile['id']}/assignments").json()["value"]
    assert [a["target"]["groupId"] for a in assignments] == [made["id"]]
    assert client.get(DELETED_GROUPS).json()["value"] == []
    assert upsert(client).status_code == 204  # the upsert finds it again


def test_restore_of_an_unknown_item_is_404(client) -> None:
    missing = client.post(f"{DELETED}/00000000-0000-4000-8000-0000000000ff/restore")
    assert_graph_error(missing, 404, "Request_ResourceNotFound")


def test_by_default_a_deleted_group_frees_its_unique_name(emulator, client, made) -> None:
    emulator.delete_group(made["id"])

    second = upsert(client)
    restore = client.post(f"{DELETED}/{made['id']}/restore")

    assert second.status_code == 201 and second.json()["id"] != made["id"]
    error = assert_graph_error(restore, 400, "Request_BadRequest")
    assert "uniqueName" in error["message"]
    assert [g["id"] for g in emulator.deleted_groups()] == [made["id"]]


def test_the_strict_profile_keeps_a_deleted_groups_unique_name_reserved(clock) -> None:
    with (
        Emulator(clock=clock, strict=True) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as client,
    ):
        made = upsert(client).json()
        emulator.delete_group(made["id"])

        again = upsert(client)
        posted = client.post("/groups", json=dynamic_group_body("x", uniqueName=UNIQUE))
        restored = client.post(f"{DELETED}/{made['id']}/restore")

    for answer in (again, posted):
        error = assert_graph_error(answer, 400, "Request_BadRequest")
        assert error["message"] == (
            "Another object with the same value for property uniqueName already exists."
        )
    assert restored.status_code == 200
    assert [g["id"] for g in emulator.groups()] == [made["id"]]


def test_deleted_items_are_read_through_the_lag_and_restore_acts_at_once(
    emulator: Emulator, clock: ManualClock, client, made
) -> None:
    emulator.set_lag(5)
    clock.advance(10)
    assert client.delete(f"/groups/{made['id']}").status_code == 204

    still_listed = [g["id"] for g in client.get("/groups").json()["value"]]
    not_yet_binned = client.get(DELETED_GROUPS).json()["value"]
    restored = client.post(f"{DELETED}/{made['id']}/restore")  # the true state: it is there

    assert still_listed == [made["id"]] and not_yet_binned == []
    assert restored.status_code == 200
    clock.advance(5)
    assert client.get(DELETED_GROUPS).json()["value"] == []
    assert client.get(f"/groups/{made['id']}").status_code == 200


def test_a_binned_group_appears_in_deleted_items_once_the_lag_has_passed(
    emulator: Emulator, clock: ManualClock, client, made
) -> None:
    emulator.set_lag(5)
    clock.advance(10)
    emulator.delete_group(made["id"])
    clock.advance(5)

    assert [g["id"] for g in client.get(DELETED_GROUPS).json()["value"]] == [made["id"]]
    assert client.get("/groups").json()["value"] == []


def test_a_permanent_delete_needs_a_delegated_group_read_write_scope(emulator, made) -> None:
    emulator.delete_group(made["id"])
    url = f"{emulator.base_url}{DELETED}/{made['id']}"

    app_only = httpx.delete(url, headers=bearer(emulator.app_token(["Group.ReadWrite.All"])))
    development = httpx.delete(url, headers=TOKEN_HEADERS)
    reader = httpx.delete(url, headers=bearer(emulator.delegated_token(["Group.Read.All"])))
    writer = httpx.delete(url, headers=bearer(emulator.delegated_token(["Group.ReadWrite.All"])))

    for refused in (app_only, development, reader):
        assert_graph_error(refused, 403, "Authorization_RequestDenied")
    assert writer.status_code == 204
    assert emulator.deleted_groups() == [] and emulator.groups() == []
    gone = httpx.post(url + "/restore", headers=TOKEN_HEADERS)
    assert_graph_error(gone, 404, "Request_ResourceNotFound")


def test_the_admins_purge_empties_the_bin_for_good(emulator, client, made) -> None:
    emulator.delete_group(made["id"])
    emulator.purge_deleted(made["id"])

    assert client.get(DELETED_GROUPS).json()["value"] == []
    with pytest.raises(KeyError):
        emulator.purge_deleted(made["id"])
    with pytest.raises(KeyError):
        emulator.delete_group(made["id"])


@pytest.mark.parametrize(
    ("roles", "read", "restore"),
    [
        (["Group.Read.All"], 200, 403),
        (["Group.ReadWrite.All"], 200, 200),
        (["Directory.Read.All"], 200, 403),
        (["DeviceManagementServiceConfig.Read.All"], 403, 403),
    ],
)
def test_permissions_of_the_recycle_bin(emulator, made, roles, read, restore) -> None:
    emulator.delete_group(made["id"])
    headers = bearer(emulator.app_token(roles))

    listed = httpx.get(emulator.base_url + DELETED_GROUPS, headers=headers)
    one = httpx.get(f"{emulator.base_url}{DELETED}/{made['id']}", headers=headers)
    restored = httpx.post(f"{emulator.base_url}{DELETED}/{made['id']}/restore", headers=headers)

    assert (listed.status_code, one.status_code, restored.status_code) == (read, read, restore)
