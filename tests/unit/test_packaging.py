"""One version and one licence, wherever they are written: what `python -m shared --version`
prints, pyproject.toml, package.json (and its lock), the changelog's newest entry and LICENSE."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

import shared
from shared.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def pyproject() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))[
        "project"
    ]
    return project


def package(name: str) -> dict[str, object]:
    document: dict[str, object] = json.loads((ROOT / name).read_text("utf-8"))
    return document


def test_pyproject_package_json_its_lock_and_the_app_say_the_same_version():
    lock = package("package-lock.json")

    versions = {
        "shared.__version__": shared.__version__,
        "pyproject.toml": pyproject()["version"],
        "package.json": package("package.json")["version"],
        "package-lock.json": lock["version"],
        "package-lock.json root package": lock["packages"][""]["version"],  # type: ignore[index]
    }
    assert set(versions.values()) == {shared.__version__}, versions


def test_the_terminal_prints_that_version(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as ended:
        main(["--version"])

    assert ended.value.code == 0
    assert capsys.readouterr().out.strip() == f"python -m shared {shared.__version__}"


def test_the_changelogs_newest_entry_is_this_version():
    headings = re.findall(
        r"^## (\d+\.\d+\.\d+)\b", (ROOT / "CHANGELOG.md").read_text("utf-8"), re.M
    )

    assert headings and headings[0] == shared.__version__
    assert headings == sorted(headings, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_the_licence_is_mit_and_named_in_pyproject_and_package_json():
    text = (ROOT / "LICENSE").read_text("utf-8")

    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) 2026 .+authors$", text, re.M)
    assert "Permission is hereby granted, free of charge" in text
    assert pyproject()["license"] == "MIT"
    assert pyproject()["license-files"] == ["LICENSE"]
    assert package("package.json")["license"] == "MIT"
    assert package("package-lock.json")["packages"][""]["license"] == "MIT"  # type: ignore[index]
