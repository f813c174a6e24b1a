"""Apply: the plan's group writes, for the timer and for a request alike.

A fixed set of workers takes the writes one by one, so a first run with thousands of groups holds
a few requests in flight, not a coroutine per write. Each write settles its entry with an
``Outcome``. A missing permission stops the rest: every later write would be refused the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from shared.core.errors import GraphError, PermissionDeniedError
from shared.core.plan import NOT_ATTEMPTED, Action, Done, Outcome, PlanEntry
from shared.graph.gateway import GraphGateway

log = logging.getLogger(__name__)

WRITE_CONCURRENCY = 4


@dataclass(frozen=True)
class GroupsApplied:
    entries: tuple[PlanEntry, ...]  # the entries given, each write settled with its outcome
    denied: PermissionDeniedError | None = None  # the first 403, which stopped the rest


async def apply_groups(
    entries: Sequence[PlanEntry], graph: GraphGateway, *, workers: int = WRITE_CONCURRENCY
) -> GroupsApplied:
    """Write every create and repair in ``entries``; the others need no write."""
    settled = list(entries)
    pending = iter([(i, e) for i, e in enumerate(entries) if e.writes])
    denied: list[PermissionDeniedError] = []

    async def worker() -> None:
        for index, entry in pending:
            if denied:
                outcome = NOT_ATTEMPTED
            else:
                try:
                    outcome = await _write(entry, graph)
                except GraphError as error:
                    outcome = Outcome.failed(error)
                    if isinstance(error, PermissionDeniedError):
                        denied.append(error)
                    else:
                        log.warning(
                            "apply: %s %s failed: %s", entry.action, entry.unique_name, error
                        )
            settled[index] = replace(entry, outcome=outcome)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return GroupsApplied(tuple(settled), denied[0] if denied else None)


async def _write(entry: PlanEntry, graph: GraphGateway) -> Outcome:
    assert entry.spec is not None
    if entry.action is Action.RESTORE:
        assert entry.group_id is not None
        restored = await graph.restore_group(entry.group_id)
        log.info("apply: restored %s (%s) from deleted items", entry.unique_name, entry.group_id)
        return Outcome(Done.RESTORED, group=restored)
    if entry.action is Action.CREATE:
        result = await graph.upsert_group(entry.spec)
        log.info(
            "apply: %s %s (%s)",
            "created" if result.created else "found existing",
            entry.unique_name,
            entry.display_name,
        )
        if result.created:
            return Outcome(Done.CREATED, group=result.group)
        return Outcome(Done.EXISTS)
    assert entry.group is not None
    await graph.repair_group(entry.group, entry.spec)
    log.info("apply: repaired %s (%s): %s", entry.unique_name, entry.display_name, entry.reason)
    return Outcome(Done.REPAIRED)
