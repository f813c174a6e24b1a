"""The tenant generator, the committed sample tenant and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulator_helpers import TOKEN_HEADERS

from graph_emulator import Emulator, comparisons, generate_tenant, load_tenant, parse_rule
from graph_emulator.generator import HOSTILE_TAGS

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "graph_emulator" / "samples" / "sample-tenant.json"


@pytest.fixture(scope="module")
def tenant() -> dict[str, object]:
    return generate_tenant(3000, 60, seed=3)


def test_generation_is_deterministic_for_a_seed() -> None:
    assert generate_tenant(200, 20, seed=5) == generate_tenant(200, 20, seed=5)
    assert generate_tenant(200, 20, seed=5) != generate_tenant(200, 20, seed=6)


def test_a_tenant_has_the_asked_number_of_devices_and_tags(tenant: dict) -> None:  # type: ignore[type-arg]
    tags = {d["groupTag"] for d in tenant["devices"]} - {""}
    assert len(tenant["devices"]) == 3000
    assert len(tags) == 60
    assert any(d["groupTag"] == "" for d in tenant["devices"])
    assert len({d["serialNumber"] for d in tenant["devices"]}) == 3000
    assert len({d["id"] for d in tenant["devices"]}) == 3000


def test_a_tenant_holds_the_traps_the_app_must_handle(tenant: dict) -> None:  # type: ignore[type-arg]
    tags = {d["groupTag"] for d in tenant["devices"]}
    assert {"SALES-UD", "Sales-UD"} <= tags  # differ only in letter case
    assert set(HOSTILE_TAGS) <= tags
    assert any(len(t) == 600 for t in tags)
    assert any(d["purchaseOrderIdentifier"] for d in tenant["devices"])
    rules = [g["membershipRule"] for g in tenant["groups"] if g["membershipRule"]]
    assert any("devicePhysicalIDs" in r for r in rules)
    assert any("-any _ " in r for r in rules) and any("-any (_ " in r for r in rules)
    assert any("[OrderId]" in r for r in rules) and any("[ZTDid]" in r for r in rules)
    assert any(r.startswith("user.") for r in rules)  # unrelated dynamic group
    assert any(not g["membershipRule"] for g in tenant["groups"])  # static groups
    names = [g["displayName"] for g in tenant["groups"]]
    assert len(names) > len(set(names))  # display names are not unique


def test_every_generated_rule_is_valid(tenant: dict) -> None:  # type: ignore[type-arg]
    for group in tenant["groups"]:
        if group["membershipRule"]:
            assert comparisons(parse_rule(group["membershipRule"]))


def test_the_sample_tenant_loads_and_matches_its_recorded_command() -> None:
    sample = load_tenant(SAMPLE)
    assert sample == generate_tenant(300, 16, seed=42)  # command recorded in the README
    with Emulator(sample) as emulator:
        assert len(emulator.devices()) == 300
        rules = [g["membershipRule"] for g in emulator.groups()]
        assert '(device.devicePhysicalIDs -any (_ -eq "[OrderId]:SALES-UD"))' in rules
        assert 'device.devicePhysicalIDs -any _ -startsWith "[ZTDid]"' in rules
        assert [p["displayName"] for p in emulator.autopilot_profiles()] == [
            "User-driven Entra join",
            "Lab test profile",
        ]
        assert len(emulator.enrollment_configurations()) == 7  # 4 defaults, 2 ESPs, a limit
        policies = [(p["name"], p["technologies"]) for p in emulator.configuration_policies()]
        assert policies == [
            ("Device preparation - User-driven", "enrollment"),
            ("Device preparation - User-driven", "mdm"),  # the decoy of the same name
            ("macOS automated device enrollment", "enrollment"),
        ]
        names = {sp["displayName"] for sp in emulator.service_principals()}
        assert names == {"Microsoft Graph", "Intune Provisioning Client"}


def test_a_generated_tenant_has_the_intune_objects_the_app_meets(tenant: dict) -> None:  # type: ignore[type-arg]
    with Emulator(tenant) as emulator:
        profiles = {p["displayName"]: p for p in emulator.autopilot_profiles()}
        configurations = {c["displayName"]: c for c in emulator.enrollment_configurations()}
        pilot = next(g for g in emulator.groups() if g["displayName"] == "Pilot devices")
        esp = configurations["ESP - User-driven"]
        admins = emulator.esp_assignments(esp["id"])

    assert set(profiles) == {"User-driven Entra join", "Lab test profile"}
    assert all(not emulator.profile_assignments(p["id"]) for p in profiles.values())
    assert esp["@odata.type"] == "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration"
    assert configurations["ESP - Lab test"]["priority"] == 2
    assert configurations["All users and all devices"]["priority"] == 0
    assert configurations["Ten devices per user"]["limit"] == 10
    assert not pilot["membershipRule"]  # a static group an admin made by hand
    assert [a["target"]["groupId"] for a in admins] == [pilot["id"]]


def test_scenario_profiles_add_a_profile_and_an_esp_for_every_other_scenario() -> None:
    plain = generate_tenant(20, 6, seed=4)
    more = generate_tenant(20, 6, seed=4, scenario_profiles=True)

    names = [p["displayName"] for p in more["autopilotProfiles"]]
    assert names == [p["displayName"] for p in plain["autopilotProfiles"]] + [
        "Hybrid Entra join",
        "Self-deploying",
        "Pre-provisioning",
    ]
    hybrid = more["autopilotProfiles"][2]
    assert hybrid["@odata.type"].endswith("activeDirectoryWindowsAutopilotDeploymentProfile")
    esps = [c["displayName"] for c in more["enrollmentConfigurations"]]
    assert {"ESP - Hybrid join", "ESP - Self-deploying", "ESP - Pre-provisioning"} <= set(esps)
    assert more["devices"] == plain["devices"] and more["groups"] == plain["groups"]
    with Emulator(more) as emulator:
        assert len(emulator.autopilot_profiles()) == 5


def test_generated_tenants_hold_the_policy_its_decoys_and_the_provisioning_client() -> None:
    with Emulator(generate_tenant(30, 6, seed=9)) as emulator:
        policies = emulator.configuration_policies()
        clients = [
            sp for sp in emulator.service_principals() if sp["appId"].startswith("f1346770-")
        ]
        same_name = [p for p in policies if p["name"] == "Device preparation - User-driven"]
        graph = [
            sp for sp in emulator.service_principals() if sp["displayName"] == "Microsoft Graph"
        ]

    assert sorted(p["technologies"] for p in same_name) == ["enrollment", "mdm"]
    (dp,) = [p for p in same_name if p["technologies"] == "enrollment"]
    assert dp["templateReference"]["templateId"] == "80d33118-b7b4-40d8-b15f-81be745e053f_1"
    assert any(p["platforms"] == "macOS" for p in policies)
    assert [c["displayName"] for c in clients] == ["Intune Provisioning Client"]
    assert len(graph) == 1  # listing a service principal does not drop Microsoft Graph's
    assert emulator.membership_target(dp["id"]) is None


def test_a_generated_tenant_can_leave_the_provisioning_client_out() -> None:
    with_client = generate_tenant(30, 6, seed=9)
    without = generate_tenant(30, 6, seed=9, provisioning_client=False)

    assert without["servicePrincipals"] == []
    assert {k: v for k, v in with_client.items() if k != "servicePrincipals"} == {
        k: v for k, v in without.items() if k != "servicePrincipals"
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    tenant_file = tmp_path / "tenant.json"
    tenant_file.write_text(json.dumps(generate_tenant(50, 5, seed=1)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graph_emulator",
            "serve",
            "--port",
            "0",
            "--tenant",
            str(tenant_file),
            "--page-size",
            "20",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Graph emulator listening on http://127.0.0.1:")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_prints_its_base_url_and_serves_the_tenant(served: str) -> None:
    assert served.endswith("/v1.0")
    body = httpx.get(
        served + "/deviceManagement/windowsAutopilotDeviceIdentities", headers=TOKEN_HEADERS
    ).json()
    assert len(body["value"]) == 20
    assert body["@odata.nextLink"].startswith(served)


@pytest.mark.parametrize(
    ("flag", "options"),
    [
        (None, {}),
        ("--scenario-profiles", {"scenario_profiles": True}),
        ("--no-provisioning-client", {"provisioning_client": False}),
    ],
)
def test_generate_writes_a_tenant_to_stdout(flag: str | None, options: dict[str, bool]) -> None:
    command = [sys.executable, "-m", "graph_emulator", "generate"]
    command += ["--devices", "10", "--tags", "3", "--seed", "2"]
    if flag:
        command.append(flag)
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    expected = generate_tenant(10, 3, seed=2, **options)
    assert json.loads(result.stdout) == expected
    assert bool(expected["servicePrincipals"]) is options.get("provisioning_client", True)
