"""Fixtures for tests that need real queue storage: one Azurite per test session.

``azurite`` is written to be moved as is to ``tests/conftest.py`` for the whole
suite. Tests share the instance, so each one uses queue names of its own
(``queue_names``) rather than cleaning up after the others.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The project root, so `local_runner` imports however pytest is started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local_runner.azurite import Azurite  # noqa: E402


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """A running Azurite queue service (in memory) for the whole session."""
    with Azurite() as instance:
        yield instance


@pytest.fixture
def queue_names() -> Callable[[str], str]:
    """Make queue names unique to this test: ``queue_names("in")`` -> ``in-1a2b3c4d``."""
    token = uuid.uuid4().hex[:8]
    return lambda stem: f"{stem}-{token}"
