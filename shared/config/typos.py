"""Setting names one typo away from one the app reads: warned about at start.

A misspelt name (``DRIFT_POLCY``) is otherwise ignored in silence, and the app runs on the
default the admin meant to change.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping

from shared.config.settings import SETTINGS, STORAGE_CONNECTION

# Names the app or its terminal commands read besides SETTINGS: a near miss of one is a typo too.
OTHER_NAMES = (
    STORAGE_CONNECTION,
    f"{STORAGE_CONNECTION}__accountName",
    f"{STORAGE_CONNECTION}__queueServiceUri",
    f"{STORAGE_CONNECTION}__blobServiceUri",
    f"{STORAGE_CONNECTION}__clientId",
    f"{STORAGE_CONNECTION}__credential",
    "SIGNIN_CLIENT_ID",
    "AZURE_TENANT_ID",
)


def near_misses(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Names set in the environment that the app does not read but that are one typo from one
    it does (``DRIFT_POLCY``): each with the likely name. Warned about at start."""
    env = os.environ if environ is None else environ
    known = [*SETTINGS, *OTHER_NAMES]
    found = []
    for name in sorted(env):
        if name in known or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,}", name):
            continue
        likely = difflib.get_close_matches(name, known, n=1, cutoff=0.88)
        if likely:
            found.append((name, likely[0]))
    return found
