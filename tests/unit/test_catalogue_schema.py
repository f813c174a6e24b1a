"""schemas/catalogue-v1.schema.json and the app's catalogue loader agree, both ways.

Admins write catalogues against the schema (an editor validates as they type); the app reads them
with ``shared.core.catalogue.parse_catalogue``. So every catalogue the loader accepts must be
valid by the schema, and every catalogue the schema accepts must load, except for the three rules
JSON Schema cannot state, which the schema's description names and ``beyond_the_schema`` below
checks on its own: unique keys, a ``defaultScenario`` that is one of them, and profile and ESP
names holding only characters Python counts as printable. The shipped catalogue, the emulator's
sample and every catalogue example in the README and docs (a ```json block right after a
``<!-- catalogue -->`` line) are valid and load.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from shared.config.catalogue_file import SHIPPED_CATALOGUE, load_catalogue
from shared.core.catalogue import parse_catalogue
from shared.core.errors import CatalogueError
from tests.resilience.strategies import json_values

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DOCUMENT = json.loads((ROOT / "schemas" / "catalogue-v1.schema.json").read_text("utf-8"))
SCHEMA = Draft202012Validator(SCHEMA_DOCUMENT)
SAMPLE = ROOT / "graph_emulator" / "samples" / "sample-scenarios.json"
MARK = "<!-- catalogue -->"
REFERENCE_FIELDS = ("autopilotProfile", "enrollmentStatusPage", "devicePreparationPolicy")


def schema_errors(document: Any) -> list[str]:
    return [error.message for error in SCHEMA.iter_errors(document)]


def loads(document: Any) -> bool:
    try:
        parse_catalogue(document)
    except CatalogueError:
        return False
    return True


def beyond_the_schemas_characters(char: str) -> bool:
    """A character the loader refuses in a name that the schema's class leaves out: one Python
    does not count as printable that is unassigned, a surrogate, or beyond the BMP."""
    gap = ord(char) > 0xFFFF or unicodedata.category(char) in ("Cn", "Cs")
    return gap and not char.isprintable()


def beyond_the_schema(document: dict[str, Any]) -> list[str]:
    """The loader's rules that JSON Schema cannot state, each one this document breaks."""
    scenarios = document["scenarios"]
    keys = [scenario["key"] for scenario in scenarios]
    broken = []
    if len(set(keys)) != len(keys):
        broken.append("repeated key")
    default = document.get("defaultScenario")
    if default is not None and default not in keys:
        broken.append("defaultScenario is no key")
    for scenario in scenarios:
        for field in REFERENCE_FIELDS:
            if any(beyond_the_schemas_characters(char) for char in scenario.get(field, "")):
                broken.append(f"{field} holds a character the schema cannot name")
    return broken


# --- the files and the examples ---------------------------------------------------------------


def test_the_schema_is_a_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA_DOCUMENT)


@pytest.mark.parametrize("path", [SHIPPED_CATALOGUE, SAMPLE], ids=["shipped", "emulator sample"])
def test_the_shipped_and_the_sample_catalogue_are_valid_and_load(path: Path):
    document = json.loads(path.read_text("utf-8"))

    assert schema_errors(document) == []
    assert load_catalogue(path).keys()


def json_blocks(path: Path) -> list[tuple[bool, str]]:
    """Each ```json block of a page: whether the line before it marks it as a catalogue, and
    its text."""
    blocks = []
    lines = path.read_text("utf-8").splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "```json":
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            marked = index > 0 and lines[index - 1].strip() == MARK
            blocks.append((marked, "\n".join(lines[index + 1 : end])))
    return blocks


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def marked_examples() -> list[tuple[str, str]]:
    return [(path.name, text) for path in pages() for marked, text in json_blocks(path) if marked]


def test_the_docs_hold_catalogue_examples_in_the_configuration_and_scenarios_pages():
    where = {name for name, _ in marked_examples()}

    assert {"configuration.md", "scenarios.md"} <= where


@pytest.mark.parametrize(("page", "text"), marked_examples())
def test_every_catalogue_example_in_the_docs_is_valid_and_loads(page: str, text: str):
    document = json.loads(text)

    assert schema_errors(document) == [], page
    parse_catalogue(document, page)


def test_every_json_block_that_is_a_catalogue_is_marked_so_the_test_above_reads_it():
    unmarked = []
    for path in pages():
        for marked, text in json_blocks(path):
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                continue  # a fragment, such as one scenario
            if isinstance(document, dict) and "scenarios" in document and not marked:
                unmarked.append(path.name)
    assert unmarked == []


# --- the two agree: a table of near misses, then generated documents --------------------------

