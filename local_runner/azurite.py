"""Start and stop Azurite's blob and queue services for tests and the local demo.

Azurite is Microsoft's storage emulator. It is installed from npm at a pinned
version (see ``package.json``; ``npm ci`` puts it in ``node_modules``) rather than
being assumed on PATH, so every machine and CI run the same emulator.

It is started on port 0 and the port it reports is read back from its output:
that avoids the race of picking a free port first and binding it later. The queue service
carries the app's requests and results; the blob service holds the leases that serialise writes
(the host's timer lock, and the app's lock per Enrollment Status Page).
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

# The public development storage account. Microsoft publishes this name and key
# in the Azurite and storage emulator documentation; every emulator accepts it.
# It is not a secret and grants nothing outside a local emulator.
DEV_ACCOUNT_NAME = "devstoreaccount1"
DEV_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
DEFAULT_BLOB_PORT = 10000
DEFAULT_QUEUE_PORT = 10001

_LISTENING = re.compile(
    r"Azurite (Blob|Queue) service is successfully listening at https?://[^:\s]+:(\d+)"
)


class AzuriteError(RuntimeError):
    """Azurite is missing, did not start, or stopped answering."""


def project_root() -> Path:
    """The folder holding ``package.json`` and ``node_modules`` (this package's parent)."""
    return Path(__file__).resolve().parent.parent


def connection_string_for(port: int, host: str = "127.0.0.1", blob_port: int | None = None) -> str:
    """A connection string for the development account: queues on ``port``, blobs on
    ``blob_port`` (left out when None)."""
    blob = f"BlobEndpoint=http://{host}:{blob_port}/{DEV_ACCOUNT_NAME};" if blob_port else ""
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={DEV_ACCOUNT_NAME};"
        f"AccountKey={DEV_ACCOUNT_KEY};"
        f"{blob}"
        f"QueueEndpoint=http://{host}:{port}/{DEV_ACCOUNT_NAME};"
    )


def expand_development_storage(connection_string: str, azurite: Azurite | None = None) -> str:
    """Turn ``UseDevelopmentStorage=true`` into a full connection string.

    Core Tools and the storage SDKs map that shorthand to the emulator's default
    ports; given a running ``azurite`` it maps to that instance's port instead.
    Any other connection string is returned unchanged.
    """
    if not is_development_storage(connection_string):
        return connection_string
    if azurite is not None:
        return azurite.connection_string
    return connection_string_for(DEFAULT_QUEUE_PORT, blob_port=DEFAULT_BLOB_PORT)


def is_development_storage(connection_string: str) -> bool:
    """Whether a connection string is the ``UseDevelopmentStorage=true`` shorthand."""
    parts = [p.strip() for p in connection_string.split(";") if p.strip()]
    return any(p.replace(" ", "").lower() == "usedevelopmentstorage=true" for p in parts)


class Azurite:
    """One Azurite (blob and queue services) on 127.0.0.1, in memory, for the life of this object.

    Azurite's launcher also starts its table service (on a port of its own); nothing uses it.

    ``--skipApiVersionCheck`` is needed because the Python SDK speaks a newer
    storage API version than Azurite 3.35 knows; ``--loose`` ignores headers it
    does not implement. Data lives in memory only, so each instance starts empty.
    """

    def __init__(
        self,
        *,
        root: Path | None = None,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
        memory_limit_mb: int = 256,
    ) -> None:
        self._root = root or project_root()
        self._host = host
        self._startup_timeout = startup_timeout
        self._memory_limit_mb = memory_limit_mb
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._ports: dict[str, int] = {}

    @property
    def executable(self) -> Path:
        """The npm-installed ``azurite`` launcher."""
        return self._root / "node_modules" / ".bin" / "azurite"

    def _service_port(self, service: str) -> int:
        if service not in self._ports:
            raise AzuriteError("Azurite is not running: call start() first")
        return self._ports[service]

    @property
    def port(self) -> int:
        """The port the queue service listens on (only once started)."""
        return self._service_port("Queue")

    @property
    def blob_port(self) -> int:
        """The port the blob service listens on (only once started)."""
        return self._service_port("Blob")

    @property
    def blob_endpoint(self) -> str:
        """The blob service URL including the account path segment."""
        return f"http://{self._host}:{self.blob_port}/{DEV_ACCOUNT_NAME}"

    @property
    def queue_endpoint(self) -> str:
        """The queue service URL including the account path segment."""
        return f"http://{self._host}:{self.port}/{DEV_ACCOUNT_NAME}"

    @property
    def connection_string(self) -> str:
        """A connection string for the development account on this instance."""
        return connection_string_for(self.port, self._host, self.blob_port)

    @property
    def log_path(self) -> Path | None:
        """Where Azurite's console output goes (kept until stop())."""
        return None if self._workdir is None else self._workdir / "azurite.log"

    def start(self) -> Azurite:
        """Start Azurite and wait until it accepts connections."""
        if self._process is not None:
            return self
        if not self.executable.exists():
            raise AzuriteError(
                f"{self.executable} is missing: run `npm ci` in {self._root} "
                "to install the pinned Azurite from package-lock.json"
            )
        self._workdir = Path(tempfile.mkdtemp(prefix="azurite-"))
        command = [
            str(self.executable),
            "--blobHost",
            self._host,
            "--blobPort",
            "0",
            "--queueHost",
            self._host,
            "--queuePort",
            "0",
            "--tableHost",
            self._host,
            "--tablePort",
            "0",
            "--inMemoryPersistence",
            "--extentMemoryLimit",
            str(self._memory_limit_mb),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
            "--disableTelemetry",
        ]
        log_path = self._workdir / "azurite.log"
        with log_path.open("wb") as out:
            self._process = subprocess.Popen(
                command,
                cwd=self._workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        log.debug("azurite: started pid %d, log %s", self._process.pid, log_path)
        try:
            self._ports = self._wait_for_ports(log_path)
            for port in self._ports.values():
                self._wait_until_accepting(port)
        except BaseException:
            self.stop()
            raise
        log.info("azurite: queues on %s, blobs on %s", self.queue_endpoint, self.blob_endpoint)
        return self

    def _wait_for_ports(self, log_path: Path) -> dict[str, int]:
        deadline = time.monotonic() + self._startup_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            ports = {match[1]: int(match[2]) for match in _LISTENING.finditer(text)}
            if len(ports) == 2:
                return ports
            if self._process.poll() is not None:
                raise AzuriteError(
                    f"Azurite exited with code {self._process.returncode} before listening:\n{text}"
                )
            time.sleep(0.05)
        raise AzuriteError(
            f"Azurite did not report a port within {self._startup_timeout:.0f}s:\n"
            + log_path.read_text(errors="replace")
        )

    def _wait_until_accepting(self, port: int) -> None:
        deadline = time.monotonic() + self._startup_timeout
        while True:
            try:
                with socket.create_connection((self._host, port), timeout=1.0):
                    return
            except OSError as e:
                if time.monotonic() >= deadline:
                    raise AzuriteError(f"Azurite does not accept connections on {port}") from e
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop Azurite (all its data is lost) and remove its temporary folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._ports = {}

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
