"""Apply: the plan's writes, for the timer and for a request alike.

A fixed set of workers takes the writes one by one, so a first run with thousands of groups holds
a few requests in flight, not a coroutine per write. A missing permission stops the rest: every
later write would be refused the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.core.errors import AppError, GraphError, PermissionDeniedError, TransientError
from shared.core.model import WRITES, Action, GroupSnapshot, PlanEntry
from shared.graph.gateway import GraphGateway

log = logging.getLogger(__name__)

WRITE_CONCURRENCY = 4
NOT_ATTEMPTED = "not attempted (permission missing)"


@dataclass(frozen=True)
class Applied:
    """What one write did: ``text`` as reports show it, and what a caller may need of it."""

    text: str  # created, exists, repaired, failed: ..., not attempted (permission missing)
    group: GroupSnapshot | None = None  # the group Graph returned when it created one
    error: GraphError | None = None


@dataclass
class ApplyResult:
    outcomes: dict[int, Applied] = field(default_factory=dict)  # entry index -> what it did
    denied: PermissionDeniedError | None = None  # the first 403, which stopped the rest


async def apply_plan(
    entries: Sequence[PlanEntry], graph: GraphGateway, *, workers: int = WRITE_CONCURRENCY
) -> ApplyResult:
    """Write every create and repair in ``entries``; the others need no write."""
    result = ApplyResult()
    pending = iter([(i, e) for i, e in enumerate(entries) if e.action in WRITES])

    async def worker() -> None:
        for index, entry in pending:
            if result.denied is not None:
                result.outcomes[index] = Applied(NOT_ATTEMPTED)
                continue
            try:
                result.outcomes[index] = await _write(entry, graph)
            except GraphError as error:
                result.outcomes[index] = Applied(failed_text(error), error=error)
                if isinstance(error, PermissionDeniedError):
                    result.denied = result.denied or error
                else:
                    log.warning("apply: %s %s failed: %s", entry.action, entry.unique_name, error)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return result


def failed_text(error: AppError) -> str:
    """A failed write's outcome as reports show it: the error, and whether retrying may help
    (a missing permission needs no such note: the error names what to grant)."""
    if isinstance(error, PermissionDeniedError):
        return f"failed: {error}"
    kind = "transient" if isinstance(error, TransientError) else "permanent"
    return f"failed: {error} ({kind})"


async def _write(entry: PlanEntry, graph: GraphGateway) -> Applied:
    if entry.action is Action.CREATE:
        assert entry.spec is not None
        result = await graph.upsert_group(entry.spec)
        log.info(
            "apply: %s %s (%s)",
            "created" if result.created else "found existing",
            entry.unique_name,
            entry.display_name,
        )
        return Applied("created", result.group) if result.created else Applied("exists")
    assert entry.group_id is not None and entry.repair is not None
    await graph.update_group(entry.group_id, entry.repair)
    log.info("apply: repaired %s (%s): %s", entry.unique_name, entry.display_name, entry.reason)
    return Applied("repaired")
