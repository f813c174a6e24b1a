"""The function app loaded with chosen settings, driven by the local host over Azurite.

Shared by the queue tests, the resilience tests and the chaos command line (so it works outside
pytest): settings are set in the environment only while ``function_app`` is imported and the host
reads them, then restored. Each app gets queues of its own on the shared Azurite.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueServiceClient

from local_runner import LocalHost

HOST_OVERRIDES = {"visibilityTimeout": 0, "maxPollingInterval": 0.1}


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_function_app(settings: Mapping[str, str]) -> ModuleType:
    """Import ``function_app`` afresh with these app settings, as a new worker would."""
    with environment(settings):
        sys.modules.pop("function_app", None)
        try:
            return importlib.import_module("function_app")
        finally:
            sys.modules.pop("function_app", None)


# What a queue message can carry as it is: XML 1.0 characters (the REST API is XML), without
# carriage returns (XML parsers turn them into line feeds).
_XML_TEXT = re.compile("^[\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")


def plain_text(body: bytes) -> str | None:
    """The body as a queue message's text, unchanged on the wire; None if it cannot be."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text and _XML_TEXT.match(text) else None


@dataclass
class QueueApp:
    host: LocalHost
    service: QueueServiceClient
    request_queue: str
    result_queue: str
    module: ModuleType
    sent: dict[str, bytes] = field(default_factory=dict)  # queue message id -> body

    @classmethod
    def start(cls, connection_string: str, graph_base_url: str, **env: str) -> QueueApp:
        token = uuid.uuid4().hex[:8]
        requests, results = f"requests-{token}", f"results-{token}"
        settings = {
            "RUN_MODE": "apply",  # the app's default is plan; tests of plan mode say so
            "AzureWebJobsStorage": connection_string,
            "GRAPH_BASE_URL": graph_base_url,
            "GRAPH_RETRY_DELAY_SECONDS": "0",
            "REQUEST_QUEUE": requests,
            "RESULT_QUEUE": results,
            **env,
        }
        module = load_function_app(settings)
        with environment(settings):
            host = LocalHost(module.app, overrides=HOST_OVERRIDES)
        service = QueueServiceClient.from_connection_string(connection_string)
        return cls(host, service, requests, results, module)

    def close(self) -> None:
        self.host.close()
        self.service.close()

    def __enter__(self) -> QueueApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def poison_queue(self) -> str:
        return f"{self.request_queue}-poison"

    def send(self, document: Any, *, base64_encoded: bool = False) -> str:
        """A request as a producer sends it: UTF-8 JSON text, as the Python and .NET SDKs do by
        default, or base64 of it (``TextBase64EncodePolicy``, the portal's checkbox)."""
        text = document if isinstance(document, str) else json.dumps(document)
        return self.send_bytes(text.encode("utf-8"), base64_encoded=base64_encoded)

    def send_bytes(self, body: bytes, *, base64_encoded: bool = False) -> str:
        """The body as the message's text: as it is when it is text a queue message can carry,
        else (or when asked) base64, as a producer would have to send it."""
        client = self.service.get_queue_client(self.request_queue)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        text = None if base64_encoded else plain_text(body)
        message = client.send_message(
            base64.b64encode(body).decode("ascii") if text is None else text
        )
        self.sent[str(message.id)] = body
        return str(message.id)

    def results(self) -> list[dict[str, Any]]:
        """Every answer on the result queue (taken off it): plain UTF-8 JSON."""
        return [json.loads(text) for text in self._take(self.result_queue)]

    def poison(self) -> list[bytes]:
        """The poison queue's messages, as their texts' bytes."""
        return [text.encode("utf-8") for text in self._take(self.poison_queue)]

    def _take(self, queue: str) -> list[str]:
        client = self.service.get_queue_client(queue)
        texts: list[str] = []
        while True:
            try:
                batch = list(client.receive_messages(messages_per_page=32, max_messages=32))
            except ResourceNotFoundError:
                return texts
            if not batch:
                return texts
            for message in batch:
                texts.append(str(message.content))
                client.delete_message(message)
