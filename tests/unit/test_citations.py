"""Comments and docstrings cite the repository's own record, never notes kept outside it.

The facts the code relies on are recorded in ``docs/graph-contract.md`` (one row each) and in
``graph_emulator/README.md`` (what the emulator emulates, and its "Strict profile" table). A
citation of a team note (``graph-facts §3``, ``intune-assignments.md``, ``peers §3.4``, …)
names a file no reader of the repository has, so none may remain in a tracked Python file or
in the emulator's README.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THIS = Path(__file__).resolve()
NOTE_NAMES = re.compile(
    r"graph-facts|intune-assignments|runtime-and-infra|peers-and-user-asks|house-style"
    r"|shared/reference|reference notes|peers §"
)


def _checked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py", "graph_emulator/README.md"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    files = [ROOT / name for name in listed.split("\0") if name]
    return [path for path in files if path.resolve() != THIS and path.is_file()]


def test_the_walk_covers_the_emulator_and_the_tests() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in _checked_files()}
    assert "graph_emulator/README.md" in names
    assert "graph_emulator/state.py" in names
    assert "tests/unit/test_contract.py" in names
    assert "tests/unit/test_citations.py" not in names


def test_no_comment_or_docstring_cites_a_note_kept_outside_the_repository() -> None:
    offending = []
    for path in _checked_files():
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if NOTE_NAMES.search(line):
                offending.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}")
    for entry in offending:
        print(entry)
    assert not offending, (
        "cite docs/graph-contract.md (its row) or graph_emulator/README.md (its section), "
        "or the public source, instead of a note kept outside the repository:\n"
        + "\n".join(offending)
    )
