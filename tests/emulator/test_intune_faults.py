"""Every fault kind on both Intune writes: what each leaves behind in the true state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    CONFIGS,
    INTUNE_WRITER,
    PROFILES,
    TOKEN_HEADERS,
    esp_assign,
    profile_assignment,
    target,
)

from graph_emulator import Emulator

# kind -> (status the client sees, 0 for a dropped connection; whether the write happened)
OUTCOMES = {
    "429": (429, False),
    "503": (503, False),
    "drop": (0, False),
    "504-after-commit": (504, True),
    "drop-after-commit": (0, True),
    "latency": (None, True),  # the write's own status
}
Write = Callable[[Emulator, dict[str, Any]], httpx.Response]


def post_profile_assignment(emulator: Emulator, made: dict[str, Any]) -> httpx.Response:
    url = f"{emulator.beta_url}{PROFILES}/{made['profile']['id']}/assignments"
    return httpx.post(url, json=profile_assignment(made["group"]["id"]), headers=TOKEN_HEADERS)


def assign_esp(emulator: Emulator, made: dict[str, Any]) -> httpx.Response:
    url = f"{emulator.base_url}{CONFIGS}/{made['esp']['id']}/assign"
    return httpx.post(url, json=esp_assign(target(made["group"]["id"])), headers=TOKEN_HEADERS)


def written(emulator: Emulator, made: dict[str, Any], write: Write) -> bool:
    if write is post_profile_assignment:
        return bool(emulator.profile_assignments(made["profile"]["id"]))
    return bool(emulator.esp_assignments(made["esp"]["id"]))


@pytest.mark.parametrize("write", [post_profile_assignment, assign_esp], ids=["profile", "esp"])
@pytest.mark.parametrize("kind", list(OUTCOMES))
def test_each_fault_kind_leaves_the_write_done_or_undone_as_documented(
    emulator: Emulator, write: Write, kind: str
) -> None:
    emulator.set_permissions(INTUNE_WRITER)
    made = {
        "group": emulator.add_group({"displayName": "Autopilot - SALES-UD"}),
        "profile": emulator.add_autopilot_profile({"displayName": "User-driven"}),
        "esp": emulator.add_enrollment_configuration({"displayName": "ESP - User-driven"}),
    }
    emulator.faults.script(kind, method="POST", seconds=0.01 if kind == "latency" else 0.0)
    status, applied = OUTCOMES[kind]
    if status is None:
        status = 201 if write is post_profile_assignment else 204

    try:
        seen = write(emulator, made).status_code
    except httpx.RemoteProtocolError:
        seen = 0

    assert seen == status
    assert written(emulator, made, write) is applied
    (record,) = emulator.requests
    assert (record.fault, record.status) == (kind, seen)
