"""PATCH /groups(uniqueName='…') with Prefer: create-if-missing, and Entra's replication lag."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
from emulator_helpers import TOKEN_HEADERS, dynamic_group_body

from graph_emulator import Emulator, ManualClock

CREATE = {"Prefer": "create-if-missing"}


def test_upsert_creates_with_201_then_updates_with_204(
    emulator: Emulator, client: httpx.Client
) -> None:
    body = dynamic_group_body("SALES-UD")
    created = client.patch("/groups(uniqueName='tag-sales-ud')", json=body, headers=CREATE)
    assert created.status_code == 201
    assert created.json()["uniqueName"] == "tag-sales-ud"
    assert created.json()["@odata.context"].endswith("$metadata#groups/$entity")
    body["description"] = "changed"
    updated = client.patch("/groups(uniqueName='tag-sales-ud')", json=body, headers=CREATE)
    assert updated.status_code == 204
    [group] = emulator.groups()
    assert group["description"] == "changed"
    assert group["id"] == created.json()["id"]


def test_upsert_without_prefer_and_missing_is_404(emulator: Emulator, client: httpx.Client) -> None:
    response = client.patch("/groups(uniqueName='nope')", json=dynamic_group_body("X"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"
    assert emulator.groups() == []


def test_upsert_without_prefer_updates_an_existing_group(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.add_group({"displayName": "x", "uniqueName": "u1"})
    response = client.patch("/groups(uniqueName='u1')", json={"description": "d"})
    assert response.status_code == 204
    assert emulator.groups()[0]["description"] == "d"


def test_upsert_with_a_missing_required_property_is_refused(
    emulator: Emulator, client: httpx.Client
) -> None:
    response = client.patch("/groups(uniqueName='x')", json={"displayName": "x"}, headers=CREATE)
    assert response.status_code == 400
    assert emulator.groups() == []


def test_unique_name_uses_odata_quoting_and_percent_encoding(
    emulator: Emulator, client: httpx.Client
) -> None:
    path = "/groups(uniqueName='" + quote("o''brien/sales ud") + "')"
    assert client.patch(path, json=dynamic_group_body("X"), headers=CREATE).status_code == 201
    assert emulator.groups()[0]["uniqueName"] == "o'brien/sales ud"
    assert client.get(path).status_code == 200
    lone_quote = "/groups(uniqueName='" + quote("o'brien") + "')"
    assert client.patch(lone_quote, json=dynamic_group_body("X"), headers=CREATE).status_code == 400


def test_the_stray_slash_form_is_accepted(emulator: Emulator, client: httpx.Client) -> None:
    response = client.patch(
        "/groups/(uniqueName='slash')", json=dynamic_group_body("X"), headers=CREATE
    )
    assert response.status_code == 201


def test_a_body_unique_name_that_differs_from_the_url_is_refused(client: httpx.Client) -> None:
    body = dynamic_group_body("X", uniqueName="other")
    assert client.patch("/groups(uniqueName='one')", json=body, headers=CREATE).status_code == 400


def test_racing_upserts_make_exactly_one_group(emulator: Emulator) -> None:
    def upsert(_: int) -> int:
        with httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as http:
            response = http.patch(
                "/groups(uniqueName='race')", json=dynamic_group_body("RACE"), headers=CREATE
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(upsert, range(32)))
    assert sorted(statuses) == [201] + [204] * 31
    assert len(emulator.groups()) == 1


# --- replication lag ---


def test_a_created_group_is_invisible_to_reads_until_the_lag_passes(
    emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    emulator.set_lag(30)
    created = client.post("/groups", json=dynamic_group_body("SALES-UD")).json()
    assert client.get(f"/groups/{created['id']}").status_code == 404
    assert (
        client.get("/groups", params={"$filter": "displayName eq 'SALES-UD'"}).json()["value"] == []
    )
    assert len(emulator.groups()) == 1  # the true state
    clock.advance(29.9)
    assert client.get("/groups").json()["value"] == []
    clock.advance(0.1)
    assert client.get(f"/groups/{created['id']}").status_code == 200
    assert len(client.get("/groups").json()["value"]) == 1


def test_a_patched_group_shows_its_old_state_until_the_lag_passes(
    emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    seeded = emulator.add_group({"displayName": "old name"})
    emulator.set_lag(10)
    assert (
        client.patch(f"/groups/{seeded['id']}", json={"displayName": "new name"}).status_code == 204
    )
    assert client.get(f"/groups/{seeded['id']}").json()["displayName"] == "old name"
    assert emulator.groups()[0]["displayName"] == "new name"
    clock.advance(10)
    assert client.get(f"/groups/{seeded['id']}").json()["displayName"] == "new name"


def test_writes_see_the_true_state_so_a_fresh_upsert_updates(
    emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    emulator.set_lag(60)
    first = client.patch("/groups(uniqueName='u')", json=dynamic_group_body("U"), headers=CREATE)
    second = client.patch("/groups(uniqueName='u')", json=dynamic_group_body("U"), headers=CREATE)
    assert (first.status_code, second.status_code) == (201, 204)
    assert client.get("/groups(uniqueName='u')").status_code == 404  # a read, still lagging
    assert (
        client.patch(f"/groups/{first.json()['id']}", json={"description": "d"}).status_code == 204
    )
    assert len(emulator.groups()) == 1


def test_a_deleted_group_stays_listed_until_the_lag_passes(
    emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    seeded = emulator.add_group({"displayName": "doomed"})
    emulator.set_lag(5)
    assert client.delete(f"/groups/{seeded['id']}").status_code == 204
    assert len(client.get("/groups").json()["value"]) == 1
    clock.advance(5)
    assert client.get("/groups").json()["value"] == []


def test_seeded_groups_bypass_the_lag(emulator: Emulator, client: httpx.Client) -> None:
    emulator.set_lag(1000)
    emulator.add_group({"displayName": "seeded"})
    assert len(client.get("/groups").json()["value"]) == 1
