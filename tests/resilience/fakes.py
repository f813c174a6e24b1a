"""A fake Graph gateway for the request path: the port's behaviour, in memory, no I/O.

It keeps the two promises of Graph that matter to the request path: the upsert on uniqueName
never makes a second group, and a rule Entra's validator would refuse is refused (the emulator's
strict parser decides). Used where thousands of fuzz examples must run in seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

from graph_emulator import RuleSyntaxError, parse_rule
from shared.core.errors import PermanentGraphError
from shared.core.model import GroupSnapshot, GroupSpec
from shared.graph.groups import UpsertResult, create_body, repair_body, snapshot


class FakeGateway:
    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}  # id -> group as Graph would return it
        self._ids = itertools.count(1)

    async def find_group(self, unique_name: str) -> GroupSnapshot | None:
        key = unique_name.casefold()
        for item in self.groups.values():
            if (item.get("uniqueName") or "").casefold() == key:
                return snapshot(item)
        return None

    async def get_group(self, group_id: str) -> GroupSnapshot | None:
        item = self.groups.get(group_id)
        return snapshot(item) if item else None

    async def group_pages(
        self, odata_filter: str, top: int = 999
    ) -> AsyncIterator[list[dict[str, Any]]]:
        yield [dict(item) for item in self.groups.values()]

    async def upsert_group(self, spec: GroupSpec) -> UpsertResult:
        if await self.find_group(spec.unique_name) is not None:
            return UpsertResult(created=False, group=None)
        body = create_body(spec)
        try:
            parse_rule(body["membershipRule"])
        except RuleSyntaxError as error:
            raise PermanentGraphError(f"create a group: Graph answered 400: {error}") from error
        item = {**body, "id": f"group-{next(self._ids)}", "uniqueName": spec.unique_name}
        self.groups[item["id"]] = item
        return UpsertResult(created=True, group=snapshot(item))

    async def deleted_groups(self, odata_filter: str | None) -> list[GroupSnapshot]:
        return []  # nothing is ever deleted here

    async def repair_group(self, group: GroupSnapshot, spec: GroupSpec) -> None:
        await self.update_group(group.id, repair_body(spec, group))

    async def update_group(self, group_id: str, changes: dict[str, Any]) -> None:
        self.groups[group_id].update(changes)
