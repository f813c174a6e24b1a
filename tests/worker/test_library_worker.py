"""Microsoft's library worker indexes and invokes function_app.py as the host has it do on 3.13+.

On Python 3.13 and later the Functions host hands every message to ``azure_functions_runtime``
(pinned in requirements.txt). These tests drive that worker as the host's proxy worker does,
through ``local_runner.library_worker``, with the protocol's messages compiled from the project's
own ``local_runner/worker_protocol.proto``. The worker imports ``function_app.py`` itself, from
the repository, with the app settings in the environment; Graph is the emulator, storage Azurite.
The worker exists for Python 3.13+ only: on older interpreters every test here is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueServiceClient

from graph_emulator import Emulator
from local_runner import Azurite
from local_runner.invoke import Worker
from local_runner.library_worker import IndexedFunction, LibraryWorker, WorkerInvocation
from local_runner.queues import ReceivedMessage
from local_runner.triggers import QueueDelivery, TimerFiring
from local_runner.typed_data import queue_input, timer_input
from tests.builders import device, needs_library_worker

pytestmark = needs_library_worker

ROOT = Path(__file__).resolve().parents[2]
SCHEDULE = "0 30 */2 * * *"  # not the default: the binding must come from the setting
MAX_DEQUEUE_COUNT = 5  # host.json


class IndexedApp:
    """function_app.py as one library worker indexed it, and a loop to invoke it on."""

    def __init__(self, library: LibraryWorker, loop: Worker, functions: list[IndexedFunction]):
        self.library = library
        self.loop = loop
        self.functions = {f.name: f for f in functions}

    def invoke(
        self, name: str, inputs: dict[str, Any], metadata: dict[str, Any]
    ) -> WorkerInvocation:
        function_id = self.functions[name].function_id
        return self.loop.run(self.library.invoke(function_id, inputs, metadata))

    def deliver(self, body: bytes, dequeue_count: int = 1) -> tuple[str, WorkerInvocation]:
        """The queue function invoked with ``body`` as a message, as the host delivers one."""
        now = dt.datetime.now(dt.UTC)
        message = ReceivedMessage(
            queue="requests",
            id=str(uuid.uuid4()),
            text=body.decode("utf-8", "replace"),  # host.json: messageEncoding none
            dequeue_count=dequeue_count,
            pop_receipt="receipt",
            inserted_on=now,
            expires_on=now + dt.timedelta(days=7),
            next_visible_on=now + dt.timedelta(minutes=10),
        )
        data, metadata = queue_input(QueueDelivery(message, body))
        return message.id, self.invoke("scenario_request", {"message": data}, metadata)


@pytest.fixture
def queues() -> dict[str, str]:
    token = uuid.uuid4().hex[:8]
    return {"REQUEST_QUEUE": f"tickets-{token}", "RESULT_QUEUE": f"answers-{token}"}


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, azurite: Azurite, queues: dict[str, str]
) -> Iterator[IndexedApp]:
    settings = {
        "AzureWebJobsStorage": azurite.connection_string,
        "GRAPH_BASE_URL": emulator.base_url,
        "GRAPH_RETRY_DELAY_SECONDS": "0",
        "GRAPH_MAX_RETRIES": "0",
        "RECONCILE_SCHEDULE": SCHEDULE,
        "RUN_MODE": "apply",  # as after the admin approved the first plan
        **queues,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "function_app", raising=False)  # the worker imports it
    loop = Worker()
    library = LibraryWorker()
    try:
        yield IndexedApp(library, loop, loop.run(library.index(ROOT)))
    finally:
        library.close()
        loop.close()
        sys.modules.pop("function_app", None)


def answer(invocation: WorkerInvocation) -> dict[str, Any]:
    """The JSON the queue function set on its ``result`` output binding."""
    assert invocation.succeeded, invocation.error
    assert set(invocation.outputs) == {"result"}
    data = invocation.outputs["result"]
    assert data.WhichOneof("data") == "string"
    document: dict[str, Any] = json.loads(data.string)
    return document


def test_the_worker_the_tests_run_is_the_version_requirements_txt_pins(app: IndexedApp) -> None:
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^azure-functions-runtime==([\w.]+);", requirements, re.MULTILINE)

    assert pinned, "requirements.txt pins no azure-functions-runtime"
    assert app.library.version == pinned.group(1)


def test_the_worker_indexes_exactly_the_two_functions_with_ids_from_their_names(
    app: IndexedApp,
) -> None:
    assert set(app.functions) == {"reconcile_groups", "scenario_request"}
    for name, function in app.functions.items():
        assert function.function_id == str(uuid.uuid5(uuid.NAMESPACE_OID, name))
        assert function.properties.get("worker_indexed") == "True"


def test_the_timer_binding_the_host_reads_has_the_schedule_from_the_setting(
    app: IndexedApp,
) -> None:
    timer = app.functions["reconcile_groups"]

    assert timer.raw_bindings == (
        {
            "direction": "IN",
            "type": "timerTrigger",
            "name": "timer",
            "schedule": SCHEDULE,
            "runOnStartup": False,
            "useMonitor": True,
        },
    )
    assert timer.bindings == {"timer": ("timerTrigger", "in")}


def test_the_queue_bindings_the_host_reads_name_the_queues_and_the_connection(
    app: IndexedApp, queues: dict[str, str]
) -> None:
    function = app.functions["scenario_request"]

    assert sorted(function.raw_bindings, key=lambda b: b["name"]) == [
        {
            "direction": "IN",
            "type": "queueTrigger",
            "name": "message",
            "queueName": queues["REQUEST_QUEUE"],
            "connection": "AzureWebJobsStorage",
        },
        {
            "direction": "OUT",
            "type": "queue",
            "name": "result",
            "queueName": queues["RESULT_QUEUE"],
            "connection": "AzureWebJobsStorage",
        },
    ]
    assert function.bindings == {"message": ("queueTrigger", "in"), "result": ("queue", "out")}


def test_each_function_loads(app: IndexedApp) -> None:
    success = app.library.protos.StatusResult.Success

    statuses = {name: app.loop.run(app.library.load(f)).status for name, f in app.functions.items()}

    assert statuses == {"reconcile_groups": success, "scenario_request": success}


def test_the_timer_invoked_through_the_worker_creates_the_groups(
    app: IndexedApp, emulator: Emulator
) -> None:
    emulator.add_devices([device("SALES-UD"), device("HR-SD")])

    invocation = app.invoke("reconcile_groups", {"timer": timer_input(TimerFiring())}, {})

    assert invocation.succeeded, invocation.error
    assert invocation.outputs == {} and invocation.return_value is None
    assert sorted(g["displayName"] for g in emulator.groups()) == [
        "Autopilot - All devices",
        "Autopilot - Self-deploying - HR-SD",
        "Autopilot - User-driven - SALES-UD",
    ]


def test_a_failed_timer_run_comes_back_as_a_failed_invocation(
    app: IndexedApp, emulator: Emulator
) -> None:
    emulator.add_devices([device("SALES-UD")])
    emulator.set_permissions(["DeviceManagementServiceConfig.Read.All"])
    firing = TimerFiring(past_due=True)

    invocation = app.invoke("reconcile_groups", {"timer": timer_input(firing)}, {})

    assert not invocation.succeeded
    assert "Group.ReadWrite.All" in (invocation.error or "")


def test_a_request_for_a_new_tag_is_answered_created_on_the_output_binding(
    app: IndexedApp, emulator: Emulator
) -> None:
    body = json.dumps({"requestId": "RITM-1", "scenario": "user-driven", "groupTag": "NEW-UD"})

    message_id, invocation = app.deliver(body.encode())

    result = answer(invocation)
    assert (result["status"], result["requestId"], result["messageId"]) == (
        "created",
        "RITM-1",
        message_id,
    )
    assert [g["displayName"] for g in emulator.groups()] == ["Autopilot - User-driven - NEW-UD"]


def test_an_invalid_request_is_answered_rejected_on_the_output_binding(app: IndexedApp) -> None:
    message_id, invocation = app.deliver(b"{not json")

    result = answer(invocation)
    assert (result["status"], result["messageId"]) == ("rejected", message_id)
    assert any("not JSON" in e["message"] for e in result["errors"])


def results_on(azurite: Azurite, queue: str) -> list[dict[str, Any]]:
    """The answers the app wrote to the result queue itself (none if it never made the queue)."""
    client = QueueServiceClient.from_connection_string(azurite.connection_string)
    try:
        messages = client.get_queue_client(queue).peek_messages(max_messages=32)
    except ResourceNotFoundError:
        return []
    return [json.loads(str(m.content)) for m in messages]  # plain JSON (messageEncoding none)


@pytest.mark.parametrize("dequeue_count", [1, MAX_DEQUEUE_COUNT])
def test_graph_failing_fails_the_invocation_and_only_the_last_delivery_answers_failed(
    app: IndexedApp,
    emulator: Emulator,
    azurite: Azurite,
    queues: dict[str, str],
    dequeue_count: int,
) -> None:
    """The DequeueCount the host sends reaches the app through the worker's QueueMessage."""
    emulator.set_permissions(["DeviceManagementServiceConfig.Read.All"])
    body = json.dumps({"requestId": "RITM-9", "scenario": "user-driven", "groupTag": "LATE-UD"})

    message_id, invocation = app.deliver(body.encode(), dequeue_count=dequeue_count)

    assert not invocation.succeeded and "RetryLater" in (invocation.error or "")
    assert invocation.outputs == {}
    written = results_on(azurite, queues["RESULT_QUEUE"])
    if dequeue_count < MAX_DEQUEUE_COUNT:
        assert written == []
    else:
        [failed] = written
        assert (failed["status"], failed["messageId"]) == ("failed", message_id)
        assert f"gave up after {MAX_DEQUEUE_COUNT} deliveries" in failed["errors"][0]["message"]
