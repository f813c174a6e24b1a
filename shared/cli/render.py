"""The reconcile report as the command line prints it: one table of groups, one of assignments."""

from __future__ import annotations

from collections.abc import Sequence

from shared.core.wording import assignment_outcome, entry_outcome, entry_reason
from shared.shell.report import Report


def render_table(report: Report) -> str:
    groups = [("ACTION", "KIND", "VALUE", "SCENARIO", "GROUP", "OUTCOME", "REASON")]
    for entry in report.entries:
        groups.append(
            (
                entry.action.value,
                entry.kind.value,
                _cut(entry.value, 32),
                entry.scenario or "-",
                _cut(entry.display_name or "-", 48),
                entry_outcome(entry),
                _cut(entry_reason(entry), 90),
            )
        )
    lines = _table(groups)
    if report.assignments:
        assignments = [("ASSIGN", "TO", "NAME", "SCENARIO", "GROUP", "OUTCOME", "REASON")]
        for assignment in report.assignments:
            assignments.append(
                (
                    assignment.action.value,
                    assignment.kind.value,
                    _cut(assignment.target_name or assignment.name, 32),
                    assignment.scenario,
                    _cut(assignment.group_name or "-", 48),
                    _cut(assignment_outcome(assignment), 40),
                    _cut(assignment.reason, 90),
                )
            )
        lines += ["", *_table(assignments)]
    lines.append("")
    lines.append(report.summary())
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell; the last column (the reason) is left as it is."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]


def _cut(text: str, limit: int) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"
