"""Apply the profile and ESP assignments of a plan, for the timer and a request alike.

Profiles take one POST per missing group (additive: nothing can be lost). An ESP's ``assign``
replaces its whole list, so under the ESP's lock the list is read again, the new groups and the
app's own recent writes that Graph does not show yet are added, the list is written once and read
back. Any assignment that was there before and is missing afterwards is put back, and the outcome
says so: an assignment someone else made is never lost. Each write settles its entry with an
``Outcome``, and the ledger records what was intended, written and seen.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shared.core.errors import (
    AppError,
    PermanentGraphError,
    PermissionDeniedError,
    TransientError,
)
from shared.core.model import AssignmentKind, IntuneView, TargetHistory
from shared.core.plan import AssignAction, AssignmentEntry, Done, Outcome, PlanEntry
from shared.graph.gateway import GraphGateway
from shared.graph.intune import canonical, group_ids, group_target
from shared.shell.apply_preparation import GROUP_NOT_SHOWN_YET, OWNER_NOT_WRITTEN, set_target
from shared.shell.observe_intune import read_history
from shared.storage.ledger import Ledger

log = logging.getLogger(__name__)

# A group the upsert found already made (204) whose id no read shows yet: a later run assigns it.
DEFERRED = Outcome(
    Done.DEFERRED,
    retry=True,
    note="Graph does not show the group yet, so its id is unknown; the next run",
)
OWNED = (Done.ASSIGNED, Done.ALREADY)  # an owner write that leaves the group owned
NO_LEDGER = Outcome(
    Done.NOT_ATTEMPTED,
    note="assigning needs AzureWebJobsStorage (the assignments' lock and history)",
)


@dataclass(frozen=True)
class AssignmentsApplied:
    entries: tuple[AssignmentEntry, ...]  # the entries given, each write settled
    denied: PermissionDeniedError | None = None  # the first 403, which stopped the rest


async def apply_assignments(
    entries: Sequence[AssignmentEntry],
    groups: Sequence[PlanEntry],
    gateway: GraphGateway,
    ledger: Ledger | None,
    view: IntuneView,
    now: dt.datetime,
) -> AssignmentsApplied:
    """Write the assign and repair entries; record what was seen and written in the ledger.

    ``groups`` are the plan's group entries after their writes: a group created in this run gets
    its id from its entry's outcome.
    """
    created = _created_ids(groups)
    outcomes: dict[int, Outcome] = {}
    by_target: dict[tuple[AssignmentKind, str], list[tuple[int, str]]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if not entry.writes:
            continue
        group_id = entry.group_id or created.get(entry.group_key or "")
        if ledger is None:
            outcomes[index] = NO_LEDGER
        elif view.ledger_error is not None:  # its history unread, no write would be safe
            outcomes[index] = Outcome.failed(view.ledger_error)
        elif group_id is None:
            outcomes[index] = DEFERRED
        else:
            by_target[(entry.kind, str(entry.target_id))].append((index, group_id))
    denied: PermissionDeniedError | None = None
    if ledger is not None and view.ledger_error is None:
        # A device preparation group's owner is written before its policy's target.
        order = sorted(by_target, key=lambda k: k[0] is AssignmentKind.DEVICE_PREPARATION)
        # Groups whose owner the app wrote moments ago: this run, or one Graph does not show yet.
        owners_added = {
            str(e.group_id)
            for e in entries
            if e.kind is AssignmentKind.OWNER and e.action is AssignAction.PENDING and e.group_id
        }
        owners_not_made: set[str] = set()  # owner writes this run that did not succeed
        for kind, target_id in order:
            pending = by_target[(kind, target_id)]
            if kind is AssignmentKind.DEVICE_PREPARATION:  # no target before its owner
                outcomes.update({i: OWNER_NOT_WRITTEN for i, g in pending if g in owners_not_made})
                pending = [(i, g) for i, g in pending if g not in owners_not_made]
                if not pending:
                    continue
            done = await _write_target(
                gateway, ledger, kind, target_id, pending, now, denied, owners_added
            )
            outcomes.update(done)
            denied = denied or next((o.denied for o in done.values() if o.denied), None)
            if kind is AssignmentKind.OWNER:
                owners_added |= {g for i, g in pending if done[i].done is Done.ASSIGNED}
                owners_not_made |= {g for i, g in pending if done[i].done not in OWNED}
        await _record_seen(entries, ledger, view, now.isoformat())
    settled = tuple(
        replace(entry, outcome=outcomes[index]) if index in outcomes else entry
        for index, entry in enumerate(entries)
    )
    return AssignmentsApplied(settled, denied)


def _created_ids(groups: Sequence[PlanEntry]) -> dict[str, str]:
    """uniqueName -> id of each group this run's upsert created."""
    return {
        str(entry.unique_name): entry.outcome.group.id
        for entry in groups
        if entry.outcome is not None and entry.outcome.group is not None
    }


