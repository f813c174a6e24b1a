"""A queue-triggered function driven by LocalHost against real Azurite, as the host would."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import azure.functions as func
import pytest

from local_runner import Azurite, DrainTimeout, LocalHost
from tests.runner.runner_storage import HOST_JSON, Queues, b64

# The host's default encoding, base64, is what these tests exercise (the app's host.json says
# none; test_message_encoding_none_reads_and_writes_plain_text covers that mode).
FAST = {"visibilityTimeout": 0, "maxPollingInterval": 0.1, "messageEncoding": "base64"}


def upper_app(source: str, target: str, fail_on: str | None = None) -> func.FunctionApp:
    """Uppercases each message into ``target``; raises (after setting its output) on ``fail_on``."""
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=source, connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="out", queue_name=target, connection="AzureWebJobsStorage")
    def upper(msg: func.QueueMessage, out: func.Out[str]) -> None:
        text = msg.get_body().decode("utf-8")
        out.set(text.upper())
        if text == fail_on:
            raise RuntimeError(f"cannot process {text}")

    return app


@pytest.fixture
def queues(azurite: Azurite) -> Queues:
    return Queues(azurite.connection_string)


def host_for(app: func.FunctionApp, azurite: Azurite, **overrides: object) -> LocalHost:
    return LocalHost(
        app,
        connection_string=azurite.connection_string,
        host_json=HOST_JSON,
        overrides={**FAST, **overrides},
    )


def test_a_message_is_processed_and_its_output_written_base64_encoded(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    with host_for(upper_app(source, target), azurite) as host:
        queues.send(source, b64("hello"))
        outcomes = host.drain()
    assert [(o.function, o.status, o.dequeue_count, o.outputs) for o in outcomes] == [
        ("upper", "succeeded", 1, {"out": ["HELLO"]})
    ]
    assert queues.texts(target) == [b64("HELLO")]
    assert queues.count(source) == 0


def test_host_json_settings_are_read_with_overrides_on_top(
    azurite: Azurite, queue_names: Callable[[str], str]
) -> None:
    with host_for(upper_app(queue_names("in"), queue_names("out")), azurite) as host:
        options = host.options
    assert (options.batch_size, options.new_batch_threshold, options.max_dequeue_count) == (
        16,
        8,
        5,
    )
    assert (options.visibility_timeout, options.max_polling_interval) == (0, 0.1)
    assert options.message_encoding == "base64"  # the override over the app's "none"


def test_a_failing_message_is_retried_up_to_max_dequeue_count_then_poisoned(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    with host_for(upper_app(source, target, fail_on="bad"), azurite) as host:
        queues.send(source, b64("bad"))
        outcomes = host.drain()
    assert [(o.status, o.dequeue_count) for o in outcomes] == [
        ("failed", 1),
        ("failed", 2),
        ("failed", 3),
        ("failed", 4),
        ("poisoned", 5),
    ]
    assert all("cannot process bad" in (o.error or "") for o in outcomes)
    assert queues.texts(f"{source}-poison") == [b64("bad")]
    assert queues.count(source) == 0


def test_outputs_of_a_failed_invocation_are_discarded(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    with host_for(upper_app(source, target, fail_on="bad"), azurite, maxDequeueCount=2) as host:
        queues.send(source, b64("bad"), b64("good"))
        outcomes = host.drain()
    assert sorted((o.status, o.outputs.get("out", [])) for o in outcomes) == [
        ("failed", []),
        ("poisoned", []),
        ("succeeded", ["GOOD"]),
    ]
    assert queues.texts(target) == [b64("GOOD")]


def test_a_message_that_is_not_base64_goes_to_poison_at_once_without_an_invocation(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source = queue_names("in")
    calls: list[str] = []
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=source, connection="AzureWebJobsStorage")
    def record(msg: func.QueueMessage) -> None:
        calls.append(msg.get_body().decode())

    with host_for(app, azurite) as host:
        queues.send(source, "not base64!")
        outcomes = host.drain()
    assert [(o.status, o.dequeue_count, o.invoked) for o in outcomes] == [("poisoned", 1, False)]
    assert calls == []
    assert queues.texts(f"{source}-poison") == ["not base64!"]


def test_a_message_already_past_max_dequeue_count_is_poisoned_without_an_invocation(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    queues.send(source, b64("old"))
    queues.bump_dequeue_count(source, 5)
    with host_for(upper_app(source, target), azurite) as host:
        outcomes = host.drain()
    assert [(o.status, o.dequeue_count, o.invoked) for o in outcomes] == [("poisoned", 6, False)]
    assert queues.texts(f"{source}-poison") == [b64("old")]
    assert queues.texts(target) == []


def test_fifty_messages_are_each_processed_exactly_once(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    seen: list[str] = []
    lock = threading.Lock()
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=source, connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="out", queue_name=target, connection="AzureWebJobsStorage")
    def count(msg: func.QueueMessage, out: func.Out[str]) -> None:
        with lock:
            seen.append(msg.get_body().decode())
        out.set(msg.get_body().decode())

    bodies = [f"m{i}" for i in range(50)]
    with host_for(app, azurite) as host:
        queues.send(source, *(b64(b) for b in bodies))
        outcomes = host.drain()
    assert sorted(seen) == sorted(bodies)
    assert len({o.message_id for o in outcomes}) == 50
    assert {o.status for o in outcomes} == {"succeeded"}
    assert queues.count(target) == 50


def test_sync_functions_of_one_batch_run_concurrently_in_threads(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source = queue_names("in")
    # Every invocation waits for all four: it only passes if they run at once.
    barrier = threading.Barrier(4, timeout=20)
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=source, connection="AzureWebJobsStorage")
    def together(msg: func.QueueMessage) -> None:
        barrier.wait()

    with host_for(app, azurite, batchSize=4) as host:
        queues.send(source, *(b64(f"m{i}") for i in range(4)))
        outcomes = host.drain()
    assert [o.status for o in outcomes] == ["succeeded"] * 4


def test_async_functions_of_one_batch_run_concurrently_on_one_event_loop(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    started: list[str] = []
    loops: set[int] = set()
    all_started = asyncio.Event()
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=source, connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="out", queue_name=target, connection="AzureWebJobsStorage")
    async def gather(msg: func.QueueMessage, out: func.Out[str]) -> None:
        loops.add(id(asyncio.get_running_loop()))
        started.append(msg.get_body().decode())
        if len(started) == 3:
            all_started.set()
        await asyncio.wait_for(all_started.wait(), timeout=20)
        out.set(msg.get_body().decode().upper())

    with host_for(app, azurite) as host:
        queues.send(source, *(b64(b) for b in ("a", "b", "c")))
        outcomes = host.drain()
    assert sorted(o.outputs["out"][0] for o in outcomes) == ["A", "B", "C"]
    assert len(loops) == 1


def test_setting_expressions_in_queue_names_resolve_from_app_settings(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    settings = {"IN_QUEUE": source, "OUT_QUEUE": target, "MyStorage": azurite.connection_string}
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="%IN_QUEUE%", connection="MyStorage")
    @app.queue_output(arg_name="out", queue_name="%OUT_QUEUE%", connection="MyStorage")
    def relay(msg: func.QueueMessage, out: func.Out[str]) -> None:
        out.set(msg.get_body().decode())

    with LocalHost(app, settings=settings, host_json=HOST_JSON, overrides=FAST) as host:
        assert host.functions["relay"].queue_name == source
        assert host.functions["relay"].outputs[0].queue_name == target
        queues.send(source, b64("x"))
        host.drain()
    assert queues.texts(target) == [b64("x")]


def test_use_development_storage_maps_to_the_running_azurite(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    settings = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    app = upper_app(source, target)
    with LocalHost(
        app, settings=settings, azurite=azurite, host_json=HOST_JSON, overrides=FAST
    ) as host:
        queues.send(source, b64("dev"))
        host.drain()
    assert queues.texts(target) == [b64("DEV")]


def test_message_encoding_none_reads_and_writes_plain_text(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    with host_for(upper_app(source, target), azurite, messageEncoding="none") as host:
        queues.send(source, "plain")
        host.drain()
    assert queues.texts(target) == ["PLAIN"]


def test_str_parameters_and_return_outputs_bind_as_in_the_worker(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="text", queue_name=source, connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="$return", queue_name=target, connection="AzureWebJobsStorage")
    # No return annotation: Microsoft's worker refuses a $return annotated list[str] (not a type).
    def shout(text: str):
        return [text.upper(), text.lower()]

    with host_for(app, azurite) as host:
        queues.send(source, b64("MiXeD"))
        host.drain()
    assert sorted(queues.texts(target)) == sorted([b64("MIXED"), b64("mixed")])


def test_drain_gives_up_with_what_is_left_when_a_retry_stays_invisible(
    azurite: Azurite, queues: Queues, queue_names: Callable[[str], str]
) -> None:
    source, target = queue_names("in"), queue_names("out")
    with host_for(upper_app(source, target, fail_on="bad"), azurite, visibilityTimeout=60) as host:
        queues.send(source, b64("bad"))
        with pytest.raises(DrainTimeout) as raised:
            host.drain(timeout=0.5)
    assert raised.value.remaining == {source: 1}
