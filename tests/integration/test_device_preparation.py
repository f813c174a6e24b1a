"""Autopilot device preparation scenarios against the emulator, with the real SDK over HTTP: the
scenario's one assigned group, owned by the Intune Provisioning Client, as the policy's target."""

from __future__ import annotations

import asyncio

import pytest

from graph_emulator import Emulator
from local_runner import Azurite
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.builders import device
from tests.dp_tenant import KEY, POLICY, SCENARIO, PrepTenant, make_prep_tenant
from tests.queue_app import QueueApp

pytestmark = pytest.mark.both_profiles
WRITES = ("POST", "PATCH", "DELETE")


@pytest.fixture
def tenant(emulator: Emulator, azurite: Azurite, tmp_path) -> PrepTenant:
    return make_prep_tenant(emulator, azurite.connection_string, tmp_path)


def run(tenant: PrepTenant, **env: str) -> Report:
    settings = tenant.settings(ALL_DEVICES_GROUP="false", **env)
    return asyncio.run(run_reconcile(settings, apply=True))


def settled(tenant: PrepTenant, **env: str) -> Report:
    """A first run, then a steady one: the second's reads confirm what the first wrote (a
    write Graph does not show yet is pending, not drift, for ten minutes)."""
    run(tenant, **env)
    return run(tenant, **env)


def writes(emu: Emulator) -> list[str]:
    """Every write (the retrieve action is a POST that reads)."""
    return [
        f"{r.method} {r.path}"
        for r in emu.requests
        if r.method in WRITES
        and not r.path.endswith("retrieveEnrollmentTimeDeviceMembershipTarget")
    ]


def test_a_first_run_makes_the_assigned_group_its_owner_and_the_policys_target(tenant):
    report = run(tenant)

    assert report.ok, report.summary()
    group = tenant.group()
    assert group is not None and group["groupTypes"] == [] and not group.get("membershipRule")
    assert group["securityEnabled"] and not group["mailEnabled"]
    assert group["displayName"] == "Autopilot device preparation - Sales, device preparation"
    assert tenant.client_id in tenant.emulator.owners(group["id"])
    assert tenant.target() == group["id"]


def test_a_second_run_writes_nothing(tenant):
    settled(tenant)
    tenant.emulator.clear_requests()

    report = run(tenant)

    assert report.ok and writes(tenant.emulator) == []
    actions = {(a.kind.value, a.action.value) for a in report.assignments}
    assert actions == {("owner", "unchanged"), ("devicePreparationPolicy", "unchanged")}


@pytest.mark.parametrize(("policy", "expected"), [("report", "drift"), ("repair", "repair")])
def test_a_removed_owner_is_reported_or_put_back(tenant, policy, expected):
    settled(tenant)
    group = tenant.group()
    tenant.emulator.remove_owner(group["id"], tenant.client_id)

    report = run(tenant, DRIFT_POLICY=policy)

    [owner] = [a for a in report.assignments if a.kind.value == "owner"]
    assert owner.action.value == expected and "owners" in owner.reason
    restored = tenant.client_id in tenant.emulator.owners(group["id"])
    assert restored is (policy == "repair")


def test_a_policy_that_targets_an_admins_own_group_is_a_conflict_and_kept(tenant):
    admins = tenant.emulator.add_group(
        {"displayName": "Sales prep (mine)", "mailNickname": "sales-prep-mine"}
    )
    tenant.emulator.set_membership_target(tenant.policy_id, admins["id"])

    report = settled(tenant, DRIFT_POLICY="repair")

    [target] = [a for a in report.assignments if a.kind.value == "devicePreparationPolicy"]
    assert target.action.value == "conflict" and "does not manage" in target.reason
    assert tenant.target() == admins["id"]  # never overwritten, even under repair


@pytest.mark.parametrize(("policy", "expected"), [("report", "drift"), ("repair", "repair")])
def test_a_group_made_dynamic_is_reported_or_made_assigned_again(tenant, policy, expected):
    settled(tenant)
    group = tenant.group()
    tenant.emulator.update_group(
        group["id"],
        {
            "groupTypes": ["DynamicMembership"],
            "membershipRule": '(device.devicePhysicalIds -any (_ -eq "[OrderID]:X"))',
            "membershipRuleProcessingState": "On",
        },
    )

    report = run(tenant, DRIFT_POLICY=policy)

    [entry] = [e for e in report.entries if e.unique_name == KEY]
    assert entry.action.value == expected and "dynamic" in entry.reason
    assert (tenant.group()["groupTypes"] == []) is (policy == "repair")


def test_a_mail_enabled_group_is_reported_even_under_repair(tenant):
    settled(tenant)
    tenant.emulator.update_group(tenant.group()["id"], {"mailEnabled": True}, validate=False)

    report = run(tenant, DRIFT_POLICY="repair")

    [entry] = [e for e in report.entries if e.unique_name == KEY]
    assert entry.action.value == "drift" and "mail-enabled" in entry.reason


def test_without_the_provisioning_client_the_run_fails_with_the_fix(emulator, azurite, tmp_path):
    tenant = make_prep_tenant(emulator, azurite.connection_string, tmp_path, client=False)

    report = run(tenant)

    assert not report.ok
    [owner] = [a for a in report.assignments if a.kind.value == "owner"]
    assert owner.unresolved and "az ad sp create --id f1346770" in owner.reason
    assert tenant.target() is None


