"""The host's lock that runs each timer function on one instance only: a blob lease.

"Only a single instance of a timer-triggered function is run across all instances" (the timer
trigger's documentation). The host runs a timer's listener (its schedule) under a singleton
listener lock: a lease on a blob in the host's storage, ``AzureWebJobsStorage`` (the WebJobs
SDK's blob lock manager: container ``azure-webjobs-hosts``, blob
``locks/<host id>/<function id>.Listener``, the function id being ``Host.Functions.<name>`` for
a script host; the names are from that SDK's source, not documented). The lease is taken for
host.json ``singleton.listenerLockPeriod`` and renewed while held; an instance that cannot take it
tries again every ``singleton.listenerLockRecoveryPollingInterval`` (1 minute each by default).
A function run by hand (``fire_timer``, like the host's admin "run now") takes no lock.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError
from azure.storage.blob import BlobLeaseClient, BlobServiceClient

from local_runner.errors import ConfigurationError
from local_runner.settings import parse_timespan

log = logging.getLogger(__name__)

LOCK_CONTAINER = "azure-webjobs-hosts"
# The app setting that names the host (and so its locks); the host derives it from the app's name.
HOST_ID_SETTING = "AzureFunctionsWebHost__hostid"
DEFAULT_HOST_ID = "local-runner"
# Blob leases last 15 to 60 seconds (or forever, which a lock must not).
_MIN_LEASE, _MAX_LEASE = 15.0, 60.0
_SINGLETON_KEYS = {
    "listenerLockPeriod": "period",
    "listenerLockRecoveryPollingInterval": "recovery_interval",
}
# Documented singleton keys the runner reads but has no use for (function-level locks).
_UNUSED_SINGLETON_KEYS = {"lockPeriod", "lockAcquisitionTimeout", "lockAcquisitionPollingInterval"}


@dataclass(frozen=True)
class LockOptions:
    """host.json ``singleton`` for listener locks, in seconds."""

    period: float = 60.0
    recovery_interval: float = 60.0

    def __post_init__(self) -> None:
        if not _MIN_LEASE <= self.period <= _MAX_LEASE:
            raise ConfigurationError(
                f"listenerLockPeriod must be {_MIN_LEASE:.0f}-{_MAX_LEASE:.0f} seconds "
                f"(a blob lease): {self.period}"
            )
        if self.recovery_interval <= 0:
            raise ConfigurationError(
                f"listenerLockRecoveryPollingInterval must be > 0: {self.recovery_interval}"
            )


def lock_options(
    host_json: Mapping[str, Any] | None, overrides: Mapping[str, Any] | None = None
) -> LockOptions:
    """The listener lock options of a parsed host.json, then ``overrides`` (host.json names)."""
    section = (host_json or {}).get("singleton") or {}
    values: dict[str, float] = {}
    for key, value in {**section, **(overrides or {})}.items():
        if key in _UNUSED_SINGLETON_KEYS:
            continue
        if key not in _SINGLETON_KEYS:
            raise ConfigurationError(f"singleton.{key} is not a known singleton option")
        values[_SINGLETON_KEYS[key]] = parse_timespan(value, key)
    return LockOptions(**values)


def lock_blob_name(host_id: str, function: str) -> str:
    """The blob whose lease is ``function``'s listener lock."""
    return f"locks/{host_id}/Host.Functions.{function}.Listener"


def check_blob_service(connection_string: str) -> None:
    """Refuse a connection string that names a queue endpoint but no blob endpoint.

    The SDK would otherwise derive a public cloud blob URL from the account name.
    """
    keys = {part.split("=", 1)[0].strip().lower() for part in connection_string.split(";")}
    if "queueendpoint" in keys and "blobendpoint" not in keys:
        raise ConfigurationError(
            "the timer lock is a blob lease in AzureWebJobsStorage, whose connection string "
            "has a QueueEndpoint but no BlobEndpoint"
        )


class ListenerLock:
    """One timer function's listener lock, held (or not) by this runner."""

    def __init__(
        self, connection_string: str, host_id: str, function: str, options: LockOptions
    ) -> None:
        check_blob_service(connection_string)
        self._service = BlobServiceClient.from_connection_string(connection_string)
        self._blob = self._service.get_blob_client(
            LOCK_CONTAINER, lock_blob_name(host_id, function)
        )
        self._seconds = int(options.period)
        self._lease: BlobLeaseClient | None = None
        self._blob_ready = False

    @property
    def held(self) -> bool:
        return self._lease is not None

    def acquire(self) -> bool:
        """Take the lease unless another instance holds it; whether this runner holds it now."""
        self._ensure_blob()
        lease = BlobLeaseClient(self._blob)  # type: ignore[arg-type]
        try:
            lease.acquire(lease_duration=self._seconds)
        except HttpResponseError as e:
            if e.status_code == 409:  # LeaseAlreadyPresent: another instance holds it
                return False
            raise
        self._lease = lease
        return True

    def renew(self) -> bool:
        """Renew the held lease; False (and no longer held) if it was lost."""
        if self._lease is None:
            return False
        try:
            self._lease.renew()
        except AzureError as e:  # lost to another instance, or storage out of reach
            log.warning("timer lock: lost %s (%s)", self._blob.blob_name, e)
            self._lease = None
            return False
        return True

    def release(self) -> None:
        """Give the lease up, so another instance can take it without waiting for it to end."""
        lease, self._lease = self._lease, None
        if lease is not None:
            with contextlib.suppress(HttpResponseError):
                lease.release()

    def close(self) -> None:
        self.release()
        self._service.close()

    def _ensure_blob(self) -> None:
        if self._blob_ready:
            return
        with contextlib.suppress(ResourceExistsError):
            self._service.create_container(LOCK_CONTAINER)
        with contextlib.suppress(ResourceExistsError):
            self._blob.upload_blob(b"", overwrite=False)
        self._blob_ready = True
