"""Blob containers of the host's storage account, as the ledger and the run reports use them.

The storage SDK is synchronous: every call runs in a worker thread, and its failures leave as
``StorageError``. The SDK's default retries back off from 15 s, minutes before a run learns that
storage is down, so a container is opened with a few short ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ResourceExistsError
from azure.storage.blob import BlobServiceClient, ContainerClient, ExponentialRetry

from shared.config.settings import StorageConnection
from shared.core.errors import StorageError
from shared.storage.connection import credential_for

T = TypeVar("T")


def open_container(
    connection: StorageConnection,
    name: str,
    *,
    retries: int = 3,
    create: bool = True,
    credential: TokenCredential | None = None,
) -> ContainerClient:
    """A client for one container, created first when ``create`` (a reader need not create)."""
    retry = ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=retries)
    if connection.connection_string:
        service = BlobServiceClient.from_connection_string(
            connection.connection_string, retry_policy=retry
        )
    elif connection.blob_service_uri is None:
        raise StorageError(
            "the blob service of the app's storage is not set: AzureWebJobsStorage__"
            "queueServiceUri names the queues only; set AzureWebJobsStorage__blobServiceUri too, "
            "or AzureWebJobsStorage__accountName for both"
        )
    else:
        service = BlobServiceClient(
            account_url=str(connection.blob_service_uri),
            credential=credential or credential_for(connection),
            retry_policy=retry,
        )
    container = service.get_container_client(name)
    if create:
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
    return container


async def in_thread(what: str, function: Callable[..., T], *args: Any) -> T:
    """Run a storage call in a worker thread; its failures leave as the project's own errors."""
    try:
        return await asyncio.to_thread(function, *args)
    except AzureError as error:
        raise StorageError(f"{what} in storage failed: {error}") from error
