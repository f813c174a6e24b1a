"""The pure core: from what was observed and what is wanted, decide what to do for each group.

No I/O, no clock, no SDK types: the plan is data, printed by the command line, serialised as JSON
and tested with tables. Both ways in use it: the timer plans every value its device inventory
shows (``plan``), and a queue request plans the one value it names (``plan_values`` with one
``WantedGroup`` whose scenario is given). The same code decides create, adopt, repair, drift and
conflict for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from shared.core.assignments import KIND_NAMES, plan_assignments
from shared.core.groups import KIND_WORDS, GroupIndex, drift_of, group_spec, repairable
from shared.core.model import (
    Catalogue,
    GroupSnapshot,
    IntuneView,
    Inventory,
    Kind,
    Scenario,
    Wanted,
    WantedGroup,
    fold,
)
from shared.core.naming import kind_of_key
from shared.core.plan import Action, Plan, PlanEntry, Refusal
from shared.core.rules import UnsafeValueError, parse_target


def plan(
    inventory: Inventory,
    groups: Iterable[GroupSnapshot],
    wanted: Wanted,
    intune: IntuneView | None = None,
    deleted: Iterable[GroupSnapshot] = (),
) -> Plan:
    """Decide, for every wanted group and every managed group, what to do."""
    targets = wanted_groups(inventory, wanted)
    return plan_values(targets, groups, wanted, inventory=inventory, intune=intune, deleted=deleted)


def plan_values(
    targets: Iterable[WantedGroup],
    groups: Iterable[GroupSnapshot],
    wanted: Wanted,
    *,
    inventory: Inventory | None = None,
    intune: IntuneView | None = None,
    deleted: Iterable[GroupSnapshot] = (),
) -> Plan:
    """Decide for each target; with the ``inventory`` of a whole tenant, also report the managed
    groups no target accounts for (kept, never deleted); with what ``intune`` showed, also the
    profile and ESP assignments of each group whose scenario names them. ``deleted``: the
    managed groups the directory's recycle bin holds (read when a group is to be created)."""
    index = GroupIndex(groups, deleted)
    entries = [_entry_for(target, index, wanted) for target in targets]
    if inventory is not None:
        wanted_keys = {entry.unique_name for entry in entries}
        entries.extend(_orphans(index, wanted_keys, inventory, wanted))
    assignments = (
        plan_assignments(entries, wanted.catalogue, intune, wanted.drift_policy)
        if intune is not None
        else ()
    )
    return Plan(tuple(entries), wanted.max_new_groups, assignments)


def wanted_groups(inventory: Inventory, wanted: Wanted) -> list[WantedGroup]:
    """The values a tenant's devices ask for, with what the settings turn on."""
    targets: list[WantedGroup] = []
    if wanted.all_devices_group:
        targets.append(WantedGroup(Kind.ALL_DEVICES, "", inventory.devices))
    targets += [
        WantedGroup(Kind.TAG, v, inventory.tag_devices.get(k, 0)) for k, v in inventory.tags.items()
    ]
    if wanted.purchase_order_groups:
        targets += [
            WantedGroup(Kind.PURCHASE_ORDER, v, inventory.purchase_order_devices.get(k, 0))
            for k, v in inventory.purchase_orders.items()
        ]
    # One assigned group per device preparation scenario: Intune adds devices at enrollment.
    targets += [
        WantedGroup(Kind.DEVICE_PREPARATION, s.key, scenario=s.key)
        for s in wanted.catalogue.scenarios
        if s.prepares
    ]
    return targets


def _scenario_of(target: WantedGroup, catalogue: Catalogue) -> Scenario | Refusal | None:
    if target.kind is Kind.ALL_DEVICES:
        return None
    if target.kind is Kind.DEVICE_PREPARATION:
        scenario = catalogue.get(target.value)
        return scenario if scenario is not None and scenario.prepares else Refusal.UNKNOWN_SCENARIO
    if target.scenario is not None:
        return catalogue.get(target.scenario) or Refusal.UNKNOWN_SCENARIO
    return catalogue.scenario_for(target.kind, target.value) or Refusal.NO_SCENARIO


def _by_default(target: WantedGroup, scenario: Scenario | None) -> str:
    """The default scenario's pitfall, said where it bites: a value no pattern matches gets the
    default scenario's profile and ESP (a kiosk tag, a user-driven profile)."""
    if scenario is None or target.scenario is not None or not scenario.targets(target.kind):
        return ""
    if scenario.matches(target.kind, target.value, fold(target.value)):
        return ""
    what = " and ".join(KIND_NAMES[kind] for kind, _ in scenario.targets(target.kind))
    return (
        f"; no pattern matches it, so it takes the default scenario {scenario.key!r} and its "
        f"{what}: add a pattern to the catalogue if it belongs to another scenario"
    )


