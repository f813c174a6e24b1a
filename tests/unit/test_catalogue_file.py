"""Reading the scenario catalogue's file: found and parsed, or refused naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.catalogue_file import load_catalogue
from shared.core.errors import CatalogueError


def document() -> dict[str, Any]:
    def scenario(key: str) -> dict[str, Any]:
        names = {"tag": f"{key} {{value}}", "purchaseOrder": f"{key} PO {{value}}"}
        return {"key": key, "label": key, "displayName": names}

    return {"version": 1, "scenarios": [scenario("first"), scenario("second")]}


def test_a_catalogue_file_is_loaded_and_remembers_its_path(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(document()), encoding="utf-8")
    catalogue = load_catalogue(path)
    assert catalogue.keys() == ("first", "second")
    assert catalogue.source == str(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(None, "does not exist", id="missing file"),
        pytest.param(b"{not json", "cannot be read", id="bad JSON"),
        pytest.param(b"\xff\xfe\x00", "cannot be read", id="not UTF-8"),
        pytest.param(b'{"version": 2}', "version", id="valid JSON, bad catalogue"),
    ],
)
def test_a_catalogue_file_that_cannot_be_used_is_refused_naming_the_file(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "scenarios.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(path)
    assert str(path) in str(raised.value)
    assert words in str(raised.value)
