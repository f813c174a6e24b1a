"""What checkov's scan of infra/ rests on: the fixes it asked for, a reason beside every skip, the
list of skips in docs/deployment.md, the scan's own verdict (a parsing error fails it, though
checkov exits 0 then), and the variants it scans: the template as each infra/scan/*.parameters.json
makes it, with the ternaries those values decide resolved (checkov evaluates none)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.bicep import INFRA, ROOT, bicep_text, resource_block
from tools.check_infra import (
    Condition,
    Undecided,
    declarations,
    problems,
    resolve_line,
    set_default,
    variant,
    variants,
)

SKIP = re.compile(r"^\s*// checkov:skip(?:-in-([\w-]+))?=([A-Z0-9_]+):(.*)$")


def skips() -> list[tuple[str, str, str]]:
    """(resource symbol, check id, reason) for every skip comment, from the resource it is in;
    a skip for one variant only counts too."""
    return [(resource, check, reason) for resource, check, _, reason in scoped_skips()]


def scoped_skips() -> list[tuple[str, str, str | None, str]]:
    """(resource, check id, variant or None for every scan, reason) for every skip comment."""
    found = []
    resource = None
    for line in bicep_text().splitlines():
        opened = re.match(r"^resource (\w+) '", line)
        if opened:
            resource = opened.group(1)
        elif line == "}":
            resource = None
        match = SKIP.match(line)
        if match:
            assert resource, f"a skip outside any resource is ignored by checkov: {line.strip()}"
            variant_name, check, reason = match.groups()
            found.append((resource, check, variant_name, reason.strip()))
    return found


def test_every_skip_sits_in_a_resource_and_gives_its_reason():
    found = skips()

    assert found, "no skips found: the parser above no longer reads the template"
    for resource, check, reason in found:
        assert re.fullmatch(r"CKV_AZURE_\d+", check), (resource, check)
        assert len(reason) >= 40, f"{resource} {check}: say why, not just that ({reason!r})"


def test_the_deployment_page_lists_every_skip_and_the_scan_command():
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = page[page.index("\n## Checks on the template") :]

    assert "make scan" in section and "--skip-download" in section
    missing = sorted(
        {check for _, check, _ in skips()} - set(re.findall(r"CKV_AZURE_\d+", section))
    )
    assert not missing, f"docs/deployment.md's template checks do not explain {missing}"


def test_the_function_app_speaks_http_2_wants_client_certificates_and_refuses_callers():
    app = resource_block("functionApp")

    assert "http20Enabled: true" in app
    assert "clientCertEnabled: true" in app and "clientCertMode: 'Required'" in app
    assert "ipSecurityRestrictionsDefaultAction: 'Deny'" in app
    assert "ftpsState" not in app  # Flex Consumption refuses it


def test_the_derived_storage_account_name_follows_the_naming_rules():
    """3-24 lowercase letters and digits: checkov cannot evaluate the expression (CKV_AZURE_43)."""
    text = bicep_text()
    derived = re.search(r"storage: .*: '(\w+)\$\{take\(token, (\d+)\)\}'", text)

    assert derived and "var token = toLower(uniqueString(" in text
    prefix, taken = derived.group(1), int(derived.group(2))
    assert re.fullmatch(r"[a-z0-9]+", prefix)
    assert 3 <= len(prefix) + min(taken, 13) <= 24  # uniqueString gives 13 characters


def report(**results: Any) -> dict[str, Any]:
    summary = {"passed": 1, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 3}
    summary.update(results.pop("summary", {}))
    return {"summary": summary, "results": results}


def check(check_id: str, reason: str | None = None) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "check_name": "a check",
        "resource": "Microsoft.Web/sites.functionApp",
        "check_result": {"suppress_comment": reason},
    }


@pytest.mark.parametrize(
    ("scanned", "words"),
    [
        (report(summary={"parsing_errors": 1}, parsing_errors=["/main.bicep"]), "could not parse"),
        (report(summary={"failed": 1}, failed_checks=[check("CKV_AZURE_17")]), "FAILED"),
        (report(skipped_checks=[check("CKV_AZURE_88", " ")]), "without a reason"),
        (report(summary={"resource_count": 0}), "no resource"),
    ],
    ids=["parsing error", "failed check", "bare skip", "nothing scanned"],
)
def test_the_scan_fails_on_what_checkov_itself_lets_pass(scanned: dict[str, Any], words: str):
    assert any(words in line for line in problems(scanned))


def test_a_clean_scan_with_explained_skips_passes():
    assert (
        problems(report(skipped_checks=[check("CKV_AZURE_88", "no content share on Flex")])) == []
    )


# --- the variants the scan reads ---


def test_the_scan_reads_the_template_both_ways():
    assert variants(INFRA) == {
        "vnet-off": {"vnetEnabled": False, "allowedIpRanges": ""},
        "vnet-on": {"vnetEnabled": True, "allowedIpRanges": ""},
    }
    assert variant(bicep_text(), "none", {}) == bicep_text()  # no values, nothing changed


def test_each_variant_skip_names_a_scanned_variant():
    scanned = set(variants(INFRA))

    for resource, check, variant_name, _ in scoped_skips():
        assert variant_name is None or variant_name in scanned, (resource, check, variant_name)


def test_the_network_checks_the_switch_closes_are_skipped_only_with_it_off():
    """CKV_AZURE_35 (deny by default) and CKV_AZURE_59 (no public access) pass in the vnet-on
    scan; with the switch off the account is open as it always was, and says so."""
    storage_skips = {
        check: variant_name
        for resource, check, variant_name, _ in scoped_skips()
        if resource == "storage"
    }

    assert storage_skips["CKV_AZURE_35"] == "vnet-off"
    assert storage_skips["CKV_AZURE_59"] == "vnet-off"
    assert storage_skips["CKV_AZURE_36"] == "vnet-on"  # no trusted-services bypass, on purpose


def test_a_variant_makes_its_own_skips_real_and_leaves_the_others_inert():
    on = variant(bicep_text(), "vnet-on", {"vnetEnabled": True})
    storage = on[on.index("resource storage '") :]

    assert "// checkov:skip=CKV_AZURE_36:" in storage
    assert "// checkov:skip-in-vnet-off=CKV_AZURE_35:" in storage
    assert "// checkov:skip=CKV_AZURE_35" not in on


def decide(**params: bool | str) -> Condition:
    return Condition(params, {"both": "a && !empty(s)", "loop": "loop"})


@pytest.mark.parametrize(
    ("line", "values", "resolved"),
    [
        ("  x: a ? 'Deny' : 'Allow'", {"a": True}, "  x: 'Deny'"),
        ("  x: a ? 'Deny' : 'Allow'", {"a": False}, "  x: 'Allow'"),
        ("var v = !a ? [] : split(s, ',')", {"a": False, "s": ""}, "var v = []"),
        ("  x: both ? 'on' : 'off'", {"a": True, "s": "1.2.3.4"}, "  x: 'on'"),
        ("  x: both ? 'on' : 'off'", {"a": True, "s": ""}, "  x: 'off'"),
        ("  x: a ? 'a:b?' : '${c ? 1 : 2}'", {"a": False}, "  x: '${c ? 1 : 2}'"),
        ("  x: a ? { k: 1 } : b ? 2 : 3", {"a": False, "b": True}, "  x: 2"),
        ("  x: other ? 1 : 2", {"a": True}, "  x: other ? 1 : 2"),  # not a scanned parameter
        ("  // x: a ? 1 : 2", {"a": True}, "  // x: a ? 1 : 2"),
        ("  x: f(a ? 1 : 2)", {"a": True}, "  x: f(a ? 1 : 2)"),  # not the whole value
    ],
)
def test_a_ternary_is_replaced_by_the_branch_the_values_take(line, values, resolved):
    assert resolve_line(line, decide(**values), {"a", "b", "s"}) == resolved


@pytest.mark.parametrize(
    "line",
    ["  x: a == 'x' ? 1 : 2", "  x: contains(a, 'x') ? 1 : 2", "  x: loop ? 1 : 2"],
    ids=["comparison", "function", "endless var"],
)
def test_a_ternary_on_a_scanned_parameter_it_cannot_decide_stops_the_scan(line):
    with pytest.raises(SystemExit, match="cannot decide"):
        resolve_line(line, Condition({"a": True}, {"loop": "loop && a"}), {"a"})


def test_undecidable_conditions_are_named():
    with pytest.raises(Undecided):
        Condition({}, {}).value("unknown && true")


def test_a_parameters_file_value_becomes_the_parameters_default():
    text = "@description('x')\nparam on bool = false\nparam name string\n"

    assert "param on bool = true\n" in set_default(text, "on", True)
    assert "param name string = 'it\\'s'\n" in set_default(text, "name", "it's")
    with pytest.raises(SystemExit, match="does not declare"):
        set_default(text, "missing", True)


def test_the_templates_switch_conditions_are_ones_the_scan_can_decide():
    defaults, variables = declarations(bicep_text())
    conditions = Condition({**defaults, "vnetEnabled": True}, variables)

    for name in ("createVnet", "createBlobDnsZone", "createQueueDnsZone", "storagePrivateOnly"):
        assert conditions.value(name) is True, name
    assert (
        Condition({**defaults, "allowedIpRanges": "1.2.3.4"}, variables).value("storagePrivateOnly")
        is False
    )
