"""The reconcile against the Graph emulator, with the real msgraph-sdk over HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from typing import Any

import pytest

from graph_emulator import Emulator
from shared.core.model import Kind
from shared.core.naming import unique_name
from shared.core.rules import build_rule
from shared.core.wording import entry_outcome
from shared.graph.gateway import GraphGateway
from shared.shell.memory import QueryForms
from shared.shell.observe import BASIC_FILTERS, GROUP_FILTER
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.builders import device, gateway_patch, settings_for
from tests.builders import managed_groups as managed

pytestmark = pytest.mark.both_profiles  # default and strict emulator (conftest)

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def reconcile(emu: Emulator, apply: bool = True, force: bool = False, **env: str) -> Report:
    return asyncio.run(run_reconcile(settings_for(emu, **env), apply=apply, force=force))


def writes(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests if r.method in WRITE_METHODS]


def seed(emu: Emulator, *tags: str, untagged: int = 0) -> None:
    emu.add_devices([device(tag) for tag in tags] + [device() for _ in range(untagged)])


def test_a_first_run_creates_exactly_one_group_per_tag_and_the_all_devices_group(emulator):
    seed(emulator, "SALES-UD", "Sales-UD", "HR-SD", "FIN-HYB", "LAB-PP", untagged=3)

    report = reconcile(emulator)

    assert report.ok, report.error
    groups = {g["uniqueName"]: g for g in managed(emulator)}
    assert set(groups) == {
        unique_name(Kind.ALL_DEVICES),
        unique_name(Kind.TAG, "SALES-UD"),
        unique_name(Kind.TAG, "HR-SD"),
        unique_name(Kind.TAG, "FIN-HYB"),
        unique_name(Kind.TAG, "LAB-PP"),
    }
    sales = groups[unique_name(Kind.TAG, "sales-ud")]
    assert sales["displayName"] == "Autopilot - User-driven - SALES-UD"  # first spelling seen
    assert sales["membershipRule"] == build_rule(Kind.TAG, "SALES-UD")
    assert sales["groupTypes"] == ["DynamicMembership"]
    assert sales["membershipRuleProcessingState"] == "On"
    assert sales["securityEnabled"] is True and sales["mailEnabled"] is False
    assert "Do not edit by hand" in sales["description"]
    assert groups[unique_name(Kind.TAG, "HR-SD")]["displayName"].startswith(
        "Autopilot - Self-deploying"
    )
    assert report.totals()["untaggedDevices"] == 3
    # Every create went through the upsert on uniqueName, never a bare POST.
    assert {(r.method, "uniqueName" in r.path) for r in writes(emulator)} == {("PATCH", True)}


def test_a_second_run_changes_nothing_and_writes_nothing(emulator):
    seed(emulator, "SALES-UD", "HR-SD")
    reconcile(emulator)
    before = emulator.groups()
    emulator.clear_requests()

    report = reconcile(emulator)

    assert report.ok
    assert writes(emulator) == []
    assert emulator.groups() == before
    assert report.totals()["unchanged"] == 3


def test_plan_mode_writes_nothing(emulator):
    seed(emulator, "SALES-UD")
    report = reconcile(emulator, apply=False)
    assert report.totals()["create"] == 2
    assert writes(emulator) == []
    assert managed(emulator) == []


def test_requests_per_run_are_pages_plus_one_write_per_group_that_needs_one(emulator):
    emulator.set_page_size(40)
    tags = [f"T{i:03d}-UD" for i in range(30)]
    emulator.add_devices([device(tags[i % 30]) for i in range(250)])
    emulator.clear_requests()

    report = reconcile(emulator)

    device_pages = math.ceil(250 / 40)
    # The strict profile refuses the combined group query: it is sent, then the two basic ones.
    group_pages = 3 if emulator.strict else 1
    recycle_bin = 1  # the run creates groups: one read of the app's deleted ones first
    expected_writes = 31
    assert len(emulator.requests) == device_pages + group_pages + recycle_bin + expected_writes
    assert report.graph_requests == len(emulator.requests)
    assert len(writes(emulator)) == expected_writes


def test_a_hand_made_group_in_another_spelling_is_adopted_not_duplicated(emulator):
    seed(emulator, "SALES-UD")
    hand_made = emulator.add_group(
        {
            "displayName": "Sales devices (made by hand)",
            "mailEnabled": False,
            "mailNickname": "salesdevices",
            "securityEnabled": True,
            "groupTypes": ["DynamicMembership"],
            "membershipRule": 'device.devicePhysicalIDs -any _ -eq "[OrderId]:sales-ud"',
            "membershipRuleProcessingState": "On",
        }
    )

    report = reconcile(emulator, ALL_DEVICES_GROUP="false")

    assert report.ok
    [entry] = report.entries
    assert (entry.action.value, entry.group_id) == ("adopt", hand_made["id"])
    assert managed(emulator) == []
    assert writes(emulator) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"membershipRule": build_rule(Kind.TAG, "SOMETHING-ELSE")}, "rule is"),
        ({"membershipRuleProcessingState": "Paused"}, "Paused"),
    ],
    ids=["rule edited by hand", "processing paused"],
)
def test_drift_is_reported_by_default_and_repaired_when_asked(emulator, change, problem):
    seed(emulator, "SALES-UD")
    reconcile(emulator, ALL_DEVICES_GROUP="false")
    [group] = managed(emulator)
    gateway_patch(emulator, group["id"], change)

    reported = reconcile(emulator, ALL_DEVICES_GROUP="false")
    assert reported.ok
    [entry] = reported.entries
    assert entry.action.value == "drift" and problem in entry.reason
    assert managed(emulator)[0] == {**group, **change} | _volatile(managed(emulator)[0])

    repaired = reconcile(emulator, ALL_DEVICES_GROUP="false", DRIFT_POLICY="repair")
    assert repaired.ok
    assert entry_outcome(repaired.entries[0]) == "repaired"
    [after] = managed(emulator)
    assert after["membershipRule"] == build_rule(Kind.TAG, "SALES-UD")
    assert after["membershipRuleProcessingState"] == "On"
    assert after["id"] == group["id"]


def test_a_rule_respelled_by_hand_is_not_drift(emulator):
    seed(emulator, "SALES-UD")
    reconcile(emulator, ALL_DEVICES_GROUP="false")
    [group] = managed(emulator)
    gateway_patch(
        emulator,
        group["id"],
        {"membershipRule": 'device.devicePhysicalIDs -any _ -eq "[OrderId]:sales-ud"'},
    )
    report = reconcile(emulator, ALL_DEVICES_GROUP="false")
    assert [e.action.value for e in report.entries] == ["unchanged"]


def test_a_tag_with_no_devices_left_is_reported_and_its_group_kept(emulator, clock):
    seed(emulator, "OLD-UD")
    reconcile(emulator, ALL_DEVICES_GROUP="false")
    # The same tenant after the tag's last device was deleted.
    tenant = {"devices": [], "groups": emulator.groups()}
    with Emulator(tenant=tenant, clock=clock) as later:
        report = reconcile(later, ALL_DEVICES_GROUP="false")
        [entry] = report.entries
        assert entry.action.value == "unchanged" and "kept" in entry.reason
        assert entry.value == "OLD-UD"
        assert len(managed(later)) == 1
        assert writes(later) == []


def test_two_runs_together_make_no_duplicate_under_lag_and_504_after_commit(emulator):
    tags = [f"R{i}-UD" for i in range(8)]
    seed(emulator, *tags)
    emulator.set_lag(3600)  # the clock never moves: neither run ever sees the other's groups
    emulator.faults.script("504-after-commit", method="PATCH", count=4)

    async def both() -> list[Report]:
        settings = settings_for(emulator)
        return list(
            await asyncio.gather(
                run_reconcile(settings, apply=True), run_reconcile(settings, apply=True)
            )
        )

    first, second = asyncio.run(both())

    assert first.ok and second.ok, (first.error, second.error)
    keys = Counter(g["uniqueName"] for g in managed(emulator))
    assert len(keys) == 9 and set(keys.values()) == {1}
    rules = Counter(g["membershipRule"] for g in emulator.groups())
    assert max(rules.values()) == 1
    assert emulator.faults.counts().get("504-after-commit") == 4
    outcomes = Counter(entry_outcome(e) for r in (first, second) for e in r.entries)
    assert outcomes["created"] + outcomes["exists"] == 18
    assert outcomes["created"] <= 9


@pytest.mark.parametrize("form", ["seconds", "fractional", "http-date"])
def test_throttling_is_survived_in_every_retry_after_form(emulator, form):
    seed(emulator, "SALES-UD")
    emulator.faults.script(
        "429", path="windowsAutopilotDeviceIdentities", count=1, retry_after=form
    )
    emulator.faults.script("429", method="PATCH", count=1, retry_after=form)

    report = reconcile(emulator, ALL_DEVICES_GROUP="false")

    assert report.ok, report.error
    assert len(managed(emulator)) == 1
    throttled = [r for r in emulator.requests if r.status == 429]
    assert len(throttled) == 2


def test_fractional_retry_after_is_honoured_not_replaced_by_backoff():
    from shared.graph.middleware import GraphRetryHandler, parse_retry_after

    assert parse_retry_after("2.128") == pytest.approx(2.128)
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None
    import httpx

    response = httpx.Response(429, headers={"Retry-After": "0.25"})
    assert GraphRetryHandler().get_delay_time(1, response, 3.0) == pytest.approx(0.25)


def test_dropped_connections_and_503_are_retried(emulator):
    seed(emulator, "SALES-UD")
    emulator.faults.script("drop", path="groups", count=1)
    emulator.faults.script("503", path="windowsAutopilotDeviceIdentities", count=1)
    emulator.faults.script("drop-after-commit", method="PATCH", count=1)
    report = reconcile(emulator, ALL_DEVICES_GROUP="false")
    assert report.ok, report.error
    assert len(managed(emulator)) == 1


@pytest.mark.parametrize(
    ("granted", "named"),
    [
        (["Group.ReadWrite.All"], "DeviceManagementServiceConfig.Read.All"),
        (["DeviceManagementServiceConfig.Read.All", "Group.Read.All"], "Group.ReadWrite.All"),
        (["DeviceManagementServiceConfig.Read.All"], "Group.ReadWrite.All"),
    ],
    ids=["no device read", "group read only", "no group permission"],
)
def test_a_missing_permission_stops_the_run_naming_it(emulator, granted, named):
    seed(emulator, "SALES-UD")
    emulator.set_permissions(granted)
    report = reconcile(emulator)
    assert not report.ok
    assert named in (report.error or "")
    assert managed(emulator) == []


def test_an_unsafe_plan_applies_nothing_unless_forced(emulator):
    seed(emulator, *(f"MISTYPED{i}-UD" for i in range(5)))
    refused = reconcile(emulator, MAX_NEW_GROUPS_PER_RUN="3")
    assert refused.unsafe and not refused.ok
    assert writes(emulator) == []
    forced = reconcile(emulator, force=True, MAX_NEW_GROUPS_PER_RUN="3")
    assert forced.ok and len(managed(emulator)) == 6


def test_a_failing_group_never_hides_the_others(emulator):
    seed(emulator, "A-UD", "B-UD", "C-UD")
    failing = unique_name(Kind.TAG, "B-UD")
    emulator.faults.script("503", path=failing, count=100)
    report = reconcile(emulator, ALL_DEVICES_GROUP="false", GRAPH_MAX_RETRIES="1")
    outcomes = {e.value: entry_outcome(e) for e in report.entries}
    assert outcomes["A-UD"] == "created" and outcomes["C-UD"] == "created"
    assert outcomes["B-UD"].startswith("failed")
    assert not report.ok


def test_the_group_queries_the_app_sends_are_ones_graph_accepts_without_advanced_headers(
    emulator,
):
    # The combined query where Graph accepts it; the two basic ones where it does not.
    filters = BASIC_FILTERS if emulator.strict else (GROUP_FILTER,)

    async def count(odata_filter: str) -> int:
        async with GraphGateway.from_settings(settings_for(emulator)) as gateway:
            return sum([len(page) async for page in gateway.group_pages(odata_filter)])

    for odata_filter in filters:
        assert asyncio.run(count(odata_filter)) == 0
        assert emulator.requests[-1].status == 200


def test_the_group_query_falls_back_to_two_basic_queries_only_where_graph_refuses_it(
    emulator, caplog
):
    seed(emulator, "SALES-UD", "KIOSK-SD")
    emulator.add_group(hand_made_group("KIOSK-SD"))
    query = QueryForms()  # what one process learns, kept across its runs
    caplog.set_level(logging.WARNING, logger="shared.shell.observe")

    first = asyncio.run(run_reconcile(settings_for(emulator), apply=True, query_forms=query))
    first_reads = group_reads(emulator)
    emulator.clear_requests()
    second = asyncio.run(run_reconcile(settings_for(emulator), apply=True, query_forms=query))

    assert first.ok and second.ok
    assert [e.action.value for e in first.entries] == ["create", "create", "adopt"]
    assert second.totals()["unchanged"] == 2 and second.totals()["adopt"] == 1
    assert writes(emulator) == []
    refusals = [r for r in caplog.records if "refused the combined group query" in r.message]
    if emulator.strict:
        assert first_reads == [(GROUP_FILTER, 400), *((f, 200) for f in BASIC_FILTERS)]
        assert group_reads(emulator) == [(f, 200) for f in BASIC_FILTERS]  # not asked again
        assert len(refusals) == 1
    else:
        assert first_reads == [(GROUP_FILTER, 200)] and group_reads(emulator) == first_reads
        assert refusals == []


def test_a_managed_group_turned_static_is_still_seen_and_reported(emulator):
    seed(emulator, "SALES-UD")
    reconcile(emulator, ALL_DEVICES_GROUP="false")
    [group] = managed(emulator)
    gateway_patch(emulator, group["id"], {"groupTypes": []})  # no longer a dynamic group

    report = reconcile(emulator, ALL_DEVICES_GROUP="false")

    [entry] = report.entries
    assert (entry.action.value, entry.group_id) == ("drift", group["id"])
    assert len(managed(emulator)) == 1  # found by its nickname, not created again


# helpers


def hand_made_group(tag: str) -> dict[str, Any]:
    return {
        "displayName": f"{tag} devices (made by hand)",
        "mailEnabled": False,
        "mailNickname": f"handmade-{tag.lower()}",
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": f'(device.devicePhysicalIds -any (_ -eq "[OrderID]:{tag}"))',
        "membershipRuleProcessingState": "On",
    }


def group_reads(emu: Emulator) -> list[tuple[str, int]]:
    """Each group list the app sent: its $filter and Graph's status."""
    reads = []
    for r in emu.requests:
        if r.method == "GET" and r.path.endswith("/groups"):
            query = dict(part.split("=", 1) for part in r.query.split("&") if "=" in part)
            reads.append((query.get("$filter", ""), r.status))
    return reads


def _volatile(group: dict[str, Any]) -> dict[str, Any]:
    return {k: group[k] for k in group if k.endswith("DateTime")}


def test_graph_errors_become_our_own_with_graphs_code_and_message(emulator):
    from shared.core.errors import PermanentGraphError, TransientGraphError

    async def list_with(odata_filter: str) -> None:
        async with GraphGateway.from_settings(
            settings_for(emulator, GRAPH_MAX_RETRIES="0")
        ) as gateway:
            async for _ in gateway.group_pages(odata_filter):
                pass

    emulator.faults.script("503", count=1)
    with pytest.raises(TransientGraphError, match="503 serviceNotAvailable: The service"):
        asyncio.run(list_with(GROUP_FILTER))
    with pytest.raises(PermanentGraphError, match="400 BadRequest: Invalid filter clause"):
        asyncio.run(list_with("bogus filter"))
