"""The strict profile: the strictest plausible reading of each point the sources leave open."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    CONFIGS,
    INTUNE_WRITER,
    PROFILES,
    TOKEN_HEADERS,
    assert_graph_error,
    dynamic_group_body,
    esp_assign,
    profile_assignment,
    target,
)

from graph_emulator import Emulator, ManualClock
from graph_emulator.odata import expression_height, parse_filter

APP_QUERY = "groupTypes/any(c:c eq 'DynamicMembership') or startswith(mailNickname,'apg-')"
APP_HALVES = ["groupTypes/any(c:c eq 'DynamicMembership')", "startswith(mailNickname,'apg-')"]
# microsoft-graph-docs-contrib #7580: refused ("excessive height: 4"), then the rewrite accepted.
REFUSED_7580 = (
    "(groupTypes/any(c:c eq 'Unified') or (mailEnabled eq false and securityEnabled eq true))"
    " and startswith(displayName, 'marketing')"
)
ACCEPTED_7580 = (
    "(groupTypes/any(c:c eq 'Unified') and startswith(displayName, 'marketing')) or "
    "(mailEnabled eq false and securityEnabled eq true and startswith(displayName, 'marketing'))"
)
ADVANCED = {"ConsistencyLevel": "eventual"}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def strict(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(clock=clock, strict=True) as emu:
        emu.set_permissions(INTUNE_WRITER)
        yield emu


@pytest.fixture
def http(strict: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=strict.base_url, headers=TOKEN_HEADERS, timeout=10) as client:
        yield client


@pytest.fixture
def beta_http(strict: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=strict.beta_url, headers=TOKEN_HEADERS, timeout=10) as client:
        yield client


def groups_matching(client: httpx.Client, odata_filter: str, **headers: str) -> httpx.Response:
    return client.get("/groups", params={"$filter": odata_filter}, headers=headers)


# --- the height of a $filter ---


@pytest.mark.parametrize(
    ("text", "height"),
    [
        ("displayName eq 'x'", 1),
        ("startswith(mailNickname,'apg-')", 1),
        ("groupTypes/any(c:c eq 'DynamicMembership')", 1),
        ("uniqueName eq 'apg-tag-sales-ud'", 1),
        ("id in ('a', 'b')", 1),
        (APP_QUERY, 2),
        ("displayName eq 'a' and mailEnabled eq false and securityEnabled eq true", 2),
        ("(displayName eq 'a' and mailEnabled eq false) and securityEnabled eq true", 2),
        ("not (displayName eq 'a')", 2),
        ("not (displayName eq 'a' and mailEnabled eq false)", 3),
        ("(displayName eq 'a' or displayName eq 'b') and mailEnabled eq false", 3),
        (ACCEPTED_7580, 3),
        (REFUSED_7580, 4),
        ("((displayName eq 'a' or displayName eq 'b') and mailEnabled eq false) or id eq 'c'", 4),
        ("not (not (displayName eq 'a' and mailEnabled eq false))", 4),
    ],
)
def test_the_height_of_a_filter_counts_each_run_of_one_operator_once(text, height) -> None:
    assert expression_height(parse_filter(text)) == height


def test_a_filter_higher_than_three_is_refused_with_graphs_message(strict, http) -> None:
    error = assert_graph_error(groups_matching(http, REFUSED_7580), 400, "Request_UnsupportedQuery")
    assert (
        error["message"] == "The search filter expression has excessive height: 4. Max allowed: 3."
    )


def test_height_is_checked_without_or_too(strict, http) -> None:
    deep = "not (not (displayName eq 'a' and mailEnabled eq false))"
    three = "not (displayName eq 'a' and mailEnabled eq false)"
    query = {"$count": "true"}

    refused = http.get("/groups", params={"$filter": deep, **query}, headers=ADVANCED)
    accepted = http.get("/groups", params={"$filter": three, **query}, headers=ADVANCED)

    error = assert_graph_error(refused, 400, "Request_UnsupportedQuery")
    assert "excessive height: 4" in error["message"]
    assert accepted.status_code == 200, accepted.text


# --- or ---


@pytest.mark.parametrize("text", [APP_QUERY, ACCEPTED_7580, "displayName eq 'a' or id eq 'b'"])
def test_or_is_refused_under_strict(strict, http, text) -> None:
    error = assert_graph_error(groups_matching(http, text), 400, "Request_UnsupportedQuery")
    assert error["message"] == "Unsupported Query."


@pytest.mark.parametrize("text", [APP_QUERY, ACCEPTED_7580, REFUSED_7580])
def test_the_default_profile_takes_or_and_any_height(emulator, client, text) -> None:
    assert groups_matching(client, text).status_code == 200


def test_each_half_of_the_apps_query_and_a_unique_name_lookup_pass(strict, http) -> None:
    dynamic = strict.add_group(
        {"displayName": "Old rule", "membershipRule": "device.objectId -ne null"}
    )
    static = strict.add_group(
        {"displayName": "Mine", "mailNickname": "apg-x", "uniqueName": "apg-x"}
    )
    strict.add_group({"displayName": "Other"})

    found = [groups_matching(http, half) for half in APP_HALVES]
    found.append(groups_matching(http, "uniqueName eq 'apg-x'"))

    assert [[g["id"] for g in answer.json()["value"]] for answer in found] == [
        [dynamic["id"]],
        [static["id"]],
        [static["id"]],
    ]


def test_an_advanced_query_needs_count_as_well_as_the_header(
    strict, http, emulator, client
) -> None:
    params = {"$filter": "endswith(displayName,'UD')"}

    without = http.get("/groups", params=params, headers=ADVANCED)
    with_count = http.get("/groups", params={**params, "$count": "true"}, headers=ADVANCED)

    assert_graph_error(without, 400, "Request_UnsupportedQuery")
    assert with_count.status_code == 200
    assert client.get("/groups", params=params, headers=ADVANCED).status_code == 200  # default


# --- groups ---


@pytest.mark.parametrize(
    ("change", "prop"),
    [({"mailNickname": "sales.ud"}, "mailNickname"), ({"description": "d" * 1025}, "description")],
)
def test_a_group_the_stricter_limits_refuse_is_400_under_strict_only(
    strict, http, client, change, prop
) -> None:
    body = dynamic_group_body("SALES-UD", **change)

    refused = http.post("/groups", json=body)
    accepted = client.post("/groups", json=body)

    error = assert_graph_error(refused, 400, "Request_BadRequest")
    assert f"'{prop}'" in error["message"]
    assert accepted.status_code == 201
    assert strict.groups() == []


def test_a_patch_to_a_nickname_strict_refuses_is_400(strict, http) -> None:
    group = strict.add_group({"displayName": "x", "mailNickname": "ok"})
    answer = http.patch(f"/groups/{group['id']}", json={"mailNickname": "not.ok"})
    assert_graph_error(answer, 400, "Request_BadRequest")


def test_an_upsert_that_creates_needs_group_readwrite_under_strict(strict, http, emulator, client):
    for emu in (strict, emulator):
        emu.set_permissions(["Group.Create"])
    headers = {"Prefer": "create-if-missing"}
    body = dynamic_group_body("SALES-UD")

    refused = http.patch("/groups(uniqueName='apg-a')", json=body, headers=headers)
    accepted = client.patch("/groups(uniqueName='apg-a')", json=body, headers=headers)

    assert_graph_error(refused, 403, "Authorization_RequestDenied")
    assert accepted.status_code == 201


def test_an_upsert_of_a_missing_group_without_prefer_is_404(strict, http) -> None:
    answer = http.patch("/groups(uniqueName='apg-missing')", json=dynamic_group_body("X"))
    assert_graph_error(answer, 404, "Request_ResourceNotFound")


# --- $top on Intune lists ---


@pytest.mark.parametrize(
    ("base", "path"),
    [
        ("v1", "/deviceManagement/windowsAutopilotDeviceIdentities"),
        ("v1", CONFIGS),
        ("beta", PROFILES),
    ],
)
def test_top_above_1000_on_intune_lists_is_refused_under_strict_only(
    strict, emulator, base, path
) -> None:
    emulator.set_permissions(INTUNE_WRITER)
    answers = []
    for emu in (strict, emulator):
        root = emu.beta_url if base == "beta" else emu.base_url
        answers.append(httpx.get(root + path, params={"$top": "1001"}, headers=TOKEN_HEADERS))
        assert httpx.get(root + path, params={"$top": "1000"}, headers=TOKEN_HEADERS).is_success

    assert_graph_error(answers[0], 400, "Request_BadRequest")
    assert answers[1].status_code == 200


# --- profiles and ESPs ---


@pytest.fixture
def profiles(strict: Emulator) -> dict[str, Any]:
    return {
        "group": strict.add_group({"displayName": "Autopilot - SALES-UD"}),
        "ud": strict.add_autopilot_profile({"displayName": "User-driven"}),
        "kiosk": strict.add_autopilot_profile({"displayName": "Kiosk"}),
    }


def post_assignment(client: httpx.Client, profile: dict[str, Any], body: dict[str, Any]):
    return client.post(f"{PROFILES}/{profile['id']}/assignments", json=body)


def test_a_group_on_another_profile_is_refused_with_cipps_message(strict, beta_http, profiles):
    group = profiles["group"]["id"]
    assert post_assignment(beta_http, profiles["ud"], profile_assignment(group)).status_code == 201

    refused = post_assignment(beta_http, profiles["kiosk"], profile_assignment(group))

    error = assert_graph_error(refused, 400, "BadRequest")
    assert error["message"] == (
        f"Another Profile {profiles['ud']['id']} is already assigned to this group"
    )
    assert strict.groups_on_several_profiles() == {}


def test_all_devices_on_another_profile_is_refused_as_cipp_reports(strict, beta_http, profiles):
    all_devices = profile_assignment(None, "allDevicesAssignmentTarget")
    post_assignment(beta_http, profiles["ud"], all_devices)

    refused = post_assignment(beta_http, profiles["kiosk"], all_devices)

    error = assert_graph_error(refused, 400, "BadRequest")
    assert error["message"] == (
        f"Another Profile {profiles['ud']['id']} is already assigned to All Devices"
    )


def test_strict_still_refuses_the_same_group_twice_and_allows_an_exclusion_elsewhere(
    strict, beta_http, profiles
) -> None:
    group = profiles["group"]["id"]
    post_assignment(beta_http, profiles["ud"], profile_assignment(group))

    twice = post_assignment(beta_http, profiles["ud"], profile_assignment(group))
    excluded = post_assignment(
        beta_http, profiles["kiosk"], profile_assignment(group, "exclusionGroupAssignmentTarget")
    )

    assert "already exists" in assert_graph_error(twice, 400, "BadRequest")["message"]
    assert excluded.status_code == 201


def test_a_group_intune_has_not_seen_yet_cannot_be_assigned_under_strict(
    strict, http, beta_http, clock: ManualClock
) -> None:
    strict.set_lag(30)
    profile = strict.add_autopilot_profile({"displayName": "User-driven"})
    esp = strict.add_enrollment_configuration({"displayName": "ESP - User-driven"})
    group = http.post("/groups", json=dynamic_group_body("SALES-UD")).json()["id"]

    early = [
        post_assignment(beta_http, profile, profile_assignment(group)),
        http.post(f"{CONFIGS}/{esp['id']}/assign", json=esp_assign(target(group))),
    ]
    clock.advance(30)
    late = [
        post_assignment(beta_http, profile, profile_assignment(group)),
        http.post(f"{CONFIGS}/{esp['id']}/assign", json=esp_assign(target(group))),
    ]

    for answer in early:
        assert (
            f"Group '{group}' was not found"
            in assert_graph_error(answer, 400, "BadRequest")["message"]
        )
    assert [answer.status_code for answer in late] == [201, 204]


def test_the_default_profile_assigns_a_group_as_soon_as_it_exists(emulator, client, beta) -> None:
    emulator.set_permissions(INTUNE_WRITER)
    emulator.set_lag(30)
    profile = emulator.add_autopilot_profile({"displayName": "User-driven"})
    group = client.post("/groups", json=dynamic_group_body("SALES-UD")).json()["id"]

    answer = beta.post(f"{PROFILES}/{profile['id']}/assignments", json=profile_assignment(group))

    assert answer.status_code == 201


# --- the command line ---


def test_serve_strict_refuses_the_apps_combined_query() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "graph_emulator", "serve", "--port", "0", "--strict"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().rsplit(" ", 1)[1].strip()
        refused = httpx.get(base + "/groups", params={"$filter": APP_QUERY}, headers=TOKEN_HEADERS)
        half = httpx.get(base + "/groups", params={"$filter": APP_HALVES[1]}, headers=TOKEN_HEADERS)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert refused.status_code == 400
    assert half.status_code == 200
