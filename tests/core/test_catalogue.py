"""The scenario catalogue: the shipped file, pattern matching, and validation of a whole file."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from shared.core.catalogue import parse_catalogue
from shared.core.errors import CatalogueError
from shared.core.model import Kind
from tests.builders import SHIPPED_CATALOGUE, shipped_catalogue


def scenario(key: str, tags: list[str], pos: list[str] | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "label": f"Label {key}",
        "displayName": {"tag": f"{key} - {{value}}", "purchaseOrder": f"{key} - PO {{value}}"},
        "tagPatterns": tags,
        "purchaseOrderPatterns": pos or [],
    }


def document() -> dict[str, Any]:
    return {
        "version": 1,
        "defaultScenario": "first",
        "allDevices": {"displayName": "All devices"},
        "scenarios": [scenario("first", ["*-UD"]), scenario("second", ["*-SD", "KIOSK-*"])],
    }


# --- the shipped catalogue ------------------------------------------------------------------


def test_the_shipped_catalogue_loads_with_the_four_autopilot_scenarios() -> None:
    catalogue = shipped_catalogue()
    assert catalogue.keys() == (
        "user-driven",
        "user-driven-hybrid",
        "self-deploying",
        "pre-provisioning",
    )
    assert catalogue.default_scenario == "user-driven"
    assert catalogue.all_devices_name == "Autopilot - All devices"
    assert catalogue.source == str(SHIPPED_CATALOGUE)


@pytest.mark.parametrize(
    ("tag", "key"),
    [
        pytest.param("SALES-UD", "user-driven", id="-UD"),
        pytest.param("UD-Sales", "user-driven", id="UD-"),
        pytest.param("HR-USERDRIVEN", "user-driven", id="-USERDRIVEN"),
        pytest.param("Berlin-HYB", "user-driven-hybrid", id="-HYB"),
        pytest.param("hyb-berlin", "user-driven-hybrid", id="hyb- lower case"),
        pytest.param("Lobby-KIOSK", "self-deploying", id="-KIOSK"),
        pytest.param("kiosk-lobby", "self-deploying", id="kiosk- lower case"),
        pytest.param("Door-SD", "self-deploying", id="-SD"),
        pytest.param("Lab-PP", "pre-provisioning", id="-PP"),
        pytest.param("pp-lab", "pre-provisioning", id="pp- lower case"),
        pytest.param("Warehouse", "user-driven", id="unmatched goes to the default"),
    ],
)
def test_each_shipped_pattern_sends_a_tag_to_its_scenario(tag: str, key: str) -> None:
    found = shipped_catalogue().scenario_for(Kind.TAG, tag)
    assert found is not None
    assert found.key == key


# --- matching -------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["sales-ud", "SALES-UD", "Sales-Ud", "sAlEs-uD"])
def test_patterns_match_whatever_the_case(tag: str) -> None:
    catalogue = parse_catalogue(document())
    assert catalogue.scenario_for(Kind.TAG, tag) == catalogue.get("first")
    assert catalogue.scenarios[0].matches(Kind.TAG, tag)


def test_the_first_matching_scenario_wins() -> None:
    doc = document()
    doc["scenarios"] = [scenario("broad", ["*"]), scenario("narrow", ["*-UD"])]
    doc["defaultScenario"] = None
    catalogue = parse_catalogue(doc)
    found = catalogue.scenario_for(Kind.TAG, "SALES-UD")
    assert found is not None
    assert found.key == "broad"


def test_a_tag_that_matches_no_pattern_goes_to_the_default_scenario() -> None:
    catalogue = parse_catalogue(document())
    found = catalogue.scenario_for(Kind.TAG, "nothing-matches")
    assert found is not None
    assert found.key == "first"


def test_without_a_default_an_unmatched_tag_has_no_scenario() -> None:
    doc = document()
    doc["defaultScenario"] = None
    assert parse_catalogue(doc).scenario_for(Kind.TAG, "nothing-matches") is None


def test_without_a_default_field_an_unmatched_tag_has_no_scenario() -> None:
    doc = document()
    del doc["defaultScenario"]
    assert parse_catalogue(doc).scenario_for(Kind.TAG, "nothing-matches") is None


def test_purchase_orders_are_matched_by_their_own_patterns() -> None:
    doc = document()
    doc["defaultScenario"] = None
    doc["scenarios"] = [scenario("tags", ["4*"]), scenario("orders", [], ["4*"])]
    catalogue = parse_catalogue(doc)
    by_tag = catalogue.scenario_for(Kind.TAG, "42")
    by_order = catalogue.scenario_for(Kind.PURCHASE_ORDER, "42")
    assert (by_tag and by_tag.key, by_order and by_order.key) == ("tags", "orders")


def test_a_scenario_gives_the_template_of_each_kind() -> None:
    first = parse_catalogue(document()).scenarios[0]
    assert first.template(Kind.TAG) == "first - {value}"
    assert first.template(Kind.PURCHASE_ORDER) == "first - PO {value}"


def test_the_all_devices_name_has_a_default() -> None:
    doc = document()
    del doc["allDevices"]
    assert parse_catalogue(doc).all_devices_name == "Autopilot - All devices"


def test_an_unknown_key_is_not_found() -> None:
    assert parse_catalogue(document()).get("missing") is None


# --- validation -----------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the document: set the dotted ``path`` (list indexes as numbers) to ``value``."""

    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return change


