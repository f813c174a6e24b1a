"""``python -m shared doctor`` against the Graph emulator and Azurite: it passes when all is ready,
names what is not, answers quickly when Graph does not, and never writes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueServiceClient

from shared.cli.doctor import PROBE_PREFIX, run_doctor
from shared.cli.main import main
from shared.config.catalogue_file import load_catalogue
from shared.core.permissions import required_roles
from shared.core.preflight import Checklist
from tests.assign_tenant import UD_ESP, UD_PROFILE, make_tenant
from tests.builders import device
from tests.dp_tenant import POLICY, make_prep_tenant

REQUIRED_ROLES = required_roles(load_catalogue())  # the shipped catalogue's
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
IDENTITY = "6c1f5b7e-0d6a-4f0e-9a57-2d3c9e4b8f11"  # the object id an app-only token carries


def jwt(claims: dict[str, Any]) -> str:
    """A token shaped as Entra's: three base64url parts, unsigned (the doctor never verifies)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


class AppOnlyCredential:
    """The managed identity's credential: an app-only token carrying its roles."""

    def __init__(self, roles: list[str]) -> None:
        self.token = jwt({"roles": roles, "oid": IDENTITY, "appid": "app-1", "idtyp": "app"})

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture
def env(emulator, azurite, queue_names) -> dict[str, str]:
    """The app's settings against the emulator and Azurite, with its three queues created."""
    settings = {
        "GRAPH_BASE_URL": emulator.base_url,
        "GRAPH_RETRY_DELAY_SECONDS": "0",
        "AzureWebJobsStorage": azurite.connection_string,
        "REQUEST_QUEUE": queue_names("requests"),
        "RESULT_QUEUE": queue_names("results"),
    }
    create_queues(azurite.connection_string, *queues_of(settings))
    return settings


def queues_of(env: dict[str, str]) -> list[str]:
    return [env["REQUEST_QUEUE"], env["RESULT_QUEUE"], env["REQUEST_QUEUE"] + "-poison"]


def create_queues(connection_string: str, *names: str) -> None:
    service = QueueServiceClient.from_connection_string(connection_string)
    for name in names:
        with contextlib.suppress(ResourceExistsError):
            service.create_queue(name)


def doctor(env: dict[str, str], credential: Any = None, timeout: float = 15.0) -> Checklist:
    return asyncio.run(run_doctor(env, credential, timeout))


def failed(checklist: Checklist) -> dict[str, str]:
    return {c.name: f"{c.detail} | fix: {c.fix}" for c in checklist.checks if not c.ok}


@pytest.mark.both_profiles
def test_with_everything_granted_and_the_queues_present_every_check_passes_writing_nothing(
    emulator, azurite, env
):
    emulator.add_devices([device("SALES-UD")])
    before = emulator.groups()
    service = QueueServiceClient.from_connection_string(azurite.connection_string)
    waiting = service.get_queue_client(env["REQUEST_QUEUE"]).send_message("a waiting request")

    checklist = doctor(env)

    assert failed(checklist) == {} and checklist.exit_code == 0
    assert [c.name for c in checklist.checks] == [
        "settings",
        "a token for Microsoft Graph",
        "read Autopilot devices",
        "read groups with the app's query",
        "the upsert route",
        f"request queue {env['REQUEST_QUEUE']}",
        f"result queue {env['RESULT_QUEUE']}",
        f"poison queue {env['REQUEST_QUEUE']}-poison",
    ]
    [groups] = [c for c in checklist.checks if c.name == "read groups with the app's query"]
    refused = "Graph refused the combined group filter (400); the two basic queries"
    assert (refused in groups.detail) == emulator.strict
    # Graph: one write verb, the probe, answered 404 as documented; the tenant is unchanged.
    [probe] = [r for r in emulator.requests if r.method in WRITES]
    assert (probe.method, probe.status) == ("PATCH", 404) and PROBE_PREFIX in probe.path
    assert emulator.groups() == before
    # The queues: the waiting message was only peeked (this is its first delivery), nothing new.
    [message] = service.get_queue_client(env["REQUEST_QUEUE"]).receive_messages()
    assert (message.id, message.dequeue_count) == (waiting.id, 1)
    for queue in queues_of(env)[1:]:
        assert list(service.get_queue_client(queue).peek_messages()) == []


