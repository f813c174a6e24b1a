"""The Python version: what the template deploys, what requirements.txt installs on it, and what
the docs tell (docs/development.md, docs/deployment.md), kept in step."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from packaging.requirements import Requirement

from tests.unit.bicep import INFRA, ROOT, bicep_text, literal, params

SUPPORTED = ["3.11", "3.12", "3.13"]


def allowed_python_versions() -> list[str]:
    """The ``@allowed([...])`` list just above ``param pythonVersion``."""
    match = re.search(r"@allowed\(\[([^\]]*)\]\)\nparam pythonVersion ", bicep_text())
    assert match, "pythonVersion has no @allowed list right above it"
    return [literal(v.strip()) for v in match.group(1).split(",")]


def requirements_on(python_version: str) -> dict[str, str]:
    """The pins requirements.txt installs on ``python_version``: name -> version."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        applies = requirement.marker is None or requirement.marker.evaluate(
            {"python_version": python_version}
        )
        if applies:
            assert requirement.name not in pins, f"{requirement.name} pinned twice"
            [spec] = requirement.specifier
            assert spec.operator == "==", f"{requirement.name} is not pinned"
            pins[requirement.name] = spec.version
    return pins


def worker_version() -> str:
    return requirements_on("3.13")["azure-functions-runtime"]


def page(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_the_deployment_defaults_to_python_3_13_and_allows_the_versions_the_app_supports():
    assert params()["pythonVersion"] == ("string", "'3.13'")
    assert allowed_python_versions() == SUPPORTED


def test_the_function_apps_runtime_is_the_python_version_parameter():
    assert re.search(r"runtime: \{\s*name: 'python'\s*version: pythonVersion\s*\}", bicep_text())


@pytest.mark.parametrize("version", SUPPORTED)
def test_requirements_install_one_azure_functions_on_each_supported_python(version: str):
    pins = requirements_on(version)

    major = "2" if version == "3.13" else "1"
    assert pins["azure-functions"].split(".")[0] == major
    assert ("azure-functions-runtime" in pins) == (version == "3.13")


def test_the_versions_of_the_same_package_differ_only_by_python_marker():
    """Every other pin is the same on every supported Python."""
    differing = {"azure-functions", "azure-functions-runtime"}
    common = [
        {n: v for n, v in requirements_on(version).items() if n not in differing}
        for version in SUPPORTED
    ]

    assert common[0] == common[1] == common[2]


def test_the_project_requires_the_oldest_supported_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert project["project"]["requires-python"] == f">={SUPPORTED[0]}"


def test_azd_may_choose_the_python_version_with_the_templates_default():
    data = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))

    assert data["parameters"]["pythonVersion"]["value"] == "${FUNCTIONS_PYTHON_VERSION=3.13}"


def test_the_development_page_states_the_supported_versions_and_the_tested_worker():
    text = page("development.md")
    start = text.index("\n## Python versions")
    section = text[start : text.index("\n## ", start + 1)]

    assert "3.11, 3.12 and 3.13" in section
    assert "`azure-functions-runtime`" in section and f"**{worker_version()}**" in section


def test_the_deployment_page_shows_how_to_list_a_regions_runtimes_and_choose_3_12():
    section = page("deployment.md")

    assert "az functionapp list-flexconsumption-runtimes" in section
    assert "azd env set FUNCTIONS_PYTHON_VERSION 3.12" in section
    assert "pythonVersion=3.12" in section