def _replace(new: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda doc: new


S = "scenarios.1."  # the second scenario, key "second"
N = "'second'"  # how errors name it

# (id, change, the words that name the entry)
INVALID = [
    ("not an object", _replace([1, 2]), "top level"),
    ("wrong version", _set("version", 2), "version"),
    ("version as text", _set("version", "1"), "version"),
    ("missing version", _delete("version"), "version"),
    ("unknown top-level field", _set("colour", "blue"), "colour"),
    ("no scenarios", _set("scenarios", []), "scenarios"),
    ("scenarios not a list", _set("scenarios", {"key": "x"}), "scenarios"),
    ("scenario not an object", _set("scenarios.1", "second"), "scenarios[1]"),
    ("unknown scenario field", _set(S + "colour", "blue"), "colour"),
    ("key with capitals", _set(S + "key", "Second"), "scenarios[1].key"),
    ("key with underscore", _set(S + "key", "sec_ond"), "scenarios[1].key"),
    ("key starting with hyphen", _set(S + "key", "-second"), "scenarios[1].key"),
    ("key of 41 characters", _set(S + "key", "k" * 41), "scenarios[1].key"),
    ("empty key", _set(S + "key", ""), "scenarios[1].key"),
    ("missing key", _delete(S + "key"), "scenarios[1].key"),
    ("key not text", _set(S + "key", 7), "scenarios[1].key"),
    ("duplicate key", _set(S + "key", "first"), "keys must be unique"),
    ("empty label", _set(S + "label", " "), N + ".label"),
    ("label with placeholder", _set(S + "label", "L {value}"), N + ".label"),
    ("displayName not an object", _set(S + "displayName", "x"), N + ".displayName"),
    (
        "displayName missing purchaseOrder",
        _delete(S + "displayName.purchaseOrder"),
        N + ".displayName",
    ),
    ("displayName extra kind", _set(S + "displayName.other", "{value}"), N + ".displayName"),
    ("template without {value}", _set(S + "displayName.tag", "Same for all"), N + ".displayName"),
    ("template with only {label}", _set(S + "displayName.tag", "{label}"), N + ".displayName"),
    ("unknown placeholder", _set(S + "displayName.tag", "{value} {tag}"), N + ".displayName"),
    ("empty template", _set(S + "displayName.purchaseOrder", ""), N + ".displayName"),
    ("template not text", _set(S + "displayName.tag", 5), N + ".displayName"),
    ("patterns not a list", _set(S + "tagPatterns", "*-SD"), N + ".tagPatterns"),
    ("pattern not text", _set(S + "tagPatterns", [1]), N + ".tagPatterns"),
    ("empty pattern", _set(S + "tagPatterns", [""]), N + ".tagPatterns"),
    (
        "purchase order patterns not a list",
        _set(S + "purchaseOrderPatterns", None),
        N + ".purchaseOrderPatterns",
    ),
    ("unknown default scenario", _set("defaultScenario", "third"), "defaultScenario"),
    ("empty default scenario", _set("defaultScenario", ""), "defaultScenario"),
    ("default scenario not text", _set("defaultScenario", 1), "defaultScenario"),
    ("allDevices not an object", _set("allDevices", "All"), "allDevices"),
    ("allDevices name empty", _set("allDevices.displayName", ""), "allDevices.displayName"),
    (
        "allDevices name with placeholder",
        _set("allDevices.displayName", "All {value}"),
        "allDevices.displayName",
    ),
]


@pytest.mark.parametrize(("change", "entry"), [pytest.param(c, e, id=i) for i, c, e in INVALID])
def test_every_invalid_catalogue_is_refused_naming_the_entry(
    change: Callable[[dict[str, Any]], Any], entry: str
) -> None:
    doc = copy.deepcopy(document())
    doc = change(doc) or doc
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(doc, "custom.json")
    message = str(raised.value)
    assert message.startswith("scenario catalogue custom.json: ")
    assert entry in message


def test_the_valid_base_document_of_the_table_is_accepted() -> None:
    assert parse_catalogue(document()).keys() == ("first", "second")


def test_a_duplicate_key_is_refused_naming_the_key() -> None:
    doc = document()
    doc["scenarios"].append(scenario("second", ["*-X"]))
    with pytest.raises(CatalogueError, match="'second'"):
        parse_catalogue(doc)


def test_a_key_with_a_trailing_newline_is_refused() -> None:
    doc = document()
    doc["scenarios"][1]["key"] = "second\n"
    with pytest.raises(CatalogueError, match="key"):
        parse_catalogue(doc)


def test_a_version_of_true_is_refused() -> None:
    doc = document()
    doc["version"] = True
    with pytest.raises(CatalogueError, match="version"):
        parse_catalogue(doc)


# --- a scenario's Autopilot profile and Enrollment Status Page -----------------------------


def test_a_scenario_may_name_a_profile_and_an_esp_and_only_their_form_is_checked() -> None:
    raw = document()
    raw["scenarios"][0].update(
        {"autopilotProfile": "  UD profile ", "enrollmentStatusPage": "0f1e-any-id-form"}
    )

    catalogue = parse_catalogue(raw)

    first, second = catalogue.scenarios
    assert (first.autopilot_profile, first.enrollment_status_page) == (
        "UD profile",
        "0f1e-any-id-form",
    )
    assert (second.autopilot_profile, second.enrollment_status_page) == (None, None)
    assert catalogue.assigns and catalogue.names_profiles


def test_a_catalogue_naming_no_targets_does_not_assign() -> None:
    catalogue = shipped_catalogue()
    assert not catalogue.assigns and not catalogue.names_profiles


@pytest.mark.parametrize("field", ["autopilotProfile", "enrollmentStatusPage"])
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "non-empty string"),
        ("   ", "non-empty string"),
        (7, "non-empty string"),
        (None, "non-empty string"),
        ("ESP\nnext line", "control characters"),
    ],
)
def test_a_profile_or_esp_that_is_not_a_usable_name_is_refused_naming_the_field(
    field: str, value: Any, words: str
) -> None:
    raw = document()
    raw["scenarios"][1][field] = value
    with pytest.raises(CatalogueError, match=f"scenario 'second'.{field}: must .*{words}"):
        parse_catalogue(raw)


