"""The app reads the host.json the host reads, beside function_app.py, or does not start.

A copy of the app with ``maxDequeueCount: 2`` in its host.json, run by the local runner in a
process of its own: a request that keeps failing is answered ``failed`` on its second delivery,
the last one, before the host moves it to the poison queue. With the host's default of 5 read
instead, the answer would never come."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from azure.storage.queue import QueueClient

from graph_emulator import Emulator
from local_runner import Azurite
from shared.config.hostconfig import HOST_JSON, load_queue_settings
from shared.core.errors import SettingsError
from shared.core.model import Kind
from shared.core.naming import unique_name

ROOT = Path(__file__).resolve().parents[2]


def copy_of_the_app(folder: Path, **queues: object) -> Path:
    """function_app.py, shared/ and a host.json whose queue settings are changed as given."""
    app = folder / "app"
    shutil.copytree(ROOT / "shared", app / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "function_app.py", app)
    host = json.loads(HOST_JSON.read_text(encoding="utf-8"))
    host["extensions"]["queues"].update(queues)
    (app / "host.json").write_text(json.dumps(host), encoding="utf-8")
    return app


def test_the_app_reads_the_host_json_beside_function_app():
    assert HOST_JSON == ROOT / "host.json"
    assert load_queue_settings() == load_queue_settings(ROOT / "host.json")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(None, "cannot be read", id="missing"),
        pytest.param("{not json", "cannot be read", id="not JSON"),
        pytest.param(
            '{"extensions": {"queues": {"maxDequeueCount": 0}}}', "maxDequeueCount", id="0"
        ),
        pytest.param(
            '{"extensions": {"queues": {"messageEncoding": "utf8"}}}', "messageEncoding", id="utf8"
        ),
    ],
)
def test_a_missing_or_unusable_host_json_stops_the_app_naming_it(tmp_path, content, words):
    path = tmp_path / "host.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=words) as raised:
        load_queue_settings(path)
    assert raised.value.name == "host.json"


def test_the_failed_answer_comes_on_the_last_delivery_host_json_sets(
    tmp_path, azurite: Azurite, emulator: Emulator
):
    app = copy_of_the_app(
        tmp_path, maxDequeueCount=2, visibilityTimeout="00:00:00", maxPollingInterval="00:00:01"
    )
    requests, results = "hj-requests", "hj-results"
    key = unique_name(Kind.TAG, "STUCK-UD")
    emulator.faults.script("503", method="PATCH", path=key, count=100)
    source = QueueClient.from_connection_string(azurite.connection_string, requests)
    source.create_queue()
    source.send_message(
        json.dumps({"requestId": "R-2", "scenario": "user-driven", "groupTag": "STUCK-UD"})
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(app), str(ROOT)]),
        "AzureWebJobsStorage": azurite.connection_string,
        "GRAPH_BASE_URL": emulator.base_url,
        "GRAPH_MAX_RETRIES": "0",
        "RUN_MODE": "apply",
        "REQUEST_QUEUE": requests,
        "RESULT_QUEUE": results,
    }
    command = [sys.executable, "-m", "local_runner", "--settings", str(tmp_path / "none.json")]
    done = subprocess.run(
        [*command, "drain", "--timeout", "60"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    [answer] = [
        json.loads(m.content)
        for m in QueueClient.from_connection_string(
            azurite.connection_string, results
        ).peek_messages()
    ]
    assert (
        answer["status"] == "failed"
        and "gave up after 2 deliveries" in answer["errors"][0]["message"]
    )
    poison = QueueClient.from_connection_string(azurite.connection_string, f"{requests}-poison")
    assert len(poison.peek_messages()) == 1
    upserts = [r for r in emulator.requests if r.method == "PATCH" and key in r.path]
    assert len(upserts) == 2  # one per delivery: the host stopped at the second
