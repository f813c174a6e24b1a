"""Reading the scenario catalogue's file: the shipped one, or ``SCENARIO_FILE``."""

from __future__ import annotations

import json
from pathlib import Path

from shared.core.catalogue import parse_catalogue
from shared.core.errors import CatalogueError
from shared.core.model import Catalogue

SHIPPED_CATALOGUE = Path(__file__).resolve().parent.parent / "scenarios.json"


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    source = Path(path) if path else SHIPPED_CATALOGUE
    try:
        document = json.loads(source.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as error:
        raise CatalogueError(f"scenario catalogue {source} does not exist") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogueError(f"scenario catalogue {source} cannot be read: {error}") from error
    return parse_catalogue(document, str(source))
