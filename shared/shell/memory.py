"""What one process remembers: its recent creations, the hand-made groups, the query forms.

The first two are observations, not decisions: they are handed to the planner like anything read
from Graph. Per event loop (see ``bootstrap``), so every async invocation of a worker shares them.
The third is what this process learnt about Graph itself, kept for the life of the process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from shared.core.groups import GroupIndex
from shared.core.model import GroupSnapshot


class HandmadeGroups:
    """The tenant's dynamic groups, indexed for adoption, listed at most once a minute.

    Only hand-made groups are looked up here, and a hit is confirmed by a fresh read before it is
    used. Managed groups are always looked up fresh by their uniqueName.
    """

    def __init__(self, ttl_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._index: GroupIndex | None = None
        self._listed_at = 0.0
        self._lock: asyncio.Lock | None = None

    async def index(self, list_groups: Callable[[], Awaitable[list[GroupSnapshot]]]) -> GroupIndex:
        """The index, listing the groups again with ``list_groups`` once it is a minute old."""
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._index is None or self.clock() - self._listed_at > self.ttl:
                self._index = GroupIndex(await list_groups())
                self._listed_at = self.clock()
            return self._index


class RecentlyCreated:
    """Groups this process created, kept a few minutes, and a lock per key.

    Requests for one value in one batch take turns, so the second finds the first's group instead
    of sending a second upsert. And since Graph's reads lag behind its writes, a group this process
    has just created is answered from here when the lookup does not show it yet, instead of the
    message being retried until Graph catches up. Only what Graph returned on a 201 is kept.
    """

    def __init__(self, ttl_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._groups: dict[str, tuple[float, GroupSnapshot]] = {}

    def lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def get(self, key: str) -> GroupSnapshot | None:
        kept = self._groups.get(key)
        if kept is None or self.clock() - kept[0] > self.ttl:
            self._groups.pop(key, None)
            return None
        return kept[1]

    def remember(self, key: str, group: GroupSnapshot) -> None:
        self._groups[key] = (self.clock(), group)


class QueryForms:
    """Which query forms this tenant's Graph refused, for the life of the process.

    Groups: until Graph refuses the combined group filter, groups are read with one query; once it
    answered 400, with the two basic queries (see ``observe.observe_groups``). Profiles: until
    Graph refuses ``$expand=assignments`` on the profile list, every profile's assignments come
    with it; once it answered 400, each profile's are read on their own. Configuration policies:
    until Graph refuses the technology filter, device preparation policies are asked for by it;
    once it answered 400, every policy is listed and they are picked out. Shared by the timer and
    the request path, on every event loop, hence the lock. Each ``…_refused`` remembers its
    refusal and is True only the first time, so that it is logged once.
    """

    _GROUPS, _EXPAND, _POLICIES = "group filter", "profile $expand", "policy filter"

    def __init__(self) -> None:
        self._refused: set[str] = set()
        self._lock = threading.Lock()

    def _refuse(self, form: str) -> bool:
        with self._lock:
            first = form not in self._refused
            self._refused.add(form)
        return first

    @property
    def split(self) -> bool:
        return self._GROUPS in self._refused

    def refused(self) -> bool:
        return self._refuse(self._GROUPS)

    @property
    def profiles_one_by_one(self) -> bool:
        return self._EXPAND in self._refused

    def expand_refused(self) -> bool:
        return self._refuse(self._EXPAND)

    @property
    def policies_unfiltered(self) -> bool:
        return self._POLICIES in self._refused

    def policy_filter_refused(self) -> bool:
        return self._refuse(self._POLICIES)
