"""The README and the docs site stay true to the code and to each other.

- The README is short and starts where an admin starts: at most 250 lines, `azd up` in its first
  120, its quickstart (which `make run` points to) and what the app has and has not been proven
  against.
- Every bash block is followed by its PowerShell form, running the same commands in the same
  order, so that the two cannot drift apart; every code block says its language, so that none
  escapes that rule.
- Every page is in the site's navigation, every page issue 19 asks for exists, and every link of
  the README to a file of the repository (and a heading in it) resolves. mkdocs checks the site's
  own links (`make docs`, part of `make test`).
- The configuration page lists every setting with its default and its azd name; the
  troubleshooting page every check of the doctor and every error message the settings, the
  catalogue, the grant, storage and rules raise; the operations page the alerts' queries as the
  template has them; the examples of requests and answers are valid by the published schemas.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from shared.cli.doctor import UPSERT_CHECK, reads_for
from shared.cli.doctor_checks import TOKEN_CHECK
from shared.config.settings import SETTINGS, Settings
from shared.core.preflight import SETTINGS_CHECK
from shared.core.request_schema import parse_request
from tests.unit.bicep import bicep_text

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
SHELLS = ("bash", "sh", "shell", "console")
FENCE = re.compile(r"^( *)```(\S*)\s*$")


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_blocks(path: Path) -> list[tuple[int, str, str]]:
    """Each fenced block: the line it starts on, its language, its text."""
    blocks, lines, index = [], read(path).splitlines(), 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if opened:
            end = index + 1
            while not re.match(rf"^{opened.group(1)}```\s*$", lines[end]):
                end += 1
            body = [line.removeprefix(opened.group(1)) for line in lines[index + 1 : end]]
            blocks.append((index + 1, opened.group(2), "\n".join(body)))
            index = end
        index += 1
    return blocks


# --- the README -------------------------------------------------------------------------------


def test_the_readme_is_at_most_250_lines_and_reaches_azd_up_within_its_first_120():
    lines = read(README).splitlines()

    assert len(lines) <= 250
    first = next(number for number, line in enumerate(lines, 1) if "azd up" in line)
    assert first <= 120


def test_the_readme_has_the_quickstart_make_run_points_to():
    demo = read(ROOT / "local_runner" / "demo.py")

    assert "README.md, Quickstart" in demo
    assert "\n## Quickstart\n" in read(README)


def test_the_readme_says_what_the_app_has_and_has_not_been_proven_against():
    text = " ".join(read(README).split())

    assert "Graph emulator" in text and "published API description" in text
    assert "not yet been run against a live tenant" in text.replace("*", "")


def test_the_readme_keeps_plan_mode_first_and_at_least_once_answers():
    text = " ".join(read(README).split())

    assert "RUN_MODE" in text and "plan mode" in text
    assert "at least once" in text and "answerId" in text


# --- bash and PowerShell, side by side ---------------------------------------------------------

# The command-line tools whose calls must appear in both forms: for each, how many words name
# the call (az storage message put: four). curl and Invoke-RestMethod are the same call.
TOOLS = {"az": 4, "azd": 3, "func": 3, "git": 2, "npm": 2, "make": 2, "http": 1}
_INTERPRETER = re.compile(r"(^|[\s(])(?:\S*[/\\])?(?:python3?(?:\.exe)?|py)(?= )")


def calls(script: str) -> list[tuple[str, ...]]:
    """The tool calls of a script, in order: ('az', 'ad', 'app'), ('python', 'shared', 'plan')."""
    found: list[tuple[str, ...]] = []
    for line in script.splitlines():
        line = line.split(" #", 1)[0]
        if line.lstrip().startswith(("#", "//")):
            continue
        line = _INTERPRETER.sub(r"\1python", line)
        line = re.sub(r"\b(curl|Invoke-RestMethod|Invoke-WebRequest)\b", "http", line)
        for match in re.finditer(
            r"(?<![\w$.-])(az|azd|func|git|npm|make|http)\b((?: [\w.-]+)*)", line
        ):
            words = match.group(2).split()
            words = [w for w in words if not w.startswith("-")]
            found.append((match.group(1), *words[: TOOLS[match.group(1)] - 1]))
        for match in re.finditer(r"\bpython(?: -3)? (?:-m (\S+)(?: ([a-z-]+))?|(-c))", line):
            found.append(("python", match.group(1) or match.group(3), match.group(2) or ""))
    return found


def shell_pairs() -> list[tuple[str, str, str]]:
    pairs = []
    for path in pages():
        blocks = code_blocks(path)
        for position, (line, language, text) in enumerate(blocks):
            if language in SHELLS:
                following = blocks[position + 1] if position + 1 < len(blocks) else None
                powershell = following[2] if following and following[1] == "powershell" else None
                pairs.append((f"{path.name}:{line}", text, powershell or ""))
    return pairs


def test_the_pages_have_shell_blocks_to_check():
    assert len(shell_pairs()) >= 30


@pytest.mark.parametrize(("where", "bash", "powershell"), shell_pairs())
def test_every_shell_block_is_followed_by_its_powershell_form_with_the_same_calls(
    where: str, bash: str, powershell: str
):
    assert powershell, f"{where}: no ```powershell block follows"
    assert calls(bash), f"{where}: the shell block calls none of the tools checked here"
    assert calls(bash) == calls(powershell), where


def test_the_call_reader_tells_a_different_command_apart():
    assert calls("az storage message put --content x") != calls("az storage message get")
    assert calls(".venv/bin/python -m shared doctor") == calls(
        ".venv\\Scripts\\python -m shared doctor"
    )
    assert calls("x=$(azd env get-value NAME)") == calls("$x = azd env get-value NAME")
    assert calls("curl -X POST https://a") == calls("Invoke-RestMethod -Method Post -Uri https://a")


@pytest.mark.parametrize("path", pages(), ids=lambda path: path.name)
def test_every_code_block_says_its_language(path: Path):
    unlabelled = [line for line, language, _ in code_blocks(path) if not language]

    assert unlabelled == [], f"{path.name}: blocks without a language start on lines {unlabelled}"


@pytest.mark.parametrize("path", pages(), ids=lambda path: path.name)
def test_every_python_block_compiles_and_every_json_block_parses(path: Path):
    for line, language, text in code_blocks(path):
        if language == "python":
            compile(text, f"{path.name}:{line}", "exec")
        elif language == "json":
            json.loads(text)


# --- the site ---------------------------------------------------------------------------------

REQUIRED_PAGES = [
    "index.md",
    "getting-started.md",
    "configuration.md",
    "scenarios.md",
    "ticketing.md",
    "operations.md",
    "uninstall.md",
    "troubleshooting.md",
    "security.md",
    "how-it-works.md",
    "guarantees.md",
    "graph-contract.md",
    "private-networking.md",
]


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav names (each entry ``- Title: page.md``)."""
    nav = read(ROOT / "mkdocs.yml").split("\nnav:\n", 1)[1]
    return re.findall(r"^\s+- [^:]+: (\S+\.md)\s*$", nav, re.MULTILINE)


