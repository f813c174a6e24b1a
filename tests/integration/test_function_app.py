"""function_app.py as the host sees it: its registered functions, their bindings, an invocation."""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import uuid
from types import ModuleType

import pytest
from azure.functions.timer import TimerRequest

from shared.core.errors import SettingsError
from shared.storage.reports import ReportStore
from tests.builders import device


def load_app(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """Import function_app afresh with these app settings, as a new worker would."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("function_app", None)
    return importlib.import_module("function_app")


def functions_by_trigger(module: ModuleType) -> dict[str, object]:
    return {fn.get_trigger().get_binding_name(): fn for fn in module.app.get_functions()}


def test_the_app_registers_a_timer_and_a_queue_function_with_their_settings(monkeypatch):
    module = load_app(
        monkeypatch,
        RECONCILE_SCHEDULE="0 0 * * * *",
        REQUEST_QUEUE="tickets-in",
        RESULT_QUEUE="tickets-out",
    )
    functions = functions_by_trigger(module)
    assert set(functions) == {"timerTrigger", "queueTrigger"}
    timer = functions["timerTrigger"].get_trigger()
    assert (timer.schedule, timer.run_on_startup) == ("0 0 * * * *", False)
    queue_fn = functions["queueTrigger"]
    bindings = {b.type: b for b in queue_fn.get_bindings()}
    assert bindings["queueTrigger"].queue_name == "tickets-in"
    assert bindings["queue"].queue_name == "tickets-out"
    assert {b.connection for b in bindings.values()} == {"AzureWebJobsStorage"}


def test_the_timer_function_invoked_as_the_host_would_creates_the_groups(emulator, monkeypatch):
    emulator.add_devices([device("SALES-UD"), device("HR-SD")])
    module = load_app(
        monkeypatch,
        GRAPH_BASE_URL=emulator.base_url,
        GRAPH_RETRY_DELAY_SECONDS="0",
        RUN_MODE="apply",
    )
    timer = functions_by_trigger(module)["timerTrigger"].get_user_function()

    asyncio.run(timer(TimerRequest(past_due=False)))

    names = sorted(g["displayName"] for g in emulator.groups())
    assert names == [
        "Autopilot - All devices",
        "Autopilot - Self-deploying - HR-SD",
        "Autopilot - User-driven - SALES-UD",
    ]


def test_a_failed_timer_run_fails_the_invocation_so_it_shows_in_monitoring(emulator, monkeypatch):
    emulator.add_devices([device("SALES-UD")])
    emulator.set_permissions(["DeviceManagementServiceConfig.Read.All"])
    module = load_app(monkeypatch, GRAPH_BASE_URL=emulator.base_url)
    timer = functions_by_trigger(module)["timerTrigger"].get_user_function()
    with pytest.raises(Exception, match=r"Group\.ReadWrite\.All"):
        asyncio.run(timer(TimerRequest(past_due=True)))


def test_a_bad_setting_stops_the_app_at_start_naming_it(monkeypatch):
    with pytest.raises(SettingsError, match="MAX_NEW_GROUPS_PER_RUN"):
        load_app(monkeypatch, MAX_NEW_GROUPS_PER_RUN="lots")
    sys.modules.pop("function_app", None)


def test_in_plan_mode_the_timer_writes_nothing_stores_its_report_and_logs_each_group(
    emulator, azurite, monkeypatch, caplog
):
    emulator.add_devices([device("SALES-UD"), device("ODD-TAG")])
    container = f"reports-{uuid.uuid4().hex[:8]}"
    module = load_app(
        monkeypatch,
        GRAPH_BASE_URL=emulator.base_url,
        AzureWebJobsStorage=azurite.connection_string,
    )  # RUN_MODE unset: plan is the default
    assert module.runtime.settings.run_mode == "plan"
    module.runtime.reports = ReportStore(module.runtime.settings.storage, container=container)
    timer = functions_by_trigger(module)["timerTrigger"].get_user_function()

    with caplog.at_level(logging.INFO):
        asyncio.run(timer(TimerRequest(past_due=False)))

    assert emulator.groups() == []
    assert not [r for r in emulator.requests if r.method != "GET"]
    stored = asyncio.run(module.runtime.reports.load())
    assert stored["mode"] == "plan" and stored["digest"].startswith("sha256:")
    assert {e["value"]: e["action"] for e in stored["entries"]} == {
        "": "create",
        "SALES-UD": "create",
        "ODD-TAG": "create",
    }
    lines = [r for r in caplog.records if r.getMessage().startswith("reconcile ")]
    entries = [r.getMessage() for r in lines if r.getMessage().startswith("reconcile entry")]
    assert len(entries) == 3 and all("(plan mode)" in line for line in entries)
    assert any("'Autopilot - User-driven - SALES-UD'" in line for line in entries)
    [summary] = [r for r in lines if r.getMessage().startswith("reconcile run ")]
    assert summary.getMessage().startswith("reconcile run ok: plan: ")
    assert summary.outcome == "ok" and summary.runMode == "plan"  # structured, too
