"""The timer reads the group pages while the device pages are read, not after them.

The device pages must be read one after another: they are a run's critical path, so the group
query runs beside them. A fake gateway (no I/O) whose device pages cannot end until the group
query has been answered makes any sequential reading hang, which ``wait_for`` turns into a
failure; correct code never waits on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from shared.core.errors import PermissionDeniedError
from shared.shell.memory import QueryForms
from shared.shell.observe import observe_tenant

GROUP = {"id": "g-1", "displayName": "Kiosks", "groupTypes": ["DynamicMembership"]}
NEVER = 30.0  # seconds: only a sequential implementation ever waits this long


class InterleavedGateway:
    def __init__(self, group_error: Exception | None = None) -> None:
        self.group_error = group_error
        self.groups_answered = asyncio.Event()
        self.events: list[str] = []
        self.devices_cancelled = False

    async def device_pages(self) -> AsyncGenerator[list[dict[str, Any]], None]:
        try:
            self.events.append("device page 1")
            yield [{"groupTag": "A-UD"}]
            await self.groups_answered.wait()  # the last page only once the groups are read
            self.events.append("device page 2")
            yield [{"groupTag": "B-UD"}]
        except asyncio.CancelledError:
            self.devices_cancelled = True
            raise

    async def group_pages(
        self, odata_filter: str, top: int = 999
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        self.events.append("group page")
        if self.group_error is not None:
            raise self.group_error
        self.groups_answered.set()
        yield [GROUP]


def observe(gateway: InterleavedGateway) -> Any:
    async def run() -> Any:
        return await asyncio.wait_for(
            observe_tenant(gateway, False, QueryForms()),  # type: ignore[arg-type]
            NEVER,
        )

    return asyncio.run(run())


def test_the_group_query_is_answered_before_the_last_device_page_is_read():
    gateway = InterleavedGateway()

    inventory, groups, intune = observe(gateway)

    assert intune is None  # no scenario assigns: nothing read for it
    assert gateway.events == ["device page 1", "group page", "device page 2"]
    assert inventory.devices == 2 and set(inventory.tags) == {"A-UD", "B-UD"}
    assert [g.id for g in groups] == ["g-1"]


def test_a_failing_group_query_stops_the_device_reading_and_is_raised():
    gateway = InterleavedGateway(PermissionDeniedError("Group.ReadWrite.All", "list groups"))

    with pytest.raises(PermissionDeniedError, match=r"Group\.ReadWrite\.All"):
        observe(gateway)

    assert gateway.devices_cancelled
    assert "device page 2" not in gateway.events


def test_the_intune_reads_run_beside_the_device_pages_and_their_result_is_kept():
    gateway = InterleavedGateway()

    async def intune_reads() -> Any:
        gateway.events.append("intune read")
        await gateway.groups_answered.wait()
        return "the view"

    async def run() -> Any:
        reads = observe_tenant(gateway, False, QueryForms(), intune_reads())  # type: ignore[arg-type]
        return await asyncio.wait_for(reads, NEVER)

    inventory, _groups, intune = asyncio.run(run())

    assert intune == "the view" and inventory.devices == 2
    assert gateway.events.index("intune read") < gateway.events.index("device page 2")
