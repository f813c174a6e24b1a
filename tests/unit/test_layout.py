"""The layout in docs/how-it-works.md matches the tree, and shared/'s modules stay small."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 300


LAYOUT_PAGE = ROOT / "docs" / "how-it-works.md"


def layout_block() -> list[str]:
    """The lines of the first code block under the page's "## Layout" heading, without the
    block's language tag."""
    text = LAYOUT_PAGE.read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1]
    block = section.split("```", 2)[1]
    return block.split("\n", 1)[1].strip("\n").splitlines()


def listed_paths() -> set[str]:
    """Each line's path, indented two spaces per folder level."""
    paths: set[str] = set()
    stack: list[str] = []
    for line in layout_block():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.strip().split()[0]
        stack = [*stack[:depth], name]
        paths.add("".join(stack) if depth else name)
    return paths


def test_every_module_of_shared_is_in_the_docs_layout_and_every_listed_one_exists():
    modules = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "shared").rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }
    listed = {
        path for path in listed_paths() if path.startswith("shared/") and path.endswith(".py")
    }

    assert modules == listed
    for package in {str(Path(m).parent) + "/" for m in modules}:
        assert package in listed_paths()


def test_no_module_in_shared_is_over_about_300_lines():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "shared").rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_the_layout_names_each_package_with_one_line_of_purpose():
    for line in layout_block():
        assert re.match(r"^\s*\S+(\s+\S+)?\s{2,}\S", line), line
