"""`python -m shared grant-permissions` against the Graph emulator, with the real msgraph-sdk."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from graph_emulator import Emulator
from graph_emulator.service_principals import GRAPH_APP_ROLES, GRAPH_SP_ID
from shared.cli import main as cli
from shared.cli.grant import grant_permissions
from shared.config.catalogue_file import SHIPPED_CATALOGUE
from shared.core.permissions import required_roles
from shared.graph.gateway import GraphGateway
from shared.graph.principals import RoleAssignment
from tests.builders import settings_for

ADMIN = ["Application.Read.All", "AppRoleAssignment.ReadWrite.All"]
NEEDED = {
    GRAPH_APP_ROLES["DeviceManagementServiceConfig.Read.All"],
    GRAPH_APP_ROLES["Group.ReadWrite.All"],
}


@pytest.fixture
def tenant(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator as an admin sees it, with the app's managed identity in it."""
    emulator.set_permissions(ADMIN)
    emulator.add_service_principal(
        {
            "id": "6f1c2b9e-0000-4000-8000-000000000001",
            "displayName": "id-autopilot-groups",
            "appId": "6f1c2b9e-0000-4000-8000-0000000000c1",
        }
    )
    monkeypatch.setenv("GRAPH_BASE_URL", emulator.base_url)
    monkeypatch.setenv("GRAPH_RETRY_DELAY_SECONDS", "0")
    return emulator


MI_ID = "6f1c2b9e-0000-4000-8000-000000000001"
MI_CLIENT_ID = "6f1c2b9e-0000-4000-8000-0000000000c1"


def grant(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(["grant-permissions", *args], out=out)
    return code, out.getvalue()


def held_roles(emu: Emulator, principal: str = MI_ID) -> set[str]:
    return {a["appRoleId"] for a in emu.app_role_assignments() if a["principalId"] == principal}


def posts(emu: Emulator) -> int:
    return sum(r.method == "POST" for r in emu.requests)


@pytest.mark.parametrize(
    "identity", ["id-autopilot-groups", "ID-Autopilot-Groups", MI_ID, MI_CLIENT_ID]
)
def test_the_identity_gets_exactly_the_two_roles_the_app_needs(tenant, identity):
    code, out = grant("--identity", identity)

    assert code == 0, out
    assert held_roles(tenant) == NEEDED
    assert {a["resourceId"] for a in tenant.app_role_assignments()} == {GRAPH_SP_ID}
    assert "assigned  DeviceManagementServiceConfig.Read.All" in out
    assert "assigned  Group.ReadWrite.All" in out
    assert f"object id {MI_ID}" in out
    assert "done: 2 assigned, 0 already assigned." in out


def test_a_second_grant_assigns_nothing_and_says_so(tenant):
    grant("--identity", "id-autopilot-groups")
    tenant.clear_requests()

    code, out = grant("--identity", "id-autopilot-groups")

    assert code == 0
    assert posts(tenant) == 0
    assert len(tenant.app_role_assignments()) == 2
    assert out.count("already assigned  ") == 2
    assert "done: 0 assigned, 2 already assigned." in out


def test_an_identity_holding_one_role_gets_only_the_other(tenant):
    tenant.add_app_role_assignment(
        {
            "principalId": MI_ID,
            "resourceId": GRAPH_SP_ID,
            "appRoleId": GRAPH_APP_ROLES["Group.ReadWrite.All"],
        }
    )

    code, out = grant("--identity", MI_ID, "--json")

    assert code == 0
    report = json.loads(out)
    assert {r["permission"]: r["outcome"] for r in report["roles"]} == {
        "DeviceManagementServiceConfig.Read.All": "assigned",
        "Group.ReadWrite.All": "already assigned",
    }
    assert report["identity"] == {
        "id": MI_ID,
        "appId": MI_CLIENT_ID,
        "displayName": "id-autopilot-groups",
        "type": "ManagedIdentity",
    }
    assert (report["assigned"], report["alreadyAssigned"]) == (1, 1)
    assert held_roles(tenant) == NEEDED


def test_graphs_already_exists_answer_to_a_racing_grant_counts_as_success(tenant):
    """Another admin granted between our read and our write: Graph answers 400 'already exists'."""

    class StaleReads(GraphGateway):
        async def role_assignments_of(self, principal_id: str) -> list[RoleAssignment]:
            return []

    grant("--identity", MI_ID)
    settings = settings_for(tenant)
    tenant.clear_requests()

    async def run() -> Any:
        async with StaleReads.from_settings(settings) as gateway:
            return await grant_permissions(gateway, MI_ID, required_roles(settings.catalogue))

    report = asyncio.run(run())

    assert [g.outcome for g in report.grants] == ["already assigned", "already assigned"]
    assert posts(tenant) == 2
    assert len(tenant.app_role_assignments()) == 2


@pytest.mark.parametrize(
    ("granted", "refused"),
    [
        (["Application.Read.All"], "assign an app role"),
        ([], "find a service principal"),
    ],
)
def test_an_admin_without_the_rights_is_told_which_rights_and_roles_are_needed(
    tenant, capsys, granted, refused
):
    tenant.set_permissions(granted)

    code, out = grant("--identity", "id-autopilot-groups")

    error = capsys.readouterr().err
    assert code == 1
    assert out == ""
    assert f"Microsoft Graph denied {refused} (403)" in error
    for needed in (
        "AppRoleAssignment.ReadWrite.All",
        "Application.Read.All",
        "Privileged Role Administrator",
        "Global Administrator",
        "az login",
    ):
        assert needed in error
    assert tenant.app_role_assignments() == []


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ("id-nobody", "no service principal is named 'id-nobody'"),
        (
            "00000000-0000-4000-8000-0000000000ff",
            "no service principal has the object id or client id",
        ),
        ("id-twice", "2 service principals are named 'id-twice'"),
    ],
)
def test_an_identity_that_cannot_be_told_apart_is_refused_and_nothing_is_assigned(
    tenant, capsys, identity, message
):
    tenant.add_service_principal({"displayName": "id-twice"})
    tenant.add_service_principal({"displayName": "id-twice"})

    code, _ = grant("--identity", identity)

    assert code == 1
    assert message in capsys.readouterr().err
    assert tenant.app_role_assignments() == []


