"""The pure core's tests import nothing outside ``shared.core`` (and the builders).

``make test-core`` runs them in a virtual environment that has only pytest and hypothesis, with
``CORE_ONLY=1``: then any import of another part of the project is refused as well (``guard``),
so a test that reaches for the emulator, the Graph package or a configuration module fails at
once, although those would import without any SDK.
"""

from __future__ import annotations

import os
import sys

from tests.core.guard import OnlyTheCore

if os.environ.get("CORE_ONLY") == "1":
    sys.meta_path.insert(0, OnlyTheCore())
