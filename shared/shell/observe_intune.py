"""Observe Intune: the profiles and ESPs a plan's assignments need, and what the ledger knows.

Each profile and ESP the catalogue names is listed once and resolved; the assignments of each
named one are read once; the ledger says which of the app's groups were on it before
(``core.history`` reads the window off it). For the timer and a request alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from shared.core.assignments import resolve
from shared.core.history import target_history
from shared.core.model import AssignmentKind, Catalogue, IntuneObject, IntuneView, TargetHistory
from shared.graph.gateway import GraphGateway
from shared.graph.intune import group_ids
from shared.storage.ledger import Ledger


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
            history[target.id] = await read_history(ledger, kind, target.id, now)
    return IntuneView(objects, assigned, history)


async def read_history(
    ledger: Ledger | None, kind: AssignmentKind, target_id: str, now: dt.datetime
) -> TargetHistory:
    """One target's history at ``now``; nothing known without a ledger."""
    if ledger is None:
        return TargetHistory()
    return target_history(await ledger.history(kind, target_id), now)
