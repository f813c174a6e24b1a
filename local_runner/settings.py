"""Host settings the runner needs: host.json queue options, app settings, connections.

The Functions host reads ``extensions.queues`` from host.json and app settings
from the environment (Core Tools adds ``local.settings.json`` ``Values``). The
runner does the same, with the host's defaults, so a test sees the retry and
poison behaviour the deployed app will have. Everything is read once into frozen
objects; a bad value fails at start with its name in the message.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from local_runner.errors import ConfigurationError

# QueuesOptions defaults of the storage queues extension (5.x): batch of 16,
# 5 attempts, failed messages visible again at once, 1 minute max polling.
DEFAULT_BATCH_SIZE = 16
MAX_BATCH_SIZE = 32
DEFAULT_MAX_DEQUEUE_COUNT = 5
DEFAULT_MAX_POLLING_INTERVAL = 60.0
MIN_POLLING_INTERVAL = 0.1
# How long a received message stays invisible while its function runs. The host
# uses 10 minutes and renews it at half-time for longer invocations; so does the runner.
PROCESSING_LEASE_SECONDS = 600.0

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$")
_SETTING_EXPRESSION = re.compile(r"%([^%]+)%")

_OPTION_KEYS = {
    "batchSize": "batch_size",
    "newBatchThreshold": "new_batch_threshold",
    "maxPollingInterval": "max_polling_interval",
    "visibilityTimeout": "visibility_timeout",
    "maxDequeueCount": "max_dequeue_count",
    "messageEncoding": "message_encoding",
}


@dataclass(frozen=True)
class QueueOptions:
    """``extensions.queues`` of host.json, durations in seconds."""

    batch_size: int = DEFAULT_BATCH_SIZE
    new_batch_threshold: int = DEFAULT_BATCH_SIZE // 2
    max_polling_interval: float = DEFAULT_MAX_POLLING_INTERVAL
    visibility_timeout: float = 0.0
    max_dequeue_count: int = DEFAULT_MAX_DEQUEUE_COUNT
    message_encoding: str = "base64"

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ConfigurationError(f"batchSize must be 1..{MAX_BATCH_SIZE}: {self.batch_size}")
        if self.new_batch_threshold < 0:
            raise ConfigurationError(f"newBatchThreshold must be >= 0: {self.new_batch_threshold}")
        if self.max_dequeue_count < 1:
            raise ConfigurationError(f"maxDequeueCount must be >= 1: {self.max_dequeue_count}")
        if self.visibility_timeout < 0:
            raise ConfigurationError(f"visibilityTimeout must be >= 0: {self.visibility_timeout}")
        if self.max_polling_interval <= 0:
            raise ConfigurationError(f"maxPollingInterval must be > 0: {self.max_polling_interval}")
        if self.message_encoding not in ("base64", "none"):
            raise ConfigurationError(
                f"messageEncoding must be base64 or none: {self.message_encoding!r}"
            )


def parse_timespan(value: Any, name: str) -> float:
    """Seconds from a .NET TimeSpan string (``[d.]hh:mm:ss[.fff]``) or a number of seconds."""
    if isinstance(value, bool):
        raise ConfigurationError(f"{name}: expected a TimeSpan, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _TIMESPAN.match(value.strip())
        if match:
            days, hours, minutes, seconds, fraction = match.groups()
            total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
            return total + (float(f"0.{fraction}") if fraction else 0.0)
    raise ConfigurationError(f"{name}: expected a TimeSpan like 00:00:30, got {value!r}")


def _option_value(key: str, value: Any) -> Any:
    if key in ("maxPollingInterval", "visibilityTimeout"):
        return parse_timespan(value, key)
    if key == "messageEncoding":
        if not isinstance(value, str):
            raise ConfigurationError(f"{key}: expected base64 or none, got {value!r}")
        return value.lower()
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{key}: expected an integer, got {value!r}")
    return value


def queue_options(
    host_json: Mapping[str, Any] | None, overrides: Mapping[str, Any] | None = None
) -> QueueOptions:
    """The queue options of a parsed host.json, then ``overrides`` (host.json key names)."""
    section: Mapping[str, Any] = {}
    if host_json is not None:
        section = host_json.get("extensions", {}).get("queues", {}) or {}
    merged = {**section, **(overrides or {})}
    values: dict[str, Any] = {}
    for key, value in merged.items():
        if key not in _OPTION_KEYS:
            raise ConfigurationError(f"extensions.queues.{key} is not a known queue option")
        values[_OPTION_KEYS[key]] = _option_value(key, value)
    if "new_batch_threshold" not in values:
        # The host defaults it to batchSize/2 per processor; one processor here.
        values["new_batch_threshold"] = values.get("batch_size", DEFAULT_BATCH_SIZE) // 2
    return replace(QueueOptions(), **values)


def _read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a file; a missing file is an empty object."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ConfigurationError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected a JSON object")
    return data


def read_host_json(path: Path) -> dict[str, Any]:
    """Parse host.json; a missing file means the host's defaults."""
    return _read_json_object(path)


def read_local_settings(path: Path) -> dict[str, str]:
    """``Values`` of a local.settings.json (Core Tools' app settings file), or nothing."""
    values = _read_json_object(path).get("Values", {})
    if not isinstance(values, dict):
        raise ConfigurationError(f"{path}: Values must be an object")
    for key, value in values.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"{path}: Values.{key} must be a string, got {value!r}")
    return dict(values)


def apply_local_settings(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Copy local.settings.json ``Values`` into the environment without overriding set names.

    Core Tools does the same: a variable already set in the shell wins. Returns
    the names that were added.
    """
    target = os.environ if environ is None else environ
    added = []
    for key, value in read_local_settings(path).items():
        if key not in target:
            target[key] = value
            added.append(key)
    return added


def resolve_setting_expressions(value: str, settings: Mapping[str, str], where: str) -> str:
    """Replace each ``%NAME%`` with the app setting ``NAME``, as the host does for bindings."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise ConfigurationError(f"{where}: '%{name}%' does not resolve to an app setting")
        return settings[name]

    return _SETTING_EXPRESSION.sub(lookup, value)


def connection_setting_value(connection: str | None, settings: Mapping[str, str]) -> str:
    """The connection string a binding's ``connection`` names.

    As the host: empty means ``AzureWebJobsStorage``; the name is looked up as
    given, then with the ``AzureWebJobs`` prefix, then under ``ConnectionStrings:``.
    Identity-based connections (``NAME__queueServiceUri``) are not emulated.
    """
    name = connection or "AzureWebJobsStorage"
    for candidate in (name, f"AzureWebJobs{name}", f"ConnectionStrings:{name}"):
        value = settings.get(candidate)
        if value:
            return value
    if any(key.startswith(f"{name}__") for key in settings):
        raise ConfigurationError(
            f"connection {name!r} is identity-based ({name}__...); the local runner only "
            "supports connection strings"
        )
    raise ConfigurationError(f"connection {name!r}: app setting {name} is not set")
