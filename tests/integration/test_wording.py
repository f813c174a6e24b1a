"""No word a write's outcome is rendered in is read back: with every text of ``core.wording``
reworded, the same runs and requests give the same statuses, report counts and exit codes.

The reworded texts keep their placeholders and turn every word around, so a ``startswith`` or a
``split(":")`` anywhere on them would no longer match.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from graph_emulator import Emulator
from local_runner import Azurite
from shared.cli.main import main
from shared.core import wording
from shared.core.model import Kind
from shared.core.naming import unique_name
from shared.core.plan import Done
from tests.assign_tenant import AssignTenant, make_tenant
from tests.builders import device
from tests.queue_app import QueueApp

REWORDED_TABLES = (
    wording.DONE,
    wording.PHRASES,
    wording.GROUP_STATIC,
    wording.ASSIGNMENT_STATIC,
    wording.REASON_PREFIX,
)


def reword(text: str) -> str:
    """Every word backwards and in capitals; placeholders such as ``{error}`` kept."""
    return re.sub(
        r"\{[^{}]*\}|[A-Za-z]+",
        lambda m: m.group(0) if m.group(0).startswith("{") else m.group(0)[::-1].upper(),
        text,
    )


def what_counts(tenant: AssignTenant, azurite: Azurite, monkeypatch) -> dict[str, Any]:
    """Two apply runs (one group's upsert refused by Graph throughout) and three requests, and
    all that switches on outcomes: exit codes, ok, every count, every answer's statuses."""
    for name, value in tenant.env(GRAPH_MAX_RETRIES="1", DRIFT_POLICY="repair").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GRAPH_BASE_URL", tenant.emulator.base_url)
    monkeypatch.setenv("GRAPH_RETRY_DELAY_SECONDS", "0")
    tenant.emulator.faults.script("503", path=unique_name(Kind.TAG, "HR-UD"), count=1000)
    seen: dict[str, Any] = {"runs": []}
    for _ in range(2):
        out = io.StringIO()
        code = main(["apply", "--json"], out=out)
        document = json.loads(out.getvalue())
        seen["runs"].append(
            (code, document["ok"], document["totals"], document["assignmentTotals"])
        )
    requests = [
        {"requestId": "R-1", "scenario": "user-driven", "groupTag": "NEW-UD"},
        {"requestId": "R-2", "scenario": "user-driven", "groupTag": "SALES-UD"},
        {"requestId": "R-3", "scenario": "user-driven", "groupTag": "A`B"},
    ]
    with QueueApp.start(azurite.connection_string, tenant.emulator.base_url, **tenant.env()) as app:
        for request in requests:
            app.send(request)
        app.host.drain()
        answers = sorted(app.results(), key=lambda a: a["requestId"])
    seen["answers"] = [
        (a["requestId"], a["status"], {k: v["status"] for k, v in a.get("assignments", {}).items()})
        for a in answers
    ]
    return seen


def test_statuses_counts_and_exit_codes_do_not_depend_on_the_words(
    emulator, azurite, tmp_path, monkeypatch
):
    plain = what_counts(make_tenant_with_devices(emulator, azurite, tmp_path), azurite, monkeypatch)
    for table in REWORDED_TABLES:
        for key, text in list(table.items()):
            monkeypatch.setitem(table, key, reword(text))
    assert wording.DONE[Done.FAILED] == "DELIAF: {error} ({retry})"

    with Emulator(tenant={"tenantId": "reworded", "devices": [], "groups": []}) as second:
        reworded = what_counts(
            make_tenant_with_devices(second, azurite, tmp_path), azurite, monkeypatch
        )

    assert reworded == plain
    codes = [run[0] for run in plain["runs"]]
    assert codes == [1, 1]  # the refused group fails both runs
    assert plain["runs"][0][2]["created"] >= 3 and plain["runs"][0][2]["failed"] == 1
    assert plain["runs"][0][3]["assigned"] >= 3 and plain["runs"][1][3]["assigned"] == 0
    assert [status for _, status, _ in plain["answers"]] == ["created", "exists", "rejected"]


def make_tenant_with_devices(emulator: Emulator, azurite: Azurite, folder) -> AssignTenant:
    emulator.add_devices([device("SALES-UD"), device("HR-UD"), device("KIOSK-SD"), device("A`B")])
    return make_tenant(emulator, azurite.connection_string, folder)
