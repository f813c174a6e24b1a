"""Observe what device preparation needs once the groups are known: the owners of the app's
device preparation groups, and whether a policy's current target is a group of the app's.

Read after the group query (the groups name the app's device preparation groups): one owners
read per such group; a policy target the group query did not show is read on its own, once, to
tell an admin's group (a conflict, kept) from one of the app's or one that is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from shared.core.errors import PermanentGraphError
from shared.core.model import AssignmentKind, GroupSnapshot, IntuneView, Kind
from shared.core.naming import is_managed_key, kind_of_key
from shared.graph.gateway import GraphGateway

log = logging.getLogger(__name__)


async def _owners(gateway: GraphGateway, group_id: str) -> frozenset[str]:
    """A group's owners; none when Graph does not show the group yet (404: one the app made
    moments ago, as a request does before its answer). Its owner is then written, which Graph
    takes on the group as it is, or deferred (``apply_assignments``)."""
    try:
        return await gateway.group_owners(group_id)
    except PermanentGraphError as error:
        if error.status != 404:
            raise
        log.info("device preparation: group %s not shown yet; its owners count as none", group_id)
        return frozenset()


async def observe_preparation(
    gateway: GraphGateway, view: IntuneView, groups: Sequence[GroupSnapshot]
) -> IntuneView:
    assigned = dict(view.assigned)
    clients = view.objects.get(AssignmentKind.OWNER, ())
    if clients:
        client = clients[0].id.lower()
        ours = [g for g in groups if kind_of_key(g.unique_name or "") is Kind.DEVICE_PREPARATION]
        owned = set()
        for group in ours:
            if client in await _owners(gateway, group.id):
                owned.add(group.id)
        assigned[clients[0].id] = frozenset(owned)
    managed = {g.id.lower() for g in groups if is_managed_key(g.unique_name)}
    seen = {g.id.lower() for g in groups}
    foreign: dict[str, frozenset[str]] = {}
    for policy in view.objects.get(AssignmentKind.DEVICE_PREPARATION, ()):
        current = assigned.get(policy.id)
        if not current:
            continue
        kept, theirs = set(), set()
        for group_id in current:
            if group_id.lower() in managed:
                kept.add(group_id)
            elif group_id.lower() in seen:
                theirs.add(group_id)
            elif (found := await gateway.get_group(group_id)) is not None:
                # Not in the group query: an admin's group, or the app's that its lag hides.
                (kept if is_managed_key(found.unique_name) else theirs).add(group_id)
        assigned[policy.id] = frozenset(kept | theirs)  # a group that is gone counts as none
        if theirs:
            foreign[policy.id] = frozenset(theirs)
    return replace(view, assigned=assigned, foreign=foreign)
