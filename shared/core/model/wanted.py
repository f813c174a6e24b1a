"""What is wanted: the scenario catalogue, the settings' choices, and each group to write.

Also the vocabulary every decision speaks: what a group targets (``Kind``), how two values
compare (``fold``), which Intune objects a scenario's groups go on (``AssignmentKind``), and the
mark in a managed group's description that names its scenario (written and read here only).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a managed group targets."""

    TAG = "tag"
    PURCHASE_ORDER = "purchaseOrder"
    ALL_DEVICES = "allDevices"
    DEVICE_PREPARATION = "devicePreparation"  # a scenario's one assigned group (its value: the key)


class AssignmentKind(StrEnum):
    """What a scenario's groups are assigned to."""

    PROFILE = "autopilotProfile"
    ESP = "enrollmentStatusPage"
    OWNER = "owner"  # the Intune Provisioning Client owning a device preparation group
    DEVICE_PREPARATION = "devicePreparationPolicy"  # the policy's enrollment-time target


# The first-party app that must own an Autopilot device preparation group (docs/graph-contract.md,
# row 43); some tenants show it as "Intune Autopilot ConfidentialClient".
PROVISIONING_CLIENT_APP_ID = "f1346770-5b25-470b-88bd-d5744ab7952c"


def fold(value: str) -> str:
    """The case-insensitive identity of a value, as Entra compares rule values.

    Simple per-character upper-casing, like .NET's ordinal ignore-case comparison: "Sales" and
    "SALES" fold alike, but "Straße" and "STRASSE" stay apart (a full Unicode case fold would merge
    them, and the merged group's rule would then miss one of the two tags).
    """
    if value.isascii():  # every ASCII letter upper-cases to one character
        return value.upper()
    return "".join(upper if len(upper := char.upper()) == 1 else char for char in value)


# --- the managed mark ------------------------------------------------------------------------

MANAGED_MARK = "Managed by autopilot-groups"
_SCENARIO_MARK = re.compile(r"\(scenario: ([a-z0-9-]+)\)")
_HANDS_OFF = " Do not edit by hand: rule changes are reported or reverted."


def managed_description(scenario: str | None) -> str:
    """The description of a managed group: the mark, and its scenario when it has one."""
    if scenario is None:
        return f"{MANAGED_MARK} for all Autopilot devices.{_HANDS_OFF}"
    return f"{MANAGED_MARK} (scenario: {scenario}).{_HANDS_OFF}"


