"""Scan infra/ with checkov (offline), once per parameters file in infra/scan/, and fail on any
failed check, parsing error or bare skip in any of the scans.

checkov reads the .bicep files and nothing else: no .bicepparam, no parameters JSON (its Bicep
runner takes files ending in .bicep only). It does not evaluate expressions either: a ternary is
compared as it stands, and a parameter is replaced by its default only when that default is
truthy. So one switch (``vnetEnabled``) cannot be scanned both ways from the template as written.
For each ``infra/scan/<variant>.parameters.json`` this tool writes a variant of the template into
a temporary folder and scans that:

- each parameter the file names gets the file's value as its default;
- each one-line ternary whose condition those values decide (directly, or through a ``var`` of
  ``&&``, ``||``, ``!`` and ``empty()``) is replaced by the branch taken; a ternary that mentions
  them but cannot be decided stops the scan instead of being misread;
- each skip marked for that variant, ``// checkov:skip-in-<variant>=CKV_ID:reason``, becomes a
  real ``checkov:skip``; skips marked for another variant stay inert comments.

Everything else is left as written, so checkov sees the template's own text. The verdict is read
from checkov's JSON summary, not its exit code: checkov exits 0 when it cannot parse a file. Every
skip must carry its reason.

    python tools/check_infra.py CHECKOV [FOLDER]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

Value = bool | str | int

PARAM = re.compile(r"^param (\w+) (\w+)(?: = (.+))?$")
VAR = re.compile(r"^var (\w+) = (.+)$")
# Where a ternary may stand: the whole value of a property, a var or an output.
VALUE_START = re.compile(r"^(\s*(?:[\w'.-]+: |var \w+ = |output \w+ \w+ = ))(.+)$")
CONDITIONAL_SKIP = re.compile(r"checkov:skip-in-([\w-]+)=")
TOKEN = re.compile(r"\s*(&&|\|\||!|\(|\)|'(?:[^'\\]|\\.)*'|\w+)")


class Undecided(Exception):
    """A condition the given values cannot decide (an unknown name, a function, a non-literal)."""


# --- reading declarations ---


def literal(text: str) -> Value | None:
    """A Bicep literal (true, false, 12, 'text' without interpolation), or None."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"'(?:[^'\\$]|\\.|\$(?!\{))*'", text):
        return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    return None


def declarations(text: str) -> tuple[dict[str, Value], dict[str, str]]:
    """Parameters with a literal default (name → value) and one-line vars (name → expression)."""
    params: dict[str, Value] = {}
    variables: dict[str, str] = {}
    for line in text.splitlines():
        param = PARAM.match(line)
        if param and param.group(3) is not None:
            value = literal(param.group(3))
            if value is not None:
                params[param.group(1)] = value
        var = VAR.match(line)
        if var:
            variables[var.group(1)] = var.group(2).strip()
    return params, variables


# --- deciding a condition ---


