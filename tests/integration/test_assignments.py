"""A scenario's Autopilot profile and ESP follow each of its groups: the emulator (beta profiles,
v1.0 ESPs with replace semantics), Azurite (the ledger and its locks), the real SDK over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from graph_emulator import Emulator, ManualClock
from local_runner import Azurite
from local_runner.azurite import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME
from shared.cli import main as cli
from shared.core.errors import PermanentGraphError
from shared.core.model import Kind
from shared.core.naming import unique_name
from shared.core.wording import assignment_outcome
from shared.graph.gateway import GraphGateway
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.assign_tenant import (
    KIOSK_PROFILE,
    UD_ESP,
    UD_PROFILE,
    AssignTenant,
    make_tenant,
)
from tests.builders import device, empty_tenant
from tests.queue_app import QueueApp, environment

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@pytest.fixture
def tenant(emulator: Emulator, azurite: Azurite, tmp_path) -> AssignTenant:
    emulator.add_devices(
        [device("SALES-UD"), device("HR-UD"), device("KIOSK-SD"), device("LAB-PP")]
    )
    return make_tenant(emulator, azurite.connection_string, tmp_path)


def reconcile(tenant: AssignTenant, gateway: GraphGateway | None = None, **env: str) -> Report:
    return asyncio.run(run_reconcile(tenant.settings(**env), apply=True, gateway=gateway))


def managed_id(tenant: AssignTenant, tag: str) -> str:
    key = unique_name(Kind.TAG, tag)
    return next(g["id"] for g in tenant.emulator.groups() if g.get("uniqueName") == key)


def writes(emu: Emulator, fragment: str = "") -> list[Any]:
    return [r for r in emu.requests if r.method in WRITE_METHODS and fragment in r.path]


def test_a_first_run_puts_every_group_of_a_scenario_on_its_profile_and_esp_exactly_once(tenant):
    emu = tenant.emulator

    report = reconcile(tenant)

    assert report.ok, report.summary()
    sales, hr = managed_id(tenant, "SALES-UD"), managed_id(tenant, "HR-UD")
    assert sorted(tenant.profile_groups()) == sorted([sales, hr])
    assert tenant.profile_groups(KIOSK_PROFILE) == [managed_id(tenant, "KIOSK-SD")]
    assert sorted(tenant.esp_groups()) == sorted([tenant.pilot_group, sales, hr])
    assert len(writes(emu, "/assignments")) == 3  # one POST per group and profile
    assert len(writes(emu, "/assign")) - 3 == 1  # and one assign for the ESP
    assert emu.duplicate_profile_assignments() == [] and emu.groups_on_several_profiles() == {}
    assert emu.esp_assignments_removed == []  # the admin's Pilot devices assignment survived
    assert report.assignment_totals()["assigned"] == 5
    assert "assignments: 5 to write (5 written)" in report.summary()


def test_a_second_run_writes_nothing(tenant):
    reconcile(tenant)
    tenant.emulator.clear_requests()

    report = reconcile(tenant)

    assert report.ok and writes(tenant.emulator) == []
    assert {a.action.value for a in report.assignments} == {"unchanged"}


def test_a_group_already_on_another_profile_is_a_conflict_and_stays_on_one(tenant):
    emu = tenant.emulator
    reconcile(tenant)
    sales = managed_id(tenant, "SALES-UD")
    emu.add_devices([device("NEW-UD")])
    hand_made = emu.add_group(
        {
            "displayName": "New hires",
            "mailNickname": "newhires",
            "groupTypes": ["DynamicMembership"],
            "membershipRule": '(device.devicePhysicalIds -any (_ -eq "[OrderID]:NEW-UD"))',
        }
    )
    emu.add_profile_assignment(tenant.ids[KIOSK_PROFILE], hand_made["id"])

    report = reconcile(tenant)

    [conflict] = [a for a in report.assignments if a.action.value == "conflict"]
    assert conflict.group_id == hand_made["id"] and KIOSK_PROFILE in conflict.reason
    assert hand_made["id"] not in tenant.profile_groups(UD_PROFILE)
    assert hand_made["id"] in tenant.esp_groups()  # its ESP is not a conflict
    assert emu.groups_on_several_profiles() == {} and sales in tenant.profile_groups()
    assert report.ok  # a conflict is reported, not a failure


def test_a_name_that_matches_two_profiles_assigns_nothing_of_that_scenario_and_fails_the_run(
    tenant,
):
    tenant.emulator.add_autopilot_profile({"displayName": UD_PROFILE.upper()})
    out = io.StringIO()
    with environment({"GRAPH_BASE_URL": tenant.emulator.base_url, **tenant.env()}):
        code = cli.main(["apply"], out=out)

    assert code == cli.EXIT_FAILED
    assert tenant.profile_groups(UD_PROFILE) == []
    assert tenant.profile_groups(KIOSK_PROFILE) != []  # other scenarios go on
    assert len(tenant.esp_groups()) == 3  # and so does the scenario's ESP
    assert f"Autopilot profile {UD_PROFILE!r} matches 2" in out.getvalue()
    assert "2 failed" in out.getvalue().splitlines()[-1]


def test_a_group_taken_off_its_esp_is_drift_reported_then_put_back_under_repair(tenant):
    emu = tenant.emulator
    reconcile(tenant)
    sales = managed_id(tenant, "SALES-UD")
    emu.set_esp_assignments(tenant.ids[UD_ESP], [g for g in tenant.esp_groups() if g != sales])

    reported = reconcile(tenant)

    [drift] = [a for a in reported.assignments if a.action.value == "drift"]
    assert drift.group_id == sales and "taken off Enrollment Status Page" in drift.reason
    assert sales not in tenant.esp_groups()

    repaired = reconcile(tenant, DRIFT_POLICY="repair")

    assert [a.action.value for a in repaired.assignments if a.group_id == sales] == [
        "unchanged",
        "repair",
    ]
    assert sales in tenant.esp_groups() and tenant.pilot_group in tenant.esp_groups()


def test_without_the_readwrite_permission_the_run_names_it_and_groups_are_still_made(tenant):
    tenant.emulator.set_permissions(
        ["DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All"]
    )

    report = reconcile(tenant)

    assert not report.ok
    assert "DeviceManagementServiceConfig.ReadWrite.All" in str(report.error)
    assert managed_id(tenant, "SALES-UD")  # the groups were created before the assignments
    assert tenant.profile_groups() == []


def test_an_assignment_missing_after_the_esp_write_is_put_back_and_said_so(tenant):
    emu = tenant.emulator

    class AnotherWriter(GraphGateway):
        """Someone drops the admin's assignment between the app's write and its read-back."""

        async def assign_esp(self, esp_id: str, targets: list[dict[str, Any]]) -> None:
            await super().assign_esp(esp_id, targets)
            if not getattr(self, "struck", False):
                self.struck = True
                kept = [t["groupId"] for t in targets if t.get("groupId") != tenant.pilot_group]
                emu.set_esp_assignments(esp_id, kept)

    async def run() -> Report:
        async with AnotherWriter.from_settings(tenant.settings()) as gateway:
            return await run_reconcile(tenant.settings(), apply=True, gateway=gateway)

    report = asyncio.run(run())

    assert tenant.pilot_group in tenant.esp_groups()
    esp_outcomes = [
        assignment_outcome(a) for a in report.assignments if a.kind.value == "enrollmentStatusPage"
    ]
    assert esp_outcomes and all("put back 1 assignment" in o for o in esp_outcomes)
    assert emu.esp_assignments_removed == []


@pytest.fixture
def lagging(azurite: Azurite, tmp_path) -> Iterator[AssignTenant]:
    clock = ManualClock()
    with Emulator(tenant=empty_tenant(), clock=clock, lag_seconds=30) as emu:
        emu.add_devices([device("SALES-UD")])
        yield make_tenant(emu, azurite.connection_string, tmp_path)


def test_under_read_lag_a_second_writer_keeps_the_first_writers_esp_assignment(lagging):
    emu = lagging.emulator
    reconcile(lagging)  # writes SALES-UD's group to the ESP; reads will not show it for 30 s
    emu.add_devices([device("HR-UD")])

    report = reconcile(lagging)  # its read of the ESP lacks the first write

    assert report.ok, report.summary()
    assert emu.esp_assignments_removed == []
    assert len(lagging.esp_groups()) == 3  # Pilot devices, SALES-UD's and HR-UD's groups


def test_a_tickets_new_group_is_on_its_profile_and_esp_before_the_answer(tenant, azurite):
    with QueueApp.start(azurite.connection_string, tenant.emulator.base_url, **tenant.env()) as app:
        app.send({"requestId": "RITM-1", "scenario": "user-driven", "groupTag": "NEWHIRE-UD"})
        app.host.drain()
        [answer] = app.results()

    group = managed_id(tenant, "NEWHIRE-UD")
    assert answer["status"] == "created" and answer["group"]["id"] == group
    assert answer["assignments"] == {
        "autopilotProfile": {
            "name": UD_PROFILE,
            "id": tenant.ids[UD_PROFILE],
            "displayName": UD_PROFILE,
            "status": "assigned",
            "message": f"to Autopilot profile {UD_PROFILE!r}, once created; assigned",
        },
        "enrollmentStatusPage": {
            "name": UD_ESP,
            "id": tenant.ids[UD_ESP],
            "displayName": UD_ESP,
            "status": "assigned",
            "message": f"to Enrollment Status Page {UD_ESP!r}, once created; assigned",
        },
    }
    assert group in tenant.profile_groups() and group in tenant.esp_groups()
    assert tenant.pilot_group in tenant.esp_groups()


def test_a_scenario_without_targets_answers_without_assignments(tenant, azurite):
    with QueueApp.start(azurite.connection_string, tenant.emulator.base_url, **tenant.env()) as app:
        app.send({"requestId": "RITM-2", "scenario": "pre-provisioning", "groupTag": "X-PP"})
        app.host.drain()
        [answer] = app.results()

    assert answer["status"] == "created" and "assignments" not in answer


def test_without_storage_assignments_are_not_attempted_and_the_run_says_what_it_needs(tenant):
    report = asyncio.run(run_reconcile(tenant.settings(AzureWebJobsStorage=""), apply=True))

    assert not report.ok
    outcomes = {assignment_outcome(a) for a in report.assignments}
    assert any("needs AzureWebJobsStorage" in o for o in outcomes)
    assert tenant.profile_groups() == [] and managed_id(tenant, "SALES-UD")
    assert json.dumps(report.to_dict())  # the JSON document still serialises


def test_assigning_a_group_already_on_a_profile_counts_as_done_and_makes_no_second_row(tenant):
    emu = tenant.emulator
    group = emu.add_group({"displayName": "Already there", "mailNickname": "already"})
    profile = tenant.ids[UD_PROFILE]

    async def assign_twice() -> tuple[bool, bool]:
        async with GraphGateway.from_settings(tenant.settings()) as gateway:
            first = await gateway.assign_profile(profile, group["id"])
            second = await gateway.assign_profile(profile, group["id"])  # Graph refuses: 400
            return first, second

    assert asyncio.run(assign_twice()) == (True, False)
    assert tenant.profile_groups() == [group["id"]] and emu.duplicate_profile_assignments() == []
    assert [r.status for r in emu.requests if r.method == "POST"] == [201, 400]


def test_one_group_graph_refuses_on_a_profile_fails_alone_and_the_others_are_assigned(tenant):
    emu = tenant.emulator
    refused_tag = "HR-UD"

    class RefusesOne(GraphGateway):
        async def assign_profile(self, profile_id: str, group_id: str) -> bool:
            if group_id == managed_id(tenant, refused_tag):
                raise PermanentGraphError("assign an Autopilot profile: Graph answered 400: no")
            return await super().assign_profile(profile_id, group_id)

    async def run() -> Report:
        async with RefusesOne.from_settings(tenant.settings()) as gateway:
            return await run_reconcile(tenant.settings(), apply=True, gateway=gateway)

    report = asyncio.run(run())

    outcomes = {
        (a.group_name.split()[-1], a.kind.value): assignment_outcome(a) for a in report.assignments
    }
    assert outcomes[(refused_tag, "autopilotProfile")].startswith("failed:")
    assert outcomes[("SALES-UD", "autopilotProfile")] == "assigned"
    assert outcomes[(refused_tag, "enrollmentStatusPage")] == "assigned"  # its ESP goes on
    assert not report.ok and report.assignments_failed == 1
    assert tenant.profile_groups() == [managed_id(tenant, "SALES-UD")]
    assert emu.esp_assignments_removed == []


def test_with_storage_unreachable_groups_are_still_made_and_assignments_fail_with_its_error(
    tenant,
):
    # The public development account, at a port nothing listens on.
    endpoint = f"http://127.0.0.1:9/{DEV_ACCOUNT_NAME}"
    unreachable = (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT_NAME};"
        f"AccountKey={DEV_ACCOUNT_KEY};BlobEndpoint={endpoint};QueueEndpoint={endpoint}"
    )

    report = reconcile(tenant, AzureWebJobsStorage=unreachable)

    assert not report.ok
    created = [e for e in report.entries if e.outcome and e.outcome.done.value == "created"]
    assert {e.value for e in created} >= {"SALES-UD", "HR-UD", "KIOSK-SD"}
    to_write = [a for a in report.assignments if a.writes]
    assert to_write and all(a.outcome and a.outcome.done.value == "failed" for a in to_write)
    assert all("ledger" in assignment_outcome(a) for a in to_write)
    assert tenant.profile_groups() == []  # nothing assigned without its history and lock


@pytest.mark.both_profiles
def test_a_hand_made_group_on_a_profile_no_scenario_names_is_a_conflict_never_a_second_profile(
    tenant,
):
    emu = tenant.emulator
    legacy_group = emu.add_group(
        {
            "displayName": "SALES-UD laptops (by hand)",
            "mailNickname": "sales-ud-by-hand",
            "membershipRule": '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))',
        }
    )["id"]
    legacy = emu.add_autopilot_profile(
        {"displayName": "Legacy profile", "assignments": [legacy_group]}
    )

    report = reconcile(tenant)

    sales = next(e for e in report.entries if e.value == "SALES-UD")
    assert (sales.action.value, sales.group_id) == ("adopt", legacy_group)
    profile = next(
        a
        for a in report.assignments
        if a.group_id == legacy_group and a.kind.value == "autopilotProfile"
    )
    assert profile.action.value == "conflict" and "'Legacy profile'" in profile.reason
    assert legacy_group not in tenant.profile_groups()
    assert emu.groups_on_several_profiles() == {}
    assert [a["target"]["groupId"] for a in emu.profile_assignments(legacy["id"])] == [legacy_group]
    assert report.ok, report.summary()  # a conflict is reported, it is not a failure