def _entry_for(target: WantedGroup, index: GroupIndex, wanted: Wanted) -> PlanEntry:
    kind, value = target.kind, target.value
    scenario = _scenario_of(target, wanted.catalogue)
    if scenario is Refusal.NO_SCENARIO:
        reason = "matches no scenario, and the catalogue has no default"
        return _skip(target, reason, Refusal.NO_SCENARIO)
    if scenario is Refusal.UNKNOWN_SCENARIO:
        known = ", ".join(wanted.catalogue.keys())
        reason = f"unknown scenario {target.scenario!r}; known: {known}"
        if kind is Kind.DEVICE_PREPARATION and wanted.catalogue.get(value) is not None:
            reason = (
                f"scenario {value!r} names no devicePreparationPolicy: a request for it names a "
                "groupTag or a purchaseOrderId"
            )
        return _skip(target, reason, Refusal.UNKNOWN_SCENARIO)
    assert not isinstance(scenario, Refusal)
    try:
        spec = group_spec(kind, value, scenario, wanted.catalogue)
    except UnsafeValueError as error:
        return _skip(target, str(error), Refusal.UNSAFE_VALUE, scenario)
    create = PlanEntry(
        Action.CREATE,
        kind=kind,
        value=value,
        scenario=spec.scenario,
        display_name=spec.display_name,
        unique_name=spec.unique_name,
        membership_rule=spec.membership_rule,
        reason=f"no group targets this {KIND_WORDS[kind]} yet" + _by_default(target, scenario),
        devices=target.devices,
        spec=spec,
    )
    managed = index.managed.get(spec.unique_name)
    if managed is not None:
        return _managed_entry(managed, create, wanted, binding=target.scenario is not None)
    gone = index.deleted.get(spec.unique_name)
    if gone is not None:
        return _deleted_entry(gone, create, wanted)
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
        group=chosen,
    )


def _managed_entry(
    group: GroupSnapshot, create: PlanEntry, wanted: Wanted, *, binding: bool
) -> PlanEntry:
    spec = create.spec
    assert spec is not None
    found = replace(create, display_name=group.display_name, group_id=group.id, group=group)
    notes = []
    if spec.scenario and group.scenario and group.scenario != spec.scenario:
        if binding:
            reason = (
                f"{KIND_WORDS[spec.kind]} {spec.value!r} already has the group "
                f"{group.display_name!r} in scenario {group.scenario!r}; a value has one group"
            )
            return replace(found, action=Action.CONFLICT, reason=reason)
        notes.append(f"bound to scenario {group.scenario!r}, kept")
    drift = drift_of(group, spec)
    if not drift:
        return replace(found, action=Action.UNCHANGED, reason="; ".join(notes))
    reason = "; ".join(drift + notes)
    if wanted.drift_policy == "repair" and repairable(group):
        return replace(found, action=Action.REPAIR, reason=reason, problems=tuple(drift))
    return replace(
        found,
        action=Action.DRIFT,
        reason=f"{reason} (DRIFT_POLICY=report)",
        problems=tuple(drift),
    )


def _deleted_entry(gone: GroupSnapshot, create: PlanEntry, wanted: Wanted) -> PlanEntry:
    """The value's own group is in the recycle bin: restored, or reported; never a second one."""
    found = replace(create, display_name=gone.display_name, group_id=gone.id, group=gone)
    what = f"its group {gone.display_name!r} was deleted on {gone.deleted or 'an unknown date'}"
    if wanted.deleted_group_policy == "restore":
        reason = (
            f"{what} and is in the directory's recycle bin: restored with its id, rule and "
            "assignments (DELETED_GROUP_POLICY=restore)"
        )
        return replace(found, action=Action.RESTORE, reason=reason)
    reason = (
        f"{what} and is in the directory's recycle bin; no second group is made beside it. "
        "Restore it (Entra admin center: Groups, Deleted groups, or POST "
        f"/directory/deletedItems/{gone.id}/restore), or delete it permanently for the next run "
        "to make a new one (DELETED_GROUP_POLICY=report)"
    )
    return replace(found, action=Action.DELETED, reason=reason)


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
        if kind is Kind.DEVICE_PREPARATION:
            value = group.scenario or ""
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
                group=group,
                reason=f"{_why_unwanted(kind, value, inventory, wanted)}; the group is kept",
            )
        )
    return orphans


def _why_unwanted(kind: Kind, value: str, inventory: Inventory, wanted: Wanted) -> str:
    if kind is Kind.DEVICE_PREPARATION:
        return "its scenario names no devicePreparationPolicy now"
    if kind is Kind.ALL_DEVICES and not wanted.all_devices_group:
        return "the all-devices group is turned off (ALL_DEVICES_GROUP=false)"
    if kind is Kind.PURCHASE_ORDER and not wanted.purchase_order_groups:
        return "purchase order groups are turned off (PURCHASE_ORDER_GROUPS=false)"
    seen = inventory.tags if kind is Kind.TAG else inventory.purchase_orders
    if fold(value) in seen:
        return f"devices have this {KIND_WORDS[kind]}, but it is not planned (see its skip entry)"
    return f"no Autopilot device has this {KIND_WORDS[kind]} now"


def _skip(
    target: WantedGroup, reason: str, refusal: Refusal, scenario: Scenario | None = None
) -> PlanEntry:
    return PlanEntry(
        Action.SKIP,
        kind=target.kind,
        value=target.value,
        scenario=scenario.key if scenario else None,
        display_name="",
        unique_name=None,
        membership_rule=None,
        reason=reason,
        devices=target.devices,
        refusal=refusal,
    )
