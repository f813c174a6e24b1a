"""Auth, permissions, error shapes, every fault kind, and the request log."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import httpx
import pytest
from emulator_helpers import TOKEN_HEADERS, assert_graph_error, device, dynamic_group_body

from graph_emulator import Emulator

DEVICES = "/deviceManagement/windowsAutopilotDeviceIdentities"


# --- authentication, permissions, unknown paths ---


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}]
)
def test_no_bearer_token_is_401(emulator: Emulator, headers: dict[str, str]) -> None:
    response = httpx.get(emulator.base_url + "/groups", headers=headers)
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_client_request_id_is_echoed(emulator: Emulator, client: httpx.Client) -> None:
    response = client.get("/nothing", headers={"client-request-id": "abc-123"})
    error = assert_graph_error(response, 400, "BadRequest")
    assert error["message"] == "Resource not found for the segment 'nothing'."
    assert error["innerError"]["client-request-id"] == "abc-123"  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/v1.0/nothing", "nothing"),
        ("/v1.0/deviceManagement/managedDevices", "managedDevices"),
        (
            "/v1.0/deviceManagement/windowsAutopilotDeploymentProfiles/x/assignments",
            "windowsAutopilotDeploymentProfiles",
        ),
        ("/v1.0/groups/00000000-0000-4000-8000-000000000001/members", "members"),
        ("/beta/groups", "groups"),
    ],
)
def test_an_unknown_path_names_the_first_segment_no_route_knows(
    emulator: Emulator, path: str, segment: str
) -> None:
    url = f"http://127.0.0.1:{emulator.port}{path}"
    error = assert_graph_error(httpx.get(url, headers=TOKEN_HEADERS), 400, "BadRequest")
    assert error["message"] == f"Resource not found for the segment '{segment}'."
    assert emulator.requests[-1].path == path


@pytest.mark.parametrize(
    ("granted", "method", "path", "allowed"),
    [
        ([], "GET", DEVICES, False),
        (["DeviceManagementServiceConfig.Read.All"], "GET", DEVICES, True),
        (["DeviceManagementServiceConfig.ReadWrite.All"], "GET", DEVICES, True),
        (["Group.ReadWrite.All"], "GET", DEVICES, False),
        (["Group.Read.All"], "GET", "/groups", True),
        (["Directory.Read.All"], "GET", "/groups", True),
        (["DeviceManagementServiceConfig.Read.All"], "GET", "/groups", False),
        (["Group.Read.All"], "POST", "/groups", False),
        (["Group.Create"], "POST", "/groups", True),
        (["Directory.ReadWrite.All"], "POST", "/groups", True),
    ],
)
def test_permissions_gate_each_endpoint(
    emulator: Emulator,
    client: httpx.Client,
    granted: list[str],
    method: str,
    path: str,
    allowed: bool,
) -> None:
    emulator.set_permissions(granted)
    body = dynamic_group_body("X") if method == "POST" else None
    response = client.request(method, path, json=body)
    if allowed:
        assert response.status_code < 300
    else:
        error = assert_graph_error(response, 403, "Authorization_RequestDenied")
        assert error["message"] == "Insufficient privileges to complete the operation."


def test_group_create_may_upsert_new_groups_but_not_update(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.set_permissions(["Group.Create"])
    headers = {"Prefer": "create-if-missing"}
    assert (
        client.patch(
            "/groups(uniqueName='a')", json=dynamic_group_body("A"), headers=headers
        ).status_code
        == 201
    )
    again = client.patch("/groups(uniqueName='a')", json=dynamic_group_body("A"), headers=headers)
    assert_graph_error(again, 403, "Authorization_RequestDenied")


# --- faults ---


def test_429_answers_before_processing_with_retry_after(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.faults.script("429", method="POST", path="/groups", retry_after="2.128")
    throttled = client.post("/groups", json=dynamic_group_body("X"))
    assert_graph_error(throttled, 429, "TooManyRequests")
    assert throttled.headers["Retry-After"] == "2.128"
    assert emulator.groups() == []
    assert client.post("/groups", json=dynamic_group_body("X")).status_code == 201
    assert emulator.faults.counts() == {"429": 1}


@pytest.mark.parametrize(
    ("form", "pattern"),
    [
        ("seconds", r"\d+\Z"),
        ("fractional", r"\d+\.\d+\Z"),
        ("http-date", r"\w{3}, \d\d \w{3} \d{4} .* GMT\Z"),
    ],
)
def test_retry_after_forms(
    emulator: Emulator, client: httpx.Client, form: str, pattern: str
) -> None:
    emulator.faults.script("429", retry_after=form)
    value = client.get("/groups").headers["Retry-After"]
    assert re.match(pattern, value)
    if form == "http-date":
        assert parsedate_to_datetime(value).tzinfo is not None


def test_503_may_come_with_or_without_retry_after(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.script("503")
    emulator.faults.script("503", retry_after="3")
    first, second = client.get("/groups"), client.get("/groups")
    assert_graph_error(first, 503, "serviceNotAvailable")
    assert "Retry-After" not in first.headers
    assert second.headers["Retry-After"] == "3"


def test_504_after_commit_commits_the_write_so_a_replay_duplicates(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.faults.script("504-after-commit", method="POST")
    timed_out = client.post("/groups", json=dynamic_group_body("SALES-UD"))
    assert_graph_error(timed_out, 504, "GatewayTimeout")
    assert len(emulator.groups()) == 1
    assert client.post("/groups", json=dynamic_group_body("SALES-UD")).status_code == 201
    assert len(emulator.groups()) == 2  # the trap: POST is not idempotent


def test_504_after_commit_on_a_read_is_a_plain_504(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.faults.script("504-after-commit")
    assert client.get("/groups").status_code == 504


def test_drop_closes_the_connection_without_processing(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.faults.script("drop", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/groups", json=dynamic_group_body("X"))
    assert emulator.groups() == []
    assert emulator.requests[-1].status == 0
    assert emulator.requests[-1].fault == "drop"


def test_drop_after_commit_commits_then_closes(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.script("drop-after-commit", path=r"uniqueName")
    with pytest.raises(httpx.RemoteProtocolError):
        client.patch(
            "/groups(uniqueName='u')",
            json=dynamic_group_body("U"),
            headers={"Prefer": "create-if-missing"},
        )
    assert len(emulator.groups()) == 1
    replay = client.patch(
        "/groups(uniqueName='u')",
        json=dynamic_group_body("U"),
        headers={"Prefer": "create-if-missing"},
    )
    assert replay.status_code == 204  # the upsert is safe to replay
    assert len(emulator.groups()) == 1


def test_latency_delays_but_answers(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.script("latency", seconds=0.01)
    assert client.get("/groups").status_code == 200
    assert emulator.requests[-1].fault == "latency"


def test_scripts_match_method_and_path_and_run_out(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.faults.script("429", method="GET", path=DEVICES, count=2)
    assert client.get("/groups").status_code == 200
    assert client.post("/groups", json=dynamic_group_body("X")).status_code == 201
    assert [client.get(DEVICES).status_code for _ in range(3)] == [429, 429, 200]


def test_rate_faults_are_deterministic_for_a_seed(emulator: Emulator, client: httpx.Client) -> None:
    def run() -> list[int]:
        emulator.faults.set_rate(0.5, kinds=["429", "503"], seed=7)
        return [client.get("/groups").status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert {200, 429, 503} == set(first)
    emulator.faults.clear()
    assert client.get("/groups").status_code == 200


def test_rate_504_and_drop_after_commit_on_reads_do_not_process(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.add_devices([device(1)])
    emulator.faults.set_rate(1.0, kinds=["504-after-commit"])
    assert client.get(DEVICES).status_code == 504


def test_unknown_fault_kinds_are_refused(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        emulator.faults.script("418")
    with pytest.raises(ValueError):
        emulator.faults.script("latency")


# --- the request log ---


def test_the_request_log_records_each_request(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.script("429", path="/groups")
    client.get("/groups", params={"$top": "5"})
    client.get("/groups", params={"$top": "5"})
    first, second = emulator.requests
    assert (first.method, first.path, first.query, first.status, first.fault) == (
        "GET",
        "/v1.0/groups",
        "$top=5",
        429,
        "429",
    )
    assert (second.status, second.fault) == (200, None)
    assert first.time <= second.time
    emulator.clear_requests()
    assert emulator.requests == []


def test_the_emulator_stops_and_frees_its_port() -> None:
    emulator = Emulator().start()
    url = emulator.base_url
    assert httpx.get(url + "/groups", headers=TOKEN_HEADERS).status_code == 200
    emulator.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/groups", headers=TOKEN_HEADERS)


def test_a_held_request_waits_until_released_then_is_dropped_unprocessed(emulator):
    import threading

    emulator.set_permissions(["Group.ReadWrite.All"])
    held = emulator.faults.hold(method="POST", path="/groups")
    outcome: dict[str, object] = {}

    def post() -> None:
        body = {
            "displayName": "held",
            "mailEnabled": False,
            "mailNickname": "held",
            "securityEnabled": True,
        }
        try:
            httpx.post(f"{emulator.base_url}/groups", json=body, headers=TOKEN_HEADERS, timeout=10)
        except httpx.TransportError as error:
            outcome["error"] = type(error).__name__

    client = threading.Thread(target=post)
    client.start()
    assert held.arrived.wait(10)
    assert emulator.groups() == []  # held before processing
    held.release()
    client.join(10)
    assert outcome.get("error") and emulator.groups() == []  # dropped, never committed
    with pytest.raises(ValueError, match="hold"):
        emulator.faults.set_rate(0.5, kinds=["hold"])
