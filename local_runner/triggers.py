"""What the host hands a worker when a trigger fires, before any worker has converted it.

The host owns the trigger (it received the queue message, it knows the timer's schedule); the
worker turns that into the function's argument. The runner keeps the host's side here, and each
way of invoking a function converts it as its worker does: in-process into ``azure.functions``
objects (``invoke.py``), or into the protocol's ``TypedData`` for Microsoft's library worker
(``typed_data.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from local_runner.queues import ReceivedMessage

# The schedule part of the host's timer info. The timer extension sends it for every function;
# its content is not documented beyond AdjustForDST, which is what the runner sends.
SCHEDULE: dict[str, Any] = {"AdjustForDST": True}


@dataclass(frozen=True)
class QueueDelivery:
    """A received queue message and its body, decoded per host.json ``messageEncoding``."""

    message: ReceivedMessage
    body: bytes


@dataclass(frozen=True)
class TimerFiring:
    """One firing of a timer: past due or not, and (on a schedule) its last and next occurrence."""

    past_due: bool = False
    last: dt.datetime | None = None
    next_due: dt.datetime | None = None

    @property
    def schedule_status(self) -> dict[str, str] | None:
        """The host's ``ScheduleStatus`` (``Last``, ``Next``, ``LastUpdated``), or None when the
        firing is not from a schedule (``fire_timer``)."""
        if self.next_due is None:
            return None
        last = self.last or dt.datetime.min.replace(tzinfo=dt.UTC)
        return {
            "Last": last.isoformat(),
            "Next": self.next_due.isoformat(),
            "LastUpdated": (self.last or self.next_due).isoformat(),
        }


Trigger = QueueDelivery | TimerFiring
