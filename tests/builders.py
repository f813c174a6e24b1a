"""Builders that test modules share: observed groups and inventories, plan entries, seeded
devices and tenants, and settings that point at the emulator.

Every test module imports its builders from here, never from another test file. At the top it
imports only ``shared.core`` and the standard library, so the core's tests (``tests/core``) run
in a virtual environment that has nothing but pytest and hypothesis; the few builders that need
the SDKs or the emulator import them when called.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from shared.core.catalogue import parse_catalogue
from shared.core.model import (
    DYNAMIC,
    MANAGED_MARK,
    Catalogue,
    GroupSnapshot,
    Inventory,
    Kind,
    Wanted,
    WantedGroup,
    fold,
)
from shared.core.naming import unique_name
from shared.core.plan import Done, Outcome, PlanEntry
from shared.core.planner import plan_values
from shared.core.rules import build_rule

if TYPE_CHECKING:
    from graph_emulator import Emulator
    from shared.config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CATALOGUE = ROOT / "shared" / "scenarios.json"


def shipped_catalogue() -> Catalogue:
    """The catalogue the app ships, read without the configuration package."""
    document = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    return parse_catalogue(document, str(SHIPPED_CATALOGUE))


CATALOGUE = shipped_catalogue()

# --- what Graph showed -----------------------------------------------------------------------


def inventory(*tags: str, purchase_orders: tuple[str, ...] = ()) -> Inventory:
    """What the device list would show: one device per value given, first spelling kept."""
    observed = Inventory()
    for tag in tags:
        observed.tags.setdefault(fold(tag), tag)
        observed.tag_devices[fold(tag)] = observed.tag_devices.get(fold(tag), 0) + 1
    for order in purchase_orders:
        observed.purchase_orders.setdefault(fold(order), order)
        key = fold(order)
        observed.purchase_order_devices[key] = observed.purchase_order_devices.get(key, 0) + 1
    observed.devices = len(tags) + len(purchase_orders)
    return observed


def handmade(
    group_id: str,
    rule: str | None,
    *,
    created: str | None = "2024-01-01T00:00:00Z",
    dynamic: bool = True,
    state: str = "On",
) -> GroupSnapshot:
    """A group an admin made, with the rule given."""
    return GroupSnapshot(
        id=group_id,
        display_name=f"Hand-made {group_id}",
        membership_rule=rule,
        processing_state=state,
        group_types=(DYNAMIC,) if dynamic else (),
        created=created,
    )


def managed(
    kind: Kind,
    value: str = "",
    *,
    rule: str | None = None,
    scenario: str | None = "user-driven",
    state: str | None = "On",
    group_types: tuple[str, ...] = (DYNAMIC,),
    group_id: str | None = None,
) -> GroupSnapshot:
    """A group this app made for (kind, value), as Graph would show it on a later run."""
    if kind is Kind.ALL_DEVICES:
        description = f"{MANAGED_MARK} for all Autopilot devices."
    else:
        description = f"{MANAGED_MARK} (scenario: {scenario})."
    return GroupSnapshot(
        id=group_id or f"managed-{kind}-{value}",
        display_name=f"Managed {kind} {value}",
        unique_name=unique_name(kind, value),
        membership_rule=rule if rule is not None else build_rule(kind, value),
        processing_state=state,
        group_types=group_types,
        description=description,
        created="2024-06-01T00:00:00Z",
    )


# --- managed groups changed by hand ------------------------------------------------------------

CANONICAL = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales-UD"))'

# (id, changes made to the managed group by hand, words of the reason, group types to write;
# the core's tests check the plan, tests/unit/test_group_bodies.py the repair's body)
DRIFTS = [
    ("another tag in its rule", {"rule": build_rule(Kind.TAG, "HR-UD")}, "rule is", [DYNAMIC]),
    (
        "a widened rule",
        {"rule": CANONICAL[:-1] + ' -or (device.deviceOSType -eq "Windows"))'},
        "rule is",
        [DYNAMIC],
    ),
    (
        "a prefix rule",
        {"rule": '(device.devicePhysicalIds -any (_ -startsWith "[OrderID]:Sales"))'},
        "rule is",
        [DYNAMIC],
    ),
    ("no rule", {"rule": ""}, "rule is", [DYNAMIC]),
    ("paused", {"state": "Paused"}, "rule processing is Paused", [DYNAMIC]),
    ("not dynamic", {"group_types": ()}, "membership is not dynamic", [DYNAMIC]),
    (
        "not dynamic, other types kept",
        {"group_types": ("Unified",)},
        "membership is not dynamic",
        ["Unified", DYNAMIC],
    ),
]


# --- a request's plan entry, and what its write did --------------------------------------------

REPORT, REPAIR = Wanted(CATALOGUE), Wanted(CATALOGUE, drift_policy="repair")
REPORT_DELETED = Wanted(CATALOGUE, deleted_group_policy="report")
TAG = "SALES-UD"
RULE = build_rule(Kind.TAG, TAG)
CREATED = GroupSnapshot("new-id", "Autopilot - User-driven - SALES-UD", unique_name(Kind.TAG, TAG))


def request_entry(
    groups: list[GroupSnapshot],
    *,
    tag: str = TAG,
    scenario: str = "user-driven",
    wanted: Wanted = REPORT,
    deleted: tuple[GroupSnapshot, ...] = (),
) -> PlanEntry:
    """The plan entry of a request for ``tag`` in ``scenario``, given the groups observed (and
    the app's groups in the recycle bin)."""
    target = WantedGroup(Kind.TAG, tag, scenario=scenario)
    [entry] = plan_values([target], groups, wanted, deleted=deleted).entries
    return entry


def in_the_bin(group: GroupSnapshot, when: str = "2026-12-01T09:00:00Z") -> GroupSnapshot:
    """A group as the directory's deleted items show it."""
    return replace(group, deleted=when)


def settle(entry: PlanEntry, done: Done | None) -> PlanEntry:
    """The entry as its write left it (``None``: it wrote nothing)."""
    if done is None:
        return entry
    group = CREATED if done is Done.CREATED else entry.group if done is Done.RESTORED else None
    return replace(entry, outcome=Outcome(done, group=group))


# Each planner outcome for a requested value, what the apply did with it, and the status.
REQUEST_TABLE = [
    ("unsafe value", lambda: request_entry([], tag="A`B"), None, "rejected"),
    ("unknown scenario", lambda: request_entry([], scenario="moon-landing"), None, "rejected"),
    (
        "conflict",
        lambda: request_entry([managed(Kind.TAG, TAG, scenario="self-deploying")]),
        None,
        "rejected",
    ),
    ("adopt", lambda: request_entry([handmade("h1", RULE)]), None, "exists"),
    ("unchanged", lambda: request_entry([managed(Kind.TAG, TAG)]), None, "exists"),
    ("drift", lambda: request_entry([managed(Kind.TAG, TAG, state="Paused")]), None, "exists"),
    (
        "repair",
        lambda: request_entry([managed(Kind.TAG, TAG, state="Paused")], wanted=REPAIR),
        Done.REPAIRED,
        "updated",
    ),
    (
        "restore",
        lambda: request_entry([], deleted=(in_the_bin(managed(Kind.TAG, TAG)),)),
        Done.RESTORED,
        "updated",
    ),
    (
        "deleted, reported",
        lambda: request_entry(
            [], deleted=(in_the_bin(managed(Kind.TAG, TAG)),), wanted=REPORT_DELETED
        ),
        None,
        "failed",
    ),
    ("create", lambda: request_entry([]), Done.CREATED, "created"),
    ("create, key already taken", lambda: request_entry([]), Done.EXISTS, "exists"),
]

# --- what the emulator is seeded with --------------------------------------------------------

BOTH_PERMISSIONS = ["DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All"]


def device(tag: str = "", order: str = "", serial: str | None = None) -> dict[str, Any]:
    """A minimal Autopilot device identity for seeding the emulator."""
    return {
        "id": str(uuid.uuid4()),
        "groupTag": tag,
        "purchaseOrderIdentifier": order,
        "serialNumber": serial or uuid.uuid4().hex[:12].upper(),
    }


def empty_tenant() -> dict[str, Any]:
    return {"tenantId": "test", "grantedPermissions": BOTH_PERMISSIONS, "devices": [], "groups": []}


def settings_for(emu: Emulator, **env: str) -> Settings:
    """Settings for a run against the emulator: fast retries, a generous safety valve."""
    from shared.config.settings import Settings

    base = {
        "GRAPH_BASE_URL": emu.base_url,
        "GRAPH_RETRY_DELAY_SECONDS": "0",
        "MAX_NEW_GROUPS_PER_RUN": "500",
    }
    return Settings.from_env({**base, **env})


def managed_groups(emu: Emulator) -> list[dict[str, Any]]:
    """The groups in the emulated tenant that this app made (their key starts with apg-)."""
    return [g for g in emu.groups() if (g.get("uniqueName") or "").startswith("apg-")]


def gateway_patch(emu: Emulator, group_id: str, change: dict[str, Any]) -> None:
    """An admin's edit in the portal: a PATCH through the SDK, as any client would make it."""
    from shared.graph.gateway import GraphGateway

    async def patch() -> None:
        async with GraphGateway.from_settings(settings_for(emu)) as gateway:
            await gateway.update_group(group_id, change)

    asyncio.run(patch())


# Microsoft's library worker (azure-functions-runtime) is published for Python 3.13+ only. Tests
# that drive it are skipped, saying so, on older interpreters; on 3.13 they run (and fail if the
# worker is not installed: requirements.txt installs it there).
needs_library_worker = pytest.mark.skipif(
    sys.version_info < (3, 13),
    reason="Microsoft's library worker (azure-functions-runtime) exists for Python 3.13+ only; "
    f"this is {sys.version_info.major}.{sys.version_info.minor}",
)
