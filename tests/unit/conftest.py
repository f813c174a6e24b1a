"""Pure tests of the core: no network, no clock, no I/O beyond temporary files."""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so `shared` imports however pytest is started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
