"""The project's own small types: what was observed, what is wanted, and the plan between them.

No SDK types cross this line: the Graph boundary turns Graph's JSON into these, and everything
else (planner, reports, queue answers) speaks only in them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.core.rules import Kind

if TYPE_CHECKING:
    from shared.core.assignments import AssignmentEntry

DYNAMIC = "DynamicMembership"
MANAGED_MARK = "Managed by autopilot-groups"
_SCENARIO_MARK = re.compile(r"\(scenario: ([a-z0-9-]+)\)")


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

    @property
    def dynamic(self) -> bool:
        return DYNAMIC in self.group_types

    @property
    def scenario(self) -> str | None:
        """The scenario a managed group was made for, from the mark in its description."""
        match = _SCENARIO_MARK.search(self.description or "")
        return match.group(1) if match else None


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
class GroupSpec:
    """Everything needed to write one managed group."""

    kind: Kind
    value: str
    scenario: str | None
    display_name: str
    unique_name: str
    mail_nickname: str
    membership_rule: str
    description: str

    def create_body(self) -> dict[str, Any]:
        return {
            "displayName": self.display_name,
            "description": self.description,
            "mailEnabled": False,
            "mailNickname": self.mail_nickname,
            "securityEnabled": True,
            "groupTypes": [DYNAMIC],
            "membershipRule": self.membership_rule,
            "membershipRuleProcessingState": "On",
        }


def repair_body(spec: GroupSpec, current: GroupSnapshot) -> dict[str, Any]:
    """Put back the rule, the processing state and dynamic membership; nothing else."""
    group_types = list(current.group_types)
    if DYNAMIC not in group_types:
        group_types.append(DYNAMIC)
    return {
        "groupTypes": group_types,
        "membershipRule": spec.membership_rule,
        "membershipRuleProcessingState": "On",
    }


class Action(StrEnum):
    CREATE = "create"
    ADOPT = "adopt"
    REPAIR = "repair"
    DRIFT = "drift"  # drift found, reported only (DRIFT_POLICY=report)
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # asked for under one scenario, its group belongs to another
    SKIP = "skip"


class Refusal(StrEnum):
    """Why a skipped value cannot have a group: what a request is told it got wrong."""

    NO_SCENARIO = "no scenario"  # matches no scenario, and the catalogue has no default
    UNKNOWN_SCENARIO = "unknown scenario"  # names a scenario the catalogue does not have
    UNSAFE_VALUE = "unsafe value"  # cannot be written into a rule without doubt


WRITES = (Action.CREATE, Action.REPAIR)


@dataclass(frozen=True)
class PlanEntry:
    action: Action
    kind: Kind
    value: str
    scenario: str | None
    display_name: str
    unique_name: str | None
    membership_rule: str | None
    reason: str = ""
    group_id: str | None = None
    devices: int = 0
    spec: GroupSpec | None = None
    repair: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()  # DRIFT and REPAIR: what differs, one phrase each
    refusal: Refusal | None = None  # SKIP: why
    group: GroupSnapshot | None = None  # the group the entry is about, as observed


@dataclass(frozen=True)
class Plan:
    entries: tuple[PlanEntry, ...]
    max_new_groups: int
    assignments: tuple[AssignmentEntry, ...] = ()  # profiles and ESPs, after the groups

    @property
    def creates(self) -> int:
        return sum(1 for entry in self.entries if entry.action is Action.CREATE)

    @property
    def unsafe(self) -> bool:
        return self.creates > self.max_new_groups

    def count(self, action: Action) -> int:
        return sum(1 for entry in self.entries if entry.action is action)
