"""The pure core: from what was observed and what is wanted, decide what to do for each group.

No I/O, no clock, no SDK types: the plan is data, printed by the command line, serialised as JSON
and tested with tables. The queue function uses the same pieces (``group_spec`` and
``GroupIndex``) for a single request, so both halves of the app name, key and write a group alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from shared.catalogue import Catalogue, Scenario
from shared.model import (
    MANAGED_MARK,
    Action,
    GroupSnapshot,
    GroupSpec,
    Inventory,
    Plan,
    PlanEntry,
    repair_body,
)
from shared.naming import (
    display_name,
    fold,
    is_managed_key,
    kind_of_key,
    mail_nickname,
    unique_name,
)
from shared.rules import Kind, UnsafeValueError, build_rule, parse_target

KIND_WORDS = {
    Kind.TAG: "group tag",
    Kind.PURCHASE_ORDER: "purchase order id",
    Kind.ALL_DEVICES: "all Autopilot devices",
}


@dataclass(frozen=True)
class Wanted:
    """What the settings ask for."""

    catalogue: Catalogue
    all_devices_group: bool = True
    purchase_order_groups: bool = False
    drift_policy: str = "report"
    max_new_groups: int = 25


def group_spec(
    kind: Kind, value: str, scenario: Scenario | None, catalogue: Catalogue
) -> GroupSpec:
    """The group to write for a target; ``UnsafeValueError`` if its rule cannot be written."""
    rule = build_rule(kind, value)
    if kind is Kind.ALL_DEVICES:
        name = catalogue.all_devices_name
        description = f"{MANAGED_MARK} for all Autopilot devices."
    else:
        if scenario is None:
            raise ValueError("a tag or purchase order group needs a scenario")
        name = display_name(scenario.template(kind), value, scenario.label)
        description = f"{MANAGED_MARK} (scenario: {scenario.key})."
    description += " Do not edit by hand: rule changes are reported or reverted."
    return GroupSpec(
        kind=kind,
        value=value,
        scenario=scenario.key if scenario else None,
        display_name=name,
        unique_name=unique_name(kind, value),
        mail_nickname=mail_nickname(kind, value),
        membership_rule=rule,
        description=description,
    )


def drift_of(group: GroupSnapshot, spec: GroupSpec) -> list[str]:
    """How a managed group differs from its spec, in words; empty if it does not."""
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


class GroupIndex:
    """The tenant's groups indexed by what they are to this app.

    Managed groups are found by their uniqueName. Hand-made groups are found by what their rule
    targets, read by the tolerant parser, so that a group an admin made for a tag in any spelling
    is that tag's group.
    """

    def __init__(self, groups: Iterable[GroupSnapshot]) -> None:
        self.managed: dict[str, GroupSnapshot] = {}
        self.handmade: dict[tuple[Kind, str], list[GroupSnapshot]] = {}
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


def plan(inventory: Inventory, groups: Iterable[GroupSnapshot], wanted: Wanted) -> Plan:
    """Decide, for every wanted group and every managed group, what to do."""
    index = GroupIndex(groups)
    entries = [
        _entry_for(kind, value, devices, index, wanted)
        for kind, value, devices in _targets(inventory, wanted)
    ]
    wanted_keys = {entry.unique_name for entry in entries}
    entries.extend(_orphans(index, wanted_keys, inventory, wanted))
    return Plan(tuple(entries), wanted.max_new_groups)


def _targets(inventory: Inventory, wanted: Wanted) -> list[tuple[Kind, str, int]]:
    targets: list[tuple[Kind, str, int]] = []
    if wanted.all_devices_group:
        targets.append((Kind.ALL_DEVICES, "", inventory.devices))
    targets += [(Kind.TAG, v, inventory.tag_devices.get(k, 0)) for k, v in inventory.tags.items()]
    if wanted.purchase_order_groups:
        targets += [
            (Kind.PURCHASE_ORDER, v, inventory.purchase_order_devices.get(k, 0))
            for k, v in inventory.purchase_orders.items()
        ]
    return targets


def _entry_for(
    kind: Kind, value: str, devices: int, index: GroupIndex, wanted: Wanted
) -> PlanEntry:
    scenario = None if kind is Kind.ALL_DEVICES else wanted.catalogue.scenario_for(kind, value)
    if kind is not Kind.ALL_DEVICES and scenario is None:
        return _skip(kind, value, devices, "matches no scenario, and the catalogue has no default")
    try:
        spec = group_spec(kind, value, scenario, wanted.catalogue)
    except UnsafeValueError as error:
        return _skip(kind, value, devices, f"not written: {error}", scenario)
    create = PlanEntry(
        Action.CREATE,
        kind=kind,
        value=value,
        scenario=spec.scenario,
        display_name=spec.display_name,
        unique_name=spec.unique_name,
        membership_rule=spec.membership_rule,
        reason=f"no group targets this {KIND_WORDS[kind]} yet",
        devices=devices,
        spec=spec,
    )
    managed = index.managed.get(spec.unique_name)
    if managed is not None:
        return _managed_entry(managed, create, wanted)
    adoptable = index.adoptable(kind, value)
    if not adoptable:
        return create
    chosen = adoptable[0]
    reason = f"hand-made group {chosen.display_name!r} already targets this {KIND_WORDS[kind]}"
    if len(adoptable) > 1:
        reason += f" ({len(adoptable)} hand-made groups do; the oldest is used)"
    return replace(
        create,
        action=Action.ADOPT,
        display_name=chosen.display_name,
        group_id=chosen.id,
        reason=reason,
    )


def _managed_entry(group: GroupSnapshot, create: PlanEntry, wanted: Wanted) -> PlanEntry:
    spec = create.spec
    assert spec is not None
    notes = []
    if spec.scenario and group.scenario and group.scenario != spec.scenario:
        notes.append(f"bound to scenario {group.scenario!r}, kept")
    drift = drift_of(group, spec)
    name, group_id = group.display_name, group.id
    if not drift:
        return replace(
            create,
            action=Action.UNCHANGED,
            reason="; ".join(notes),
            display_name=name,
            group_id=group_id,
        )
    reason = "; ".join(drift + notes)
    if wanted.drift_policy == "repair":
        return replace(
            create,
            action=Action.REPAIR,
            reason=reason,
            display_name=name,
            group_id=group_id,
            repair=repair_body(spec, group),
        )
    return replace(
        create,
        action=Action.DRIFT,
        reason=f"{reason} (DRIFT_POLICY=report)",
        display_name=name,
        group_id=group_id,
    )


def _orphans(
    index: GroupIndex, wanted_keys: set[str | None], inventory: Inventory, wanted: Wanted
) -> list[PlanEntry]:
    """Managed groups no wanted entry accounts for: kept (never deleted), with the reason."""
    orphans = []
    for key, group in index.managed.items():
        if key in wanted_keys:
            continue
        target = parse_target(group.membership_rule)
        kind = kind_of_key(key) or (target.kind if target else Kind.TAG)
        value = target.value if target else ""
        orphans.append(
            PlanEntry(
                Action.UNCHANGED,
                kind=kind,
                value=value,
                scenario=group.scenario,
                display_name=group.display_name,
                unique_name=key,
                membership_rule=group.membership_rule,
                group_id=group.id,
                reason=f"{_why_unwanted(kind, value, inventory, wanted)}; the group is kept",
            )
        )
    return orphans


def _why_unwanted(kind: Kind, value: str, inventory: Inventory, wanted: Wanted) -> str:
    if kind is Kind.ALL_DEVICES and not wanted.all_devices_group:
        return "the all-devices group is turned off (ALL_DEVICES_GROUP=false)"
    if kind is Kind.PURCHASE_ORDER and not wanted.purchase_order_groups:
        return "purchase order groups are turned off (PURCHASE_ORDER_GROUPS=false)"
    seen = inventory.tags if kind is Kind.TAG else inventory.purchase_orders
    if fold(value) in seen:
        return f"devices have this {KIND_WORDS[kind]}, but it is not planned (see its skip entry)"
    return f"no Autopilot device has this {KIND_WORDS[kind]} now"


def _skip(
    kind: Kind, value: str, devices: int, reason: str, scenario: Scenario | None = None
) -> PlanEntry:
    return PlanEntry(
        Action.SKIP,
        kind=kind,
        value=value,
        scenario=scenario.key if scenario else None,
        display_name="",
        unique_name=None,
        membership_rule=None,
        reason=reason,
        devices=devices,
    )
