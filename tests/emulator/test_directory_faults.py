"""Every fault kind on the new writes (restore, owners $ref, the membership target) and the
new reads: what each leaves behind, and what the request log records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    DELETED,
    DELETED_GROUPS,
    DEVICE_PREP_WRITER,
    POLICIES,
    TOKEN_HEADERS,
    directory_object,
    membership_target,
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


def seed(emulator: Emulator) -> dict[str, Any]:
    emulator.set_permissions([*DEVICE_PREP_WRITER, "DeviceManagementServiceConfig.Read.All"])
    sp = emulator.add_provisioning_client()
    owned = emulator.add_group({"displayName": "owned", "owners": [sp["id"]]})
    binned = emulator.add_group({"displayName": "binned"})
    emulator.delete_group(binned["id"])
    policy = emulator.add_configuration_policy(
        {"name": "DP", "template": "devicePreparationUserDriven"}
    )
    bare = emulator.add_group({"displayName": "bare"})
    return {"sp": sp, "owned": owned, "binned": binned, "policy": policy, "bare": bare}


def restore(emulator: Emulator, made: dict[str, Any]) -> httpx.Response:
    url = f"{emulator.base_url}{DELETED}/{made['binned']['id']}/restore"
    return httpx.post(url, headers=TOKEN_HEADERS)


def add_owner(emulator: Emulator, made: dict[str, Any]) -> httpx.Response:
    url = f"{emulator.base_url}/groups/{made['bare']['id']}/owners/$ref"
    body = {"@odata.id": directory_object(made["sp"]["id"])}
    return httpx.post(url, json=body, headers=TOKEN_HEADERS)


def remove_owner(emulator: Emulator, made: dict[str, Any]) -> httpx.Response:
    url = f"{emulator.base_url}/groups/{made['owned']['id']}/owners/{made['sp']['id']}/$ref"
    return httpx.delete(url, headers=TOKEN_HEADERS)


def set_target(emulator: Emulator, made: dict[str, Any]) -> httpx.Response:
    url = f"{emulator.beta_url}{POLICIES}/{made['policy']['id']}"
    body = membership_target(made["owned"]["id"])
    return httpx.post(
        url + "/setEnrollmentTimeDeviceMembershipTarget", json=body, headers=TOKEN_HEADERS
    )


Write = Callable[[Emulator, dict[str, Any]], httpx.Response]
WRITES: dict[str, tuple[Write, int, Callable[[Emulator, dict[str, Any]], bool]]] = {
    "restore": (restore, 200, lambda e, m: e.deleted_groups() == []),
    "add-owner": (add_owner, 204, lambda e, m: e.owners(m["bare"]["id"]) == [m["sp"]["id"]]),
    "remove-owner": (remove_owner, 204, lambda e, m: e.owners(m["owned"]["id"]) == []),
    "set-target": (
        set_target,
        200,
        lambda e, m: e.membership_target(m["policy"]["id"]) == m["owned"]["id"],
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("kind", list(OUTCOMES))
def test_each_fault_kind_leaves_the_write_done_or_undone(emulator: Emulator, write, kind) -> None:
    made = seed(emulator)
    call, success, done = WRITES[write]
    method = "DELETE" if write == "remove-owner" else "POST"
    emulator.faults.script(kind, method=method, seconds=0.01 if kind == "latency" else 0.0)
    status, applied = OUTCOMES[kind]

    try:
        seen = call(emulator, made).status_code
    except httpx.RemoteProtocolError:
        seen = 0

    assert seen == (success if status is None else status)
    assert done(emulator, made) is applied
    (record,) = emulator.requests
    assert (record.method, record.fault, record.status) == (method, kind, seen)


@pytest.mark.parametrize(
    ("version", "path"),
    [
        ("v1.0", DELETED_GROUPS),
        ("v1.0", "/groups/{owned}/owners"),
        ("beta", POLICIES),
        ("beta", "/deviceManagement/windowsAutopilotDeploymentProfiles?$expand=assignments"),
    ],
)
def test_reads_get_throttled_and_are_logged_with_their_version(emulator, version, path) -> None:
    made = seed(emulator)
    emulator.faults.script("429", method="GET", retry_after="2")
    root = emulator.base_url if version == "v1.0" else emulator.beta_url
    url = root + path.format(owned=made["owned"]["id"])

    throttled = httpx.get(url, headers=TOKEN_HEADERS)
    answered = httpx.get(url, headers=TOKEN_HEADERS)

    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "2")
    assert answered.status_code == 200
    first, second = emulator.requests
    assert first.path == second.path and first.path.startswith(f"/{version}/")
    assert (first.status, first.fault, second.status, second.fault) == (429, "429", 200, None)
