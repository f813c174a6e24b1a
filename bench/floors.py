"""The lower bound on Graph requests for one reconcile, computed from the tenant, not the app.

A reconcile must read every page of devices and every page of the groups it may adopt or manage,
and must write each group that ends up created or changed at least once. Nothing else is needed:
    pages of devices + pages of matching groups + groups written.
Against a Graph that refuses the combined group query (400), the groups are read with two basic
queries instead, each paged on its own, and the process's first run also sends the refused one:
    pages of devices + 1 refused + pages of dynamic groups + pages of nickname groups + writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from shared.core.naming import NICKNAME_PREFIX

GROUP_MAX_TOP = 999  # Graph's largest page of groups ($top)
# How a run reads the groups: one combined query; the combined query refused, then the two basic
# ones (a process's first run against a stricter Graph); the two basic ones (its later runs).
COMBINED, REFUSED, SPLIT = "combined", "refused", "split"
# The properties a write can change; anything else (timestamps the service keeps) is not a write.
WRITABLE = (
    "displayName",
    "description",
    "uniqueName",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
)


@dataclass(frozen=True)
class LowerBound:
    device_pages: int
    group_pages: int  # the pages of the one query, or of the two basic ones together
    writes: int
    refused: int = 0  # the combined query a stricter Graph answered 400, once per process
    recycle_bin: int = 0  # a run that creates groups first reads the app's deleted ones

    @property
    def total(self) -> int:
        return self.device_pages + self.refused + self.group_pages + self.recycle_bin + self.writes

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


def pages(items: int, page_size: int) -> int:
    """A list always takes one request, even when it is empty."""
    return max(1, math.ceil(items / page_size))


def is_dynamic(group: dict[str, Any]) -> bool:
    return "DynamicMembership" in (group.get("groupTypes") or [])


def has_the_apps_nickname(group: dict[str, Any]) -> bool:
    return (group.get("mailNickname") or "").casefold().startswith(NICKNAME_PREFIX.casefold())


def may_concern_the_app(group: dict[str, Any]) -> bool:
    """Dynamic groups (to adopt or keep) and groups carrying the app's nickname (drift)."""
    return is_dynamic(group) or has_the_apps_nickname(group)


def group_pages(groups: list[dict[str, Any]], query: str = COMBINED) -> int:
    """Pages of the groups query (or queries) before any write: ``COMBINED``, ``REFUSED`` or
    ``SPLIT``; the refused request itself is counted apart (``LowerBound.refused``)."""
    if query == COMBINED:
        return pages(sum(1 for g in groups if may_concern_the_app(g)), GROUP_MAX_TOP)
    dynamic = sum(1 for g in groups if is_dynamic(g))
    nicknamed = sum(1 for g in groups if has_the_apps_nickname(g))
    return pages(dynamic, GROUP_MAX_TOP) + pages(nicknamed, GROUP_MAX_TOP)


def groups_created(before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]]) -> int:
    """Groups that exist after and did not before."""
    old = {g["id"] for g in before}
    return sum(1 for g in after if g["id"] not in old)


def groups_written(before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]]) -> int:
    """Groups created, changed or deleted between two snapshots of a tenant."""
    old = {g["id"]: tuple(repr(g.get(k)) for k in WRITABLE) for g in before}
    new = {g["id"]: tuple(repr(g.get(k)) for k in WRITABLE) for g in after}
    changed = sum(1 for gid, values in new.items() if old.get(gid) != values)
    deleted = sum(1 for gid in old if gid not in new)
    return changed + deleted


def lower_bound(
    devices: int,
    device_page_size: int,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    query: str = COMBINED,
) -> LowerBound:
    """The fewest requests that take the tenant from ``before`` to ``after``."""
    return LowerBound(
        device_pages=pages(devices, device_page_size),
        group_pages=group_pages(before, query),
        writes=groups_written(before, after),
        refused=1 if query == REFUSED else 0,
        recycle_bin=1 if groups_created(before, after) else 0,
    )


# --- assignments (a scenario naming an Autopilot profile and an ESP) ---------------------------

INTUNE_PAGE = 100  # the emulator's page of profiles, configurations and assignments


