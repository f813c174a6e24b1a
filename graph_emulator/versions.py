"""A value's history, for replication lag: each version is stamped with its commit time.

Reads see the newest version committed at least ``lag`` seconds ago (``visible``), writes
see the newest one (``current``). Seeded versions are stamped at minus infinity, so they are
visible at once. Groups (``state.py``) and Intune assignment lists (``intune_assignments.py``)
both keep their history here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")
SEEDED = -math.inf


class History(Generic[V]):
    """Versions of one value in commit order; not thread-safe (the owner holds a lock)."""

    __slots__ = ("versions",)

    def __init__(self) -> None:
        self.versions: list[tuple[float, V]] = []

    @property
    def current(self) -> V | None:
        """The newest version (None before the first commit)."""
        return self.versions[-1][1] if self.versions else None

    def visible(self, cutoff: float) -> V | None:
        """The newest version committed at or before ``cutoff``."""
        for stamp, value in reversed(self.versions):
            if stamp <= cutoff:
                return value
        return None

    def commit(self, stamp: float, value: V) -> None:
        self.versions.append((stamp, value))

    def reset(self, value: V) -> None:
        """Forget every version: ``value`` is what the object has always been."""
        self.versions = [(SEEDED, value)]

    def rewrite(self, change: Callable[[V], V], initial: V) -> None:
        """Apply ``change`` to every version, as if it had always been made (seeding into
        the past without losing later commits); starts from ``initial`` if there are none."""
        if not self.versions:
            self.versions = [(SEEDED, initial)]
        self.versions = [(stamp, change(value)) for stamp, value in self.versions]