def test_a_name_with_a_quote_is_quoted_for_the_filter(tenant):
    tenant.add_service_principal(
        {"id": "6f1c2b9e-0000-4000-8000-000000000002", "displayName": "id-o'brien"}
    )

    code, _ = grant("--identity", "id-o'brien")

    assert code == 0
    assert held_roles(tenant, "6f1c2b9e-0000-4000-8000-000000000002") == NEEDED


def test_a_tenant_whose_graph_lacks_a_role_is_reported_not_half_granted(clock, monkeypatch, capsys):
    graph = {
        "id": GRAPH_SP_ID,
        "appId": "00000003-0000-0000-c000-000000000000",
        "displayName": "Microsoft Graph",
        "appRoles": [
            {
                "id": GRAPH_APP_ROLES["Group.ReadWrite.All"],
                "value": "Group.ReadWrite.All",
                "isEnabled": True,
            }
        ],
    }
    tenant = {
        "grantedPermissions": ADMIN,
        "servicePrincipals": [graph, {"id": MI_ID, "displayName": "id-app"}],
    }
    with Emulator(tenant=tenant, clock=clock) as emu:
        monkeypatch.setenv("GRAPH_BASE_URL", emu.base_url)

        code, _ = grant("--identity", MI_ID)

        assert code == 1
        assert "defines no application role DeviceManagementServiceConfig.Read.All" in (
            capsys.readouterr().err
        )
        assert emu.app_role_assignments() == []


def test_the_identity_is_required(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grant-permissions"])

    assert exit_info.value.code == 2
    assert "--identity" in capsys.readouterr().err


def first_scenario_names(tmp_path, monkeypatch, **fields: str) -> None:
    """The shipped catalogue, its first scenario naming these targets, as SCENARIO_FILE."""
    catalogue = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    catalogue["scenarios"][0].update(fields)
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(catalogue), encoding="utf-8")
    monkeypatch.setenv("SCENARIO_FILE", str(path))


def test_when_a_scenario_names_a_profile_the_identity_gets_readwrite_instead_of_read(
    tenant, monkeypatch, tmp_path
):
    first_scenario_names(tmp_path, monkeypatch, enrollmentStatusPage="ESP - User-driven")

    code, out = grant("--identity", MI_ID)

    assert code == 0, out
    assert held_roles(tenant) == {
        GRAPH_APP_ROLES["DeviceManagementServiceConfig.ReadWrite.All"],
        GRAPH_APP_ROLES["Group.ReadWrite.All"],
    }
    assert "assigned  DeviceManagementServiceConfig.ReadWrite.All" in out


def test_when_a_scenario_names_a_device_preparation_policy_the_identity_gets_its_two_roles_too(
    tenant, monkeypatch, tmp_path
):
    first_scenario_names(
        tmp_path, monkeypatch, devicePreparationPolicy="Device preparation - Sales"
    )

    code, out = grant("--identity", MI_ID)

    assert code == 0, out
    # Reading devices (Read only: no profile or ESP is named), groups, the policy, and the
    # Provisioning Client's service principal: nothing broader.
    assert held_roles(tenant) == {
        GRAPH_APP_ROLES["DeviceManagementServiceConfig.Read.All"],
        GRAPH_APP_ROLES["Group.ReadWrite.All"],
        GRAPH_APP_ROLES["DeviceManagementConfiguration.ReadWrite.All"],
        GRAPH_APP_ROLES["Application.Read.All"],
    }
    assert "assigned  DeviceManagementConfiguration.ReadWrite.All" in out
