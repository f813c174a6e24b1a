"""The Bicep template read as text (Bicep cannot be compiled here): helpers for the infra tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"


def bicep_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(INFRA.glob("*.bicep")))


def code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.strip().startswith("//")]


def app_settings() -> dict[str, str]:
    """Name → Bicep expression, from the one ``var appSettings = {...}`` object."""
    lines = code_lines(bicep_text())
    start = lines.index("var appSettings = {")
    end = lines.index("}", start)
    settings: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        match = re.fullmatch(r"\s*'?([A-Za-z_][\w.]*)'?\s*:\s*(.+?)\s*", line)
        assert match, f"cannot read app setting line {line!r}"
        assert match.group(1) not in settings, f"{match.group(1)} is set twice"
        settings[match.group(1)] = match.group(2)
    return settings


def params() -> dict[str, tuple[str, str | None]]:
    """Parameter name → (type, default expression or None)."""
    found = {}
    for line in code_lines(bicep_text()):
        match = re.fullmatch(r"param (\w+) (\w+)(?: = (.+))?", line.strip())
        if match:
            found[match.group(1)] = (match.group(2), match.group(3))
    return found


def literal(expression: str) -> str:
    """A Bicep literal as the app setting's text: 'x' → x, 25 → 25."""
    return expression[1:-1] if expression.startswith("'") else expression