def test_a_ticket_for_the_scenario_is_answered_with_its_group(tenant, azurite):
    with QueueApp.start(azurite.connection_string, tenant.emulator.base_url, **tenant.env()) as app:
        app.send({"requestId": "PREP-1", "scenario": SCENARIO})
        app.host.drain()
        [answer] = app.results()

    group = tenant.group()
    assert answer["status"] == "created" and answer["group"]["id"] == group["id"]
    assert answer["groupTag"] is None and answer["group"]["membershipRule"] is None
    assert answer["assignments"]["owner"]["status"] == "assigned"
    status = answer["assignments"]["devicePreparationPolicy"]["status"]
    assert status == "assigned"


def test_the_policy_is_named_by_its_name_among_device_preparation_policies_only(tenant):
    report = settled(tenant)

    [target] = [a for a in report.assignments if a.kind.value == "devicePreparationPolicy"]
    assert (target.target_id, target.target_name) == (tenant.policy_id, POLICY)


def test_tickets_while_graph_lags_are_answered_and_the_next_run_completes_the_rest(
    tenant, azurite, clock
):
    tenant.emulator.set_lag(30)  # the manual clock stands still: reads show no new object
    with QueueApp.start(azurite.connection_string, tenant.emulator.base_url, **tenant.env()) as app:
        for number in (1, 2):  # the second finds the group made but not shown yet
            app.send({"requestId": f"PREP-{number}", "scenario": SCENARIO})
            app.host.drain()
        answers = {a["requestId"]: a for a in app.results()}

    group = tenant.group()
    assert answers["PREP-1"]["status"] == "created" and answers["PREP-2"]["status"] == "exists"
    for answer in answers.values():
        assert answer["errors"] == [] and answer["group"]["uniqueName"] == KEY
        statuses = {kind: a["status"] for kind, a in answer["assignments"].items()}
        assert set(statuses) == {"owner", "devicePreparationPolicy"}
        assert set(statuses.values()) <= {"assigned", "unchanged", "pending", "deferred"}, statuses
    owned = tenant.client_id in tenant.emulator.owners(group["id"])
    # Strict: the owner's write 404s until the new group shows, so it and the target wait.
    assert owned != tenant.emulator.strict
    if tenant.emulator.strict:
        assert answers["PREP-1"]["assignments"]["owner"]["status"] == "deferred"
        assert answers["PREP-1"]["assignments"]["devicePreparationPolicy"]["status"] == "deferred"

    # Strict takes three timer runs, 31 s apart: the owner; then the target, which Intune
    # refuses until it sees the new owner (deferred); then the set… that answers 500 after it
    # commits, which a read shows 30 s later.
    for _ in range(3 if tenant.emulator.strict else 1):
        clock.advance(31)
        report = run(tenant)

    assert report.ok
    assert tenant.target() == group["id"]
    assert tenant.client_id in tenant.emulator.owners(group["id"])
    assert [g["id"] for g in tenant.emulator.groups() if g.get("uniqueName") == KEY] == [
        group["id"]
    ]


@pytest.mark.parametrize(("policy", "expected"), [("report", "drift"), ("repair", "repair")])
def test_a_policy_pointed_at_another_of_the_apps_groups_is_reported_or_set_back(
    tenant, policy, expected
):
    tenant.emulator.add_devices([device("SALES-UD")])
    settled(tenant)
    ours = tenant.group()["id"]
    [tag_group] = [g for g in tenant.emulator.groups() if g["uniqueName"].startswith("apg-tag-")]
    tenant.emulator.set_membership_target(tenant.policy_id, tag_group["id"])

    report = run(tenant, DRIFT_POLICY=policy)

    [target] = [a for a in report.assignments if a.kind.value == "devicePreparationPolicy"]
    assert target.action.value == expected and "another of the app's groups" in target.reason
    assert tenant.target() == (ours if policy == "repair" else tag_group["id"])


def test_a_deleted_group_is_restored_with_its_id_and_keeps_its_owner_and_target(tenant):
    settled(tenant)
    group = tenant.group()
    tenant.emulator.delete_group(group["id"])

    report = run(tenant)

    [entry] = [e for e in report.entries if e.unique_name == KEY]
    assert entry.action.value == "restore" and report.ok
    assert tenant.group()["id"] == group["id"] and tenant.target() == group["id"]
    assert tenant.client_id in tenant.emulator.owners(group["id"])
    steady = run(tenant)
    actions = {(a.kind.value, a.action.value) for a in steady.assignments}
    assert actions == {("owner", "unchanged"), ("devicePreparationPolicy", "unchanged")}


def test_a_plan_shows_the_group_its_owner_and_the_target_and_writes_nothing(tenant):
    report = asyncio.run(run_reconcile(tenant.settings(ALL_DEVICES_GROUP="false"), apply=False))

    [entry] = [e for e in report.entries if e.unique_name == KEY]
    assert entry.action.value == "create" and entry.membership_rule is None
    actions = {(a.kind.value, a.action.value) for a in report.assignments}
    assert actions == {("owner", "assign"), ("devicePreparationPolicy", "assign")}
    assert writes(tenant.emulator) == [] and tenant.group() is None and tenant.target() is None
