"""The alerts in infra/main.bicep match the log lines the app really writes.

Each alert's query matches log lines by how they start (``startswith "..."``). Here the app is
made to fail each way an alert is for (a failed run, an unsafe run, a request answered failed, a
request given up and poisoned), and every literal of each query must start one of the lines the
app logged for it: rewording a log line without its alert fails this test."""

from __future__ import annotations

import ast
import asyncio
import logging
from pathlib import Path

from shared.shell.reconcile import run_reconcile
from tests.builders import device, settings_for
from tests.queue_app import QueueApp
from tests.unit.bicep import alert_literals, alert_queries

ROOT = Path(__file__).resolve().parents[2]


def logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def started_by(lines: list[str], literal: str) -> list[str]:
    return [line for line in lines if line.startswith(literal)]


def test_a_failed_and_an_unsafe_run_are_what_the_failed_run_alert_matches(emulator, caplog):
    emulator.add_devices([device(f"T{i:02d}-UD") for i in range(3)])
    with caplog.at_level(logging.INFO):
        asyncio.run(run_reconcile(settings_for(emulator, MAX_NEW_GROUPS_PER_RUN="1"), apply=True))
        emulator.set_permissions(["DeviceManagementServiceConfig.Read.All"])
        asyncio.run(run_reconcile(settings_for(emulator), apply=True))
    unsafe, failed = alert_literals()["failedRun"][1], alert_literals()["failedRun"][0]
    assert started_by(logged(caplog), unsafe) and started_by(logged(caplog), failed)
    assert all(
        r.levelno == logging.ERROR for r in caplog.records if r.getMessage().startswith(failed)
    )


def test_the_failed_run_alert_also_counts_failed_invocations_of_the_timer_function():
    tree = ast.parse((ROOT / "function_app.py").read_text(encoding="utf-8"))
    timers = [
        node.name
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef)
        and any("timer_trigger" in ast.unparse(d) for d in node.decorator_list)
    ]
    assert timers == ["reconcile_groups"]
    assert f'name == "{timers[0]}"' in alert_queries()["failedRun"]


def test_a_failed_answer_and_a_poisoned_request_are_what_their_alerts_match(
    azurite, emulator, caplog
):
    with QueueApp.start(azurite.connection_string, emulator.base_url, GRAPH_MAX_RETRIES="0") as app:
        emulator.faults.script("503", path="groups", count=1000)
        with caplog.at_level(logging.INFO):
            app.send({"requestId": "ALERT-1", "scenario": "user-driven", "groupTag": "FIN-UD"})
            app.host.drain()
    lines = logged(caplog)
    [answered] = alert_literals()["failedAnswer"]
    [poisoned] = alert_literals()["poisoned"]
    assert started_by(lines, answered) and "requestId=ALERT-1" in started_by(lines, answered)[0]
    assert started_by(lines, poisoned) and "requestId=ALERT-1" in started_by(lines, poisoned)[0]


def test_every_alert_has_literals_to_match():
    assert {key: bool(found) for key, found in alert_literals().items()} == {
        "failedRun": True,
        "failedAnswer": True,
        "poisoned": True,
    }
