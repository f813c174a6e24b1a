"""A managed group someone deleted sits in the directory's recycle bin for 30 days, and whether
its uniqueName stays reserved there is not documented: the default profile frees it, the strict
one reserves it. Under either reading the app restores its own group (same id, rule and
assignments) instead of making a second one; under ``DELETED_GROUP_POLICY=report`` it leaves it
alone and says how to restore it; a group deleted for good is made again."""

from __future__ import annotations

import asyncio

import pytest

from graph_emulator import Emulator
from shared.core.model import Kind
from shared.core.naming import unique_name
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.builders import device, managed_groups, settings_for
from tests.queue_app import QueueApp

pytestmark = pytest.mark.both_profiles
KEY = unique_name(Kind.TAG, "SALES-UD")


def reconcile(emu: Emulator, **env: str) -> Report:
    settings = settings_for(emu, ALL_DEVICES_GROUP="false", **env)
    return asyncio.run(run_reconcile(settings, apply=True))


@pytest.fixture
def deleted(emulator: Emulator) -> dict:
    """SALES-UD's group, made by the app, then deleted by an admin."""
    emulator.add_devices([device("SALES-UD"), device("HR-UD")])
    assert reconcile(emulator).ok
    [group] = [g for g in managed_groups(emulator) if g["uniqueName"] == KEY]
    emulator.delete_group(group["id"])
    return group


def test_a_deleted_managed_group_is_restored_with_its_id_not_made_twice(emulator, deleted):
    report = reconcile(emulator)

    assert report.ok, report.summary()
    entry = next(e for e in report.entries if e.unique_name == KEY)
    assert (entry.action.value, entry.outcome.done.value) == ("restore", "restored")
    [group] = [g for g in managed_groups(emulator) if g["uniqueName"] == KEY]
    assert group["id"] == deleted["id"] and group["membershipRule"] == deleted["membershipRule"]
    assert [g["id"] for g in emulator.deleted_groups()] == []
    assert "deleted groups: 1 to restore (1 restored)" in report.summary()
    assert reconcile(emulator).plan.count(entry.action) == 0  # the next run finds it as it was


def test_under_the_report_policy_it_is_left_alone_and_the_fix_is_named(emulator, deleted):
    report = reconcile(emulator, DELETED_GROUP_POLICY="report")

    entry = next(e for e in report.entries if e.unique_name == KEY)
    assert entry.action.value == "deleted" and entry.outcome is None
    assert f"/directory/deletedItems/{deleted['id']}/restore" in entry.reason
    assert [g["id"] for g in emulator.deleted_groups()] == [deleted["id"]]
    assert [g for g in managed_groups(emulator) if g["uniqueName"] == KEY] == []
    assert report.ok  # reported, like drift: nothing failed


def test_a_group_deleted_for_good_is_made_again(emulator, deleted):
    emulator.purge_deleted(deleted["id"])

    report = reconcile(emulator)

    assert report.ok, report.summary()
    [group] = [g for g in managed_groups(emulator) if g["uniqueName"] == KEY]
    assert group["id"] != deleted["id"]


def test_a_request_for_the_deleted_groups_tag_restores_it_and_says_so(emulator, deleted, azurite):
    with QueueApp.start(azurite.connection_string, emulator.base_url) as app:
        app.send({"requestId": "R-9", "scenario": "user-driven", "groupTag": "SALES-UD"})
        app.host.drain()
        [answer] = app.results()

    assert answer["status"] == "updated" and answer["group"]["id"] == deleted["id"]
    assert answer["warnings"][0].startswith("restored: ")


def test_a_request_under_the_report_policy_fails_with_the_fix(emulator, deleted, azurite):
    env = {"DELETED_GROUP_POLICY": "report"}
    with QueueApp.start(azurite.connection_string, emulator.base_url, **env) as app:
        app.send({"requestId": "R-10", "scenario": "user-driven", "groupTag": "SALES-UD"})
        app.host.drain()
        [answer] = app.results()

    assert answer["status"] == "failed" and "recycle bin" in answer["errors"][0]["message"]
    assert [g for g in managed_groups(emulator) if g["uniqueName"] == KEY] == []
