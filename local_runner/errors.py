"""The runner's own errors, so callers can tell a bad app or setting from a stuck queue.

RunnerError
├── ConfigurationError   host.json, a setting or a connection is missing or invalid
├── UnsupportedBinding   the app uses a trigger or binding the runner does not emulate
└── DrainTimeout         drain() ran out of time with messages still queued or in flight
"""

from __future__ import annotations


class RunnerError(Exception):
    """Base of every error raised by the local runner."""


class ConfigurationError(RunnerError):
    """host.json, an app setting or a connection cannot be used as given."""


class UnsupportedBinding(RunnerError):
    """A function uses a trigger, binding or expression the runner does not emulate."""


class DrainTimeout(RunnerError):
    """drain() gave up: ``remaining`` maps each trigger queue to its approximate message count."""

    def __init__(self, message: str, remaining: dict[str, int]) -> None:
        super().__init__(message)
        self.remaining = remaining
