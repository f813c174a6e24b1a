"""/groups: listing, filters, advanced queries, get, create, update and delete as Graph does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import dynamic_group_body

from graph_emulator import Emulator

GUID_MISSING = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def seeded(emulator: Emulator) -> Emulator:
    emulator.add_group(
        {
            "displayName": "Autopilot - SALES-UD",
            "membershipRule": '(device.devicePhysicalIDs -any (_ -eq "[OrderId]:SALES-UD"))',
        }
    )
    emulator.add_group(
        {
            "displayName": "All Autopilot devices",
            "membershipRule": 'device.devicePhysicalIDs -any _ -startsWith "[ZTDid]"',
        }
    )
    emulator.add_group({"displayName": "All Staff"})
    emulator.add_group({"displayName": "O'Brien team", "uniqueName": "obrien"})
    return emulator


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [g["displayName"] for g in response.json()["value"]]


# --- listing and paging ---


def test_list_has_graphs_context_and_full_groups(seeded: Emulator, client: httpx.Client) -> None:
    body = client.get("/groups").json()
    assert body["@odata.context"] == f"{seeded.base_url}/$metadata#groups"
    group = body["value"][0]
    for prop in (
        "id",
        "displayName",
        "groupTypes",
        "membershipRule",
        "securityEnabled",
        "mailNickname",
        "createdDateTime",
        "membershipRuleProcessingState",
    ):
        assert prop in group


def test_default_page_is_100_and_paging_reaches_the_last_page(
    emulator: Emulator, client: httpx.Client
) -> None:
    for number in range(250):
        emulator.add_group({"displayName": f"g{number:03d}"})
    pages, seen = 0, []
    url: str | None = "/groups"
    while url:
        body = client.get(url).json()
        pages += 1
        seen += [g["displayName"] for g in body["value"]]
        url = body.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url
    assert pages == 3
    assert seen == [f"g{n:03d}" for n in range(250)]


@pytest.mark.parametrize("top", ["0", "1000", "-1", "abc"])
def test_top_outside_1_to_999_is_a_bad_request(client: httpx.Client, top: str) -> None:
    assert client.get("/groups", params={"$top": top}).status_code == 400


def test_select_keeps_id_and_only_the_selected_properties(
    seeded: Emulator, client: httpx.Client
) -> None:
    body = client.get("/groups", params={"$select": "displayName,membershipRule"}).json()
    assert set(body["value"][0]) == {"id", "displayName", "membershipRule"}
    assert body["@odata.context"].endswith("#groups(id,displayName,membershipRule)")
    assert client.get("/groups", params={"$select": "colour"}).status_code == 400


# --- filters ---

FILTERS = [
    ("displayName eq 'All Staff'", ["All Staff"]),
    ("displayName eq 'all staff'", ["All Staff"]),
    ("displayName eq 'O''Brien team'", ["O'Brien team"]),
    ("startswith(displayName,'All')", ["All Autopilot devices", "All Staff"]),
    (
        "groupTypes/any(c:c eq 'DynamicMembership')",
        ["Autopilot - SALES-UD", "All Autopilot devices"],
    ),
    (
        "membershipRule eq '(device.devicePhysicalIDs -any (_ -eq \"[OrderId]:SALES-UD\"))'",
        ["Autopilot - SALES-UD"],
    ),
    ("uniqueName eq 'obrien'", ["O'Brien team"]),
    ("securityEnabled eq true and startswith(displayName,'All S')", ["All Staff"]),
    ("(displayName eq 'All Staff') or (uniqueName eq 'obrien')", ["All Staff", "O'Brien team"]),
    ("startswith(mailNickname,'AllStaff')", ["All Staff"]),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_default_filters(
    seeded: Emulator, client: httpx.Client, expression: str, expected: list[str]
) -> None:
    assert names(client.get("/groups", params={"$filter": expression})) == expected


ADVANCED = [
    ("endswith(displayName,'devices')", ["All Autopilot devices"]),
    (
        "displayName ne 'All Staff'",
        ["Autopilot - SALES-UD", "All Autopilot devices", "O'Brien team"],
    ),
    ("not(groupTypes/any(c:c eq 'DynamicMembership'))", ["All Staff", "O'Brien team"]),
]


@pytest.mark.parametrize(("expression", "expected"), ADVANCED)
def test_advanced_filters_need_consistency_level_eventual(
    seeded: Emulator, client: httpx.Client, expression: str, expected: list[str]
) -> None:
    plain = client.get("/groups", params={"$filter": expression})
    assert plain.status_code == 400
    assert plain.json()["error"]["code"] == "Request_UnsupportedQuery"
    advanced = client.get(
        "/groups",
        params={"$filter": expression, "$count": "true"},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert names(advanced) == expected
    assert advanced.json()["@odata.count"] == len(expected)


def test_count_and_search_need_consistency_level(seeded: Emulator, client: httpx.Client) -> None:
    assert client.get("/groups", params={"$count": "true"}).status_code == 400
    assert client.get("/groups", params={"$search": '"displayName:staff"'}).status_code == 400
    found = client.get(
        "/groups",
        params={"$search": '"displayName:staff"'},
        headers={"ConsistencyLevel": "eventual"},
    )
    assert names(found) == ["All Staff"]


def test_orderby_with_a_filter_needs_consistency_level(
    seeded: Emulator, client: httpx.Client
) -> None:
    params = {"$filter": "startswith(displayName,'All')", "$orderby": "displayName desc"}
    assert client.get("/groups", params=params).status_code == 400
    ordered = client.get("/groups", params=params, headers={"ConsistencyLevel": "eventual"})
    assert names(ordered) == ["All Staff", "All Autopilot devices"]


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("contains(displayName,'Staff')", "Request_UnsupportedQuery"),
        ("colour eq 'red'", "BadRequest"),
        ("displayName eq", "BadRequest"),
        ("securityEnabled eq 'yes'", "BadRequest"),
        ("displayName gt 'a'", "Request_UnsupportedQuery"),
    ],
)
def test_unsupported_filters_answer_400(
    seeded: Emulator, client: httpx.Client, expression: str, code: str
) -> None:
    response = client.get("/groups", params={"$filter": expression})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


# --- get ---


def test_get_by_id_and_by_unique_name(seeded: Emulator, client: httpx.Client) -> None:
    group = next(g for g in seeded.groups() if g["uniqueName"] == "obrien")
    body = client.get(f"/groups/{group['id']}").json()
    assert body["displayName"] == "O'Brien team"
    assert body["@odata.context"] == f"{seeded.base_url}/$metadata#groups/$entity"
    assert client.get("/groups(uniqueName='obrien')").json()["id"] == group["id"]


def test_get_unknown_id_is_404_and_a_malformed_id_400(client: httpx.Client) -> None:
    missing = client.get(f"/groups/{GUID_MISSING}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert client.get("/groups/not-a-guid").status_code == 400


# --- create ---


def test_post_creates_a_dynamic_group_with_server_set_properties(
    emulator: Emulator, client: httpx.Client
) -> None:
    response = client.post("/groups", json=dynamic_group_body("SALES-UD"))
    assert response.status_code == 201
    body = response.json()
    assert body["@odata.context"] == f"{emulator.base_url}/$metadata#groups/$entity"
    assert body["id"] and body["createdDateTime"] and body["renewedDateTime"]
    assert body["securityIdentifier"].startswith("S-1-12-1-")
    assert body["membershipRuleProcessingState"] == "On"
    assert response.headers["Location"].endswith(body["id"])
    assert [g["id"] for g in emulator.groups()] == [body["id"]]


def test_display_names_are_not_unique(emulator: Emulator, client: httpx.Client) -> None:
    for _ in range(2):
        assert client.post("/groups", json=dynamic_group_body("SALES-UD")).status_code == 201
    assert len(emulator.groups()) == 2


def _invalid(**changes: Any) -> dict[str, Any]:
    body = dynamic_group_body("X")
    for key, value in changes.items():
        if value is ...:
            del body[key]
        else:
            body[key] = value
    return body


INVALID_BODIES = {
    "no displayName": _invalid(displayName=...),
    "no mailEnabled": _invalid(mailEnabled=...),
    "no mailNickname": _invalid(mailNickname=...),
    "no securityEnabled": _invalid(securityEnabled=...),
    "displayName of 257": _invalid(displayName="x" * 257),
    "mailNickname of 65": _invalid(mailNickname="x" * 65),
    "mailNickname with a space": _invalid(mailNickname="a b"),
    "mailNickname with @": _invalid(mailNickname="a@b"),
    "mailNickname with a bracket": _invalid(mailNickname="a[b]"),
    "mailNickname non-ASCII": _invalid(mailNickname="café"),
    "rule without DynamicMembership": _invalid(groupTypes=[]),
    "DynamicMembership without rule": _invalid(membershipRule=...),
    "bad processing state": _invalid(membershipRuleProcessingState="Sometimes"),
    "rule syntax error": _invalid(membershipRule='device.devicePhysicalIds -any (_ -eq "x"'),
    "rule with a control character": _invalid(membershipRule='device.deviceModel -eq "a\x01"'),
    "rule over 3072": _invalid(membershipRule='device.deviceModel -eq "' + "x" * 3100 + '"'),
    "unknown groupType": _invalid(groupTypes=["DynamicMembership", "Weird"]),
    "mail-enabled security group": _invalid(mailEnabled=True),
    "string for a boolean": _invalid(securityEnabled="true"),
}


@pytest.mark.parametrize("body", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_invalid_groups_are_refused_with_request_bad_request(
    emulator: Emulator, client: httpx.Client, body: dict[str, Any]
) -> None:
    response = client.post("/groups", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest"
    assert error["message"]
    assert emulator.groups() == []


def test_the_3072_character_rule_is_accepted(client: httpx.Client) -> None:
    prefix = 'device.deviceModel -eq "'
    rule = prefix + "x" * (3072 - len(prefix) - 1) + '"'
    assert client.post("/groups", json=_invalid(membershipRule=rule)).status_code == 201


def test_unknown_body_properties_and_bad_json_are_bad_requests(client: httpx.Client) -> None:
    response = client.post("/groups", json=_invalid(colour="red"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    raw = client.post("/groups", content=b"{not json", headers={"Content-Type": "application/json"})
    assert raw.status_code == 400


def test_post_with_a_taken_unique_name_is_refused(emulator: Emulator, client: httpx.Client) -> None:
    assert client.post("/groups", json=_invalid(uniqueName="tag-sales")).status_code == 201
    again = client.post("/groups", json=_invalid(uniqueName="TAG-SALES"))
    assert again.status_code == 400
    assert len(emulator.groups()) == 1


# --- update and delete ---


def test_patch_by_id_updates_and_answers_204(emulator: Emulator, client: httpx.Client) -> None:
    created = client.post("/groups", json=dynamic_group_body("SALES-UD")).json()
    rule = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")) '
    response = client.patch(f"/groups/{created['id']}", json={"membershipRule": rule})
    assert response.status_code == 204
    assert response.content == b""
    assert emulator.groups()[0]["membershipRule"] == rule


def test_patch_is_validated_on_the_resulting_state(
    emulator: Emulator, client: httpx.Client
) -> None:
    created = client.post("/groups", json=dynamic_group_body("SALES-UD")).json()
    bad = client.patch(f"/groups/{created['id']}", json={"membershipRule": "device.x -eq 1"})
    assert bad.status_code == 400
    dropped = client.patch(f"/groups/{created['id']}", json={"groupTypes": []})
    assert dropped.status_code == 204
    assert emulator.groups()[0]["membershipRule"] is None
    assert client.patch(f"/groups/{GUID_MISSING}", json={}).status_code == 404


def test_delete_removes_the_group(emulator: Emulator, client: httpx.Client) -> None:
    created = client.post("/groups", json=dynamic_group_body("SALES-UD")).json()
    assert client.delete(f"/groups/{created['id']}").status_code == 204
    assert emulator.groups() == []
    assert client.delete(f"/groups/{created['id']}").status_code == 404


def test_wrong_method_on_a_known_path_is_405(client: httpx.Client) -> None:
    assert client.put("/groups", json={}).status_code == 405
