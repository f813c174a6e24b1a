"""Producers send either encoding: plain JSON (the Python and .NET SDKs' default, Event Grid,
SQL) and base64 of JSON (``TextBase64EncodePolicy``, the portal's checkbox) are both answered,
and a message that is neither is answered ``rejected`` instead of going silent to poison.

host.json says ``messageEncoding: none``, so the host (here the local runner) hands the text over
as it is and writes answers as plain JSON; the app decodes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from graph_emulator import Emulator
from local_runner import Azurite
from shared.config.hostconfig import load_queue_settings
from shared.core.answers import answer_id
from tests.queue_app import QueueApp

pytestmark = pytest.mark.both_profiles


@pytest.fixture
def app(azurite: Azurite, emulator: Emulator) -> Iterator[QueueApp]:
    with QueueApp.start(azurite.connection_string, emulator.base_url) as started:
        yield started


def producer(app: QueueApp, azurite: Azurite, **policy: object) -> QueueClient:
    """The request queue as a producer using the Python SDK sees it (its default: no policy)."""
    client = QueueClient.from_connection_string(
        azurite.connection_string, app.request_queue, **policy
    )
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


def test_the_apps_host_json_leaves_decoding_to_the_app():
    assert load_queue_settings().message_encoding == "none"


def test_plain_json_and_base64_json_from_the_python_sdk_are_both_answered(app, azurite):
    plain = producer(app, azurite)
    encoded = producer(app, azurite, message_encode_policy=TextBase64EncodePolicy())
    first = {"requestId": "PLAIN-1", "scenario": "user-driven", "groupTag": "PLAIN-UD"}
    second = {"requestId": "B64-1", "scenario": "user-driven", "groupTag": "ENCODED-UD"}

    plain.send_message(json.dumps(first))
    encoded.send_message(json.dumps(second))
    app.host.drain()

    answers = {a["requestId"]: a for a in app.results()}
    assert {key: a["status"] for key, a in answers.items()} == {
        "PLAIN-1": "created",
        "B64-1": "created",
    }
    assert answers["B64-1"]["groupTag"] == "ENCODED-UD"
    assert app.poison() == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("hello, is this the group queue?", "neither JSON nor base64", id="prose"),
        pytest.param("bm90IGpzb24=", "decoded message is not JSON", id="base64 of prose"),
        pytest.param("[1, 2]", "must be a JSON object", id="a JSON list"),
    ],
)
def test_a_message_that_is_neither_is_answered_rejected_saying_so(app, azurite, text, words):
    producer(app, azurite).send_message(text)
    app.host.drain()

    [answer] = app.results()
    assert answer["status"] == "rejected" and answer["requestId"] is None
    assert words in answer["errors"][0]["message"]
    assert app.poison() == []


def test_every_answer_carries_an_answer_id_that_a_redelivery_would_repeat(app, azurite):
    request = {"requestId": "RITM-7", "scenario": "user-driven", "groupTag": "DEDUP-UD"}
    message_id = app.send(request)
    app.host.drain()

    [answer] = app.results()
    assert answer["answerId"] == answer_id(message_id, "RITM-7")
    assert answer["answerId"] != answer_id("another-message", "RITM-7")