async def _write_target(
    gateway: GraphGateway,
    ledger: Ledger,
    kind: AssignmentKind,
    target_id: str,
    pending: list[tuple[int, str]],
    now: dt.datetime,
    denied: PermissionDeniedError | None,
    owners_added: Collection[str] = (),
) -> dict[int, Outcome]:
    """Every pending group of one target, and the ledger's record of it."""
    stamp = now.isoformat()
    try:
        if denied is not None:
            raise denied
        if kind is not AssignmentKind.ESP:
            # Written ahead, as for ESPs: a write whose answer is lost may still have been made,
            # and until a read shows it, later plans write it again rather than trust it.
            await ledger.record(kind, target_id, now=stamp, intended=[g for _, g in pending])
            if kind is AssignmentKind.DEVICE_PREPARATION:
                done = await set_target(gateway, target_id, pending, owners_added)
                shown = [g for i, g in pending if done[i].done is Done.ASSIGNED and done[i].shown]
            else:
                done = await _assign_each(gateway, kind, target_id, pending)
                # A POST is not read back: a group counts as shown once a read does. A profile's
                # "already there" was confirmed by a read; an owner's may be Graph's words
                # alone, while its owner reads still lag (seen too early, a lagging read would
                # later look like drift).
                shown = [
                    g
                    for i, g in pending
                    if done[i].done is Done.ALREADY and kind is AssignmentKind.PROFILE
                ]
            refused = [g for i, g in pending if _not_made(done[i])]
            await _withdraw(ledger, kind, target_id, refused, stamp)
        else:
            async with ledger.lock(kind, target_id):
                done = await _assign_esp(gateway, ledger, kind, target_id, pending, now)
            shown = [g for i, g in pending if done[i].shown]
        written = [g for i, g in pending if done[i].done is Done.ASSIGNED]
        await ledger.record(kind, target_id, now=stamp, seen=shown, written=written)
        return done
    except AppError as error:
        if not isinstance(error, PermissionDeniedError):
            log.warning("assign: %s %s failed: %s", kind, target_id, error)
        if not isinstance(error, TransientError):  # refused for good: nothing is pending
            await _withdraw(ledger, kind, target_id, [g for _, g in pending], stamp)
        return {index: Outcome.failed(error) for index, _ in pending}


def _not_shown(error: AppError) -> bool:
    return type(error) is PermanentGraphError and error.status == 404


def _not_made(outcome: Outcome) -> bool:
    """The write did not happen: refused for good, put off (a deferral here is a refusal that
    lag explains), or never tried (not an unknown outcome)."""
    if outcome.done in (Done.NOT_ATTEMPTED, Done.DEFERRED):
        return True
    return outcome.done is Done.FAILED and not outcome.retry


async def _withdraw(
    ledger: Ledger, kind: AssignmentKind, target_id: str, groups: list[str], stamp: str
) -> None:
    if not groups:
        return
    try:
        await ledger.record(kind, target_id, now=stamp, refused=groups)
    except AppError as error:  # the intent then expires on its own (core.history.RECENT)
        log.warning("assign: could not withdraw the intent on %s: %s", target_id, error)


