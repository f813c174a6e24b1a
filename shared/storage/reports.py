"""Stored run reports: every timer run's report, in either mode, in the host's storage account.

Container ``autopilot-group-reports`` (infra/main.bicep creates it; the app does too), one JSON
blob per run, ``runs/<startedAt>-<runId>.json``, so names sort by time. The last 100 are kept.
Reading them (``python -m shared report``) needs only Storage Blob Data Reader on the container.
"""

from __future__ import annotations

import json
import re
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient

from shared.config.settings import StorageConnection
from shared.core.errors import StorageError
from shared.storage.blobs import in_thread, open_container
from shared.storage.connection import require

REPORT_CONTAINER = "autopilot-group-reports"
KEEP = 100
PREFIX = "runs/"


def blob_name(document: dict[str, Any]) -> str:
    """``runs/20261203T101500Z-1a2b3c4d5e6f.json`` for a report started then with that run id."""
    started = re.sub(r"[^0-9TZ]", "", str(document.get("startedAt") or ""))[:16]
    return f"{PREFIX}{started or 'unknown'}-{document.get('runId') or 'run'}.json"


class ReportStore:
    def __init__(
        self,
        connection: StorageConnection | None,
        *,
        container: str = REPORT_CONTAINER,
        keep: int = KEEP,
        credential: TokenCredential | None = None,
    ) -> None:
        self._connection = require(connection, "the stored run reports")
        self._name = container
        self._keep = keep
        self._credential = credential
        self._containers: dict[bool, ContainerClient] = {}

    def _container(self, *, write: bool) -> ContainerClient:
        if write not in self._containers:
            self._containers[write] = open_container(
                self._connection, self._name, create=write, credential=self._credential
            )
        return self._containers[write]

    async def save(self, document: dict[str, Any]) -> str:
        """Store one run's report and drop the oldest beyond the last ``keep``; its blob name."""
        name = blob_name(document)
        body = json.dumps(document, ensure_ascii=False)
        await in_thread("storing the run report", self._upload, name, body)
        await in_thread("pruning the run reports", self._prune)
        return name

    async def names(self) -> list[str]:
        """The stored reports' names, newest first."""
        return await in_thread("listing the run reports", self._names)

    async def load(self, name: str | None = None) -> dict[str, Any]:
        """One stored report (the newest when ``name`` is None), as it was stored."""
        if name is None:
            newest = await self.names()
            if not newest:
                raise StorageError(f"no run report is stored in {self._name} yet")
            name = newest[0]
        if not name.startswith(PREFIX):
            name = f"{PREFIX}{name}" if name.endswith(".json") else f"{PREFIX}{name}.json"
        return await in_thread("reading a run report", self._download, name)

    def _upload(self, name: str, body: str) -> None:
        self._container(write=True).upload_blob(name, body, overwrite=True)

    def _names(self) -> list[str]:
        container = self._container(write=False)
        try:
            listed = [blob.name for blob in container.list_blobs(name_starts_with=PREFIX)]
        except ResourceNotFoundError:
            return []
        return sorted(listed, reverse=True)

    def _download(self, name: str) -> dict[str, Any]:
        try:
            data = self._container(write=False).download_blob(name).readall()
        except ResourceNotFoundError:
            raise StorageError(f"no run report {name} in {self._name}") from None
        document: dict[str, Any] = json.loads(data)
        return document

    def _prune(self) -> None:
        container = self._container(write=True)
        for old in self._names()[self._keep :]:
            container.delete_blob(old)
