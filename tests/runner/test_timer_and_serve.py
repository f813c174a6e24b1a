"""Timer invocations, and serve(): the listening mode the demo uses."""

from __future__ import annotations

import datetime as dt
import threading
import typing
import uuid
from collections.abc import Callable

import azure.functions as func
import pytest

from local_runner import Azurite, ConfigurationError, InvocationOutcome, LocalHost
from local_runner.schedule import EverySchedule, every
from tests.runner.runner_storage import HOST_JSON, Queues, b64, wait_for

FAST = {"visibilityTimeout": 0, "maxPollingInterval": 0.1, "messageEncoding": "base64"}


def fan_out_app(source: str, target: str, requests: list[func.TimerRequest]) -> func.FunctionApp:
    """A timer that enqueues work, and a queue function that handles it, as the real app does."""
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *")
    @app.queue_output(arg_name="work", queue_name=source, connection="AzureWebJobsStorage")
    # typing.List: Microsoft's worker refuses an output annotated Out[list[str]] ("invalid
    # non-type annotation"); the in-process worker accepts both.
    def tick(timer: func.TimerRequest, work: func.Out[typing.List[str]]) -> None:  # noqa: UP006
        requests.append(timer)
        work.set(["job-1", "job-2"])

    @app.queue_trigger(arg_name="msg", queue_name=source, connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="done", queue_name=target, connection="AzureWebJobsStorage")
    def handle(msg: func.QueueMessage, done: func.Out[str]) -> None:
        done.set(f"{msg.get_body().decode()} done")

    return app


def test_fire_timer_invokes_the_timer_and_writes_its_outputs(
    azurite: Azurite, queue_names: Callable[[str], str]
) -> None:
    queues = Queues(azurite.connection_string)
    source, target = queue_names("work"), queue_names("done")
    requests: list[func.TimerRequest] = []
    with LocalHost(
        fan_out_app(source, target, requests),
        connection_string=azurite.connection_string,
        host_json=HOST_JSON,
        overrides=FAST,
    ) as host:
        assert host.functions["tick"].schedule == "0 */5 * * * *"
        outcome = host.fire_timer()
        assert sorted(queues.texts(source)) == [b64("job-1"), b64("job-2")]
        handled = host.drain()
    assert (outcome.function, outcome.status, outcome.message_id) == ("tick", "succeeded", None)
    assert outcome.outputs == {"work": ["job-1", "job-2"]}
    assert [r.past_due for r in requests] == [False]
    assert sorted(o.outputs["done"][0] for o in handled) == ["job-1 done", "job-2 done"]


def test_a_failing_timer_is_reported_and_its_outputs_discarded(
    azurite: Azurite, queue_names: Callable[[str], str]
) -> None:
    target = queue_names("out")
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
    @app.queue_output(arg_name="out", queue_name=target, connection="AzureWebJobsStorage")
    def broken(timer: func.TimerRequest, out: func.Out[str]) -> None:
        out.set("never written")
        raise ValueError("boom")

    with LocalHost(app, connection_string=azurite.connection_string, host_json=HOST_JSON) as host:
        outcome = host.fire_timer("broken")
    assert (outcome.status, outcome.outputs) == ("failed", {})
    assert "ValueError: boom" in (outcome.error or "")
    assert Queues(azurite.connection_string).count(target) == 0


def test_fire_timer_needs_a_name_when_the_app_has_several_timers(azurite: Azurite) -> None:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="t", schedule="0 0 * * * *")
    def one(t: func.TimerRequest) -> None: ...

    @app.timer_trigger(arg_name="t", schedule="0 0 * * * *")
    def two(t: func.TimerRequest) -> None: ...

    with LocalHost(app, connection_string=azurite.connection_string, host_json=HOST_JSON) as host:
        with pytest.raises(ConfigurationError, match="one, two"):
            host.fire_timer()
        assert host.fire_timer("two").status == "succeeded"


def test_serve_fires_timers_on_schedule_and_follows_the_work_through_the_queues(
    azurite: Azurite, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("work"), queue_names("done")
    requests: list[func.TimerRequest] = []
    outcomes: list[InvocationOutcome] = []
    stop = threading.Event()
    with LocalHost(
        fan_out_app(source, target, requests),
        connection_string=azurite.connection_string,
        host_json=HOST_JSON,
        overrides=FAST,
        schedule_parser=every(0.2),
    ) as host:
        server = threading.Thread(target=host.serve, args=(stop, outcomes.append))
        server.start()
        try:
            wait_for(lambda: sum(o.function == "handle" for o in outcomes) >= 2)
        finally:
            stop.set()
            server.join(timeout=30)
    assert not server.is_alive()
    assert requests[0].schedule_status["Next"]
    assert {o.status for o in outcomes} == {"succeeded"}


def test_serve_refuses_a_timer_schedule_it_cannot_parse(azurite: Azurite) -> None:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="t", schedule="every five minutes")
    def tick(t: func.TimerRequest) -> None: ...

    def refuse(expression: str) -> EverySchedule:
        raise ValueError("not NCRONTAB")

    with (
        LocalHost(
            app,
            connection_string=azurite.connection_string,
            host_json=HOST_JSON,
            schedule_parser=refuse,
        ) as host,
        pytest.raises(ConfigurationError, match="tick"),
    ):
        host.serve(threading.Event())


def test_timers_use_the_apps_ncrontab_schedule_by_default() -> None:
    from local_runner.schedule import ncrontab_parser

    schedule = ncrontab_parser()("0 */5 * * * *")
    after = dt.datetime(2026, 1, 1, 10, 2, 3, tzinfo=dt.UTC)
    assert schedule.next_after(after) == dt.datetime(2026, 1, 1, 10, 5, 0, tzinfo=dt.UTC)


def test_azurite_serves_blobs_beside_queues_on_one_connection_string(azurite: Azurite) -> None:
    """Leases (the timer lock, the lock per Enrollment Status Page) need the blob service."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client(f"leases-{uuid.uuid4().hex[:8]}")
    container.create_container()
    blob = container.get_blob_client("probe")
    blob.upload_blob(b"")
    lease = blob.acquire_lease(lease_duration=15)
    assert blob.get_blob_properties().lease.state == "leased"
    lease.release()
    assert azurite.blob_endpoint.endswith("/devstoreaccount1")
    assert azurite.blob_port != azurite.port
