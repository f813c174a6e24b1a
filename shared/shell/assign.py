"""Observe and apply the profile and ESP assignments of a plan, for the timer and a request alike.

Observe: each profile and ESP the catalogue names is listed once and resolved; the assignments
of each named one are read once; the ledger says which of the app's groups were on it before.

Apply: profiles take one POST per missing group (additive: nothing can be lost). An ESP's
``assign`` replaces its whole list, so under the ESP's lock the list is read again, the new groups
and the app's own recent writes that Graph does not show yet are added, the list is written once
and read back. Any assignment that was there before and is missing afterwards is put back, and the
outcome says so: an assignment someone else made is never lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.core.assignments import (
    ASSIGN_WRITES,
    AssignAction,
    AssignmentEntry,
    AssignmentKind,
    IntuneObject,
    IntuneView,
    TargetHistory,
    named_targets,
    resolve,
)
from shared.core.catalogue import Catalogue
from shared.core.errors import AppError, PermissionDeniedError, TransientError
from shared.graph.gateway import GraphGateway
from shared.graph.intune import canonical, group_ids, group_target
from shared.shell.apply import Applied, failed_text
from shared.storage.ledger import Ledger

log = logging.getLogger(__name__)

# How long a write of the app's own may take to show in Graph's reads; within it, a missing group
# the app wrote is "not shown yet", not drift, and is kept by the next write of a replaced list.
RECENT = dt.timedelta(minutes=10)
NOT_SHOWN = "Graph does not show it yet"
# A group the upsert found already made (204) whose id no read shows yet: a later run assigns it.
DEFERRED = "deferred: Graph does not show the group yet, so its id is unknown; the next run"
NO_LEDGER = "not attempted: assigning needs AzureWebJobsStorage (the assignments' lock and history)"


@dataclass(frozen=True)
class AssignResult:
    outcomes: dict[int, str]  # assignment entry index -> outcome
    denied: PermissionDeniedError | None = None  # the first 403, which stopped the rest
    errors: dict[int, AppError] = field(default_factory=dict)  # the failed entries' errors


async def observe_intune(
    gateway: GraphGateway,
    ledger: Ledger | None,
    catalogue: Catalogue,
    now: dt.datetime,
    scenarios: Collection[str] | None = None,
) -> IntuneView:
    """What the assignments need to be planned: every named profile (a group must not go on a
    second one) and the ESPs of ``scenarios`` (all scenarios when None)."""
    named = named_targets(catalogue)
    if scenarios is not None:
        named[AssignmentKind.ESP] = {
            s.enrollment_status_page
            for s in catalogue.scenarios
            if s.key in scenarios and s.enrollment_status_page
        }
    objects: dict[AssignmentKind, Sequence[IntuneObject]] = {}
    if named.get(AssignmentKind.PROFILE):
        objects[AssignmentKind.PROFILE] = await gateway.autopilot_profiles()
    if named.get(AssignmentKind.ESP):
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
                else (gateway.esp_assignments)
            )
            assigned[target.id] = group_ids(await read(target.id))
            history[target.id] = await _history(ledger, kind, target.id, now)
    return IntuneView(objects, assigned, history)


async def _history(
    ledger: Ledger | None, kind: AssignmentKind, target_id: str, now: dt.datetime
) -> TargetHistory:
    if ledger is None:
        return TargetHistory()
    entries = await ledger.history(kind, target_id)
    since = (now - RECENT).isoformat()
    known, pending, confirmed = set(), set(), set()
    for group, entry in entries.items():
        last_write = max(entry.written or "", entry.intended or "")
        if entry.seen and entry.seen >= last_write:
            confirmed.add(group)
        elif last_write >= since:
            pending.add(group)
        if entry.seen or entry.written:
            known.add(group)
    return TargetHistory(frozenset(known), frozenset(pending), frozenset(confirmed))


async def apply_assignments(
    entries: Sequence[AssignmentEntry],
    groups: Mapping[int, Applied],
    gateway: GraphGateway,
    ledger: Ledger | None,
    view: IntuneView,
    now: dt.datetime,
) -> AssignResult:
    """Write the assign and repair entries; record what was seen and written in the ledger.

    ``groups`` are the group writes' outcomes by group entry: a group created in this run gets
    its id from there.
    """
    outcomes: dict[int, str] = {}
    by_target: dict[tuple[AssignmentKind, str], list[tuple[int, str]]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if entry.action not in ASSIGN_WRITES:
            continue
        group_id = entry.group_id or _created_id(groups.get(entry.group_entry))
        if ledger is None:
            outcomes[index] = NO_LEDGER
        elif group_id is None:
            outcomes[index] = DEFERRED
        else:
            by_target[(entry.kind, str(entry.target_id))].append((index, group_id))
    if ledger is None:
        return AssignResult(outcomes)
    denied: PermissionDeniedError | None = None
    errors: dict[int, AppError] = {}
    stamp = now.isoformat()
    for (kind, target_id), pending in by_target.items():
        try:
            if denied is not None:
                raise denied
            if kind is AssignmentKind.PROFILE:
                # Written ahead, as for ESPs: a POST whose answer is lost may still have made the
                # assignment, and until a read shows it, later plans wait instead of re-posting.
                intended = [g for _, g in pending]
                await ledger.record(kind, target_id, now=stamp, intended=intended)
                done, failures = await _assign_profile(gateway, target_id, pending)
                errors.update(failures)
                refused = [g for i, g in pending if i in failures and _final(failures[i])]
                await _withdraw(ledger, kind, target_id, refused, stamp)
                denied = denied or next(
                    (e for e in failures.values() if isinstance(e, PermissionDeniedError)), None
                )
            else:
                async with ledger.lock(kind, target_id):
                    done = await _assign_esp(gateway, ledger, kind, target_id, pending, now)
            outcomes.update(done)
            written = [g for i, g in pending if outcomes[i].startswith("assigned")]
            shown = [g for i, g in pending if NOT_SHOWN not in outcomes[i]]
            if kind is AssignmentKind.PROFILE:  # a POST is not read back: shown once a read does
                shown = [g for i, g in pending if outcomes[i].startswith("already")]
            await ledger.record(kind, target_id, now=stamp, seen=shown, written=written)
        except AppError as error:
            if isinstance(error, PermissionDeniedError):
                denied = denied or error
            else:
                log.warning("assign: %s %s failed: %s", kind, target_id, error)
            outcomes.update({i: failed_text(error) for i, _ in pending})
            errors.update({i: error for i, _ in pending})
            if _final(error):  # refused for good: nothing is pending
                await _withdraw(ledger, kind, target_id, [g for _, g in pending], stamp)
    await _record_seen(entries, ledger, view, stamp)
    return AssignResult(outcomes, denied, errors)


def _final(error: AppError) -> bool:
    """Refused for good (the write did not happen), as opposed to an outcome not known yet."""
    return not isinstance(error, TransientError)


async def _withdraw(
    ledger: Ledger, kind: AssignmentKind, target_id: str, groups: list[str], stamp: str
) -> None:
    if not groups:
        return
    try:
        await ledger.record(kind, target_id, now=stamp, refused=groups)
    except AppError as error:  # the intent then expires on its own (RECENT)
        log.warning("assign: could not withdraw the intent on %s: %s", target_id, error)


def _created_id(applied: Applied | None) -> str | None:
    return applied.group.id if applied is not None and applied.group is not None else None


async def _assign_profile(
    gateway: GraphGateway, profile_id: str, pending: list[tuple[int, str]]
) -> tuple[dict[int, str], dict[int, AppError]]:
    """One POST per group; a group's failure is its own (a missing permission stops the rest)."""
    done: dict[int, str] = {}
    failures: dict[int, AppError] = {}
    for index, group_id in pending:
        if any(isinstance(e, PermissionDeniedError) for e in failures.values()):
            failures[index] = next(iter(failures.values()))
            done[index] = "not attempted (permission missing)"
            continue
        try:
            made = await gateway.assign_profile(profile_id, group_id)
        except AppError as error:
            failures[index], done[index] = error, failed_text(error)
            if not isinstance(error, PermissionDeniedError):
                log.warning("assign: profile %s, group %s failed: %s", profile_id, group_id, error)
            continue
        done[index] = "assigned" if made else "already assigned"
    return done, failures


