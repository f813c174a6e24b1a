"""What was observed: groups, the device inventory, Intune's profiles and ESPs, and the ledger.

The Graph and storage boundaries turn what they read into these; nothing here knows an SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shared.core.errors import AppError
from shared.core.model.wanted import AssignmentKind, scenario_of_description

DYNAMIC = "DynamicMembership"


@dataclass(frozen=True)
class GroupSnapshot:
    """A group as Graph showed it, reduced to what the planner reads."""

    id: str
    display_name: str
    unique_name: str | None = None
    membership_rule: str | None = None
    processing_state: str | None = None
    group_types: tuple[str, ...] = ()
    description: str | None = None
    created: str | None = None
    deleted: str | None = None  # when it went to the directory's recycle bin (deleted items)
    mail_enabled: bool | None = None
    security_enabled: bool | None = None

    @property
    def dynamic(self) -> bool:
        return DYNAMIC in self.group_types

    @property
    def scenario(self) -> str | None:
        """The scenario a managed group was made for, from the mark in its description."""
        return scenario_of_description(self.description)


@dataclass
class Inventory:
    """What the Autopilot device list showed: distinct values, first spelling kept."""

    tags: dict[str, str] = field(default_factory=dict)  # folded -> first spelling seen
    tag_devices: dict[str, int] = field(default_factory=dict)  # folded -> device count
    purchase_orders: dict[str, str] = field(default_factory=dict)
    purchase_order_devices: dict[str, int] = field(default_factory=dict)
    devices: int = 0
    untagged: int = 0
    pages: int = 0


@dataclass(frozen=True)
class IntuneObject:
    """A deployment profile or an Enrollment Status Page, as Graph listed it."""

    id: str
    display_name: str
    default: bool = False  # the default ESP ("All users and all devices", priority 0)


@dataclass(frozen=True)
class LedgerEntry:
    """One group on one target, as the app's assignment ledger holds it (ISO 8601 times, UTC)."""

    seen: str | None = None  # when a read last showed it there (recorded once after each write)
    written: str | None = None  # when the app last wrote it (the write succeeded)
    intended: str | None = None  # when a writer of the app was last about to write it


@dataclass(frozen=True)
class TargetHistory:
    """What the app knows of one target from before (``core.history`` reads it off the ledger).

    ``known``: the app's groups that were on the target (seen by a read, or written by the app);
    their absence now is drift. ``pending``: groups the app wrote moments ago (a confirmed write)
    that no read has shown since; their absence is Graph's read lag, not drift. ``confirmed``:
    groups a read has shown since the app last wrote them. ``intended``: groups a writer of the
    app was about to write moments ago with no confirmed write since; they are written again,
    and kept by the next replace of an ESP's list in case that write did commit.
    """

    known: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()
    confirmed: frozenset[str] = frozenset()
    intended: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IntuneView:
    """What was observed for the assignments of one plan."""

    objects: Mapping[AssignmentKind, Sequence[IntuneObject]] = field(default_factory=dict)
    assigned: Mapping[str, frozenset[str]] = field(default_factory=dict)  # target id -> groups
    history: Mapping[str, TargetHistory] = field(default_factory=dict)  # target id -> ledger
    # A device preparation policy's current target groups that the app does not manage.
    foreign: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ledger_error: AppError | None = None  # the ledger could not be read: no assignment is written
