"""The Bicep template read as text (Bicep cannot be compiled here): helpers for the infra tests.

``variant_text`` gives the template as one set of parameter values makes it, the way
tools/check_infra.py hands it to checkov: the one-line ternaries those values decide are replaced
by the branch taken. ``deployed`` says which resources such a deployment creates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from tools.check_infra import Condition, Value, declarations, variant

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"


def bicep_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(INFRA.glob("*.bicep")))


def code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.strip().startswith("//")]


def object_var(name: str, text: str | None = None) -> dict[str, str]:
    """Key → Bicep expression, from a ``var <name> = {...}`` object of one-line values."""
    lines = code_lines(bicep_text() if text is None else text)
    start = lines.index(f"var {name} = {{")
    end = lines.index("}", start)
    entries: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        match = re.fullmatch(r"\s*'?([A-Za-z_][\w.]*)'?\s*:\s*(.+?)\s*", line)
        assert match, f"cannot read the line {line!r} of var {name}"
        assert match.group(1) not in entries, f"{name}.{match.group(1)} is set twice"
        entries[match.group(1)] = match.group(2)
    return entries


def app_settings() -> dict[str, str]:
    """Name → Bicep expression, from the one ``var appSettings = {...}`` object."""
    return object_var("appSettings")


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


def resource_block(name: str, text: str | None = None) -> str:
    """A resource's code, comments left out, from its declaration to its closing brace."""
    code = "\n".join(code_lines(bicep_text() if text is None else text))
    start = code.index(f"resource {name} '")
    return code[start : code.index("\n}", start)]


def resources_of_type(resource_type: str, text: str | None = None) -> list[str]:
    """Symbolic names of the resources of one type (any API version)."""
    pattern = rf"^resource (\w+) '{re.escape(resource_type)}@"
    return re.findall(pattern, bicep_text() if text is None else text, re.MULTILINE)


def variant_text(values: Mapping[str, Value], name: str = "test") -> str:
    """The template as a deployment with these parameter values makes it (see the docstring)."""
    return variant(bicep_text(), name, values)


def deployed(values: Mapping[str, Value]) -> set[str]:
    """Symbolic names of the resources a deployment with these values creates."""
    text = variant_text(values)
    defaults, variables = declarations(text)
    decide = Condition(defaults, variables)
    created = set()
    for name, condition in re.findall(
        r"^resource (\w+) '[^']+' = (?:if \((.+)\) )?\{", text, re.MULTILINE
    ):
        if not condition or decide.value(condition):
            created.add(name)
    return created


def alert_queries() -> dict[str, str]:
    """The alerts' queries by key, from the one ``var alertQueries = {...}`` object."""
    return {key: literal(query) for key, query in object_var("alertQueries").items()}


def startswith_literals(query: str) -> list[str]:
    """The ``startswith "..."`` literals of a query, in order: the log text it matches on."""
    return re.findall(r'startswith "([^"]*)"', query)


def alert_literals() -> dict[str, list[str]]:
    """Each alert query's key → the ``startswith`` literals it matches log lines on."""
    return {key: startswith_literals(query) for key, query in alert_queries().items()}
