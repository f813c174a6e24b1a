"""The tenant's state, with Entra's replication lag between writes and reads.

Each group keeps a short history of versions stamped with the (injectable) clock time of
their commit. Reads (lists, filters, GET by id or uniqueName) see, for each group, the
newest version committed at least ``lag`` seconds ago; writes see the newest version.
That is how Entra's eventual consistency looks from outside (graph-facts §3, peers §3.4):
a group created a moment ago is not listed yet, a PATCHed group still shows its old
state, but an upsert by uniqueName finds the group and updates it.

Seeded groups and devices are stamped at minus infinity, so they are visible at once.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from graph_emulator.clock import Clock
from graph_emulator.versions import History

JsonDict = dict[str, Any]
_GroupRecord = History[JsonDict | None]  # None: deleted


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
        cutoff = self.read_cutoff()
        with self.lock:
            states = (self._groups[gid].visible(cutoff) for gid in self._order)
            return [state for state in states if state is not None]

    def visible_group(self, group_id: str) -> JsonDict | None:
        cutoff = self.read_cutoff()
        with self.lock:
            record = self._groups.get(group_id.lower())
            return None if record is None else record.visible(cutoff)

    def visible_group_by_unique_name(self, unique_name: str) -> JsonDict | None:
        key = unique_name.casefold()
        return next(
            (g for g in self.visible_groups() if (g.get("uniqueName") or "").casefold() == key),
            None,
        )

    # --- groups: the true state, for writes and inspection ---

    def current_groups(self) -> list[JsonDict]:
        with self.lock:
            states = (self._groups[gid].current for gid in self._order)
            return [copy.deepcopy(state) for state in states if state is not None]

    def current_group(self, group_id: str) -> JsonDict | None:
        with self.lock:
            record = self._groups.get(group_id.lower())
            return None if record is None else record.current

    def current_by_unique_name(self, unique_name: str) -> JsonDict | None:
        with self.lock:
            group_id = self._unique.get(unique_name.casefold())
            return None if group_id is None else self.current_group(group_id)

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

    def delete_group(self, group_id: str) -> bool:
        with self.lock:
            record = self._groups.get(group_id.lower())
            if record is None or record.current is None:
                return False
            unique_name = record.current.get("uniqueName")
            if unique_name:
                self._unique.pop(unique_name.casefold(), None)
            record.commit(self.clock(), None)
            return True
