"""The Azure Storage queue boundary: the only module that imports azure.storage.queue.

The queue function answers through its output binding. It writes here directly only on a
message's last delivery, when it is about to fail: the host discards a failed invocation's output
bindings, and the ticket must still hear back before the message goes to the poison queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    QueueClient,
    TextBase64EncodePolicy,
)

from shared.config.settings import StorageConnection
from shared.storage.connection import credential_for, require


def queue_client(
    connection: StorageConnection | None, queue_name: str, *, encoding: str = "base64"
) -> QueueClient:
    """A client for one queue, over the same connection and encoding as the host's bindings."""
    connection = require(connection, "the queues")
    policies: dict[str, Any] = {}
    if encoding == "base64":
        policies = {
            "message_encode_policy": TextBase64EncodePolicy(),
            "message_decode_policy": BinaryBase64DecodePolicy(),
        }
    if connection.connection_string:
        return QueueClient.from_connection_string(
            connection.connection_string, queue_name, **policies
        )
    return QueueClient(
        account_url=str(connection.queue_service_uri),
        queue_name=queue_name,
        credential=credential_for(connection),
        **policies,
    )


def send_text(client: QueueClient, text: str) -> str:
    """Send one message, creating the queue first if it does not exist (as output bindings do)."""
    try:
        message = client.send_message(text)
    except ResourceNotFoundError:
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        message = client.send_message(text)
    return str(message.id)


async def send_text_async(client: QueueClient, text: str) -> str:
    return await asyncio.to_thread(send_text, client, text)


def peek_texts(client: QueueClient, limit: int = 32) -> list[str]:
    """Up to 32 messages from the front of the queue, without taking them."""
    texts = []
    for message in client.peek_messages(max_messages=limit):
        content = message.content
        texts.append(content.decode("utf-8", "replace") if isinstance(content, bytes) else content)
    return texts
