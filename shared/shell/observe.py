"""Observe: what the planner needs to see, read from Graph and from what this process remembers.

The timer observes the whole tenant (every device page, and every group the plan may adopt or
manage, read at the same time). A request observes one value: its managed group by key, else what
this process has just created under that key (Graph's reads lag behind its writes), else the
hand-made groups that may be adopted, each confirmed by a fresh read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any

from shared.core.errors import PermanentGraphError
from shared.core.groups import GroupIndex
from shared.core.model import GroupSnapshot, IntuneView, Inventory, Kind, fold
from shared.core.naming import KEY_PREFIX, NICKNAME_PREFIX, is_managed_key, unique_name
from shared.graph.gateway import GraphGateway
from shared.graph.groups import GROUP_PAGE_SIZE, snapshot
from shared.shell.memory import HandmadeGroups, QueryForms, RecentlyCreated

log = logging.getLogger(__name__)

# One query finds every group the planner must see: dynamic groups (hand-made ones to adopt and
# managed ones) and managed groups someone turned static (drift), found by their nickname prefix.
# Each clause is documented for basic queries, and so is `or` across properties, but not this
# combination: if a tenant's Graph refuses it, the two clauses are read as two basic queries.
DYNAMIC_FILTER = "groupTypes/any(c:c eq 'DynamicMembership')"
NICKNAME_FILTER = f"startswith(mailNickname,'{NICKNAME_PREFIX}')"
GROUP_FILTER = f"{DYNAMIC_FILTER} or {NICKNAME_FILTER}"
BASIC_FILTERS = (DYNAMIC_FILTER, NICKNAME_FILTER)


async def observe_tenant(
    gateway: GraphGateway,
    purchase_orders: bool,
    query: QueryForms,
    intune: Awaitable[IntuneView] | None = None,
) -> tuple[Inventory, list[GroupSnapshot], IntuneView | None]:
    """The devices, the groups and (when a scenario assigns) the profiles and ESPs, the others
    read while the device pages are.

    The device pages must be read one after another (each page names the next), so they are a
    run's critical path; the group query and the Intune reads run beside them instead of after
    them. If any fails, the others are cancelled and the first failure is raised.
    """
    inventory, groups, view = await together(
        observe_devices(gateway, purchase_orders),
        observe_groups(gateway, query),
        intune if intune is not None else _nothing(),
    )
    return inventory, groups, view


async def _nothing() -> None:
    return None


async def together(*reads: Awaitable[Any]) -> list[Any]:
    """Every read at once; on the first failure the rest are cancelled and it is raised."""
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()  # a no-op for a finished one
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error
    return [task.result() for task in tasks]


async def observe_devices(gateway: GraphGateway, purchase_orders: bool) -> Inventory:
    """Distinct tags (and purchase order ids), holding one page of devices at a time.

    Devices are counted by value exactly as spelled, and each distinct spelling is folded once at
    the end, in the order first seen (so the first spelling still names the group): 100,000
    devices carry a few thousand spellings, and folding per device was most of the CPU time.
    """
    inventory = Inventory()
    tags: dict[str, int] = {}
    orders: dict[str, int] = {}
    async for page in gateway.device_pages():
        inventory.pages += 1
        inventory.devices += len(page)
        for device in page:
            tag = device.get("groupTag") or ""
            tags[tag] = tags.get(tag, 0) + 1
            if purchase_orders:
                order = device.get("purchaseOrderIdentifier") or ""
                orders[order] = orders.get(order, 0) + 1
    for tag, count in tags.items():
        if tag.strip():
            _count(inventory.tags, inventory.tag_devices, tag, count)
        else:
            inventory.untagged += count
    for order, count in orders.items():
        if order.strip():
            _count(inventory.purchase_orders, inventory.purchase_order_devices, order, count)
    return inventory


def _count(first_spellings: dict[str, str], counts: dict[str, int], value: str, n: int) -> None:
    key = fold(value)
    first_spellings.setdefault(key, value)
    counts[key] = counts.get(key, 0) + n


async def observe_groups(
    gateway: GraphGateway, query: QueryForms, *, first_page: bool = False
) -> list[GroupSnapshot]:
    """Every group the plan must see: one query, or two merged by id once Graph refused it.

    Graph answers 400 to a filter it does not support (an unsupported query, or an expression
    too high); the two basic queries then find the same groups. The process remembers it in
    ``query`` and logs it once. ``first_page`` reads one group of each query only (the doctor).
    """
    if not query.split:
        try:
            return await _read_groups(gateway, GROUP_FILTER, first_page)
        except PermanentGraphError as error:
            if error.status != 400:
                raise
            if query.refused():
                log.warning(
                    "groups: Graph refused the combined group query (%s); this process now reads "
                    "groups with two basic queries: %s, then %s",
                    error,
                    *BASIC_FILTERS,
                )
    merged: dict[str, GroupSnapshot] = {}
    for odata_filter in BASIC_FILTERS:
        for group in await _read_groups(gateway, odata_filter, first_page):
            merged.setdefault(group.id, group)
    return list(merged.values())


async def _read_groups(
    gateway: GraphGateway, odata_filter: str, first_page: bool
) -> list[GroupSnapshot]:
    groups: list[GroupSnapshot] = []
    top = 1 if first_page else GROUP_PAGE_SIZE
    async with contextlib.aclosing(gateway.group_pages(odata_filter, top)) as pages:
        async for page in pages:
            groups.extend(snapshot(item) for item in page)
            if first_page:
                break
    return groups


async def observe_deleted(gateway: GraphGateway, key: str | None = None) -> list[GroupSnapshot]:
    """The app's groups in the directory's recycle bin (one group's, by its key, when given).

    Read only when the plan would create a group: a deleted one may hold the key (it may be
    reserved there for 30 days), and restoring it keeps its id and assignments. If Graph refuses
    the filter on deleted items, every deleted group is read and the app's picked out.
    """
    quoted = (key or "").replace("'", "''")
    odata_filter = f"uniqueName eq '{quoted}'" if key else f"startswith(uniqueName,'{KEY_PREFIX}')"
    try:
        return await gateway.deleted_groups(odata_filter)
    except PermanentGraphError as error:
        if error.status != 400:
            raise
    return [
        group
        for group in await gateway.deleted_groups(None)
        if (group.unique_name == key if key else is_managed_key(group.unique_name))
    ]


async def observe_value(
    gateway: GraphGateway,
    kind: Kind,
    value: str,
    recent: RecentlyCreated,
    handmade: HandmadeGroups,
    query: QueryForms,
) -> list[GroupSnapshot]:
    """The groups that may be this value's: its managed group, or hand-made ones to adopt.

    Stops at the first hand-made group a fresh read confirms, so a request costs one read when
    the value's group exists and two or three when it does not.
    """
    key = unique_name(kind, value)
    managed = await gateway.find_group(key) or recent.get(key)
    if managed is not None:
        return [managed]
    index = await handmade.index(lambda: observe_groups(gateway, query))
    for candidate in index.adoptable(kind, value):
        fresh = await gateway.get_group(candidate.id)
        if fresh is not None and GroupIndex([fresh]).adoptable(kind, value):
            return [fresh]
    return []