@pytest.mark.parametrize("missing", REQUIRED_ROLES)
def test_an_app_only_token_without_a_permission_fails_naming_it_and_the_grant(
    emulator, env, missing
):
    granted = [role for role in REQUIRED_ROLES if role != missing]
    emulator.set_permissions(granted)

    checklist = doctor(env, AppOnlyCredential(granted))

    assert checklist.exit_code == 1
    token = failed(checklist)["a token for Microsoft Graph"]
    assert f"its roles lack {missing}" in token
    assert f"grant-permissions --identity {IDENTITY}" in token


def test_when_a_scenario_assigns_the_token_must_hold_the_read_write_device_permission(
    emulator, env
):
    from pathlib import Path

    assigning = Path(__file__).parents[2] / "graph_emulator" / "samples" / "sample-scenarios.json"
    settings = {**env, "SCENARIO_FILE": str(assigning)}
    needed = required_roles(load_catalogue(assigning))
    assert "DeviceManagementServiceConfig.ReadWrite.All" in needed
    granted = ["DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All"]

    checklist = doctor(settings, AppOnlyCredential(granted))

    token = failed(checklist)["a token for Microsoft Graph"]
    assert "its roles lack DeviceManagementServiceConfig.ReadWrite.All" in token


@pytest.mark.parametrize(
    ("granted", "check", "named"),
    [
        (
            ["Group.ReadWrite.All"],
            "read Autopilot devices",
            "DeviceManagementServiceConfig.Read.All",
        ),
        (
            ["DeviceManagementServiceConfig.Read.All"],
            "read groups with the app's query",
            "Group.ReadWrite.All",
        ),
    ],
    ids=["no device permission", "no group permission"],
)
def test_without_a_roles_claim_the_reads_find_a_missing_permission_and_name_it(
    emulator, env, granted, check, named
):
    emulator.set_permissions(granted)

    checklist = doctor(env)  # the development token: no roles claim

    assert checklist.exit_code == 1
    assert f"403: the identity lacks {named}" in failed(checklist)[check]
    assert "grant-permissions" in failed(checklist)[check]


def test_every_permission_in_the_roles_claim_passes_and_broader_ones_are_said(emulator, env):
    roles = ["DeviceManagementServiceConfig.Read.All", "Directory.ReadWrite.All"]
    emulator.set_permissions(roles)

    checklist = doctor(env, AppOnlyCredential(roles))

    assert failed(checklist) == {}
    [token] = [c for c in checklist.checks if c.name == "a token for Microsoft Graph"]
    assert "broader roles: Directory.ReadWrite.All" in token.detail


def test_a_missing_queue_fails_naming_it_and_how_to_create_it(azurite, env):
    poison = env["REQUEST_QUEUE"] + "-poison"
    QueueServiceClient.from_connection_string(azurite.connection_string).delete_queue(poison)

    checklist = doctor(env)

    assert checklist.exit_code == 1
    assert failed(checklist) == {
        f"poison queue {poison}": "the queue does not exist | fix: create it: "
        f"az storage queue create --name {poison} --account-name <account> --auth-mode login "
        "(infra/main.bicep creates all three)"
    }


def test_without_a_storage_connection_the_settings_fail_graph_is_still_checked_and_it_exits_2(
    env,
):
    without = {name: value for name, value in env.items() if name != "AzureWebJobsStorage"}

    checklist = doctor(without)

    assert checklist.exit_code == 2
    problems = failed(checklist)
    assert problems["settings"].startswith("AzureWebJobsStorage is not set")
    queues = [name for name in problems if " queue " in name]
    assert len(queues) == 3 and all("no storage connection" in problems[q] for q in queues)
    assert set(problems) == {"settings", *queues}  # every Graph check ran, and passed


