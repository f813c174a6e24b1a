"""What a managed group is (its spec), how it can differ from one (drift), and how the tenant's
groups are found for a value (by key, or by what a hand-made group's rule targets).

Pure, like the planner that uses it.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.core.model import (
    Catalogue,
    GroupSnapshot,
    GroupSpec,
    Kind,
    Scenario,
    fold,
    managed_description,
)
from shared.core.naming import display_name, is_managed_key, mail_nickname, unique_name
from shared.core.rules import build_rule, parse_target

KIND_WORDS = {
    Kind.TAG: "group tag",
    Kind.PURCHASE_ORDER: "purchase order id",
    Kind.ALL_DEVICES: "all Autopilot devices",
    Kind.DEVICE_PREPARATION: "device preparation scenario",
}


def group_spec(
    kind: Kind, value: str, scenario: Scenario | None, catalogue: Catalogue
) -> GroupSpec:
    """The group to write for a target; ``UnsafeValueError`` if its rule cannot be written."""
    if kind is Kind.DEVICE_PREPARATION:
        assert scenario is not None
        return GroupSpec(
            kind=kind,
            value=value,
            scenario=scenario.key,
            display_name=scenario.device_preparation_name,
            unique_name=unique_name(kind, value),
            mail_nickname=mail_nickname(kind, value),
            membership_rule=None,
            description=managed_description(scenario.key),
        )
    rule = build_rule(kind, value)
    if kind is Kind.ALL_DEVICES:
        name, marked = catalogue.all_devices_name, None
    elif scenario is None:
        raise ValueError("a tag or purchase order group needs a scenario")
    else:
        name, marked = display_name(scenario.template(kind), value, scenario.label), scenario.key
    return GroupSpec(
        kind=kind,
        value=value,
        scenario=scenario.key if scenario else None,
        display_name=name,
        unique_name=unique_name(kind, value),
        mail_nickname=mail_nickname(kind, value),
        membership_rule=rule,
        description=managed_description(marked),
    )


def drift_of(group: GroupSnapshot, spec: GroupSpec) -> list[str]:
    """How a managed group differs from its spec, in words; empty if it does not."""
    if spec.membership_rule is None:
        return assigned_drift(group)
    canonical = group.membership_rule == spec.membership_rule
    if canonical and group.dynamic and (group.processing_state or "On") == "On":
        return []  # the common case, decided without parsing the rule
    problems = []
    if not group.dynamic:
        problems.append("membership is not dynamic")
    target = None if canonical else parse_target(group.membership_rule)
    if not canonical and (
        target is None or target.kind is not spec.kind or fold(target.value) != fold(spec.value)
    ):
        problems.append(f"rule is {group.membership_rule!r}, not {spec.membership_rule!r}")
    if (group.processing_state or "On") != "On":
        problems.append(f"rule processing is {group.processing_state}")
    return problems


def repairable(group: GroupSnapshot) -> bool:
    """Whether a PATCH can undo the group's drift: not for a mail-enabled or non-security group
    (Graph does not change those), which is reported even under DRIFT_POLICY=repair."""
    return not group.mail_enabled and group.security_enabled is not False


def assigned_drift(group: GroupSnapshot) -> list[str]:
    """How a device preparation group differs from an assigned, non-mail security group (its
    known failures: made dynamic, mail-enabled)."""
    problems = []
    if group.dynamic:
        problems.append("membership is dynamic: device preparation uses an assigned group")
    if group.mail_enabled:
        problems.append(
            "mail-enabled: Graph cannot make a group mail-disabled; delete it for the app to "
            "make a new one, or repair it in Exchange"
        )
    if group.security_enabled is False:
        problems.append("not a security group")
    return problems


class GroupIndex:
    """The tenant's groups indexed by what they are to this app.

    Managed groups are found by their uniqueName, and so are the managed groups someone deleted
    that still sit in the recycle bin. Hand-made groups are found by what their rule targets, read
    by the tolerant parser, so that a group an admin made for a tag in any spelling is that tag's
    group.
    """

    def __init__(
        self, groups: Iterable[GroupSnapshot], deleted: Iterable[GroupSnapshot] = ()
    ) -> None:
        self.managed: dict[str, GroupSnapshot] = {}
        self.handmade: dict[tuple[Kind, str], list[GroupSnapshot]] = {}
        # Managed groups in the directory's recycle bin, by key: the latest deletion of each.
        self.deleted: dict[str, GroupSnapshot] = {}
        for gone in sorted(deleted, key=lambda g: g.deleted or ""):
            if is_managed_key(gone.unique_name):
                self.deleted[str(gone.unique_name)] = gone
        for group in groups:
            if is_managed_key(group.unique_name):
                self.managed[str(group.unique_name)] = group
                continue
            target = parse_target(group.membership_rule) if group.dynamic else None
            if target is not None:
                key = (target.kind, fold(target.value))
                self.handmade.setdefault(key, []).append(group)
        for candidates in self.handmade.values():
            candidates.sort(key=lambda g: (g.created or "", g.id))

    def adoptable(self, kind: Kind, value: str) -> list[GroupSnapshot]:
        return self.handmade.get((kind, fold(value)), [])
