"""An instance killed between the ledger's intent and its Graph write: the next delivery or run
writes the assignment, and no answer in between claims it is there.

The app runs the timer in a process of its own (the local runner). The emulator holds the first
profile POST; when it arrives the process is killed with SIGKILL, and the POST is then dropped
unprocessed: the ledger holds the intent, Graph holds nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from graph_emulator import Emulator
from local_runner import Azurite
from shared.config.settings import StorageConnection
from shared.core.model import AssignmentKind, Kind
from shared.core.naming import unique_name
from shared.shell.reconcile import run_reconcile
from shared.storage.ledger import Ledger
from tests.assign_tenant import UD_PROFILE, make_tenant
from tests.builders import device
from tests.queue_app import QueueApp

ROOT = Path(__file__).resolve().parents[2]


def group_id(emu: Emulator, tag: str) -> str:
    key = unique_name(Kind.TAG, tag)
    return next(g["id"] for g in emu.groups() if g.get("uniqueName") == key)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is a POSIX signal")
def test_a_kill_between_intent_and_write_costs_one_retry_and_no_false_answer(
    emulator: Emulator, azurite: Azurite, tmp_path
):
    emulator.add_devices([device("SALES-UD"), device("HR-UD")])
    tenant = make_tenant(emulator, azurite.connection_string, tmp_path)
    profile = tenant.ids[UD_PROFILE]
    held = emulator.faults.hold(method="POST", path=f"{profile}/assignments")
    env = {
        **os.environ,
        **tenant.env(),
        "PYTHONPATH": str(ROOT),
        "GRAPH_BASE_URL": emulator.base_url,
        "GRAPH_RETRY_DELAY_SECONDS": "0",
        "MAX_NEW_GROUPS_PER_RUN": "500",
        "RUN_MODE": "apply",
    }
    command = [sys.executable, "-m", "local_runner", "--settings", str(tmp_path / "none.json")]
    runner = subprocess.Popen(
        [*command, "fire-timer", "reconcile_groups"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert held.arrived.wait(90), "the timer never reached its first profile POST"
        runner.send_signal(signal.SIGKILL)
        runner.wait(30)
    finally:
        held.release()
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == -signal.SIGKILL

    ledger = Ledger(StorageConnection(connection_string=azurite.connection_string))
    history = asyncio.run(ledger.history(AssignmentKind.PROFILE, profile))
    sales, hr = group_id(emulator, "SALES-UD"), group_id(emulator, "HR-UD")
    assert {g for g, e in history.items() if e.intended and not e.written} >= {sales, hr}
    assert tenant.profile_groups() == []  # the intent is all there is

    with QueueApp.start(azurite.connection_string, emulator.base_url, **tenant.env()) as app:
        app.send({"requestId": "AFTER-KILL", "scenario": "user-driven", "groupTag": "SALES-UD"})
        app.host.drain()
        [answer] = app.results()
    status = answer["assignments"]["autopilotProfile"]["status"]
    assert status == "assigned" and sales in tenant.profile_groups()  # written, then said

    report = asyncio.run(run_reconcile(tenant.settings(MAX_NEW_GROUPS_PER_RUN="500"), apply=True))

    assert report.ok, report.summary()
    on_profile = {a.group_id: a for a in report.assignments if a.target_id == profile}
    assert on_profile[hr].action.value == "assign"  # written at once, not left pending
    assert on_profile[hr].outcome is not None and on_profile[hr].outcome.done.value == "assigned"
    assert sorted(tenant.profile_groups()) == sorted([sales, hr])
