"""The runner's pure rules, table-driven: settings, encodings, polling back-off, indexing."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest

from local_runner import ConfigurationError, LocalHost, UnsupportedBinding
from local_runner.azurite import (
    DEV_ACCOUNT_NAME,
    connection_string_for,
    expand_development_storage,
)
from local_runner.codec import MessageDecodingError, decode_body, encode_body, output_bodies
from local_runner.discovery import discover
from local_runner.schedule import next_poll_delay
from local_runner.settings import (
    apply_local_settings,
    connection_setting_value,
    parse_timespan,
    queue_options,
)

REPO_HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:30", 30.0),
        ("00:10:00", 600.0),
        ("1.02:00:00", 93600.0),
        ("00:00:00.5", 0.5),
        (2, 2.0),
    ],
)
def test_timespans_read_as_seconds(text: str | int, seconds: float) -> None:
    assert parse_timespan(text, "x") == seconds


@pytest.mark.parametrize("text", ["30s", "", "00:00", True])
def test_a_bad_timespan_names_its_setting(text: object) -> None:
    with pytest.raises(ConfigurationError, match="visibilityTimeout"):
        parse_timespan(text, "visibilityTimeout")


def test_the_repos_host_json_gives_its_queue_settings() -> None:
    options = queue_options(json.loads(REPO_HOST_JSON.read_text()))
    assert options.batch_size == 16
    assert options.new_batch_threshold == 8
    assert options.max_polling_interval == 2.0
    assert options.visibility_timeout == 30.0
    assert options.max_dequeue_count == 5
    assert options.message_encoding == "none"  # the app reads plain JSON and base64 alike


def test_without_host_json_the_hosts_defaults_apply() -> None:
    options = queue_options({})
    assert (options.batch_size, options.new_batch_threshold, options.max_dequeue_count) == (
        16,
        8,
        5,
    )
    assert (options.visibility_timeout, options.max_polling_interval) == (0.0, 60.0)
    assert queue_options({}, {"batchSize": 4}).new_batch_threshold == 2


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"batchSize": 33}, "batchSize"),
        ({"maxDequeueCount": 0}, "maxDequeueCount"),
        ({"messageEncoding": "utf8"}, "messageEncoding"),
        ({"batchsize": 3}, "batchsize"),
    ],
)
def test_invalid_queue_options_fail_with_their_name(
    override: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        queue_options({}, override)


@pytest.mark.parametrize(
    ("connection", "settings", "expected"),
    [
        ("", {"AzureWebJobsStorage": "A"}, "A"),
        ("AzureWebJobsStorage", {"AzureWebJobsStorage": "A"}, "A"),
        ("Storage", {"AzureWebJobsStorage": "A"}, "A"),
        ("Other", {"Other": "B", "AzureWebJobsStorage": "A"}, "B"),
    ],
)
def test_connections_resolve_like_the_host(
    connection: str, settings: dict[str, str], expected: str
) -> None:
    assert connection_setting_value(connection, settings) == expected


def test_identity_based_connections_are_refused_clearly() -> None:
    settings = {"Other__queueServiceUri": "https://x.queue.core.windows.net"}
    with pytest.raises(ConfigurationError, match="identity-based"):
        connection_setting_value("Other", settings)
    with pytest.raises(ConfigurationError, match="Missing is not set"):
        connection_setting_value("Missing", {})


def test_development_storage_expands_to_the_emulator() -> None:
    assert expand_development_storage("UseDevelopmentStorage=true") == connection_string_for(
        10001, blob_port=10000
    )
    assert f"AccountName={DEV_ACCOUNT_NAME};" in connection_string_for(10001, blob_port=10000)
    assert expand_development_storage("AccountName=x") == "AccountName=x"


def test_local_settings_values_never_override_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": False, "Values": {"A": "file", "B": "file"}}))
    environ = {"A": "shell"}
    assert apply_local_settings(path, environ) == ["B"]
    assert environ == {"A": "shell", "B": "file"}


@pytest.mark.parametrize(
    ("text", "encoding", "body"),
    [
        ("aGVsbG8=", "base64", b"hello"),
        ("aGVs\nbG8=", "base64", b"hello"),
        ("", "base64", b""),
        ("hello", "none", b"hello"),
    ],
)
def test_message_texts_decode_per_encoding(text: str, encoding: str, body: bytes) -> None:
    assert decode_body(text, encoding) == body


@pytest.mark.parametrize("text", ["hello", "not base64!", "aGVsbG8", '{"a": 1}'])
def test_texts_that_are_not_base64_fail_to_decode(text: str) -> None:
    with pytest.raises(MessageDecodingError):
        decode_body(text, "base64")


def test_outputs_encode_like_the_worker_and_host() -> None:
    assert encode_body(b"hello", "base64") == "aGVsbG8="
    assert encode_body(b"hello", "none") == "hello"
    assert output_bodies(None) == []
    assert output_bodies("a") == [b"a"]
    assert output_bodies(b"b") == [b"b"]
    assert output_bodies(["a", func.QueueMessage(body="c")]) == [b"a", b"c"]
    with pytest.raises(TypeError):
        output_bodies(3)


@pytest.mark.parametrize(
    ("previous", "found", "expected"),
    [
        (0.0, False, 0.1),  # first empty poll: the minimum
        (1.0, True, 0.1),  # messages since the last wait: back to the minimum
        (0.1, False, 0.2),  # empty again: doubles (jitter 0.5 = no spread)
        (1.5, False, 2.0),  # capped at maxPollingInterval
    ],
)
def test_polling_backs_off_like_the_host(previous: float, found: bool, expected: float) -> None:
    assert next_poll_delay(previous, found, 2.0, jitter=lambda: 0.5) == pytest.approx(expected)


def test_unsupported_triggers_fail_at_indexing() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="hello")
    def hello(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("hi")

    with pytest.raises(UnsupportedBinding, match="httpTrigger"):
        discover(app, {})


def test_unsupported_output_bindings_fail_at_indexing() -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="in-q", connection="")
    @app.blob_output(arg_name="blob", path="c/b.txt", connection="")
    def copy(msg: func.QueueMessage, blob: func.Out[str]) -> None: ...

    with pytest.raises(UnsupportedBinding, match="blob"):
        discover(app, {})


@pytest.mark.parametrize(
    ("queue_name", "settings", "message"),
    [
        ("%MISSING%", {}, "MISSING"),
        ("Upper-Case", {}, "not a valid queue name"),
        ("%Q%", {"Q": "a--b"}, "not a valid queue name"),
        ("items-{id}", {}, "braces"),
    ],
)
def test_bad_queue_names_fail_at_indexing(
    queue_name: str, settings: dict[str, str], message: str
) -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=queue_name, connection="")
    def handle(msg: func.QueueMessage) -> None: ...

    with pytest.raises((ConfigurationError, UnsupportedBinding), match=message):
        discover(app, settings)


def test_a_parameter_without_a_binding_fails_at_indexing() -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="in-q", connection="")
    def handle(msg: func.QueueMessage, extra: str) -> None: ...

    with pytest.raises(ConfigurationError, match="extra"):
        discover(app, {})


def test_the_poison_queue_follows_the_hosts_naming() -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="orders", connection="")
    def orders(msg: func.QueueMessage) -> None: ...

    @app.queue_trigger(arg_name="msg", queue_name="orders-poison", connection="")
    def poison(msg: func.QueueMessage) -> None: ...

    functions = discover(app, {})
    assert functions["orders"].poison_queue_name == "orders-poison"
    assert functions["poison"].poison_queue_name is None


def test_a_missing_connection_setting_fails_at_start() -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="in-q", connection="NoSuchSetting")
    def handle(msg: func.QueueMessage) -> None: ...

    with pytest.raises(ConfigurationError, match="NoSuchSetting"):
        LocalHost(app, settings={}, host_json=REPO_HOST_JSON)