class Condition:
    """``&&``, ``||``, ``!``, parentheses, ``empty(x)``, names and literals; nothing else."""

    def __init__(self, params: Mapping[str, Value], variables: Mapping[str, str]) -> None:
        self.params = params
        self.variables = variables

    def names(self, expression: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every name the expression reads, through the vars it reads."""
        found = set()
        for name in re.findall(r"(?<!['.\w])([A-Za-z_]\w*)(?!\s*\()", strip_strings(expression)):
            found.add(name)
            if name in self.variables and name not in seen:
                found |= self.names(self.variables[name], seen | {name})
        return found

    def value(self, expression: str, seen: frozenset[str] = frozenset()) -> Value:
        result, rest = self._or(tokens(expression), seen)
        if rest:
            raise Undecided(expression)
        return result

    def _or(self, tokens: list[str], seen: frozenset[str]) -> tuple[Value, list[str]]:
        left, tokens = self._and(tokens, seen)
        while tokens[:1] == ["||"]:
            right, tokens = self._and(tokens[1:], seen)
            left = _bool(left) or _bool(right)
        return left, tokens

    def _and(self, tokens: list[str], seen: frozenset[str]) -> tuple[Value, list[str]]:
        left, tokens = self._not(tokens, seen)
        while tokens[:1] == ["&&"]:
            right, tokens = self._not(tokens[1:], seen)
            left = _bool(left) and _bool(right)
        return left, tokens

    def _not(self, tokens: list[str], seen: frozenset[str]) -> tuple[Value, list[str]]:
        if tokens[:1] == ["!"]:
            operand, rest = self._not(tokens[1:], seen)
            return not _bool(operand), rest
        return self._atom(tokens, seen)

    def _atom(self, tokens: list[str], seen: frozenset[str]) -> tuple[Value, list[str]]:
        if not tokens:
            raise Undecided("an expression ends early")
        head, rest = tokens[0], tokens[1:]
        if head == "(":
            result, rest = self._or(rest, seen)
            return result, _expect(rest, ")")
        if head == "empty" and rest[:1] == ["("]:
            operand, rest = self._or(rest[1:], seen)
            if not isinstance(operand, str):
                raise Undecided("empty() of something other than a string")
            return operand == "", _expect(rest, ")")
        value = literal(head)
        if value is not None:
            return value, rest
        if head in self.params:
            return self.params[head], rest
        if head in self.variables and head not in seen:
            return self.value(self.variables[head], seen | {head}), rest
        raise Undecided(head)


def tokens(expression: str) -> list[str]:
    """The condition's tokens; Undecided if any part of it is not one (a call, ==, a member)."""
    found = TOKEN.findall(expression)
    if "".join(found).replace(" ", "") != expression.replace(" ", ""):
        raise Undecided(expression)
    return found


def _bool(value: Value) -> bool:
    if not isinstance(value, bool):
        raise Undecided(f"{value!r} is not a bool")
    return value


def _expect(tokens: list[str], token: str) -> list[str]:
    if tokens[:1] != [token]:
        raise Undecided(f"expected {token}")
    return tokens[1:]


# --- reading one line of Bicep ---


def strip_strings(text: str) -> str:
    """The code of a line with every string literal's text blanked (interpolations kept)."""
    return "".join(ch for ch, in_string in _scan(text) if not in_string)


def _scan(text: str) -> Iterator[tuple[str, bool]]:
    """Each character with whether it is inside a string literal (not inside an interpolation)."""
    frames: list[int] = []  # one brace depth per open interpolation
    in_string = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\" and i + 1 < len(text):
                yield ch, True
                yield text[i + 1], True
                i += 2
                continue
            if ch == "'":
                in_string = False
                yield ch, False
            elif text.startswith("${", i):
                frames.append(0)
                in_string = False
                yield "$", False
                yield "{", False
                i += 2
                continue
            else:
                yield ch, True
        else:
            if ch == "'":
                in_string = True
                yield ch, False
            elif ch == "{" and frames:
                frames[-1] += 1
                yield ch, False
            elif ch == "}" and frames:
                if frames[-1] == 0:
                    frames.pop()
                    in_string = True
                else:
                    frames[-1] -= 1
                yield ch, False
            else:
                yield ch, False
        i += 1


def top_level(text: str, wanted: str) -> int:
    """Index of the first ``wanted`` outside strings, brackets and a comment; -1 if none."""
    depth = 0
    chars = list(_scan(text))
    for index, (ch, in_string) in enumerate(chars):
        if in_string:
            continue
        if ch == "/" and index + 1 < len(chars) and chars[index + 1] == ("/", False):
            return -1
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == wanted and depth == 0:
            return index
    return -1


# --- the variant ---


def resolve_line(line: str, decide: Condition, switches: set[str]) -> str:
    """The line with its ternary replaced by the branch taken, if ``switches`` decide it."""
    while True:
        start = VALUE_START.match(line)
        if not start or line.lstrip().startswith("//"):
            return line
        lead, rest = start.groups()
        question = top_level(rest, "?")
        if question < 0:
            return line
        condition = rest[:question].strip()
        if not decide.names(condition) & switches:
            return line
        try:
            taken = decide.value(condition)
        except Undecided as undecided:
            raise SystemExit(
                f"cannot decide the ternary in {line.strip()!r} ({undecided}): keep conditions "
                f"on the scanned parameters to names, !, &&, || and empty()"
            ) from None
        branches = rest[question + 1 :]
        colon = top_level(branches, ":")
        if colon < 0:
            raise SystemExit(f"no ':' in the ternary {line.strip()!r}")
        chosen = branches[:colon] if _bool(taken) else branches[colon + 1 :]
        line = lead + chosen.strip()


def set_default(text: str, name: str, value: Value) -> str:
    """The template with parameter ``name``'s default set to ``value``."""
    pattern = re.compile(rf"^param {name} (\w+)(?: = .+)?$", re.MULTILINE)
    found = pattern.findall(text)
    if len(found) != 1:
        raise SystemExit(f"the parameters file names {name}, which the template does not declare")
    return pattern.sub(lambda m: f"param {name} {m.group(1)} = {bicep_literal(value)}", text)


def bicep_literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${")
    return f"'{escaped}'"


def variant(text: str, name: str, values: Mapping[str, Value]) -> str:
    """The template as one parameters file makes it, for checkov (see the module docstring)."""
    for param, value in values.items():
        text = set_default(text, param, value)
    params, variables = declarations(text)
    decide = Condition(params, variables)
    lines = [resolve_line(line, decide, set(values)) for line in text.splitlines()]
    resolved = "\n".join(lines) + "\n"
    return resolved.replace(f"checkov:skip-in-{name}=", "checkov:skip=")


def parameters_file(path: Path) -> dict[str, Value]:
    """A deploymentParameters JSON file's values (bool, int or string only)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    values: dict[str, Value] = {}
    for param, entry in data["parameters"].items():
        value = entry["value"]
        if not isinstance(value, bool | int | str):
            raise SystemExit(f"{path}: {param} must be a bool, an int or a string")
        values[param] = value
    return values


def variants(folder: Path) -> dict[str, dict[str, Value]]:
    """Variant name → parameter values, from ``<folder>/scan/<name>.parameters.json``."""
    files = sorted((folder / "scan").glob("*.parameters.json"))
    if not files:
        raise SystemExit(f"no {folder}/scan/*.parameters.json: nothing says how to scan")
    return {path.name.removesuffix(".parameters.json"): parameters_file(path) for path in files}


def write_variant(folder: Path, name: str, values: Mapping[str, Value], target: Path) -> None:
    target.mkdir(parents=True)
    known = set(variants(folder))
    for source in sorted(folder.glob("*.bicep")):
        text = source.read_text(encoding="utf-8")
        unknown = set(CONDITIONAL_SKIP.findall(text)) - known
        if unknown:
            raise SystemExit(
                f"{source}: skips for {sorted(unknown)}, which no parameters file names"
            )
        (target / source.name).write_text(variant(text, name, values), encoding="utf-8")


# --- checkov ---


def scan(checkov: str, folder: str) -> dict[str, Any]:
    """checkov's JSON report for the Bicep files of ``folder``."""
    command = [checkov, "-d", folder, "--framework", "bicep", "--skip-download", "-o", "json"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(
            f"checkov gave no JSON report (exit code {completed.returncode})"
        ) from None
    if isinstance(report, list):  # one report per framework; only bicep was asked for
        [report] = report
    if "summary" not in report:  # nothing found to scan: a bare summary
        report = {"summary": report, "results": {}}
    return dict(report)


def problems(report: dict[str, Any]) -> list[str]:
    """What makes the scan fail, one line each (empty when it passes)."""
    summary, results = report["summary"], report.get("results", {})
    found = []
    if summary["resource_count"] == 0:
        found.append("no resource was scanned")
    if summary["parsing_errors"]:
        files = ", ".join(results.get("parsing_errors", [])) or "?"
        found.append(f"{summary['parsing_errors']} file(s) checkov could not parse: {files}")
    for check in results.get("failed_checks", []):
        found.append(f"FAILED {check['check_id']} {check['resource']}: {check['check_name']}")
    for check in results.get("skipped_checks", []):
        if not (check["check_result"].get("suppress_comment") or "").strip():
            found.append(f"SKIPPED without a reason: {check['check_id']} {check['resource']}")
    return found


def report_variant(name: str, folder: str, report: dict[str, Any]) -> list[str]:
    summary = report["summary"]
    for check in report.get("results", {}).get("skipped_checks", []):
        reason = check["check_result"].get("suppress_comment")
        print(f"[{name}] skipped {check['check_id']} {check['resource']}: {reason}")
    print(
        f"[{name}] checkov {summary['checkov_version']} on {folder}/ as {name}: "
        f"{summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped, "
        f"{summary['parsing_errors']} parsing errors ({summary['resource_count']} resources)"
    )
    return [f"[{name}] {line}" for line in problems(report)]


def main(argv: list[str]) -> int:
    checkov, folder = argv[0], argv[1] if len(argv) > 1 else "infra"
    found = []
    with tempfile.TemporaryDirectory(prefix="check-infra-") as temp:
        for name, values in variants(Path(folder)).items():
            target = Path(temp) / name
            write_variant(Path(folder), name, values, target)
            found += report_variant(name, folder, scan(checkov, str(target)))
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
