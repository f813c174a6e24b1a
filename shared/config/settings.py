"""Settings: read once from app settings (environment variables), validated, frozen.

Every bad value fails at start with the setting's name in the message, so an operator sees
"setting DRIFT_POLICY: ..." in the host's start-up log instead of a failure at 3 a.m. Names are
kept stable: operators, templates and integrations rely on them.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shared.config import ncrontab
from shared.config.catalogue_file import SHIPPED_CATALOGUE, load_catalogue
from shared.core.errors import CatalogueError, SettingsError
from shared.core.model import Catalogue, Wanted

GRAPH_VERSION = "v1.0"
DEFAULT_GRAPH_BASE_URL = f"https://graph.microsoft.com/{GRAPH_VERSION}"
DEFAULT_SCHEDULE = "0 */15 * * * *"
DEFAULT_REQUEST_QUEUE = "autopilot-group-requests"
DEFAULT_RESULT_QUEUE = "autopilot-group-results"
STORAGE_CONNECTION = "AzureWebJobsStorage"

# Every app setting this app reads, with its default ("" = no default). Infra templates and
# local.settings.sample.json are checked against this table by the tests.
SETTINGS: dict[str, str] = {
    "RUN_MODE": "plan",
    "APPROVE_PLAN": "",
    "GRAPH_BASE_URL": DEFAULT_GRAPH_BASE_URL,
    "RECONCILE_SCHEDULE": DEFAULT_SCHEDULE,
    "DRIFT_POLICY": "report",
    "DELETED_GROUP_POLICY": "restore",
    "MAX_NEW_GROUPS_PER_RUN": "25",
    "PURCHASE_ORDER_GROUPS": "false",
    "ALL_DEVICES_GROUP": "true",
    "SCENARIO_FILE": "",
    "REQUEST_QUEUE": DEFAULT_REQUEST_QUEUE,
    "RESULT_QUEUE": DEFAULT_RESULT_QUEUE,
    "GRAPH_MAX_RETRIES": "5",
    "GRAPH_RETRY_DELAY_SECONDS": "2",
    "AZURE_CLIENT_ID": "",
}

_DIGEST = re.compile(r"sha256:[0-9a-f]{16}")
_QUEUE_NAME = re.compile(r"(?!.*--)[a-z0-9][a-z0-9-]{1,54}[a-z0-9]")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def beta_url(base_url: str) -> str:
    """``…/v1.0`` with its version segment replaced by ``beta``."""
    return base_url.removesuffix(f"/{GRAPH_VERSION}") + "/beta"


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts the development token may reach."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class StorageConnection:
    """How to reach the queues: a connection string, or an identity-based service URI.

    Mirrors the host's own rules for the ``AzureWebJobsStorage`` connection, so the app's direct
    writes (the ``failed`` answer on a message's last delivery) go where the bindings go.
    """

    connection_string: str | None = field(default=None, repr=False)
    queue_service_uri: str | None = None
    blob_service_uri: str | None = None  # identity-based: where the assignment locks live
    client_id: str | None = None


@dataclass(frozen=True)
class Settings:
    run_mode: str  # "plan": the timer and requests write nothing; "apply": they write
    approve_plan: str | None  # a plan's digest: that plan may pass MAX_NEW_GROUPS_PER_RUN
    graph_base_url: str
    reconcile_schedule: str
    drift_policy: str
    deleted_group_policy: str
    max_new_groups_per_run: int
    purchase_order_groups: bool
    all_devices_group: bool
    scenario_file: Path
    catalogue: Catalogue
    request_queue: str
    result_queue: str
    graph_max_retries: int
    graph_retry_delay_seconds: float
    azure_client_id: str | None
    storage: StorageConnection | None

    @property
    def applies(self) -> bool:
        return self.run_mode == "apply"

    @property
    def graph_is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.graph_base_url).hostname)

    @property
    def poison_queue(self) -> str:
        return f"{self.request_queue}-poison"

    def wanted(self) -> Wanted:
        """What these settings ask the planner for."""
        return Wanted(
            catalogue=self.catalogue,
            all_devices_group=self.all_devices_group,
            purchase_order_groups=self.purchase_order_groups,
            drift_policy=self.drift_policy,
            max_new_groups=self.max_new_groups_per_run,
            deleted_group_policy=self.deleted_group_policy,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        scenario_file = Path(reader.text("SCENARIO_FILE") or SHIPPED_CATALOGUE)
        try:
            catalogue = load_catalogue(scenario_file)
        except CatalogueError as error:
            raise SettingsError("SCENARIO_FILE", str(error)) from error
        request_queue = reader.queue_name("REQUEST_QUEUE")
        result_queue = reader.queue_name("RESULT_QUEUE")
        if request_queue == result_queue:
            raise SettingsError("RESULT_QUEUE", "must differ from REQUEST_QUEUE")
        graph_base_url = reader.graph_url("GRAPH_BASE_URL")
        if catalogue.names_profiles and not graph_base_url.endswith(f"/{GRAPH_VERSION}"):
            raise SettingsError(
                "GRAPH_BASE_URL",
                f"must end with /{GRAPH_VERSION} when a scenario names an autopilotProfile (the "
                f"profiles are read from Graph beta, at the same URL with /beta instead)",
            )
        return cls(
            run_mode=reader.choice("RUN_MODE", ("plan", "apply")),
            approve_plan=reader.digest("APPROVE_PLAN"),
            graph_base_url=graph_base_url,
            reconcile_schedule=reader.schedule("RECONCILE_SCHEDULE"),
            drift_policy=reader.choice("DRIFT_POLICY", ("report", "repair")),
            deleted_group_policy=reader.choice("DELETED_GROUP_POLICY", ("restore", "report")),
            max_new_groups_per_run=int(reader.number("MAX_NEW_GROUPS_PER_RUN", 0, 15000)),
            purchase_order_groups=reader.flag("PURCHASE_ORDER_GROUPS"),
            all_devices_group=reader.flag("ALL_DEVICES_GROUP"),
            scenario_file=scenario_file,
            catalogue=catalogue,
            request_queue=request_queue,
            result_queue=result_queue,
            graph_max_retries=int(reader.number("GRAPH_MAX_RETRIES", 0, 10)),
            graph_retry_delay_seconds=reader.number(
                "GRAPH_RETRY_DELAY_SECONDS", 0, 60, whole=False
            ),
            azure_client_id=reader.guid("AZURE_CLIENT_ID"),
            storage=_storage_connection(env),
        )


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str:
        return self.env.get(name, SETTINGS[name]).strip() or SETTINGS[name]

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name).lower()
        if value not in choices:
            raise SettingsError(name, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def flag(self, name: str) -> bool:
        value = self.text(name).lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise SettingsError(name, f"{value!r} is not true or false")

    def number(self, name: str, low: float, high: float, *, whole: bool = True) -> float:
        text = self.text(name)
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise SettingsError(name, f"{text!r} is not {kind}") from None
        if not low <= value <= high:
            raise SettingsError(name, f"{value} is outside {low:g} to {high:g}")
        return value

    def digest(self, name: str) -> str | None:
        """An optional plan digest, as a plan's report gives it: sha256: and 16 hex digits."""
        value = self.text(name).lower()
        if value and not _DIGEST.fullmatch(value):
            raise SettingsError(
                name,
                f"{value!r} is not a plan's digest (sha256: and 16 hex digits, from its report)",
            )
        return value or None

    def guid(self, name: str) -> str | None:
        """An optional client id: a GUID, as Entra issues them (else the identity is not found
        until the first token request, at run time)."""
        value = self.text(name)
        if value and not _GUID.match(value):
            raise SettingsError(name, f"{value!r} is not a client id (a GUID)")
        return value or None

    def schedule(self, name: str) -> str:
        value = self.text(name)
        try:
            ncrontab.parse(value)
        except ncrontab.ScheduleError as error:
            raise SettingsError(name, str(error)) from error
        return value

    def queue_name(self, name: str) -> str:
        value = self.text(name)
        if not _QUEUE_NAME.fullmatch(value):
            raise SettingsError(
                name,
                f"{value!r} is not a storage queue name (3-56 lowercase letters, digits and "
                "single hyphens, starting and ending with a letter or digit; 56 leaves room "
                "for the '-poison' queue)",
            )
        return value

    def graph_url(self, name: str) -> str:
        value = self.text(name).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise SettingsError(name, f"{value!r} is not an http(s) URL")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise SettingsError(name, "plain http is only allowed for a loopback emulator")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise SettingsError(name, "must not carry a query, fragment or credentials")
        return value


def _storage_connection(env: Mapping[str, str]) -> StorageConnection | None:
    """The host's ``AzureWebJobsStorage`` connection: a string, or identity-based settings."""
    prefix = STORAGE_CONNECTION
    connection_string = env.get(prefix, "").strip()
    if connection_string:
        if "=" not in connection_string:
            raise SettingsError(prefix, "is not a storage connection string")
        return StorageConnection(connection_string=connection_string)
    uri = (
        env.get(f"{prefix}__queueServiceUri", "").strip()
        or env.get(f"{prefix}__serviceUri", "").strip()
    )
    account = env.get(f"{prefix}__accountName", "").strip()
    blob_uri = env.get(f"{prefix}__blobServiceUri", "").strip()
    if account and not re.fullmatch(r"[a-z0-9]{3,24}", account):
        raise SettingsError(f"{prefix}__accountName", f"{account!r} is not an account name")
    if account:
        uri = uri or f"https://{account}.queue.core.windows.net"
        blob_uri = blob_uri or f"https://{account}.blob.core.windows.net"
    if not uri:
        return None
    for name, value in (("queueServiceUri", uri), ("blobServiceUri", blob_uri)):
        if (
            value
            and not value.startswith("https://")
            and not is_loopback_host(urlsplit(value).hostname)
        ):
            raise SettingsError(f"{prefix}__{name}", "must be an https URL")
    client_id = env.get(f"{prefix}__clientId", "").strip() or None
    return StorageConnection(
        queue_service_uri=uri.rstrip("/"),
        blob_service_uri=blob_uri.rstrip("/") or None,
        client_id=client_id,
    )