VALID_SCENARIO = {
    "key": "user-driven",
    "label": "User-driven",
    "displayName": {"tag": "Autopilot - {value}", "purchaseOrder": "Autopilot - PO {value}"},
}


def catalogue(**scenario: Any) -> dict[str, Any]:
    return {"version": 1, "scenarios": [{**VALID_SCENARIO, **scenario}]}


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        (catalogue(), True),
        ({**catalogue(), "version": 1.0}, True),
        ({**catalogue(), "version": True}, False),
        ({**catalogue(), "version": "1"}, False),
        ({**catalogue(), "version": 2}, False),
        ({"scenarios": catalogue()["scenarios"]}, False),
        ({**catalogue(), "defaultScenario": None}, True),
        ({**catalogue(), "allDevices": {"displayName": "All"}}, True),
        ({**catalogue(), "allDevices": {"displayname": "All"}}, False),
        ({**catalogue(), "allDevices": {"displayName": "All {value}"}}, False),
        ({**catalogue(), "allDevices": None}, False),
        ({**catalogue(), "scenarios": []}, False),
        ({**catalogue(), "extra": 1}, False),
        (catalogue(key="ok\n"), False),
        (catalogue(key="a" * 40), True),
        (catalogue(key="a" * 41), False),
        (catalogue(key="-a"), False),
        (catalogue(key="Kiosk"), False),
        (catalogue(label="\u00a0\u3000"), False),
        (catalogue(label="\ufeff"), True),
        (catalogue(label="Kiosk {}"), False),
        (catalogue(displayName={"tag": "{label} {value}", "purchaseOrder": "{value}"}), True),
        (catalogue(displayName={"tag": "{Value}", "purchaseOrder": "{value}"}), False),
        (catalogue(displayName={"tag": "{value} {x}", "purchaseOrder": "{value}"}), False),
        (catalogue(displayName={"tag": "{{value}}", "purchaseOrder": "{value}"}), True),
        (catalogue(displayName={"tag": "{value}"}), False),
        (catalogue(tagPatterns=[" "]), True),
        (catalogue(tagPatterns=[""]), False),
        (catalogue(tagPatterns=None), False),
        (catalogue(autopilotProfile=" User-driven "), True),
        (catalogue(autopilotProfile="a\tb"), False),
        (catalogue(autopilotProfile="a\u00a0b"), False),
        (catalogue(enrollmentStatusPage="ESP\u200b"), False),
        (catalogue(enrollmentStatusPage=""), False),
        (catalogue(devicePrep="x"), False),
        (catalogue(devicePreparationPolicy="Prep"), True),
        (catalogue(devicePreparationPolicy=""), False),
        (catalogue(devicePreparationPolicy="Prep", devicePreparationGroup="DP {label}"), True),
        (catalogue(devicePreparationPolicy="Prep", devicePreparationGroup="DP"), True),
        (catalogue(devicePreparationPolicy="Prep", devicePreparationGroup="DP {value}"), False),
        (catalogue(devicePreparationPolicy="Prep", devicePreparationGroup="DP {}"), False),
        (catalogue(devicePreparationPolicy="Prep", devicePreparationGroup=" "), False),
        (catalogue(devicePreparationGroup="DP {label}"), False),
        (catalogue(devicePreparationPolicy="Prep", autopilotProfile="UD"), False),
        (catalogue(devicePreparationPolicy="Prep", enrollmentStatusPage="ESP"), False),
    ],
)
def test_schema_and_loader_agree_on_each_near_miss(document: dict[str, Any], valid: bool):
    assert (schema_errors(document) == []) is valid
    assert loads(document) is valid


