"""The terminal commands an admin meets first: help and version, the table's width, stored
reports, a request checked before it is queued, sign-ins that fail in one line, typos warned."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from azure.storage.queue import QueueClient

from shared.cli.main import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from shared.cli.parser import COMMANDS
from shared.storage.reports import ReportStore
from tests.builders import device

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(emulator, monkeypatch):
    monkeypatch.setenv("GRAPH_BASE_URL", emulator.base_url)
    monkeypatch.setenv("GRAPH_RETRY_DELAY_SECONDS", "0")
    long_tag = "LONG-" + "X" * 120 + "-UD"
    emulator.add_devices([device("SALES-UD"), device(long_tag), device('QA-"QUOTED"-UD')])
    return emulator


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_subcommand_has_a_description_and_an_example(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    text = capsys.readouterr().out
    assert done.value.code == 0
    assert COMMANDS[command][1].split(".")[0].split()[0] in text  # the description
    assert "examples:" in text and f"python -m shared {command}" in text


def test_version_is_printed(capsys):
    from shared import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"python -m shared {__version__}"


def test_the_table_wraps_to_100_columns_and_cuts_nothing(env):
    code, text = run("plan")

    assert code == EXIT_OK
    assert max(len(line) for line in text.splitlines()) <= 100
    joined = " ".join(line.strip() for line in text.splitlines())
    assert "X" * 60 in joined.replace(" ", "")  # the long tag's name, wrapped, not cut
    assert "…" not in text


def test_the_timers_stored_report_is_shown_as_json_markdown_and_a_table(env, azurite, monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    code, planned = run("plan", "--json")
    document = json.loads(planned)
    document["startedAt"] = "2099-01-01T00:00:00Z"  # the newest of the session's shared Azurite
    asyncio.run(ReportStore(azurite_connection(azurite)).save(document))

    code, listed = run("report", "--list")
    assert code == EXIT_OK and listed.startswith("runs/")
    code, shown = run("report", "--json")
    assert json.loads(shown)["runId"] == document["runId"]
    code, markdown = run("report", "--markdown")
    assert markdown.startswith("### Autopilot groups: plan run") and "| create |" in markdown
    code, table = run("report", "--run", listed.splitlines()[0])
    [header] = [line for line in table.splitlines() if line.startswith("ACTION")]
    assert header.split() == ["ACTION", "GROUP", "SCENARIO", "OUTCOME"]


def azurite_connection(azurite):
    from shared.config.settings import StorageConnection

    return StorageConnection(connection_string=azurite.connection_string)


def test_a_request_for_a_scenario_the_catalogue_lacks_is_not_queued(
    env, azurite, monkeypatch, capsys
):
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    code, _ = run("request", "--scenario", "userdriven", "--tag", "SALES-UD", "--wait", "0")
    assert code == EXIT_USAGE
    assert "'userdriven' is not a scenario; known: user-driven" in capsys.readouterr().err


def test_a_request_whose_answer_does_not_come_exits_1_as_its_help_says(
    env, azurite, monkeypatch, capsys
):
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    monkeypatch.setenv("REQUEST_QUEUE", "nobody-listens")
    monkeypatch.setenv("RESULT_QUEUE", "nobody-answers")
    QueueClient.from_connection_string(azurite.connection_string, "nobody-answers").create_queue()
    code, out = run("request", "--scenario", "user-driven", "--tag", "SALES-UD", "--wait", "1")
    assert code == EXIT_FAILED and "queued request" in out
    assert "no answer to" in capsys.readouterr().err


def test_a_misspelt_setting_is_warned_about_naming_the_likely_one(env, monkeypatch, capsys):
    monkeypatch.setenv("DRIFT_POLCY", "repair")
    run("plan")
    assert "DRIFT_POLCY is not one the app reads; did you mean DRIFT_POLICY?" in (
        capsys.readouterr().err
    )


def test_a_catalogue_saved_with_a_bom_is_read(env, monkeypatch, tmp_path):
    path = tmp_path / "scenarios.json"
    path.write_bytes(b"\xef\xbb\xbf" + (ROOT / "shared" / "scenarios.json").read_bytes())
    monkeypatch.setenv("SCENARIO_FILE", str(path))
    code, _ = run("plan")
    assert code == EXIT_OK


def test_without_the_azure_cli_plan_exits_2_with_one_line_and_no_traceback(tmp_path):
    env = {
        "PATH": str(tmp_path),  # no az here
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "GRAPH_BASE_URL": "https://graph.microsoft.com/v1.0",
        "GRAPH_MAX_RETRIES": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "shared", "plan"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == EXIT_USAGE, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no sign-in for Microsoft Graph")
    assert "Traceback" not in done.stderr and "az login" in lines[0]


def test_device_code_without_a_client_id_is_refused_with_the_fix(env, capsys):
    code, _ = run("plan", "--credential", "device-code")
    assert code == EXIT_USAGE and "--client-id" in capsys.readouterr().err


def test_an_unreachable_storage_account_ends_report_in_one_line(env, monkeypatch, capsys):
    monkeypatch.setenv(
        "AzureWebJobsStorage",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1",
    )
    code, _ = run("report")
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and err.startswith("error: ") and len(err.strip().splitlines()) == 1
