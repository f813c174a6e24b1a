"""A run's report (its JSON document, live or stored) as the command line shows it.

``render_table``: the groups, then the assignments, each row with its reason on the lines below,
everything wrapped (never cut) to fit 100 columns. ``render_markdown``: the same for pasting
into a change ticket. Both read the document ``Report.to_dict()`` makes, so ``plan`` and
``report`` print the same table.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

WIDTH = 100
INDENT = " " * 9
GROUP_COLUMNS = (("ACTION", 8), ("GROUP", 44), ("SCENARIO", 20), ("OUTCOME", 22))
ASSIGN_COLUMNS = (("ASSIGN", 8), ("GROUP", 34), ("TO", 30), ("OUTCOME", 22))
KIND_WORDS = {"autopilotProfile": "profile", "enrollmentStatusPage": "ESP"}


Row = tuple[tuple[str, ...], str]


def render_table(document: dict[str, Any], *, reasons: bool = True) -> str:
    """The report as tables; without ``reasons``, one line a row (the demo's short form)."""
    lines = [*_wrap(_header(document)[0], ""), ""]
    rows: list[Row] = []
    for entry in document.get("entries", []):
        detail = f"{entry['kind']} {_printable(entry['value'])!r}" if entry["value"] else ""
        detail += f", {entry['devices']} devices" if entry.get("devices") else ""
        reason = "; ".join(part for part in (detail, entry["reason"]) if part)
        cells = (entry["action"], entry["displayName"] or "-", entry["scenario"] or "-")
        rows.append(((*cells, entry["outcome"]), reason if reasons else ""))
    lines += _table(GROUP_COLUMNS, rows)
    assignments = document.get("assignments") or []
    if assignments:
        rows = []
        for entry in assignments:
            cells = (entry["action"], entry["groupName"] or "-", repr_target(entry))
            rows.append(((*cells, entry["outcome"]), entry["reason"] if reasons else ""))
        lines += ["", *_table(ASSIGN_COLUMNS, rows)]
    lines += ["", *_wrap(document.get("summary") or "", "")]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_markdown(document: dict[str, Any]) -> str:
    """The report for a change ticket: what ran, its totals, one table row per entry."""
    lines = [
        f"### Autopilot groups: {document.get('mode')} run {document.get('runId')}",
        "",
        *(f"- {line}" for line in _header(document)),
        "",
        "| Action | Group | Scenario | Outcome | Reason |",
        "|---|---|---|---|---|",
    ]
    for entry in document.get("entries", []):
        cells = (
            entry["action"],
            entry["displayName"] or entry["value"] or "-",
            entry["scenario"] or "-",
            entry["outcome"],
            entry["reason"],
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    assignments = document.get("assignments") or []
    if assignments:
        lines += ["", "| Assign | Group | To | Outcome | Reason |", "|---|---|---|---|---|"]
        for entry in assignments:
            to = repr_target(entry)
            cells = (entry["action"], entry["groupName"], to, entry["outcome"], entry["reason"])
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", _cell(document.get("summary") or "")]
    return "\n".join(lines) + "\n"


def repr_target(entry: dict[str, Any]) -> str:
    """An assignment's target in words: ``profile 'User-driven'``."""
    kind = KIND_WORDS.get(entry["kind"], entry["kind"])
    return f"{kind} {entry['targetName'] or entry['name']!r}"


def _header(document: dict[str, Any]) -> list[str]:
    mode = document.get("mode")
    said = [f"{mode} mode" + (": nothing was written" if mode == "plan" else "")]
    if document.get("startedAt"):
        said.append(f"run {document.get('runId')}, {document['startedAt']} to ")
        said[-1] += str(document.get("endedAt"))
    if document.get("digest"):
        approved = " (approved)" if document.get("approved") else ""
        said.append(f"plan digest {document['digest']}{approved}")
    return ["; ".join(said)]


def _table(columns: Sequence[tuple[str, int]], rows: Sequence[Row]) -> list[str]:
    """A header, then for each row its cells (each wrapped in its column) and its reason."""
    lines = ["  ".join(name.ljust(width) for name, width in columns)]
    widths = [width for _, width in columns]
    for cells, reason in rows:
        wrapped = [_wrap(_printable(str(c)), "", w) for c, w in zip(cells, widths, strict=True)]
        for i in range(max(len(w) for w in wrapped)):
            parts = [(w[i] if i < len(w) else "") for w in wrapped]
            lines.append("  ".join(p.ljust(w) for p, w in zip(parts, widths, strict=True)))
        if reason:
            lines += _wrap(_printable(reason), INDENT)
    return lines


def _wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    if not text:
        return [""]
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [""]


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _cell(text: object) -> str:
    return _printable(str(text)).replace("|", "\\|")
