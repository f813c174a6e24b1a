"""What checkov's scan of infra/ rests on: the fixes it asked for, a reason beside every skip, the
README's list of skips, and the scan's own verdict (a parsing error fails it, though checkov
exits 0 then)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.bicep import ROOT, bicep_text, code_lines
from tools.check_infra import problems

SKIP = re.compile(r"^\s*// checkov:skip=([A-Z0-9_]+):(.*)$")


def skips() -> list[tuple[str, str, str]]:
    """(resource symbol, check id, reason) for every skip comment, from the resource it is in."""
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
            found.append((resource, match.group(1), match.group(2).strip()))
    return found


def resource_block(name: str) -> str:
    """A resource's code, comments left out."""
    text = "\n".join(code_lines(bicep_text()))
    start = text.index(f"resource {name} '")
    return text[start : text.index("\n}", start)]


def test_every_skip_sits_in_a_resource_and_gives_its_reason():
    found = skips()

    assert found, "no skips found: the parser above no longer reads the template"
    for resource, check, reason in found:
        assert re.fullmatch(r"CKV_AZURE_\d+", check), (resource, check)
        assert len(reason) >= 40, f"{resource} {check}: say why, not just that ({reason!r})"


def test_the_readme_lists_every_skip_and_the_scan_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[
        readme.index("\n### Checks on the template") : readme.index("\n### The ticketing")
    ]

    assert "make scan" in section and "--skip-download" in section
    missing = sorted(
        {check for _, check, _ in skips()} - set(re.findall(r"CKV_AZURE_\d+", section))
    )
    assert not missing, f"README's template checks do not explain {missing}"


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
