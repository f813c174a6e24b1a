"""Least privilege: the two application permissions the docs name are enough for the whole job;
without either, the job stops with a message naming it, and no request is lost.

Through the local host, Azurite and the Graph emulator, which enforces permissions per operation.
"""

from __future__ import annotations

import json

import pytest

from tests.assign_tenant import make_tenant
from tests.builders import device
from tests.dp_tenant import SCENARIO as PREP_SCENARIO
from tests.dp_tenant import make_prep_tenant
from tests.queue_app import QueueApp

DEVICES = "DeviceManagementServiceConfig.Read.All"
GROUPS = "Group.ReadWrite.All"


def run_the_whole_job(azurite, emulator, permissions: list[str]):
    emulator.set_permissions(permissions)
    emulator.add_devices([device("SALES-UD"), device("HR-SD")])
    request = {"requestId": "INC-1", "scenario": "user-driven", "groupTag": "NEW-UD"}
    with QueueApp.start(azurite.connection_string, emulator.base_url, GRAPH_MAX_RETRIES="0") as app:
        timer = app.host.fire_timer()
        app.send(request)
        app.host.drain(timeout=60)
        return timer, app.results(), app.poison(), request


def test_with_exactly_the_two_permissions_the_whole_job_is_done(azurite, emulator):
    timer, results, poison, _ = run_the_whole_job(azurite, emulator, [DEVICES, GROUPS])

    assert timer.status == "succeeded", timer.error
    assert [r["status"] for r in results] == ["created"]
    assert poison == []
    assert len(emulator.groups()) == 4  # two tags, all devices, the requested tag


def test_without_the_group_permission_everything_stops_naming_it_and_the_request_is_kept(
    azurite, emulator
):
    timer, results, poison, request = run_the_whole_job(azurite, emulator, [DEVICES])

    assert timer.status == "failed" and GROUPS in (timer.error or "")
    [result] = results
    assert result["status"] == "failed" and GROUPS in result["errors"][0]["message"]
    assert [json.loads(body) for body in poison] == [request]
    assert emulator.groups() == []


def test_without_the_device_permission_the_timer_stops_naming_it_and_requests_still_work(
    azurite, emulator
):
    timer, results, poison, _ = run_the_whole_job(azurite, emulator, [GROUPS])

    assert timer.status == "failed" and DEVICES in (timer.error or "")
    # Requests never read devices: they are served, not lost.
    assert [r["status"] for r in results] == ["created"]
    assert poison == []
    assert [g["displayName"] for g in emulator.groups()] == ["Autopilot - User-driven - NEW-UD"]


@pytest.mark.parametrize("granted", [[DEVICES, "Group.Read.All"], ["Group.Create", DEVICES]])
def test_a_weaker_group_permission_is_named_as_the_one_to_grant(azurite, emulator, granted):
    timer, results, poison, _ = run_the_whole_job(azurite, emulator, granted)
    assert timer.status == "failed" and GROUPS in (timer.error or "")
    assert [r["status"] for r in results] == ["failed"] and len(poison) == 1


# --- when a scenario names an Autopilot profile and an ESP ----------------------------------

DEVICES_WRITE = "DeviceManagementServiceConfig.ReadWrite.All"


def run_the_assigning_job(azurite, emulator, tmp_path, permissions: list[str]):
    tenant = make_tenant(emulator, azurite.connection_string, tmp_path)
    emulator.set_permissions(permissions)
    emulator.add_devices([device("SALES-UD")])
    request = {"requestId": "INC-2", "scenario": "user-driven", "groupTag": "NEW-UD"}
    env = {**tenant.env(), "GRAPH_MAX_RETRIES": "0"}
    with QueueApp.start(azurite.connection_string, emulator.base_url, **env) as app:
        timer = app.host.fire_timer()
        app.send(request)
        app.host.drain(timeout=60)
        return tenant, timer, app.results(), app.poison(), request


def test_with_readwrite_instead_of_read_the_whole_job_and_its_assignments_are_done(
    azurite, emulator, tmp_path
):
    tenant, timer, results, poison, _ = run_the_assigning_job(
        azurite, emulator, tmp_path, [DEVICES_WRITE, GROUPS]
    )

    assert timer.status == "succeeded", timer.error
    [result] = results
    assert result["status"] == "created" and poison == []
    statuses = {kind: a["status"] for kind, a in result["assignments"].items()}
    assert statuses == {"autopilotProfile": "assigned", "enrollmentStatusPage": "assigned"}
    assert len(tenant.profile_groups()) == 2  # SALES-UD's group and NEW-UD's


def test_without_readwrite_assignments_stop_naming_it_and_the_request_is_kept(
    azurite, emulator, tmp_path
):
    tenant, timer, results, poison, request = run_the_assigning_job(
        azurite, emulator, tmp_path, [DEVICES, GROUPS]
    )

    assert timer.status == "failed" and DEVICES_WRITE in (timer.error or "")
    [result] = results
    assert result["status"] == "failed" and DEVICES_WRITE in result["errors"][0]["message"]
    assert [json.loads(body) for body in poison] == [request]
    assert tenant.profile_groups() == [] and tenant.esp_groups() == [tenant.pilot_group]


# --- a scenario that names a device preparation policy ----------------------------------------

POLICIES = "DeviceManagementConfiguration.ReadWrite.All"
APPLICATIONS = "Application.Read.All"


def run_the_preparing_job(azurite, emulator, tmp_path, permissions: list[str]):
    tenant = make_prep_tenant(emulator, azurite.connection_string, tmp_path)
    emulator.set_permissions(permissions)
    request = {"requestId": "INC-3", "scenario": PREP_SCENARIO}
    env = {"GRAPH_MAX_RETRIES": "0", **tenant.env()}
    with QueueApp.start(azurite.connection_string, emulator.base_url, **env) as app:
        timer = app.host.fire_timer()
        app.send(request)
        app.host.drain(timeout=60)
        return tenant, timer, app.results(), app.poison(), request


def test_with_exactly_the_four_permissions_device_preparation_is_done(azurite, emulator, tmp_path):
    tenant, timer, results, poison, _ = run_the_preparing_job(
        azurite, emulator, tmp_path, [DEVICES, GROUPS, POLICIES, APPLICATIONS]
    )

    assert timer.status == "succeeded", timer.error
    [result] = results
    assert result["status"] == "exists" and poison == []  # the timer made it moments before
    assert tenant.target() == tenant.group()["id"]
    assert tenant.client_id in emulator.owners(tenant.group()["id"])


@pytest.mark.parametrize("missing", [POLICIES, APPLICATIONS])
def test_without_a_device_preparation_permission_the_run_names_it_and_the_request_is_kept(
    azurite, emulator, tmp_path, missing
):
    granted = [p for p in (DEVICES, GROUPS, POLICIES, APPLICATIONS) if p != missing]
    tenant, timer, results, poison, request = run_the_preparing_job(
        azurite, emulator, tmp_path, granted
    )

    assert timer.status == "failed" and missing in (timer.error or "")
    [result] = results
    assert result["status"] == "failed" and missing in result["errors"][0]["message"]
    assert [json.loads(body) for body in poison] == [request]
    assert tenant.target() is None
