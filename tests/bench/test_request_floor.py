"""The app's Graph requests per reconcile equal their lower bound (the CI part of ``make bench``).

Pages of devices + pages of the groups the app must see + groups written, counted in the
emulator's request log; the bound is computed from the tenant (``bench.floors``), not from the
app. Under the strict profile, which refuses the combined group query, the bound counts the
refused query and both basic queries' pages. No timings are asserted here: those are measured by
``python -m bench``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench.floors import (
    COMBINED,
    REFUSED,
    SPLIT,
    IntuneSnapshot,
    PreparationSnapshot,
    assignment_bound,
    lower_bound,
    preparation_bound,
)
from graph_emulator import Emulator, generate_tenant
from shared.shell.memory import QueryForms
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.assign_tenant import KIOSK_PROFILE, UD_ESP, UD_PROFILE, AssignTenant, make_tenant
from tests.builders import settings_for
from tests.dp_tenant import KEY as PREP_KEY
from tests.dp_tenant import PrepTenant, make_prep_tenant

DEVICES, TAGS, PAGE_SIZE = 1000, 50, 100


@pytest.fixture
def tenant(emulator_profile: str) -> Iterator[Emulator]:
    strict = emulator_profile == "strict"
    with Emulator(
        # No Provisioning Client of its own: the device preparation test adds one, its id fresh
        # (the assignment ledger, in the one Azurite, is keyed by it).
        generate_tenant(DEVICES, TAGS, seed=3, provisioning_client=False),
        page_size=PAGE_SIZE,
        strict=strict,
    ) as emu:
        yield emu


def reconcile(emu: Emulator, query: QueryForms | None = None) -> Report:
    emu.clear_requests()
    report = asyncio.run(run_reconcile(settings_for(emu), apply=True, query_forms=query))
    assert report.ok, report.summary()
    return report


def first_query(emu: Emulator) -> str:
    """How a process's first run reads the groups: the strict profile refuses the combined one."""
    return REFUSED if emu.strict else COMBINED


@pytest.mark.both_profiles
def test_a_first_run_sends_exactly_the_lower_bound_of_requests(tenant):
    before = tenant.groups()

    report = reconcile(tenant)

    floor = lower_bound(DEVICES, PAGE_SIZE, before, tenant.groups(), first_query(tenant))
    assert floor.device_pages == 10 and floor.writes > 40  # several pages, many creates
    assert len(tenant.requests) == floor.total
    assert report.graph_requests == floor.total


@pytest.mark.both_profiles
def test_a_steady_state_run_sends_only_the_pages(tenant):
    reconcile(tenant)
    settled = tenant.groups()

    report = reconcile(tenant)

    floor = lower_bound(DEVICES, PAGE_SIZE, settled, tenant.groups(), first_query(tenant))
    assert floor.writes == 0
    assert len(tenant.requests) == floor.total
    assert floor.total == floor.device_pages + floor.refused + floor.group_pages
    assert report.graph_requests == floor.total


@pytest.mark.both_profiles
def test_a_process_that_learnt_the_refusal_sends_only_the_two_basic_queries_pages(tenant):
    query = QueryForms()
    reconcile(tenant, query)
    settled = tenant.groups()

    report = reconcile(tenant, query)

    later = SPLIT if tenant.strict else COMBINED
    floor = lower_bound(DEVICES, PAGE_SIZE, settled, tenant.groups(), later)
    assert floor.refused == 0 and floor.group_pages == (2 if tenant.strict else 1)
    assert len(tenant.requests) == report.graph_requests == floor.total


# --- a scenario that names an Autopilot profile and an ESP -----------------------------------


def intune(emu: Emulator, tenant: AssignTenant) -> IntuneSnapshot:
    def targets(assignments: list[dict[str, Any]]) -> frozenset[str]:
        return frozenset(json.dumps(a["target"], sort_keys=True) for a in assignments)

    return IntuneSnapshot(
        profiles=len(emu.autopilot_profiles()),
        configurations=len(emu.enrollment_configurations()),
        profile_assignments={
            tenant.ids[name]: targets(emu.profile_assignments(tenant.ids[name]))
            for name in (UD_PROFILE, KIOSK_PROFILE)
        },
        esp_assignments={tenant.ids[UD_ESP]: targets(emu.esp_assignments(tenant.ids[UD_ESP]))},
        profile_sizes=tuple(
            len(emu.profile_assignments(p["id"])) for p in emu.autopilot_profiles()
        ),
    )


