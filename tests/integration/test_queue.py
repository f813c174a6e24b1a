"""Scenario requests end to end: real Azurite, the local runner, the Graph emulator, the real SDK.

Every test checks the promise made to ticketing systems: each request ends as exactly one result
(plus the poison copy for those that failed), and no request makes a second group.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from graph_emulator import Emulator
from local_runner import Azurite
from shared.core.model import Kind
from shared.core.naming import unique_name
from shared.core.rules import build_rule
from tests.builders import gateway_patch
from tests.builders import managed_groups as managed
from tests.queue_app import QueueApp

pytestmark = pytest.mark.both_profiles  # default and strict emulator (conftest)


def send_all(app: QueueApp, *documents: Any) -> None:
    for document in documents:
        app.send(document)


def request(tag: str, request_id: str, scenario: str = "user-driven", **extra: Any) -> dict:
    return {"requestId": request_id, "scenario": scenario, "groupTag": tag, **extra}


@pytest.fixture
def make_app(azurite: Azurite, emulator: Emulator) -> Iterator[Callable[..., QueueApp]]:
    """The function app with these settings, on queues of its own, driven by the local host."""
    apps: list[QueueApp] = []

    def make(**env: str) -> QueueApp:
        app = QueueApp.start(azurite.connection_string, emulator.base_url, **env)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def test_a_new_tag_is_created_and_a_second_request_finds_it(make_app, emulator):
    app = make_app()
    app.send(request("SALES-UD", "INC-1", requestedBy="jane@contoso.example"))
    app.host.drain()
    app.send(request("sales-ud", "INC-2"))
    app.host.drain()

    first, second = sorted(app.results(), key=lambda r: r["requestId"])
    [group] = managed(emulator)
    assert first["status"] == "created"
    assert first["group"] == {
        "id": group["id"],
        "displayName": "Autopilot - User-driven - SALES-UD",
        "uniqueName": unique_name(Kind.TAG, "SALES-UD"),
        "membershipRule": build_rule(Kind.TAG, "SALES-UD"),
    }
    assert first["requestedBy"] == "jane@contoso.example" and first["errors"] == []
    assert second["status"] == "exists" and second["group"]["id"] == group["id"]
    assert app.poison() == []


def test_a_drifted_group_is_repaired_and_answered_updated(make_app, emulator):
    app = make_app(DRIFT_POLICY="repair")
    app.send(request("HR-UD", "INC-1"))
    app.host.drain()
    [group] = managed(emulator)
    gateway_patch(emulator, group["id"], {"membershipRuleProcessingState": "Paused"})
    app.send(request("HR-UD", "INC-2"))
    app.host.drain()

    results = {r["requestId"]: r for r in app.results()}
    assert results["INC-2"]["status"] == "updated"
    assert managed(emulator)[0]["membershipRuleProcessingState"] == "On"


def test_a_hand_made_group_is_answered_as_existing_and_nothing_is_created(make_app, emulator):
    hand_made = emulator.add_group(
        {
            "displayName": "Kiosks",
            "mailEnabled": False,
            "mailNickname": "kiosks",
            "securityEnabled": True,
            "groupTypes": ["DynamicMembership"],
            "membershipRule": '(device.devicePhysicalIds -any _ -eq "[OrderID]:KIOSK-SD")',
            "membershipRuleProcessingState": "On",
        }
    )
    app = make_app()
    app.send(request("kiosk-sd", "INC-9", scenario="self-deploying"))
    app.host.drain()
    [result] = app.results()
    assert result["status"] == "exists" and result["group"]["id"] == hand_made["id"]
    assert managed(emulator) == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"\xff\xfe not utf-8", None, "not UTF-8"),
        (b"{not json", None, "not JSON"),
        (b"[1, 2]", None, "JSON object"),
        (
            json.dumps({"scenario": "user-driven", "groupTag": "X"}).encode(),
            "requestId",
            "required",
        ),
        (json.dumps(request("X", "bad id with spaces")).encode(), "requestId", "letters"),
        (json.dumps(request("X", "INC-1", colour="red")).encode(), "colour", "unknown field"),
        (
            json.dumps({**request("X", "INC-1"), "purchaseOrderId": "42"}).encode(),
            "groupTag",
            "at most one",
        ),
        (
            json.dumps(request("X", "INC-1", scenario="moon-landing")).encode(),
            "scenario",
            "unknown scenario",
        ),
        (json.dumps(request("EVIL`-UD", "INC-1")).encode(), "groupTag", "backtick"),
        (json.dumps(request("BELL\u0007-UD", "INC-1")).encode(), "groupTag", "control"),
        (json.dumps(request(" SALES-UD", "INC-1")).encode(), "groupTag", "white space"),
    ],
    ids=[
        "not utf-8",
        "not json",
        "not an object",
        "no requestId",
        "bad requestId",
        "unknown field",
        "tag and purchase order",
        "unknown scenario",
        "backtick",
        "control character",
        "leading space",
    ],
)
def test_each_invalid_request_is_rejected_once_with_its_reason_and_not_retried(
    make_app, emulator, body, field, words
):
    app = make_app()
    app.send_bytes(body)
    outcomes = app.host.drain()

    [result] = app.results()
    assert result["status"] == "rejected"
    assert [e["field"] for e in result["errors"]].count(field) >= 1
    assert any(words in e["message"] for e in result["errors"])
    assert [o.status for o in outcomes] == ["succeeded"]  # completed, not retried
    assert app.poison() == [] and managed(emulator) == []


def test_a_tag_bound_to_another_scenario_is_rejected_with_that_groups_name(make_app, emulator):
    app = make_app()
    app.send(request("LAB-01", "INC-1", scenario="pre-provisioning"))
    app.host.drain()
    app.send(request("LAB-01", "INC-2", scenario="user-driven"))
    app.host.drain()
    results = {r["requestId"]: r for r in app.results()}
    conflict = results["INC-2"]
    assert conflict["status"] == "rejected"
    assert "Autopilot - Pre-provisioned - LAB-01" in conflict["errors"][0]["message"]
    assert len(managed(emulator)) == 1


def test_a_transient_fault_is_retried_by_the_host_then_succeeds(make_app, emulator):
    app = make_app(GRAPH_MAX_RETRIES="0")
    emulator.faults.script("503", method="PATCH", count=1)
    app.send(request("FIN-UD", "INC-1"))
    outcomes = app.host.drain()

    assert [o.status for o in outcomes] == ["failed", "succeeded"]
    [result] = app.results()
    assert result["status"] == "created"
    assert app.poison() == []


def test_retries_exhausted_answer_failed_and_move_the_request_to_poison(make_app, emulator):
    app = make_app(GRAPH_MAX_RETRIES="0")
    emulator.faults.script("503", path="groups", count=1000)
    original = request("FIN-UD", "INC-7")
    app.send(original)
    outcomes = app.host.drain()

    assert [o.status for o in outcomes] == ["failed"] * 4 + ["poisoned"]
    [result] = app.results()
    assert result["status"] == "failed" and result["requestId"] == "INC-7"
    assert "poison" in result["errors"][0]["message"]
    assert [json.loads(body) for body in app.poison()] == [original]
    assert managed(emulator) == []


def test_a_missing_permission_loses_no_request(make_app, emulator):
    emulator.set_permissions(["DeviceManagementServiceConfig.Read.All", "Group.Read.All"])
    app = make_app(GRAPH_MAX_RETRIES="0")
    app.send(request("FIN-UD", "INC-8"))
    app.host.drain()
    [result] = app.results()
    assert result["status"] == "failed"
    assert "Group.ReadWrite.All" in result["errors"][0]["message"]
    assert len(app.poison()) == 1


def test_the_same_request_delivered_twice_makes_one_group(make_app, emulator):
    app = make_app()
    send_all(app, request("DUP-UD", "INC-1"), request("DUP-UD", "INC-1"))
    app.host.drain()
    statuses = sorted(r["status"] for r in app.results())
    assert statuses == ["created", "exists"]
    assert len(managed(emulator)) == 1


def test_fifty_requests_for_five_tags_at_once_make_five_groups_and_fifty_answers(
    make_app, emulator
):
    app = make_app()
    tags = [f"RING{i}-UD" for i in range(5)]
    send_all(app, *(request(tags[i % 5], f"INC-{i:03d}") for i in range(50)))
    outcomes = app.host.drain()

    results = app.results()
    assert sorted(r["requestId"] for r in results) == [f"INC-{i:03d}" for i in range(50)]
    groups = managed(emulator)
    assert len(groups) == 5
    ids = {g["uniqueName"]: g["id"] for g in groups}
    for result in results:
        assert result["status"] in ("created", "exists")
        assert result["group"]["id"] == ids[result["group"]["uniqueName"]]
    assert Counter(r["status"] for r in results)["created"] == 5
    # Requests for one tag in a batch take turns: one write per tag, not one per request.
    assert len([r for r in emulator.requests if r.method == "PATCH"]) == 5
    assert app.poison() == [] and {o.status for o in outcomes} == {"succeeded"}


def test_under_replication_lag_concurrent_requests_still_make_one_group_each(make_app, emulator):
    emulator.set_lag(3600)  # the manual clock never moves: reads never show new groups
    app = make_app()
    send_all(app, *(request(f"LAG{i % 3}-UD", f"INC-{i:02d}") for i in range(12)))
    outcomes = app.host.drain(timeout=60)

    results = app.results()
    assert len(results) == 12 and len({r["requestId"] for r in results}) == 12
    assert len(managed(emulator)) == 3
    assert Counter(r["status"] for r in results)["created"] == 3
    assert {r["status"] for r in results} <= {"created", "exists"}
    # The groups this process created answer the later requests while Graph's reads lag: every
    # answer carries the group's id, and no message had to wait for a redelivery.
    assert all(r["group"]["id"] for r in results)
    assert {o.status for o in outcomes} == {"succeeded"}
    assert app.poison() == []


def test_under_lag_a_group_another_instance_made_is_answered_on_a_later_delivery(
    make_app, emulator, clock
):
    first, second = make_app(), make_app()  # two hosts: two instances with their own memory
    emulator.set_lag(30)
    first.send(request("SCALE-UD", "INC-1"))
    first.host.drain()
    second.send(request("SCALE-UD", "INC-2"))
    [early] = second.host.poll_once()  # Graph does not show the group yet: hand it back
    assert early.status == "failed" and "does not show it yet" in (early.error or "")
    clock.advance(31)
    second.host.drain()
    [answer] = second.results()
    [group] = managed(emulator)
    assert (answer["status"], answer["group"]["id"]) == ("exists", group["id"])


def test_the_request_command_queues_a_request_the_function_answers(
    make_app, azurite, emulator, monkeypatch
):
    import io

    from shared.cli.main import main

    app = make_app()
    for name, value in {
        "AzureWebJobsStorage": azurite.connection_string,
        "GRAPH_BASE_URL": emulator.base_url,
        "REQUEST_QUEUE": app.request_queue,
        "RESULT_QUEUE": app.result_queue,
    }.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    code = main(
        [
            "request",
            "--scenario",
            "user-driven",
            "--tag",
            "CLI-UD",
            "--request-id",
            "CLI-1",
            "--wait",
            "0",
        ],
        out=out,
    )
    assert code == 0 and "queued request CLI-1" in out.getvalue()
    app.host.drain()
    [result] = app.results()
    assert (result["requestId"], result["status"]) == ("CLI-1", "created")
