"""What one invocation came to, in plain data a test can assert on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["succeeded", "failed", "poisoned"]


@dataclass(frozen=True)
class InvocationOutcome:
    """One trigger event handled by the runner.

    ``status`` is ``succeeded`` (message deleted, outputs written), ``failed``
    (outputs discarded, message released for another try) or ``poisoned``
    (message moved to ``<queue>-poison``: after its last failed try, or without
    an invocation because its dequeue count was already past the limit or its
    text could not be decoded). ``outputs`` maps each output binding to the
    message bodies written, as text; it is empty unless the invocation succeeded.
    Timer invocations have no ``message_id`` or ``dequeue_count``.
    """

    function: str
    message_id: str | None
    dequeue_count: int | None
    status: Status
    error: str | None = None
    outputs: dict[str, list[str]] = field(default_factory=dict)
    invoked: bool = True
