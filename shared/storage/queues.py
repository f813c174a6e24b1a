"""The Azure Storage queue boundary: the only module that imports azure.storage.queue.

The queue function answers through its output binding. It writes here directly only on a
message's last delivery, when it is about to fail: the host discards a failed invocation's output
bindings, and the ticket must still hear back before the message goes to the poison queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    QueueClient,
    TextBase64EncodePolicy,
)

from shared.config.settings import StorageConnection
from shared.core.errors import AppError, StorageError
from shared.storage.connection import credential_for, require


class QueueCheckError(AppError):
    """A queue cannot be read: ``kind`` is missing, denied, unreachable or other."""

    def __init__(self, queue: str, kind: str, reason: str) -> None:
        super().__init__(f"queue {queue}: {reason}")
        self.queue = queue
        self.kind = kind
        self.reason = reason


def queue_client(
    connection: StorageConnection | None,
    queue_name: str,
    *,
    encoding: str = "base64",
    **options: Any,
) -> QueueClient:
    """A client for one queue, over the same connection and encoding as the host's bindings.

    ``options`` go to the client as they are (timeouts, ``retry_total``...)."""
    connection = require(connection, "the queues")
    policies: dict[str, Any] = dict(options)
    if encoding == "base64":
        policies["message_encode_policy"] = TextBase64EncodePolicy()
        policies["message_decode_policy"] = BinaryBase64DecodePolicy()
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
        try:
            message = client.send_message(text)
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):
                client.create_queue()
            message = client.send_message(text)
    except AzureError as error:
        raise StorageError(
            f"sending to the queue {client.queue_name} failed: {_first(error)}"
        ) from error
    return str(message.id)


def find_answer(client: QueueClient, request_id: str) -> dict[str, Any] | None:
    """The first answer to ``request_id`` among the result queue's first 32 (peeked, not taken)."""
    try:
        texts = peek_texts(client)
    except ResourceNotFoundError as error:
        raise StorageError(f"the result queue {client.queue_name} does not exist") from error
    except AzureError as error:
        raise StorageError(
            f"reading the queue {client.queue_name} failed: {_first(error)}"
        ) from error
    for text in texts:
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(answer, dict) and answer.get("requestId") == request_id:
            return answer
    return None


def _first(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


async def send_text_async(client: QueueClient, text: str) -> str:
    return await asyncio.to_thread(send_text, client, text)


def peek_texts(client: QueueClient, limit: int = 32) -> list[str]:
    """Up to 32 messages from the front of the queue, without taking them."""
    texts = []
    for message in client.peek_messages(max_messages=limit):
        content = message.content
        texts.append(content.decode("utf-8", "replace") if isinstance(content, bytes) else content)
    return texts


def peek_check(connection: StorageConnection | None, queue_name: str, timeout: float) -> int:
    """Peek at one message of the queue (a read: nothing is taken, hidden or changed).

    Returns how many messages were seen (0 or 1); ``QueueCheckError`` says why the queue cannot
    be read. One try, with ``timeout`` seconds to connect and to read: for the doctor.
    """
    client = queue_client(
        connection,
        queue_name,
        encoding="none",
        retry_total=0,
        connection_timeout=timeout,
        read_timeout=timeout,
    )
    try:
        return len(client.peek_messages(max_messages=1))
    except ResourceNotFoundError as error:
        raise QueueCheckError(queue_name, "missing", "the queue does not exist") from error
    except (ServiceRequestError, ServiceResponseError) as error:
        raise QueueCheckError(
            queue_name, "unreachable", f"the queue service did not answer ({type(error).__name__})"
        ) from error
    except (ClientAuthenticationError, HttpResponseError) as error:
        status = getattr(error, "status_code", None)
        kind = "denied" if status in (401, 403) or status is None else "other"
        reason = getattr(error, "reason", None) or type(error).__name__
        code = getattr(error, "error_code", None)
        raise QueueCheckError(
            queue_name, kind, f"refused ({status or 'no token'} {code or reason})"
        ) from error
    finally:
        client.close()