def test_every_page_is_in_the_navigation_and_every_page_issue_19_asks_for_exists():
    on_disk = sorted(path.name for path in DOCS.glob("*.md"))

    assert sorted(nav_pages()) == on_disk
    assert set(REQUIRED_PAGES) <= set(on_disk)


def slug(heading: str) -> str:
    """The anchor GitHub and mkdocs' toc give a heading (lowercase, punctuation dropped)."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_every_link_of_the_readme_to_a_file_or_heading_of_the_repository_resolves():
    links = re.findall(r"\]\((?!https?://)([^)#\s]+)(?:#([^)\s]+))?\)", read(README))

    assert links
    for target, anchor in links:
        assert_resolves(target, anchor)


def assert_resolves(target: str, anchor: str) -> None:
    """The file exists, and so does the heading ``anchor`` names in it, if it names one."""
    path = ROOT / target
    assert path.exists(), target
    if anchor:
        headings = re.findall(r"^#+ (.+)$", read(path), re.MULTILINE)
        assert anchor in {slug(h) for h in headings}, f"{target}#{anchor}"


def test_every_page_the_apps_own_messages_point_to_exists_with_its_heading():
    """A fix a message names (``docs/getting-started.md#sign-in-from-a-terminal``) exists."""
    pointers = set()
    for path in (ROOT / "shared").rglob("*.py"):
        # Messages are split over string literals; joined, a pointer reads whole again.
        text = re.sub(r'"\s*\n\s*"', "", read(path))
        pointers |= set(re.findall(r"(docs/[\w-]+\.md)(?:#([\w-]+))?", text))

    assert ("docs/getting-started.md", "sign-in-from-a-terminal") in pointers
    for target, anchor in sorted(pointers):
        assert_resolves(target, anchor)


def test_the_pages_cite_no_notes_outside_the_repository():
    for path in pages():
        text = read(path)
        for outside in ("/work/", "../shared/", "/".join(("shared", "reference"))):
            assert outside not in text, f"{path.name} cites {outside}"


# --- the pages against the code -----------------------------------------------------------------


def settings_rows() -> dict[str, list[str]]:
    rows = {}
    for line in read(DOCS / "configuration.md").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([A-Z_]+)`", cells[0]) if len(cells) == 5 else None
        if match:
            rows[match.group(1)] = cells[1:]
    return rows


def azd_names() -> dict[str, str]:
    """Setting -> the azd environment value main.parameters.json reads for its parameter."""
    data = json.loads(read(ROOT / "infra" / "main.parameters.json"))
    names = {}
    for entry in data["parameters"].values():
        match = re.fullmatch(r"\$\{(\w+)(?:=.*)?\}", entry["value"])
        if match and match.group(1) in SETTINGS:
            names[match.group(1)] = match.group(1)
    return names


def test_the_configuration_page_lists_every_setting_with_its_default_and_azd_name():
    rows, azd = settings_rows(), azd_names()

    assert sorted(rows) == sorted(SETTINGS)
    for name, (default, azd_cell, _, _) in rows.items():
        assert default == (f"`{SETTINGS[name]}`" if SETTINGS[name] else "(empty)"), name
        assert azd_cell == (f"`{azd[name]}`" if name in azd else "—"), name


def doctor_check_names() -> set[str]:
    settings = Settings.from_env(
        {"SCENARIO_FILE": str(ROOT / "graph_emulator" / "samples" / "sample-scenarios.json")}
    )
    names = {
        SETTINGS_CHECK,
        TOKEN_CHECK,
        UPSERT_CHECK,
        *(read.name for read in reads_for(settings)),
    }
    return names | {"request queue", "result queue", "poison queue"}


def test_the_troubleshooting_page_names_every_check_of_the_doctor():
    page = read(DOCS / "troubleshooting.md")

    missing = [name for name in sorted(doctor_check_names()) if f"`{name}" not in page]
    assert missing == []


# The errors whose text an admin sees, and the argument that holds it.
MESSAGE_ARGUMENT = {
    "SettingsError": 1,
    "CatalogueError": 0,
    "fail": 1,
    "GrantError": 0,
    "StorageError": 0,
    "LockBusyError": 0,
    "SignInError": 0,
    "UnsafeValueError": 0,
    "QueueCheckError": 2,
}


def _constant_parts(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [part.value for part in node.values if isinstance(part, ast.Constant)]
    if isinstance(node, ast.BinOp):
        return _constant_parts(node.left) + _constant_parts(node.right)
    return []


def error_texts() -> list[tuple[str, str]]:
    """(module, the first six words of the longest fixed part of each message) for every error
    above raised in shared/: what an admin would paste into a search."""
    texts = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        for node in ast.walk(ast.parse(read(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            where = MESSAGE_ARGUMENT.get(name or "")
            if where is None or len(node.args) <= where:
                continue
            parts = [p.strip(" ;:,.(){}'\"") for p in _constant_parts(node.args[where])]
            parts = [p for p in parts if len(p) >= 12 and p != "scenario catalogue"]
            if parts:
                longest = max(parts, key=len)
                texts.append((str(path.relative_to(ROOT)), " ".join(longest.split()[:6])))
    return texts


def test_the_error_texts_are_found_in_the_code():
    assert len(error_texts()) >= 50


@pytest.mark.parametrize(("module", "text"), error_texts())
def test_the_troubleshooting_page_explains_every_error_message(module: str, text: str):
    page = " ".join(read(DOCS / "troubleshooting.md").split())

    assert text in page, f"{module}: {text!r}"


def test_the_operations_page_shows_each_alerts_query_as_the_template_has_it():
    block = re.search(r"var alertQueries = \{(.*?)\n\}", bicep_text(), re.DOTALL)
    assert block
    queries = re.findall(r"^\s+\w+: '(.*)'$", block.group(1), re.MULTILINE)
    page = read(DOCS / "operations.md")

    assert len(queries) == 3
    for query in queries:
        assert query in page, query


def marked(mark: str) -> list[tuple[str, object]]:
    found = []
    for path in pages():
        lines = read(path).splitlines()
        for index, line in enumerate(lines):
            if line.strip() == f"<!-- {mark} -->":
                assert lines[index + 1].strip() == "```json", f"{path.name}:{index + 1}"
                end = lines.index("```", index + 2)
                found.append(
                    (f"{path.name}:{index + 1}", json.loads("\n".join(lines[index + 2 : end])))
                )
    return found


SCHEMAS = ROOT / "schemas"


def test_the_request_examples_are_valid_and_the_app_reads_them():
    schema = Draft202012Validator(json.loads(read(SCHEMAS / "request-v1.schema.json")))
    examples = marked("request")

    assert examples
    for where, document in examples:
        assert list(schema.iter_errors(document)) == [], where
        parse_request(json.dumps(document).encode())


def test_the_answer_examples_are_valid_results():
    schema = Draft202012Validator(json.loads(read(SCHEMAS / "result-v1.schema.json")))
    examples = marked("result")

    assert len(examples) >= 2
    for where, document in examples:
        assert list(schema.iter_errors(document)) == [], where
