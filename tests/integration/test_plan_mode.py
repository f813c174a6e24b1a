"""A safe first contact: RUN_MODE=plan (the default) writes nothing, and an approved first run.

A request in plan mode is answered with what would be done (``planned``), nothing written. A
first run over MAX_NEW_GROUPS_PER_RUN is refused with its plan's digest; APPROVE_PLAN set to it
lets exactly that plan through; a different plan over the valve is refused under the same
approval with its own digest; once applied, the approval matches nothing more."""

from __future__ import annotations

import asyncio

import pytest

from graph_emulator import Emulator
from shared.core.errors import UnsafePlanError
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.assign_tenant import make_tenant
from tests.builders import device, empty_tenant, managed_groups, settings_for
from tests.queue_app import QueueApp

VALVE = "25"


def apply(emu: Emulator, **env: str) -> Report:
    settings = settings_for(emu, MAX_NEW_GROUPS_PER_RUN=VALVE, **env)
    return asyncio.run(run_reconcile(settings, apply=True))


def tags(n: int, start: int = 0) -> list[str]:
    return [f"SITE{i:02d}-UD" for i in range(start, start + n)]


def test_a_request_in_plan_mode_is_answered_with_what_would_be_done_and_nothing_written(
    emulator, azurite, tmp_path
):
    tenant = make_tenant(emulator, azurite.connection_string, tmp_path)
    env = {**tenant.env(), "RUN_MODE": "plan"}
    with QueueApp.start(azurite.connection_string, emulator.base_url, **env) as app:
        app.send({"requestId": "PLAN-1", "scenario": "user-driven", "groupTag": "NEW-UD"})
        app.host.drain()
        [answer] = app.results()

    assert (answer["status"], answer["mode"]) == ("planned", "plan")
    assert answer["group"]["id"] is None and answer["group"]["uniqueName"].startswith("apg-")
    assert "would create the group 'Autopilot - User-driven - NEW-UD'" in answer["warnings"][0]
    assert {k: a["status"] for k, a in answer["assignments"].items()} == {
        "autopilotProfile": "planned",
        "enrollmentStatusPage": "planned",
    }
    assert managed_groups(emulator) == [] and tenant.profile_groups() == []
    assert not [r for r in emulator.requests if r.method != "GET"]


def test_thirty_new_tags_are_refused_with_a_digest_that_approves_exactly_that_plan(emulator):
    emulator.add_devices([device(tag) for tag in tags(30)])

    refused = apply(emulator, ALL_DEVICES_GROUP="false")

    assert refused.unsafe and not refused.ok and managed_groups(emulator) == []
    digest = refused.digest
    assert digest and digest in (refused.error or "") and f"APPROVE_PLAN={digest}" in refused.error
    assert refused.to_dict()["digest"] == digest
    again = apply(emulator, ALL_DEVICES_GROUP="false")
    assert again.digest == digest  # the same tenant, the same plan, the same digest

    approved = apply(emulator, ALL_DEVICES_GROUP="false", APPROVE_PLAN=digest)

    assert approved.ok and approved.approved and not approved.unsafe
    assert len(managed_groups(emulator)) == 30
    assert approved.to_dict()["approved"] is True
    after = apply(emulator, ALL_DEVICES_GROUP="false", APPROVE_PLAN=digest)
    assert after.ok and not after.approved and after.plan.creates == 0  # it matches nothing more


@pytest.mark.parametrize(
    "second",
    [
        pytest.param([*tags(30), "EXTRA-UD"], id="one more tag"),
        pytest.param([*tags(29, start=1), "SWAPPED-UD"], id="one tag swapped for another"),
    ],
)
def test_a_different_plan_over_the_valve_is_refused_under_the_same_approval(second):
    with Emulator(tenant=empty_tenant()) as first:
        first.add_devices([device(tag) for tag in tags(30)])
        digest = apply(first, ALL_DEVICES_GROUP="false").digest
    with Emulator(tenant=empty_tenant()) as emulator:
        emulator.add_devices([device(tag) for tag in second])

        report = apply(emulator, ALL_DEVICES_GROUP="false", APPROVE_PLAN=digest)

        assert report.unsafe and not report.approved and managed_groups(emulator) == []
        assert report.digest != digest and f"APPROVE_PLAN={report.digest}" in (report.error or "")


def test_the_plan_itself_raises_its_own_error_past_the_valve(emulator):
    emulator.add_devices([device(tag) for tag in tags(30)])
    plan = apply(emulator, ALL_DEVICES_GROUP="false").plan
    assert plan is not None
    with pytest.raises(UnsafePlanError) as raised:
        plan.raise_if_unsafe()
    assert raised.value.digest == plan.digest
    plan.raise_if_unsafe(force=True)
    plan.raise_if_unsafe(approval=plan.digest)