# --- Autopilot device preparation ------------------------------------------------------------


def test_a_scenario_may_name_a_device_preparation_policy_and_its_one_group_is_named_for_it():
    raw = document()
    raw["scenarios"][0]["devicePreparationPolicy"] = "DP - Sales"
    raw["scenarios"][1].update(
        {"devicePreparationPolicy": "dp-id-1", "devicePreparationGroup": "DP {label} devices"}
    )

    first, second = parse_catalogue(raw).scenarios

    assert (first.device_preparation_policy, first.prepares) == ("DP - Sales", True)
    assert first.device_preparation_name == f"Autopilot device preparation - {first.label}"
    assert second.device_preparation_name == f"DP {second.label} devices"
    assert parse_catalogue(raw).prepares and not parse_catalogue(document()).prepares


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        pytest.param({"autopilotProfile": "P"}, "takes that path", id="with a profile"),
        pytest.param({"enrollmentStatusPage": "E"}, "its own progress", id="with an ESP"),
    ],
)
def test_a_device_preparation_scenario_with_a_profile_or_an_esp_is_refused_with_the_reason(
    extra: dict[str, str], words: str
) -> None:
    raw = document()
    raw["scenarios"][0].update({"devicePreparationPolicy": "DP", **extra})
    with pytest.raises(CatalogueError, match=words):
        parse_catalogue(raw)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        pytest.param(
            {"devicePreparationGroup": "DP"}, "needs a devicePreparationPolicy", id="alone"
        ),
        pytest.param(
            {"devicePreparationPolicy": "DP", "devicePreparationGroup": "DP {value}"},
            "takes {label} only",
            id="a value placeholder",
        ),
    ],
)
def test_a_device_preparation_group_name_needs_its_policy_and_takes_only_the_label(
    fields: dict[str, str], words: str
) -> None:
    raw = document()
    raw["scenarios"][0].update(fields)
    with pytest.raises(CatalogueError, match=re.escape(words)):
        parse_catalogue(raw)
