"""The assignment ledger, read at one moment: which of the app's groups a target had, which are
the app's own writes that Graph may not show yet, and which a read has confirmed.

Graph's assignment reads may lag behind its writes (docs/graph-contract.md, row 35), so a group
the app wrote moments ago and Graph does not show is pending, not drift; the window is ``RECENT``.
Only a confirmed write earns that grace. An intent the ledger holds without a confirmed write
(the writer stopped between the two, or its answer was lost) is not a write: it is written again
at once, which is safe, since a duplicate counts as done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from shared.core.model import LedgerEntry, TargetHistory

# How long a write of the app's own may take to show in Graph's reads; within it, a missing group
# the app wrote is "not shown yet", not drift, and is kept by the next write of a replaced list.
RECENT = dt.timedelta(minutes=10)


def target_history(
    entries: Mapping[str, LedgerEntry], now: dt.datetime, window: dt.timedelta = RECENT
) -> TargetHistory:
    """Known, pending and confirmed groups of one target, from its ledger entries at ``now``."""
    since = (now - window).isoformat()
    known, pending, confirmed, intended = set(), set(), set(), set()
    for group, entry in entries.items():
        written, intent = entry.written or "", entry.intended or ""
        if entry.seen and entry.seen >= max(written, intent):
            confirmed.add(group)
        elif written >= since and written >= intent:  # the last attempt is a confirmed write
            pending.add(group)
        elif intent >= since:  # the last attempt was never confirmed
            intended.add(group)
        if entry.seen or entry.written:
            known.add(group)
    return TargetHistory(
        frozenset(known), frozenset(pending), frozenset(confirmed), frozenset(intended)
    )