# Generated documents: a right catalogue, then up to three near misses put into it, so that each
# rule is met alone as well as together with others.
def near(misses: list[Any], *others: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Near misses: one of the listed ones two times in three, else the other strategies."""
    listed = st.sampled_from(misses)
    return st.one_of(listed, listed, st.one_of(*others)) if others else listed


GOOD_KEYS = st.one_of(
    st.sampled_from(["user-driven", "kiosk", "k", "a" * 40]),
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,39}", fullmatch=True),
)
BAD_KEYS = near(
    ["a" * 41, "Kiosk", "-k", "k\n", "user-driven\n", "k k", ""], st.text(max_size=8), json_values
)
GOOD_TEXTS = st.one_of(
    st.sampled_from(["Kiosk", "\ufeff", "x {", "}{", "a{b"]),
    st.text(min_size=1).filter(lambda text: "{" not in text and not text.isspace()),
)
BAD_TEXTS = near(
    [" ", "\u00a0\u3000", "\u2028", "", "x {}", "x {label}", "{value}"],
    st.text(max_size=6),
    json_values,
)
TEMPLATE_PIECES = ["{value}", "{label}", "{Value}", "{x}", "{}", "{", "}", "a", " ", "\u3000"]
GOOD_TEMPLATES = st.one_of(
    st.sampled_from(["Autopilot - {value}", "{label}: {value}", "{{value}}", "{value}"]),
    st.text(max_size=6).filter(lambda text: "{" not in text).map(lambda text: text + "{value}"),
)
BAD_TEMPLATES = near(
    [
        *("{value} {x}", "{value} {}", "{value}{values}", "{label} {value} {Label}"),
        *("{Value}", "{ value}", "{label}", "no placeholder", " ", ""),
    ],
    st.lists(st.sampled_from(TEMPLATE_PIECES), max_size=5).map("".join),
    json_values,
)
GOOD_PATTERNS = st.lists(
    st.one_of(st.sampled_from(["*-UD", "KIOSK-*", " ", "[a-z]?"]), st.text(min_size=1)),
    max_size=3,
)
BAD_PATTERNS = near([[""], ["*-UD", ""], ["*-UD", 1], None, "*-UD"], json_values)
UNPRINTABLE = ["\t", "\x85", "\u00a0", "\u200b", "\u2028", "\ue000", "\u0378", "\U000e0001"]
GOOD_REFERENCES = st.one_of(
    st.sampled_from(["User-driven Entra join", " ESP ", "2b2e-profile-id"]),
    st.text(st.characters(codec=None), min_size=1, max_size=10).filter(
        lambda text: text.isprintable() and not text.isspace()
    ),
)
BAD_REFERENCES = near(
    ["", "  ", *(f"a{c}b" for c in UNPRINTABLE)],
    st.text(st.characters(codec=None), max_size=6),
    json_values,
)
GOOD_GROUP_NAMES = st.one_of(GOOD_TEXTS, st.sampled_from(["{label}", "DP - {label}", "{label}{"]))
BAD_GROUP_NAMES = near(["{value}", "{label} {value}", "{Label}", "{}", " ", ""], json_values)
FIELDS = {  # scenario field: (right values, near misses)
    "key": (GOOD_KEYS, BAD_KEYS),
    "label": (GOOD_TEXTS, BAD_TEXTS),
    "tagPatterns": (GOOD_PATTERNS, BAD_PATTERNS),
    "purchaseOrderPatterns": (GOOD_PATTERNS, BAD_PATTERNS),
    "autopilotProfile": (GOOD_REFERENCES, BAD_REFERENCES),
    "enrollmentStatusPage": (GOOD_REFERENCES, BAD_REFERENCES),
    "devicePreparationPolicy": (GOOD_REFERENCES, BAD_REFERENCES),
    "devicePreparationGroup": (GOOD_GROUP_NAMES, BAD_GROUP_NAMES),
}
TOP_MISSES = [
    *("version", "scenarios", "default", "allDevices", "allDevices name", "allDevices field"),
    "field",
]
SCENARIO_MISSES = [*FIELDS, "template", "names", "drop", "extra", "junk", "repeat", "two paths"]


@st.composite
def right_catalogues(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(GOOD_KEYS, min_size=1, max_size=3, unique=True))
    scenarios = []
    for key in keys:
        scenario: dict[str, Any] = {
            "key": key,
            "label": draw(GOOD_TEXTS),
            "displayName": {"tag": draw(GOOD_TEMPLATES), "purchaseOrder": draw(GOOD_TEMPLATES)},
        }
        for field in ("tagPatterns", "purchaseOrderPatterns"):
            if draw(st.booleans()):
                scenario[field] = draw(FIELDS[field][0])
        # One path per scenario: a profile and an ESP, or a device preparation policy.
        path = draw(st.sampled_from([REFERENCE_FIELDS[:2], REFERENCE_FIELDS[2:]]))
        if "devicePreparationPolicy" in path:
            path = (*path, "devicePreparationGroup")
        for field in path:
            if draw(st.booleans()):
                scenario[field] = draw(FIELDS[field][0])
        scenarios.append(scenario)
    document: dict[str, Any] = {"version": draw(st.sampled_from([1, 1.0])), "scenarios": scenarios}
    if draw(st.booleans()):
        document["defaultScenario"] = draw(st.one_of(st.none(), st.sampled_from(keys)))
    if draw(st.booleans()):
        names = st.fixed_dictionaries({}, optional={"displayName": GOOD_TEXTS})
        document["allDevices"] = draw(names)
    return document


def near_miss(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Put one near miss into ``document``: at its top level, or in one of its scenarios."""
    what = draw(st.sampled_from([*TOP_MISSES, *SCENARIO_MISSES]))
    scenarios = document["scenarios"]
    if what == "version":
        document["version"] = draw(st.sampled_from([2, "1", True, None, 0.5]))
    elif what == "scenarios":
        document["scenarios"] = draw(st.one_of(st.just([]), json_values))
    elif what == "default":
        document["defaultScenario"] = draw(st.one_of(GOOD_KEYS, BAD_KEYS))
    elif what == "allDevices":
        document["allDevices"] = draw(st.one_of(st.none(), st.just("All"), json_values))
    elif what == "allDevices name":
        document["allDevices"] = {"displayName": draw(BAD_TEXTS)}
    elif what == "allDevices field":
        document["allDevices"] = {draw(st.sampled_from(["displayname", "name"])): "All"}
    elif what == "field":
        document[draw(st.sampled_from(["Version", "scenario", "devicePreparation"]))] = 1
    elif isinstance(scenarios, list) and scenarios:
        index = draw(st.integers(0, len(scenarios) - 1))
        if isinstance(scenarios[index], dict):
            near_miss_in_scenario(draw, what, scenarios, index)


def near_miss_in_scenario(draw: st.DrawFn, what: str, scenarios: list[Any], index: int) -> None:
    scenario = scenarios[index]
    if what in FIELDS:
        scenario[what] = draw(FIELDS[what][1])
    elif what == "template" and isinstance(scenario.get("displayName"), dict):
        name = draw(st.sampled_from(["tag", "purchaseOrder"]))
        scenario["displayName"][name] = draw(BAD_TEMPLATES)
    elif what == "names":
        scenario["displayName"] = draw(
            near(
                [
                    {"tag": "{value}"},
                    {"tag": "{value}", "purchaseOrder": "{value}", "x": "{value}"},
                ],
                json_values,
            )
        )
    elif what == "drop":
        scenario.pop(draw(st.sampled_from(["key", "label", "displayName"])), None)
    elif what == "extra":
        scenario[draw(st.sampled_from(["devicePrep", "Key", "tagpatterns"]))] = "x"
    elif what == "two paths":  # a device preparation policy beside a profile or an ESP
        scenario["devicePreparationPolicy"] = "Prep"
        scenario[draw(st.sampled_from(REFERENCE_FIELDS[:2]))] = "UD"
    elif what == "junk":
        scenarios[index] = draw(json_values)
    else:  # repeat another scenario's key
        other = scenarios[(index + 1) % len(scenarios)]
        scenario["key"] = other.get("key") if isinstance(other, dict) else "user-driven"


@st.composite
def near_catalogues(draw: st.DrawFn) -> dict[str, Any]:
    """A right catalogue with no near miss, or one (most often), or two."""
    document = draw(right_catalogues())
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
        near_miss(draw, document)
    return document


@settings(max_examples=600)
@given(near_catalogues())
def test_every_catalogue_the_loader_accepts_is_valid_by_the_schema(document: dict[str, Any]):
    if loads(document):
        assert schema_errors(document) == [], document
        assert beyond_the_schema(document) == [], document  # the loader enforces those too


@settings(max_examples=600)
@given(near_catalogues())
def test_every_catalogue_the_schema_accepts_loads_unless_it_breaks_a_rule_beyond_the_schema(
    document: dict[str, Any],
):
    if schema_errors(document):
        return
    assert loads(document) is (beyond_the_schema(document) == []), document


# --- the character classes, exhaustively ------------------------------------------------------


NOT_BLANK = re.compile(SCHEMA_DOCUMENT["$defs"]["nonBlank"]["pattern"])
UNPRINTABLE_IN_A_NAME = re.compile(
    SCHEMA_DOCUMENT["$defs"]["reference"]["allOf"][1]["not"]["pattern"]
)


def test_the_schemas_white_space_is_exactly_what_python_strips_from_a_label():
    differ = [
        hex(code)
        for code in range(0x110000)
        if bool(NOT_BLANK.search(chr(code))) is chr(code).isspace()
    ]
    assert differ == []


def test_the_characters_the_schema_refuses_in_a_name_are_unprintable_and_the_rest_are_the_gap():
    refused = UNPRINTABLE_IN_A_NAME
    wrongly_refused = [
        c for c in range(0x110000) if refused.search(chr(c)) and chr(c).isprintable()
    ]
    gap = {
        unicodedata.category(chr(c)) if c <= 0xFFFF else "astral"
        for c in range(0x110000)
        if not chr(c).isprintable() and not refused.search(chr(c))
    }
    assert wrongly_refused == []
    # What the schema lets through and the loader refuses: unassigned code points and surrogates
    # of the Basic Multilingual Plane, and any such character beyond it.
    assert gap <= {"Cn", "Cs", "astral"}
