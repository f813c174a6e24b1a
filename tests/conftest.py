"""Fixtures shared by every test: the Graph emulator, Azurite, and settings that point at them.

Azurite runs once per session (in memory); tests share it and use queue names of their own.
Storage is never mocked.

The emulator answers as the default profile (the likeliest reading of Graph's documentation).
A test module or test marked ``both_profiles`` runs each of its tests that use the emulator twice:
against the default and against the strict profile (``Emulator(strict=True)``: the strictest
plausible reading, e.g. no ``or`` in a group filter), so the app is proven either way the real
service falls. Only the end-to-end modules are marked, so the suite does not double.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.builders import empty_tenant

if TYPE_CHECKING:  # imported by the fixtures that use them, so tests/core needs neither
    from graph_emulator import Emulator, ManualClock
    from local_runner.azurite import Azurite


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        help="run the longer chaos and fuzzing profiles instead of the CI ones",
    )


PROFILES = ("default", "strict")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_profiles: run against the emulator's default and strict profiles"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker("both_profiles") is not None
    if marked and "emulator_profile" in metafunc.fixturenames:
        metafunc.parametrize("emulator_profile", PROFILES)


@pytest.fixture
def emulator_profile() -> str:
    """The emulator's profile: "default" unless the test is marked ``both_profiles``."""
    return "default"


@pytest.fixture(scope="session")
def long_profile(request: pytest.FixtureRequest) -> bool:
    """True under `make test-long` (pytest --long): chaos and fuzzing run their long profiles."""
    return bool(request.config.getoption("--long"))


@pytest.fixture
def clock() -> ManualClock:
    from graph_emulator import ManualClock

    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock, emulator_profile: str) -> Iterator[Emulator]:
    """An empty tenant on loopback, with a manual clock so replication lag never depends on time."""
    from graph_emulator import Emulator

    strict = emulator_profile == "strict"
    with Emulator(tenant=empty_tenant(), clock=clock, strict=strict) as emu:
        yield emu


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """A running Azurite queue service (in memory) for the whole session."""
    from local_runner.azurite import Azurite

    with Azurite() as instance:
        yield instance


@pytest.fixture
def queue_names() -> Callable[[str], str]:
    """Make queue names unique to this test: ``queue_names("in")`` -> ``in-1a2b3c4d``."""
    token = uuid.uuid4().hex[:8]
    return lambda stem: f"{stem}-{token}"