@pytest.fixture
def silent_graph() -> Iterator[str]:
    """A loopback port that accepts connections and never answers, as a black-holed host."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1.0"


def test_a_graph_that_never_answers_is_given_up_after_the_check_timeout(env, silent_graph):
    checklist = doctor({**env, "GRAPH_BASE_URL": silent_graph}, timeout=0.5)

    assert checklist.exit_code == 1
    problems = failed(checklist)
    assert problems["read Autopilot devices"].startswith("no answer within 0.5 s")
    for later in ("read groups with the app's query", "the upsert route"):
        assert "not checked: Graph did not answer" in problems[later]
    assert not any(name.endswith("queue") for name in problems)  # the queues were still checked


def test_with_graph_unreachable_the_command_fails_within_a_minute(env):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    done = subprocess.run(
        [sys.executable, "-m", "shared", "doctor"],
        env={**os.environ, **env, "GRAPH_BASE_URL": f"http://127.0.0.1:{port}/v1.0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "✗ read Autopilot devices: Graph did not answer" in done.stdout


def test_json_is_one_document_and_a_bad_setting_exits_2_naming_it(env, monkeypatch):
    for name, value in {**env, "DRIFT_POLICY": "sometimes"}.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()

    code = main(["doctor", "--json"], out=out)

    document = json.loads(out.getvalue())
    assert code == 2 and document["exitCode"] == 2 and document["ok"] is False
    [settings] = document["checks"]
    assert settings["name"] == "settings" and "DRIFT_POLICY" in settings["detail"]
    assert document["notChecked"]


def test_the_checklist_shows_neither_the_token_nor_the_storage_key(emulator, azurite, env):
    credential = AppOnlyCredential(list(REQUIRED_ROLES))
    key = azurite.connection_string.split("AccountKey=")[1].split(";")[0]

    checklist = doctor(env, credential)

    text = checklist.render() + json.dumps(checklist.to_dict())
    assert credential.token not in text and credential.token.split(".")[1] not in text
    assert key not in text and azurite.connection_string not in text


# --- scenarios that name an Autopilot profile and an ESP ------------------------------------


def test_when_scenarios_name_targets_the_doctor_reads_and_resolves_them_too(
    emulator, azurite, env, tmp_path
):
    tenant = make_tenant(emulator, azurite.connection_string, tmp_path)

    checklist = doctor({**env, "SCENARIO_FILE": str(tenant.catalogue)})

    assert failed(checklist) == {}
    checks = {c.name: c.detail for c in checklist.checks}
    profiles = checks["read Autopilot profiles (Graph beta)"]
    assert f"'{UD_PROFILE}' ({tenant.ids[UD_PROFILE]}, 0 groups)" in profiles
    assert f"'{UD_ESP}' ({tenant.ids[UD_ESP]}, 1 groups)" in checks["read Enrollment Status Pages"]
    assert [r.path for r in emulator.requests if r.path.startswith("/beta/")]  # beta was read
    [probe] = [r for r in emulator.requests if r.method in WRITES]  # still only the probe
    assert (probe.method, probe.status) == ("PATCH", 404)


def test_a_target_name_that_does_not_resolve_fails_naming_it_and_the_fix(
    emulator, azurite, env, tmp_path
):
    tenant = make_tenant(emulator, azurite.connection_string, tmp_path)
    emulator.add_autopilot_profile({"displayName": UD_PROFILE.upper()})

    checklist = doctor({**env, "SCENARIO_FILE": str(tenant.catalogue)})

    assert checklist.exit_code == 1
    problem = failed(checklist)["read Autopilot profiles (Graph beta)"]
    assert f"Autopilot profile {UD_PROFILE!r} matches 2" in problem
    assert "SCENARIO_FILE" in problem


def test_without_readwrite_the_profile_read_is_refused_naming_the_permission_the_settings_need(
    emulator, azurite, env, tmp_path
):
    tenant = make_tenant(emulator, azurite.connection_string, tmp_path)
    emulator.set_permissions(["Group.ReadWrite.All"])

    checklist = doctor({**env, "SCENARIO_FILE": str(tenant.catalogue)})

    assert (
        "403: the identity lacks DeviceManagementServiceConfig.ReadWrite.All"
        in (failed(checklist)["read Autopilot devices"])
    )


class EmulatorCredential:
    """A sign-in whose token the emulator issued: a user's (``scp``) or an app's (``roles``)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, 4102444800)


def test_a_delegated_token_without_a_scope_fails_naming_it_and_the_fix_for_that_sign_in(
    emulator, env
):
    token = emulator.delegated_token(
        scopes=["DeviceManagementServiceConfig.Read.All"], upn="admin@contoso.example"
    )

    checklist = doctor(env, EmulatorCredential(token))

    problems = failed(checklist)
    token_fix = next(c.fix for c in checklist.checks if c.name == "a token for Microsoft Graph")
    assert "a token for Microsoft Graph" in problems
    assert "lack Group.ReadWrite.All" in problems["a token for Microsoft Graph"]
    assert "admin@contoso.example" in problems["a token for Microsoft Graph"]
    assert "app registration" in token_fix and "admin-consent" in token_fix
    assert "grant-permissions" not in token_fix  # the managed identity is not this sign-in
    group_reads = [c for c in checklist.checks if c.name == "read groups with the app's query"]
    assert group_reads and not group_reads[0].ok  # the emulator refuses what scp lacks
    assert "grant-permissions" not in group_reads[0].fix and "delegated" in group_reads[0].fix


