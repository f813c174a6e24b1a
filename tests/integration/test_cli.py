"""`python -m shared`: the table, the JSON document and the exit codes admins script against."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from shared.cli.main import EXIT_FAILED, EXIT_OK, EXIT_UNSAFE, EXIT_USAGE, main
from tests.builders import device


@pytest.fixture
def env(emulator, monkeypatch):
    monkeypatch.setenv("GRAPH_BASE_URL", emulator.base_url)
    monkeypatch.setenv("GRAPH_RETRY_DELAY_SECONDS", "0")
    emulator.add_devices([device("SALES-UD"), device("HR-SD"), device()])
    return emulator


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_plan_is_the_default_prints_a_table_and_writes_nothing(env):
    code, text = run()
    assert code == EXIT_OK
    said, *rows = text.splitlines()
    assert said.startswith("plan mode: nothing was written")
    [header] = [row for row in rows if row.startswith("ACTION")]
    assert header.split() == ["ACTION", "GROUP", "SCENARIO", "OUTCOME"]
    assert any(row.startswith("create") and "SALES-UD" in row for row in rows)
    assert "3 devices, 2 tags" in text
    assert not [r for r in env.requests if r.method != "GET"]


def test_apply_json_is_one_document_with_an_entry_per_group_and_totals(env):
    code, text = run("apply", "--json")
    document = json.loads(text)
    assert code == EXIT_OK and document["ok"] is True
    assert document["totals"]["created"] == 3 and document["totals"]["untaggedDevices"] == 1
    sales = next(e for e in document["entries"] if e["value"] == "SALES-UD")
    assert set(sales) >= {
        "action",
        "kind",
        "value",
        "scenario",
        "displayName",
        "uniqueName",
        "membershipRule",
        "outcome",
        "reason",
    }
    assert (sales["action"], sales["outcome"], sales["scenario"]) == (
        "create",
        "created",
        "user-driven",
    )


def test_an_unsafe_plan_exits_3_and_force_applies_it(env, monkeypatch):
    monkeypatch.setenv("MAX_NEW_GROUPS_PER_RUN", "1")
    assert run("apply")[0] == EXIT_UNSAFE
    assert not [r for r in env.requests if r.method != "GET"]
    assert run("apply", "--force")[0] == EXIT_OK


def test_a_bad_setting_exits_2_naming_it(env, monkeypatch, capsys):
    monkeypatch.setenv("DRIFT_POLICY", "sometimes")
    assert run("plan")[0] == EXIT_USAGE
    assert "DRIFT_POLICY" in capsys.readouterr().err


def test_a_graph_failure_exits_1_with_the_permission_named(env):
    env.set_permissions(["Group.ReadWrite.All"])
    code, text = run("apply")
    assert code == EXIT_FAILED
    assert "DeviceManagementServiceConfig.Read.All" in text


def test_bad_usage_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "shared", "apply", "--no-such-flag"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == EXIT_USAGE
