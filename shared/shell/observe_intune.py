"""Observe Intune: the profiles and ESPs a plan's assignments need, and what the ledger knows.

Each profile and ESP the catalogue names is listed once and resolved; the assignments of each
named one are read once; the ledger says which of the app's groups were on it before
(``core.history`` reads the window off it). For the timer and a request alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence

from shared.core.assignments import resolve
from shared.core.errors import StorageError
from shared.core.history import target_history
from shared.core.model import AssignmentKind, Catalogue, IntuneObject, IntuneView, TargetHistory
from shared.graph.gateway import GraphGateway
from shared.graph.intune import group_ids
from shared.storage.ledger import Ledger

log = logging.getLogger(__name__)


async def observe_intune(
    gateway: GraphGateway,
    ledger: Ledger | None,
    catalogue: Catalogue,
    now: dt.datetime,
    scenarios: Collection[str] | None = None,
) -> IntuneView:
    """What the assignments need to be planned: every named profile (a group must not go on a
    second one) and the ESPs of ``scenarios`` (all scenarios when None)."""
    named = {
        AssignmentKind.PROFILE: catalogue.named_targets().get(AssignmentKind.PROFILE, set()),
        AssignmentKind.ESP: catalogue.named_targets(scenarios).get(AssignmentKind.ESP, set()),
    }
    objects: dict[AssignmentKind, Sequence[IntuneObject]] = {}
    if named[AssignmentKind.PROFILE]:
        objects[AssignmentKind.PROFILE] = await gateway.autopilot_profiles()
    if named[AssignmentKind.ESP]:
        objects[AssignmentKind.ESP] = await gateway.enrollment_status_pages()
    assigned: dict[str, frozenset[str]] = {}
    history: dict[str, TargetHistory] = {}
    ledger_error: StorageError | None = None
    for kind, names in named.items():
        for name in sorted(names):
            target = resolve(kind, name, objects.get(kind, ()))
            if isinstance(target, str) or target.id in assigned:
                continue
            read = (
                gateway.profile_assignments
                if kind is AssignmentKind.PROFILE
                else gateway.esp_assignments
            )
            assigned[target.id] = group_ids(await read(target.id))
            if ledger_error is None:
                try:
                    history[target.id] = await read_history(ledger, kind, target.id, now)
                except StorageError as error:  # groups go on; assignments wait for storage
                    log.warning("assign: the assignment ledger cannot be read: %s", error)
                    ledger_error = error
    return IntuneView(objects, assigned, history, ledger_error)


async def read_history(
    ledger: Ledger | None, kind: AssignmentKind, target_id: str, now: dt.datetime
) -> TargetHistory:
    """One target's history at ``now``; nothing known without a ledger."""
    if ledger is None:
        return TargetHistory()
    return target_history(await ledger.history(kind, target_id), now)
