"""The assignment ledger and locks, in the host's storage account (container ``autopilot-groups``).

Two jobs, one per blob kind:

- ``locks/<kind>/<id>``: an empty blob whose lease serialises the app's read-merge-write of one
  target across every instance. An ESP's ``assign`` action replaces the whole list, so two
  writers that read the same list would each drop the other's addition; under the lease they take
  turns. The lease lasts 60 s and is renewed while held; a writer waits up to two minutes for it.
- ``history/<kind>/<id>.json``: which of the app's groups were seen on the target or written to
  it, and when the app last wrote each. It tells drift (a group someone took off) from a group
  never assigned, and keeps the app's own recent writes that Graph does not show yet, so the next
  writer does not drop them. Updated with an ETag, so concurrent updates merge instead of losing.

The storage SDK is synchronous here; every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import asdict
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import (
    BlobClient,
    BlobLeaseClient,
    ContainerClient,
)

from shared.config.settings import Settings, StorageConnection
from shared.core.errors import LockBusyError
from shared.core.model import LedgerEntry
from shared.storage.blobs import in_thread, open_container
from shared.storage.connection import require

log = logging.getLogger(__name__)
T = TypeVar("T")

CONTAINER = "autopilot-groups"


class Ledger:
    def __init__(
        self,
        connection: StorageConnection | None,
        *,
        container: str = CONTAINER,
        lease_seconds: int = 60,
        wait_seconds: float = 120.0,
        retries: int = 3,
    ) -> None:
        self._connection = require(connection, "assigning profiles and ESPs (their lock)")
        self._container_name = container
        self._lease_seconds = lease_seconds
        self._wait_seconds = wait_seconds
        # A few short retries, then the error (the timer retries next run, a request later).
        self._retries = retries
        self._container: ContainerClient | None = None

    def _blobs(self) -> ContainerClient:
        if self._container is None:
            self._container = open_container(
                self._connection, self._container_name, retries=self._retries
            )
        return self._container

    # --- history ---

    async def history(self, kind: str, target_id: str) -> dict[str, LedgerEntry]:
        """The app's groups on one target, as recorded (empty when nothing was recorded)."""
        entries, _ = await _call(self._read, f"history/{kind}/{target_id}.json")
        return entries

    async def record(
        self,
        kind: str,
        target_id: str,
        *,
        now: str,
        seen: Iterable[str] = (),
        written: Iterable[str] = (),
        intended: Iterable[str] = (),
        refused: Iterable[str] = (),
    ) -> None:
        """At ``now``: groups seen on the target, written to it, about to be written, or whose
        write Graph refused for good (their intent is withdrawn)."""
        marks = {
            "seen": set(seen),
            "written": set(written),
            "intended": set(intended),
            "refused": set(refused),
        }
        if any(marks.values()):
            await _call(self._merge, f"history/{kind}/{target_id}.json", marks, now)

    def _read(self, name: str) -> tuple[dict[str, LedgerEntry], str | None]:
        blob = self._blobs().get_blob_client(name)
        try:
            download = blob.download_blob()
        except ResourceNotFoundError:
            return {}, None
        document: dict[str, Any] = json.loads(download.readall() or b"{}")
        entries = {
            group: LedgerEntry(item.get("seen"), item.get("written"), item.get("intended"))
            for group, item in (document.get("groups") or {}).items()
        }
        return entries, download.properties.etag

    def _merge(self, name: str, marks: dict[str, set[str]], now: str) -> None:
        blob = self._blobs().get_blob_client(name)
        for _ in range(20):  # concurrent writers: read again and merge until the ETag holds
            entries, etag = self._read(name)
            merged = dict(entries)
            for group in set().union(*marks.values()):
                old = merged.get(group, LedgerEntry())
                merged[group] = LedgerEntry(
                    seen=now if group in marks["seen"] else old.seen,
                    written=now if group in marks["written"] else old.written,
                    intended=(
                        None
                        if group in marks["refused"]
                        else now
                        if group in marks["intended"]
                        else old.intended
                    ),
                )
            if merged == entries:
                return
            body = json.dumps({"groups": {g: asdict(e) for g, e in merged.items()}})
            condition: dict[str, Any] = (
                {"overwrite": True, "etag": etag, "match_condition": MatchConditions.IfNotModified}
                if etag
                else {"overwrite": False}  # a first writer: fails if another created it first
            )
            try:
                blob.upload_blob(body, **condition)
                return
            except (ResourceModifiedError, ResourceExistsError):
                continue
        raise LockBusyError(f"the assignment history {name} kept changing under this writer")

    # --- locks ---

    @contextlib.asynccontextmanager
    async def lock(self, kind: str, target_id: str) -> AsyncIterator[None]:
        """Hold the lease on one target's lock for the block; renewed while held."""
        blob = self._blobs().get_blob_client(f"locks/{kind}/{target_id}")
        lease = await self._acquire(blob)
        renewal = asyncio.create_task(self._renew(lease))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            with contextlib.suppress(AzureError):
                await asyncio.to_thread(lease.release)

    async def _acquire(self, blob: BlobClient) -> BlobLeaseClient:
        """Take the lease, waiting (without holding a thread) while another writer has it."""
        await _call(_create_if_missing, blob)
        deadline = time.monotonic() + self._wait_seconds
        delay = 0.05
        while True:
            lease = await _call(_try_lease, blob, self._lease_seconds)
            if lease is not None:
                return lease
            if time.monotonic() >= deadline:
                raise LockBusyError(
                    f"the lock {blob.blob_name} stayed taken for {self._wait_seconds:.0f}s; "
                    "another writer is still at it"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _renew(self, lease: BlobLeaseClient) -> None:
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            try:
                await asyncio.to_thread(lease.renew)
            except HttpResponseError as error:  # lost: the writer's check catches what follows
                log.error("ledger: could not renew the lease %s: %s", lease.id, error)
                return


def ledger_for(settings: Settings) -> Ledger | None:
    """The assignment ledger and locks, when a scenario assigns and storage is configured."""
    if not settings.catalogue.has_targets or settings.storage is None:
        return None
    return Ledger(settings.storage)


async def _call(function: Callable[..., T], *args: Any) -> T:
    return await in_thread("the assignment ledger", function, *args)


def _create_if_missing(blob: BlobClient) -> None:
    with contextlib.suppress(ResourceExistsError):
        blob.upload_blob(b"", overwrite=False)


def _try_lease(blob: BlobClient, seconds: int) -> BlobLeaseClient | None:
    """The lease, or None while another writer holds it (409)."""
    try:
        return blob.acquire_lease(lease_duration=seconds)
    except HttpResponseError as error:
        if error.status_code == 409:
            return None
        raise
