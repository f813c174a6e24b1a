"""The tenant's state, with Entra's replication lag between writes and reads.

Each group keeps a short history of versions stamped with the (injectable) clock time of
their commit. Reads (lists, filters, GET by id or uniqueName) see, for each group, the
newest version committed at least ``lag`` seconds ago; writes see the newest version.
That is how Entra's eventual consistency looks from outside (docs/graph-contract.md, row 14):
a group created a moment ago is not listed yet, a PATCHed group still shows its old
state, but an upsert by uniqueName finds the group and updates it.

A deleted group is kept as a :class:`Deleted` version (the directory's recycle bin,
``directory/deletedItems``) until it is restored or purged, so the deleted items' view goes
through the same lag: a group deleted a moment ago is still listed among the groups and not
yet among the deleted items; restore and purge act on the true state.

Seeded groups and devices are stamped at minus infinity, so they are visible at once.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graph_emulator.clock import Clock
from graph_emulator.versions import History

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Deleted:
    """A group in the recycle bin: its last state, ``deletedDateTime`` set."""

    group: JsonDict


GroupState = JsonDict | Deleted | None  # None: gone for good (purged)
_GroupRecord = History[GroupState]


def _live(state: GroupState) -> JsonDict | None:
    return state if isinstance(state, dict) else None


def _binned(state: GroupState) -> JsonDict | None:
    return state.group if isinstance(state, Deleted) else None


class TenantState:
    """Devices, groups and granted permissions; one lock guards every write."""

    def __init__(
        self,
        tenant_id: str,
        permissions: Iterable[str],
        clock: Clock,
        lag_seconds: float = 0.0,
    ) -> None:
        self.lock = threading.RLock()
        self.tenant_id = tenant_id
        self.clock = clock
        self._lag = lag_seconds
        self._permissions = frozenset(permissions)
        self.devices: list[JsonDict] = []
        self.device_version = 0  # bumped on every device change, for caches
        self._groups: dict[str, _GroupRecord] = {}
        self._order: list[str] = []
        self._unique: dict[str, str] = {}  # casefolded uniqueName -> id (true state)

    # --- settings ---

    @property
    def permissions(self) -> frozenset[str]:
        return self._permissions

    def set_permissions(self, permissions: Iterable[str]) -> None:
        self._permissions = frozenset(permissions)

    @property
    def lag(self) -> float:
        return self._lag

    def set_lag(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("lag cannot be negative")
        self._lag = seconds

    def read_cutoff(self) -> float:
        """Reads see versions committed at or before this clock time."""
        return self.clock() - self._lag

    # --- devices ---

    def add_devices(self, devices: Iterable[JsonDict]) -> None:
        with self.lock:
            self.devices.extend(devices)
            self.device_version += 1

    # --- groups: reads through the lag ---

    def visible_groups(self) -> list[JsonDict]:
        """Groups as list and filter queries see them now (not copies: do not mutate)."""
        return self._visible(_live)

    def visible_group(self, group_id: str) -> JsonDict | None:
        return _live(self._visible_state(group_id))

    def visible_group_by_unique_name(self, unique_name: str) -> JsonDict | None:
        key = unique_name.casefold()
        return next(
            (g for g in self.visible_groups() if (g.get("uniqueName") or "").casefold() == key),
            None,
        )

    def visible_deleted_groups(self) -> list[JsonDict]:
        """The recycle bin as ``directory/deletedItems`` reads see it now."""
        return self._visible(_binned)

    def visible_deleted_group(self, group_id: str) -> JsonDict | None:
        return _binned(self._visible_state(group_id))

    def _visible(self, pick: Callable[[GroupState], JsonDict | None]) -> list[JsonDict]:
        cutoff = self.read_cutoff()
        with self.lock:
            states = (pick(self._groups[gid].visible(cutoff)) for gid in self._order)
            return [state for state in states if state is not None]

    def _visible_state(self, group_id: str) -> GroupState:
        cutoff = self.read_cutoff()
        with self.lock:
            record = self._groups.get(group_id.lower())
            return None if record is None else record.visible(cutoff)

    # --- groups: the true state, for writes and inspection ---

    def current_groups(self) -> list[JsonDict]:
        with self.lock:
            states = (_live(self._groups[gid].current) for gid in self._order)
            return [copy.deepcopy(state) for state in states if state is not None]

    def current_group(self, group_id: str) -> JsonDict | None:
        with self.lock:
            record = self._groups.get(group_id.lower())
            return None if record is None else _live(record.current)

    def current_by_unique_name(self, unique_name: str) -> JsonDict | None:
        with self.lock:
            group_id = self._unique.get(unique_name.casefold())
            return None if group_id is None else self.current_group(group_id)

    def current_deleted_groups(self) -> list[JsonDict]:
        with self.lock:
            states = (_binned(self._groups[gid].current) for gid in self._order)
            return [copy.deepcopy(state) for state in states if state is not None]

    def current_deleted_group(self, group_id: str) -> JsonDict | None:
        with self.lock:
            record = self._groups.get(group_id.lower())
            return None if record is None else _binned(record.current)

    def deleted_by_unique_name(self, unique_name: str) -> JsonDict | None:
        """A group in the recycle bin that held ``unique_name`` (the true state)."""
        key = unique_name.casefold()
        with self.lock:
            for gid in self._order:
                group = _binned(self._groups[gid].current)
                if group is not None and (group.get("uniqueName") or "").casefold() == key:
                    return group
        return None

    def put_group(self, group: JsonDict, *, seeded: bool = False) -> JsonDict:
        """Commit a new version of ``group`` (created or changed); returns the stored copy."""
        stored = copy.deepcopy(group)
        with self.lock:
            key = stored["id"].lower()
            record = self._groups.get(key)
            if record is None:
                record = self._groups[key] = _GroupRecord()
                self._order.append(key)
            if seeded:
                record.reset(stored)
            else:
                record.commit(self.clock(), stored)
            if stored.get("uniqueName"):
                self._unique[stored["uniqueName"].casefold()] = key
        return stored

    def delete_group(self, group_id: str, deleted_at: str) -> bool:
        """Move a live group to the recycle bin (its uniqueName is freed for live groups)."""
        with self.lock:
            record = self._groups.get(group_id.lower())
            group = None if record is None else _live(record.current)
            if record is None or group is None:
                return False
            unique_name = group.get("uniqueName")
            if unique_name and self._unique.get(unique_name.casefold()) == group_id.lower():
                self._unique.pop(unique_name.casefold())
            record.commit(self.clock(), Deleted({**group, "deletedDateTime": deleted_at}))
            return True

    def restore_group(self, group_id: str) -> JsonDict | None:
        """Bring a group back from the recycle bin with its id and properties (the caller
        checks its uniqueName is free); None if it is not there."""
        with self.lock:
            group = self.current_deleted_group(group_id)
            if group is None:
                return None
            return self.put_group({**group, "deletedDateTime": None})

    def purge_group(self, group_id: str) -> bool:
        """Delete a group in the recycle bin for good."""
        with self.lock:
            record = self._groups.get(group_id.lower())
            if record is None or not isinstance(record.current, Deleted):
                return False
            record.commit(self.clock(), None)
            return True
