"""The storage boundary: the only module that imports azure.storage.queue.

The rest of the runner speaks in ``ReceivedMessage`` and plain strings. Message
texts go over the wire exactly as given (no SDK encode or decode policy): the
runner encodes and decodes itself, as the host's own queue client does, so it
can tell an undecodable message from a good one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceivedMessage:
    """A message as received, with the pop receipt that proves this runner holds it."""

    queue: str
    id: str
    text: str
    dequeue_count: int
    pop_receipt: str
    inserted_on: datetime | None
    expires_on: datetime | None
    next_visible_on: datetime | None


class QueueStore:
    """Queue operations against one storage account (one connection string)."""

    def __init__(self, connection_string: str) -> None:
        self._service = QueueServiceClient.from_connection_string(connection_string)
        self._clients: dict[str, QueueClient] = {}
        self._created: set[str] = set()
        self._lock = threading.Lock()

    def _client(self, queue: str) -> QueueClient:
        with self._lock:
            client = self._clients.get(queue)
            if client is None:
                client = self._service.get_queue_client(queue)
                self._clients[queue] = client
            return client

    def ensure_queue(self, queue: str) -> None:
        """Create the queue if it does not exist yet."""
        if queue in self._created:
            return
        try:
            self._client(queue).create_queue()
            log.info("queues: created %s", queue)
        except ResourceExistsError:
            pass
        self._created.add(queue)

    def receive(self, queue: str, count: int, lease_seconds: float) -> list[ReceivedMessage]:
        """Up to ``count`` messages (one request), invisible to others for ``lease_seconds``."""
        pages = (
            self._client(queue)
            .receive_messages(
                messages_per_page=count, visibility_timeout=_whole_seconds(lease_seconds)
            )
            .by_page()
        )
        page: list[QueueMessage] = list(next(pages, []))
        return [
            ReceivedMessage(
                queue=queue,
                id=m.id,
                text=str(m.content or ""),
                dequeue_count=int(m.dequeue_count or 0),
                pop_receipt=str(m.pop_receipt),
                inserted_on=m.inserted_on,
                expires_on=m.expires_on,
                next_visible_on=m.next_visible_on,
            )
            for m in page
        ]

    def send(self, queue: str, text: str) -> None:
        """Add a message, creating the queue first if needed (as the output binding does)."""
        self.ensure_queue(queue)
        self._client(queue).send_message(text)

    def delete(self, message: ReceivedMessage, pop_receipt: str | None = None) -> None:
        """Delete a message this runner holds; one already gone is not an error."""
        try:
            self._client(message.queue).delete_message(
                message.id, pop_receipt or message.pop_receipt
            )
        except ResourceNotFoundError:
            log.debug("queues: %s already gone from %s", message.id, message.queue)

    def set_visibility(self, message: ReceivedMessage, pop_receipt: str, seconds: float) -> str:
        """Make a held message visible again after ``seconds``; returns the new pop receipt."""
        receipt = self._client(message.queue).update_message(
            message.id, pop_receipt, visibility_timeout=_whole_seconds(seconds)
        )
        return str(receipt.pop_receipt)

    def approximate_count(self, queue: str) -> int:
        """Messages in the queue, visible or not (0 if the queue does not exist)."""
        try:
            props = self._client(queue).get_queue_properties()
        except ResourceNotFoundError:
            return 0
        return int(props.approximate_message_count or 0)

    def peek_texts(self, queue: str, count: int = 32) -> list[str]:
        """Texts of up to ``count`` visible messages, without taking them."""
        try:
            return [str(m.content) for m in self._client(queue).peek_messages(max_messages=count)]
        except ResourceNotFoundError:
            return []

    def close(self) -> None:
        """Release the HTTP connections."""
        self._service.close()


def _whole_seconds(seconds: float) -> int:
    # The storage API takes whole seconds; round up so a lease is never shorter.
    whole = int(seconds)
    return whole if whole == seconds else whole + 1
