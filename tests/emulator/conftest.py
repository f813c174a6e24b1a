"""Fixtures for the emulator's own tests: a running emulator on a manual clock and clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# Under --import-mode=importlib test folders are not on sys.path; the tests import their
# helpers from emulator_helpers.py next to this file, and graph_emulator from the repo root.
_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE), str(_HERE.parents[1])):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from emulator_helpers import TOKEN_HEADERS  # noqa: E402

from graph_emulator import Emulator, ManualClock  # noqa: E402


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(clock=clock) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    """A plain HTTP client with a bearer token, rooted at the emulator's /v1.0."""
    with httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS, timeout=10) as http:
        yield http


@pytest.fixture
def beta(emulator: Emulator) -> Iterator[httpx.Client]:
    """The same, rooted at the emulator's /beta (Autopilot deployment profiles)."""
    with httpx.Client(base_url=emulator.beta_url, headers=TOKEN_HEADERS, timeout=10) as http:
        yield http