def test_a_delegated_token_with_every_scope_passes_and_the_doctor_says_who_signed_in(emulator, env):
    token = emulator.delegated_token(scopes=list(REQUIRED_ROLES), upn="admin@contoso.example")

    checklist = doctor(env, EmulatorCredential(token))

    check = next(c for c in checklist.checks if c.name == "a token for Microsoft Graph")
    assert check.ok and "a user's token (admin@contoso.example)" in check.detail
    assert "signed in with the credential given (EmulatorCredential)" in check.detail
    assert "a token for Microsoft Graph" not in failed(checklist)


# --- a scenario that names a device preparation policy ----------------------------------------


@pytest.mark.both_profiles
def test_a_device_preparation_scenario_has_its_policy_resolved_and_its_owner_found(
    emulator, azurite, env, tmp_path
):
    tenant = make_prep_tenant(emulator, azurite.connection_string, tmp_path)

    checklist = doctor({**env, "SCENARIO_FILE": str(tenant.catalogue)})

    assert failed(checklist) == {}
    checks = {c.name: c.detail for c in checklist.checks}
    assert f"({tenant.client_id}) is there to own" in checks["read the Intune Provisioning Client"]
    policies = checks["read device preparation policies (Graph beta)"]
    # One device preparation policy of that name; the settings catalog and macOS decoys are not.
    assert f"'{POLICY}' ({tenant.policy_id}, 0 groups)" in policies
    unfiltered = "Graph refused the technology filter, so every configuration policy is read"
    assert (unfiltered in policies) == emulator.strict
    # The one write verb is the probe; the retrieve action is a POST that reads.
    posts = {r.path.rsplit("/", 1)[-1] for r in emulator.requests if r.method == "POST"}
    assert posts == {"retrieveEnrollmentTimeDeviceMembershipTarget"}
    assert [r.method for r in emulator.requests if r.method in {"PATCH", "PUT", "DELETE"}] == [
        "PATCH"
    ]


def test_without_the_provisioning_client_the_doctor_fails_with_the_command_that_creates_it(
    emulator, azurite, env, tmp_path
):
    tenant = make_prep_tenant(emulator, azurite.connection_string, tmp_path, client=False)

    checklist = doctor({**env, "SCENARIO_FILE": str(tenant.catalogue)})

    assert checklist.exit_code == 1
    problem = failed(checklist)["read the Intune Provisioning Client"]
    assert "no service principal has appId f1346770-5b25-470b-88bd-d5744ab7952c" in problem
    assert "az ad sp create --id f1346770-5b25-470b-88bd-d5744ab7952c" in problem


def test_a_device_preparation_policy_that_does_not_resolve_fails_naming_it(
    emulator, azurite, env, tmp_path
):
    tenant = make_prep_tenant(emulator, azurite.connection_string, tmp_path)
    emulator.add_configuration_policy({"name": POLICY, "template": "devicePreparationUserDriven"})

    checklist = doctor({**env, "SCENARIO_FILE": str(tenant.catalogue)})

    problem = failed(checklist)["read device preparation policies (Graph beta)"]
    assert f"device preparation policy {POLICY!r} matches 2" in problem


@pytest.mark.parametrize(
    "missing", ["DeviceManagementConfiguration.ReadWrite.All", "Application.Read.All"]
)
def test_a_device_preparation_scenario_needs_its_permissions_in_the_token(
    emulator, azurite, env, tmp_path, missing
):
    tenant = make_prep_tenant(emulator, azurite.connection_string, tmp_path)
    settings = {**env, "SCENARIO_FILE": str(tenant.catalogue)}
    granted = [r for r in required_roles(load_catalogue(tenant.catalogue)) if r != missing]
    emulator.set_permissions(granted)

    checklist = doctor(settings, AppOnlyCredential(granted))

    problems = failed(checklist)
    assert f"its roles lack {missing}" in problems["a token for Microsoft Graph"]
    policies = "read device preparation policies (Graph beta)"
    read = {
        "DeviceManagementConfiguration.ReadWrite.All": policies,
        "Application.Read.All": "read the Intune Provisioning Client",
    }[missing]
    assert f"403: the identity lacks {missing}" in problems[read]
