"""Direct access to Azurite queues for tests: put messages in, look at what is there.

Tests look at storage with the SDK itself rather than through the runner, so
they check what really landed on the queue (message texts as on the wire).
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueServiceClient

# The repository's own host.json, wherever pytest is started from.
HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"


def b64(text: str) -> str:
    """A text as the host expects it under messageEncoding base64."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Queues:
    """Raw queue access on one account: texts go over the wire unchanged."""

    def __init__(self, connection_string: str) -> None:
        self._service = QueueServiceClient.from_connection_string(connection_string)

    def send(self, queue: str, *texts: str) -> None:
        client = self._service.get_queue_client(queue)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        for text in texts:
            client.send_message(text)

    def texts(self, queue: str) -> list[str]:
        """The texts of the visible messages (up to 32), left in place."""
        client = self._service.get_queue_client(queue)
        try:
            return [str(m.content) for m in client.peek_messages(max_messages=32)]
        except ResourceNotFoundError:
            return []

    def count(self, queue: str) -> int:
        try:
            props = self._service.get_queue_client(queue).get_queue_properties()
        except ResourceNotFoundError:
            return 0
        return int(props.approximate_message_count or 0)

    def bump_dequeue_count(self, queue: str, times: int) -> None:
        """Receive and release the queue's messages ``times`` times (no function involved)."""
        client = self._service.get_queue_client(queue)
        for _ in range(times):
            page = next(client.receive_messages(messages_per_page=32).by_page())
            for message in page:
                client.update_message(message, visibility_timeout=0)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Until ``condition`` holds; the timeout bounds the wait, it is not a speed expectation."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)