def scenario_of_description(description: str | None) -> str | None:
    """The scenario a managed group was made for, read from the mark in its description."""
    match = _SCENARIO_MARK.search(description or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class GroupSpec:
    """Everything needed to write one managed group."""

    kind: Kind
    value: str
    scenario: str | None
    display_name: str
    unique_name: str
    mail_nickname: str
    membership_rule: str | None  # None: an assigned group (Autopilot device preparation)
    description: str


# --- the scenario catalogue ------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    tag_template: str
    purchase_order_template: str
    tag_patterns: tuple[str, ...]
    purchase_order_patterns: tuple[str, ...]
    _compiled: dict[Kind, re.Pattern[str] | None] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    # What the scenario's groups are assigned to: a display name or an id, resolved against the
    # tenant at run time (None: no assignment of that kind).
    autopilot_profile: str | None = None
    enrollment_status_page: str | None = None
    # Autopilot device preparation: the policy (a name or an id) whose enrollment-time device
    # group is this scenario's one assigned group, and that group's name.
    device_preparation_policy: str | None = None
    device_preparation_name: str = ""

    def __post_init__(self) -> None:
        # Glob patterns folded and compiled once: a run matches every tag against them.
        for kind, patterns in (
            (Kind.TAG, self.tag_patterns),
            (Kind.PURCHASE_ORDER, self.purchase_order_patterns),
        ):
            joined = "|".join(fnmatch.translate(fold(pattern)) for pattern in patterns)
            self._compiled[kind] = re.compile(joined) if joined else None

    def template(self, kind: Kind) -> str:
        return self.tag_template if kind is Kind.TAG else self.purchase_order_template

    def matches(self, kind: Kind, value: str, folded: str | None = None) -> bool:
        pattern = self._compiled[kind]
        return bool(pattern and pattern.match(fold(value) if folded is None else folded))

    def targets(self, kind: Kind = Kind.TAG) -> tuple[tuple[AssignmentKind, str], ...]:
        """What a group of this scenario goes on, by the names the scenario gives: a tag's (or a
        purchase order's) group on the profile and the ESP; the device preparation group gets
        its owner and becomes the policy's target."""
        if kind is Kind.DEVICE_PREPARATION:
            if not self.device_preparation_policy:
                return ()
            return (
                (AssignmentKind.OWNER, PROVISIONING_CLIENT_APP_ID),
                (AssignmentKind.DEVICE_PREPARATION, self.device_preparation_policy),
            )
        named = (
            (AssignmentKind.PROFILE, self.autopilot_profile),
            (AssignmentKind.ESP, self.enrollment_status_page),
        )
        return tuple((kind, name) for kind, name in named if name)

    @property
    def prepares(self) -> bool:
        """Whether the scenario names an Autopilot device preparation policy."""
        return bool(self.device_preparation_policy)


@dataclass(frozen=True)
class Catalogue:
    scenarios: tuple[Scenario, ...]
    default_scenario: str | None
    all_devices_name: str
    source: str

    def get(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.key == key), None)

    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.scenarios)

    @property
    def assigns(self) -> bool:
        """Whether any scenario names an Autopilot profile or an Enrollment Status Page."""
        return any(s.targets() for s in self.scenarios)

    @property
    def has_targets(self) -> bool:
        """Whether any group has a target (a profile, an ESP, a device preparation policy):
        then Intune is observed and the assignment ledger is used."""
        return self.assigns or self.prepares

    @property
    def prepares(self) -> bool:
        """Whether any scenario names an Autopilot device preparation policy."""
        return any(s.prepares for s in self.scenarios)

    @property
    def names_profiles(self) -> bool:
        return any(s.autopilot_profile for s in self.scenarios)

    def named_targets(
        self, scenarios: Collection[str] | None = None
    ) -> dict[AssignmentKind, set[str]]:
        """Every target the scenarios (all when None) name, by kind: profiles, ESPs, device
        preparation policies (and the owner their groups need); kinds none names are left out."""
        named: dict[AssignmentKind, set[str]] = {}
        for scenario in self.scenarios:
            if scenarios is None or scenario.key in scenarios:
                targets = (*scenario.targets(), *scenario.targets(Kind.DEVICE_PREPARATION))
                for kind, name in targets:
                    named.setdefault(kind, set()).add(name)
        return named

    def scenario_for(self, kind: Kind, value: str) -> Scenario | None:
        """The first scenario whose patterns match, else the default one, else None."""
        folded = fold(value)
        for scenario in self.scenarios:
            if scenario.matches(kind, value, folded):
                return scenario
        return self.get(self.default_scenario) if self.default_scenario else None


# --- what the settings and a request ask for -------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """What the settings ask for."""

    catalogue: Catalogue
    all_devices_group: bool = True
    purchase_order_groups: bool = False
    drift_policy: str = "report"
    max_new_groups: int = 25
    deleted_group_policy: str = "restore"  # a managed group in the recycle bin: restore, report


@dataclass(frozen=True)
class WantedGroup:
    """One value that should have a group.

    ``scenario`` is given when the value's scenario is asked for (a queue request names one);
    otherwise the catalogue's patterns choose it. An asked-for scenario is binding: a value whose
    group belongs to another scenario is a conflict, not a group to change.
    """

    kind: Kind
    value: str
    devices: int = 0
    scenario: str | None = None