async def _assign_each(
    gateway: GraphGateway, kind: AssignmentKind, target_id: str, pending: list[tuple[int, str]]
) -> dict[int, Outcome]:
    """One POST per group, on a profile or to the group's owners; a group's failure is its own
    (a missing permission stops the rest)."""
    done: dict[int, Outcome] = {}
    denied: PermissionDeniedError | None = None
    for index, group_id in pending:
        if denied is not None:
            done[index] = Outcome(Done.NOT_ATTEMPTED, error=denied)
            continue
        try:
            if kind is AssignmentKind.OWNER:
                made = await gateway.add_owner(group_id, target_id)
            else:
                made = await gateway.assign_profile(target_id, group_id)
        except AppError as error:
            if kind is AssignmentKind.OWNER and _not_shown(error):  # a group made moments ago
                done[index] = GROUP_NOT_SHOWN_YET
                continue
            done[index] = Outcome.failed(error)
            if isinstance(error, PermissionDeniedError):
                denied = error
            else:
                log.warning("assign: %s %s, group %s failed: %s", kind, target_id, group_id, error)
            continue
        done[index] = Outcome(Done.ASSIGNED if made else Done.ALREADY)
    return done


async def _assign_esp(
    gateway: GraphGateway,
    ledger: Ledger,
    kind: AssignmentKind,
    esp_id: str,
    pending: list[tuple[int, str]],
    now: dt.datetime,
) -> dict[int, Outcome]:
    """Read, merge, write once, read back, put back what went missing. Under the ESP's lock."""
    current = await gateway.esp_assignments(esp_id)
    present = group_ids(current)
    new = {g for _, g in pending} - present
    if not new:
        return {index: Outcome(Done.ALREADY) for index, _ in pending}
    history = await read_history(ledger, kind, esp_id, now)
    # The app's recent writes that Graph does not show yet, and begun ones that may have committed.
    keep = (history.pending | history.intended) - present
    # Written ahead: if this write commits but its answer is lost, the next writer keeps it.
    await ledger.record(kind, esp_id, now=now.isoformat(), intended=new)
    await gateway.assign_esp(esp_id, [*current, *(group_target(g) for g in sorted(new | keep))])
    after = await gateway.esp_assignments(esp_id)
    lost = _missing(current, after)
    if lost:  # someone else's assignment went missing: put it back, and say so
        await gateway.assign_esp(esp_id, [*after, *lost])
        log.warning(
            "assign: ESP %s: %d assignment(s) were missing after the write", esp_id, len(lost)
        )
    shown = group_ids(after)
    return {
        index: Outcome(
            Done.ALREADY if g in present else Done.ASSIGNED,
            shown=g in shown or g in present,
            put_back=len(lost),
        )
        for index, g in pending
    }


def _missing(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = {canonical(t) for t in after}
    return [t for t in before if canonical(t) not in kept]


async def _record_seen(
    entries: Sequence[AssignmentEntry], ledger: Ledger, view: IntuneView, stamp: str
) -> None:
    """Groups found on their target that no read had shown since the app last wrote them (or
    ever): from now on, their absence is drift."""
    unseen: dict[tuple[AssignmentKind, str], set[str]] = defaultdict(set)
    for entry in entries:
        if entry.action is not AssignAction.UNCHANGED or not entry.group_id or not entry.target_id:
            continue
        shown = entry.group_id in view.assigned.get(entry.target_id, frozenset())
        history = view.history.get(entry.target_id, TargetHistory())
        if shown and entry.group_id not in history.confirmed:  # not a pending one Graph hides
            unseen[(entry.kind, entry.target_id)].add(entry.group_id)
    for (kind, target_id), seen in unseen.items():
        try:
            await ledger.record(kind, target_id, now=stamp, seen=seen)
        except AppError as error:  # only the drift report of a later run depends on it
            log.warning("assign: could not record what was seen on %s: %s", target_id, error)