def reconcile_assigning(emu: Emulator, tenant: AssignTenant) -> Report:
    emu.clear_requests()
    settings = tenant.settings(MAX_NEW_GROUPS_PER_RUN="500")
    report = asyncio.run(run_reconcile(settings, apply=True))
    assert report.ok, report.summary()
    return report


@pytest.mark.both_profiles
def test_assignments_add_exactly_their_floor_on_a_first_run_and_only_reads_after(
    tenant, azurite, tmp_path
):
    assigning = make_tenant(tenant, azurite.connection_string, tmp_path)
    groups, profiles = tenant.groups(), intune(tenant, assigning)

    first = reconcile_assigning(tenant, assigning)

    bound = assignment_bound(profiles, intune(tenant, assigning), one_by_one=tenant.strict)
    groups_floor = lower_bound(DEVICES, PAGE_SIZE, groups, tenant.groups(), first_query(tenant))
    assert bound.posts > 10 and bound.esp_changes == 1  # many groups, one ESP write
    assert len(tenant.requests) == first.graph_requests == groups_floor.total + bound.total

    settled, profiles = tenant.groups(), intune(tenant, assigning)
    steady = reconcile_assigning(tenant, assigning)

    bound = assignment_bound(profiles, intune(tenant, assigning), one_by_one=tenant.strict)
    groups_floor = lower_bound(DEVICES, PAGE_SIZE, settled, tenant.groups(), first_query(tenant))
    assert bound.posts == bound.esp_changes == 0 and groups_floor.writes == 0
    assert len(tenant.requests) == steady.graph_requests == groups_floor.total + bound.total
    assert bound.total == bound.lists + bound.reads  # only reads are added


# --- a scenario that names a device preparation policy ----------------------------------------


def preparation(emu: Emulator, tenant: PrepTenant) -> PreparationSnapshot:
    listed = emu.configuration_policies()
    groups = [g for g in emu.groups() if g.get("uniqueName") == PREP_KEY]
    return PreparationSnapshot(
        policies=sum("enrollment" in str(p.get("technologies")).split(",") for p in listed),
        configuration_policies=len(listed),
        targets={tenant.policy_id: emu.membership_target(tenant.policy_id)},
        owned={g["id"]: tenant.client_id in emu.owners(g["id"]) for g in groups},
    )


@pytest.mark.both_profiles
def test_device_preparation_adds_exactly_its_floor_and_a_steady_run_writes_nothing_for_it(
    tenant, azurite, tmp_path
):
    prep = make_prep_tenant(tenant, azurite.connection_string, tmp_path)
    groups, before = tenant.groups(), preparation(tenant, prep)

    tenant.clear_requests()
    first = asyncio.run(run_reconcile(prep.settings(MAX_NEW_GROUPS_PER_RUN="500"), apply=True))

    after = preparation(tenant, prep)
    bound = preparation_bound(before, after, filtered=not tenant.strict)
    groups_floor = lower_bound(DEVICES, PAGE_SIZE, groups, tenant.groups(), first_query(tenant))
    assert bound.owner_posts == bound.target_changes == 1  # the new group: owned, targeted
    assert len(tenant.requests) == first.graph_requests == groups_floor.total + bound.total
    if not tenant.strict:  # strict: the set… answers 500 after it commits (counted as failed)
        assert first.ok, first.summary()

    settled, before = tenant.groups(), preparation(tenant, prep)
    tenant.clear_requests()
    steady = asyncio.run(run_reconcile(prep.settings(), apply=True))

    bound = preparation_bound(before, preparation(tenant, prep), filtered=not tenant.strict)
    groups_floor = lower_bound(DEVICES, PAGE_SIZE, settled, tenant.groups(), first_query(tenant))
    assert steady.ok, steady.summary()
    assert bound.owner_posts == bound.target_changes == groups_floor.writes == 0
    assert len(tenant.requests) == steady.graph_requests == groups_floor.total + bound.total
    posts = [r.path for r in tenant.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]
    assert all(p.endswith("/retrieveEnrollmentTimeDeviceMembershipTarget") for p in posts), posts
