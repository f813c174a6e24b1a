"""Observe Intune: the profiles and ESPs a plan's assignments need, and what the ledger knows.

Every Autopilot profile is listed with its assignments (a group already on any profile, named
by the catalogue or not, must not go on a second), and each ESP the catalogue names is resolved
and its assignments read once; the ledger says which of the app's groups were on each named
target before (``core.history`` reads the window off it). For the timer and a request alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence

from shared.core.assignments import resolve
from shared.core.errors import PermanentGraphError, StorageError
from shared.core.history import target_history
from shared.core.model import AssignmentKind, Catalogue, IntuneObject, IntuneView, TargetHistory
from shared.graph.gateway import GraphGateway
from shared.graph.intune import group_ids
from shared.shell.memory import QueryForms
from shared.storage.ledger import Ledger

log = logging.getLogger(__name__)


async def observe_intune(
    gateway: GraphGateway,
    ledger: Ledger | None,
    catalogue: Catalogue,
    now: dt.datetime,
    scenarios: Collection[str] | None = None,
    forms: QueryForms | None = None,
) -> IntuneView:
    """What the assignments need to be planned: every profile with its groups (a group must not
    go on a second one, named or not) and the ESPs of ``scenarios`` (all scenarios when None)."""
    forms = forms or QueryForms()
    mine = catalogue.named_targets(scenarios)
    named = {
        AssignmentKind.PROFILE: catalogue.named_targets().get(AssignmentKind.PROFILE, set()),
        AssignmentKind.ESP: mine.get(AssignmentKind.ESP, set()),
        AssignmentKind.OWNER: mine.get(AssignmentKind.OWNER, set()),
        AssignmentKind.DEVICE_PREPARATION: mine.get(AssignmentKind.DEVICE_PREPARATION, set()),
    }
    objects: dict[AssignmentKind, Sequence[IntuneObject]] = {}
    assigned: dict[str, frozenset[str]] = {}
    if named[AssignmentKind.PROFILE]:
        profiles = await read_profiles(gateway, forms)
        objects[AssignmentKind.PROFILE] = [profile for profile, _ in profiles]
        assigned.update({profile.id: groups for profile, groups in profiles})
    if named[AssignmentKind.ESP]:
        objects[AssignmentKind.ESP] = await gateway.enrollment_status_pages()
    if named[AssignmentKind.OWNER]:
        client = await gateway.provisioning_client()
        objects[AssignmentKind.OWNER] = [client] if client else []
    if named[AssignmentKind.DEVICE_PREPARATION]:
        policies = await read_policies(gateway, forms)
        objects[AssignmentKind.DEVICE_PREPARATION] = policies
    history: dict[str, TargetHistory] = {}
    ledger_error: StorageError | None = None
    for kind, names in named.items():
        for name in sorted(names):
            target = resolve(kind, name, objects.get(kind, ()))
            if isinstance(target, str) or target.id in history:
                continue
            if kind in (AssignmentKind.ESP, AssignmentKind.DEVICE_PREPARATION):
                assigned[target.id] = await target_groups(gateway, kind, target.id)
            history[target.id] = TargetHistory()
            if ledger_error is None:
                try:
                    history[target.id] = await read_history(ledger, kind, target.id, now)
                except StorageError as error:  # groups go on; assignments wait for storage
                    log.warning("assign: the assignment ledger cannot be read: %s", error)
                    ledger_error = error
    return IntuneView(objects, assigned, history, ledger_error=ledger_error)


async def target_groups(
    gateway: GraphGateway, kind: AssignmentKind, target_id: str
) -> frozenset[str]:
    """The groups on one ESP, or a device preparation policy's target (a profile's come with
    the profile list, ``read_profiles``; an owner's are read per group, ``observe_preparation``)."""
    if kind is AssignmentKind.DEVICE_PREPARATION:
        return (await gateway.policy_target(target_id)).groups
    return group_ids(await gateway.esp_assignments(target_id))


async def read_policies(gateway: GraphGateway, forms: QueryForms) -> list[IntuneObject]:
    """The device preparation policies: filtered by technology, or, once this tenant's Graph
    refused that filter (400), every configuration policy, picked out here."""
    if not forms.policies_unfiltered:
        try:
            return await gateway.device_preparation_policies(filtered=True)
        except PermanentGraphError as error:
            if error.status != 400:
                raise
            if forms.policy_filter_refused():
                log.warning(
                    "assign: Graph refused the filter on configuration policies (%s); this "
                    "process now lists them all and picks out the device preparation ones",
                    error,
                )
    return await gateway.device_preparation_policies(filtered=False)


async def read_profiles(
    gateway: GraphGateway, forms: QueryForms
) -> list[tuple[IntuneObject, frozenset[str]]]:
    """Every Autopilot profile with the groups it includes: one read with ``$expand``, or, once
    this tenant's Graph refused that (400), the list and one read per profile."""
    if not forms.profiles_one_by_one:
        try:
            listed = await gateway.profiles_with_assignments()
        except PermanentGraphError as error:
            if error.status != 400:
                raise
            if forms.expand_refused():
                log.warning(
                    "assign: Graph refused $expand=assignments on the profile list (%s); this "
                    "process now reads each profile's assignments on their own",
                    error,
                )
        else:
            return [(profile, group_ids(targets)) for profile, targets in listed]
    profiles = await gateway.autopilot_profiles()
    return [(p, group_ids(await gateway.profile_assignments(p.id))) for p in profiles]


async def read_history(
    ledger: Ledger | None, kind: AssignmentKind, target_id: str, now: dt.datetime
) -> TargetHistory:
    """One target's history at ``now``; nothing known without a ledger."""
    if ledger is None:
        return TargetHistory()
    return target_history(await ledger.history(kind, target_id), now)