async def _assign_esp(
    gateway: GraphGateway,
    ledger: Ledger,
    kind: AssignmentKind,
    esp_id: str,
    pending: list[tuple[int, str]],
    now: dt.datetime,
) -> dict[int, str]:
    """Read, merge, write once, read back, put back what went missing. Under the ESP's lock."""
    current = await gateway.esp_assignments(esp_id)
    present = group_ids(current)
    new = {g for _, g in pending} - present
    if not new:
        return {index: "already assigned" for index, _ in pending}
    history = await _history(ledger, kind, esp_id, now)
    keep = history.pending - present  # the app's recent writes that Graph does not show yet
    # Written ahead: if this write commits but its answer is lost, the next writer keeps it.
    await ledger.record(kind, esp_id, now=now.isoformat(), intended=new)
    await gateway.assign_esp(esp_id, [*current, *(group_target(g) for g in sorted(new | keep))])
    after = await gateway.esp_assignments(esp_id)
    lost = _missing(current, after)
    note = ""
    if lost:  # someone else's assignment went missing: put it back, and say so
        await gateway.assign_esp(esp_id, [*after, *lost])
        note = f"; put back {len(lost)} assignment(s) another writer removed"
        log.warning(
            "assign: ESP %s: %d assignment(s) were missing after the write", esp_id, len(lost)
        )
    shown = group_ids(after)
    return {
        index: ("already assigned" if g in present else "assigned")
        + ("" if g in shown or g in present else f" ({NOT_SHOWN})")
        + note
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