@dataclass(frozen=True)
class AssignmentBound:
    """The fewest requests the assignments add to a reconcile:

    the profile list, with every profile's assignments expanded in it, and the
    enrollment-configuration list; one read of each named ESP's assignments; one POST per group
    put on a profile; and for each ESP whose list changes, its ``assign`` with the read-back the
    write is checked by and the read under its lock (the list must be read again once the lock is
    held: another writer may have changed it). Where Graph refuses the expansion (the strict
    profile), the refused list, the plain list and one read of every profile's assignments.
    """

    lists: int
    reads: int
    posts: int
    esp_changes: int

    @property
    def total(self) -> int:
        return self.lists + self.reads + self.posts + 3 * self.esp_changes

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


@dataclass(frozen=True)
class IntuneSnapshot:
    """What a tenant's Intune side holds, for the bound: list sizes and each named target's
    assignments (as sets of targets)."""

    profiles: int
    configurations: int
    profile_assignments: dict[str, frozenset[str]]  # named profile id -> targets
    esp_assignments: dict[str, frozenset[str]]  # named ESP id -> targets
    profile_sizes: tuple[int, ...] = ()  # every profile's number of assignments


def assignment_bound(
    before: IntuneSnapshot, after: IntuneSnapshot, *, one_by_one: bool = False
) -> AssignmentBound:
    """``one_by_one``: Graph refused ``$expand`` on the profile list (the strict profile)."""
    reads = sum(pages(len(targets), INTUNE_PAGE) for targets in before.esp_assignments.values())
    if one_by_one:
        reads += sum(pages(size, INTUNE_PAGE) for size in before.profile_sizes)
    posts = sum(
        len(after.profile_assignments[p] - targets)
        for p, targets in before.profile_assignments.items()
    )
    changes = sum(
        after.esp_assignments[e] != targets for e, targets in before.esp_assignments.items()
    )
    refused = 1 if one_by_one else 0
    return AssignmentBound(
        lists=refused
        + pages(before.profiles, INTUNE_PAGE)
        + pages(before.configurations, INTUNE_PAGE),
        reads=reads,
        posts=posts,
        esp_changes=changes,
    )


# --- device preparation (a scenario naming a device preparation policy) -----------------------


@dataclass(frozen=True)
class PreparationBound:
    """The fewest requests device preparation adds to a reconcile:

    the Intune Provisioning Client's service principal, found by its appId (one page); the
    device preparation policies, filtered by technology (where Graph refuses the filter, the
    strict profile, the refused list and every configuration policy's pages); one ``retrieve…``
    of each named policy's target; one read of the owners of each device preparation group there
    before the run (a group the run creates has none to read); one ``owners/$ref`` POST per group
    the Provisioning Client did not own; and for each policy whose target changes, its ``set…``
    and the ``retrieve…`` it is checked by.
    """

    lists: int
    reads: int
    owner_posts: int
    target_changes: int

    @property
    def total(self) -> int:
        return self.lists + self.reads + self.owner_posts + 2 * self.target_changes

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


@dataclass(frozen=True)
class PreparationSnapshot:
    """What a tenant holds for device preparation, for the bound."""

    policies: int  # device preparation policies: what the filtered list returns
    configuration_policies: int  # every configuration policy: what the unfiltered list returns
    targets: dict[str, str | None]  # named policy id -> the group it targets
    owned: dict[str, bool]  # device preparation group id -> the Provisioning Client owns it


def preparation_bound(
    before: PreparationSnapshot, after: PreparationSnapshot, *, filtered: bool = True
) -> PreparationBound:
    """``filtered``: Graph takes the technology filter on the policy list (not the strict
    profile)."""
    policy_pages = (
        pages(before.policies, INTUNE_PAGE)
        if filtered
        else 1 + pages(before.configuration_policies, INTUNE_PAGE)
    )
    return PreparationBound(
        lists=1 + policy_pages,
        reads=len(before.targets) + len(before.owned),
        owner_posts=sum(
            owned and not before.owned.get(g, False) for g, owned in after.owned.items()
        ),
        target_changes=sum(after.targets[p] != t for p, t in before.targets.items()),
    )
