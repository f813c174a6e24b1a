"""Fixtures for the emulator's own tests: a running emulator on a manual clock and clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# The repo root is not on sys.path under plain `pytest` (pyproject sets no pythonpath).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from graph_emulator import Emulator, ManualClock

TOKEN_HEADERS = {"Authorization": "Bearer test-token"}


def device(number: int, tag: str = "", **extra: Any) -> dict[str, Any]:
    """A small Autopilot device for seeding."""
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "serialNumber": f"SN{number:06d}",
        "groupTag": tag,
        **extra,
    }


def dynamic_group_body(name: str, rule: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": name,
        "mailEnabled": False,
        "mailNickname": name.replace(" ", "-")[:64],
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": rule or f'(device.devicePhysicalIds -any (_ -eq "[OrderID]:{name}"))',
        "membershipRuleProcessingState": "On",
    }
    body.update(extra)
    return body


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
