"""``make run``: the whole app on this machine, against Azurite and the Graph emulator.

Starts Azurite and the Graph emulator with the sample tenant, creates the queues and runs the
read-only preflight (``python -m shared doctor``), fires the timer function through the local
runner in plan mode (a first deployment's default: nothing is written, the report is stored),
then in apply mode, puts a few sample requests (one of them invalid) on the request queue as
plain JSON, lets the queue function answer them, and ends with the next step: deploying.

Test and demo tooling: in Azure, or with ``func start``, the Functions host does the runner's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueServiceClient

from graph_emulator import Emulator
from local_runner.azurite import Azurite
from local_runner.host import LocalHost

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TENANT = ROOT / "graph_emulator" / "samples" / "sample-tenant.json"
# The shipped scenarios, the user-driven one naming the sample tenant's profile and ESP.
SAMPLE_SCENARIOS = ROOT / "graph_emulator" / "samples" / "sample-scenarios.json"

SAMPLE_REQUESTS: list[dict[str, Any]] = [
    {
        "requestId": "RITM0010001",
        "scenario": "user-driven",
        "groupTag": "NEWHIRES-UD",
        "requestedBy": "service-desk@contoso.example",
    },
    {
        "requestId": "RITM0010002",
        "scenario": "user-driven",
        "groupTag": "sales-ud",
        "requestedBy": "service-desk@contoso.example",
    },
    {"requestId": "RITM0010003", "scenario": "pre-provisioning", "purchaseOrderId": "PO-77821"},
    {"requestId": "RITM0010004", "scenario": "moon-landing", "groupTag": "APOLLO-UD"},
    {"requestId": "RITM0010005", "scenario": "user-driven-prep"},  # its one group
]
READ_BY_POST = "/retrieveEnrollmentTimeDeviceMembershipTarget"
# How the demo names each assignment of an answer.
SHORT = {
    "autopilotProfile": "profile",
    "enrollmentStatusPage": "ESP",
    "owner": "owner",
    "devicePreparationPolicy": "policy",
}


def main() -> int:
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    with Azurite() as azurite, Emulator(tenant=SAMPLE_TENANT) as emulator:
        os.environ.update(
            {
                "AzureWebJobsStorage": azurite.connection_string,
                "GRAPH_BASE_URL": emulator.base_url,
                "SCENARIO_FILE": str(SAMPLE_SCENARIOS),
                "RUN_MODE": "plan",  # a first deployment's default
                "MAX_NEW_GROUPS_PER_RUN": "25",
            }
        )
        print(f"Azurite on {azurite.queue_endpoint}; Graph emulator on {emulator.base_url}")
        print(f"Sample tenant: {len(emulator.devices())} devices, {len(emulator.groups())} groups;")
        print(
            f"scenarios: {SAMPLE_SCENARIOS.name} (user-driven names a profile and an ESP,\n"
            "user-driven-prep a device preparation policy)\n"
        )

        from shared.cli.doctor import run_doctor
        from shared.cli.render import render_table
        from shared.config.settings import Settings
        from shared.core.permissions import required_roles

        settings = Settings.from_env()
        emulator.set_permissions(required_roles(settings.catalogue))  # grant-permissions' job
        service = QueueServiceClient.from_connection_string(azurite.connection_string)
        for queue in (settings.request_queue, settings.result_queue, settings.poison_queue):
            with contextlib.suppress(ResourceExistsError):  # as infra/main.bicep creates them
                service.create_queue(queue)
        checklist = asyncio.run(run_doctor())
        print(f"== 1. python -m shared doctor: {checklist.render().strip().splitlines()[-1]} ==\n")

        sys.path.insert(0, str(ROOT))
        print("== 2. The timer, in plan mode (RUN_MODE=plan): nothing is written ==")
        before = _writes(emulator)
        plan = _fire_timer().to_dict()
        assignments = plan.pop("assignments", [])
        print(render_table(plan, reasons=False), end="")
        print(f"... and {len(assignments)} assignments (profiles, ESPs, device preparation).")
        print(f"Graph writes: {_writes(emulator) - before}; the report: python -m shared report\n")

        print("== 3. Switched to apply (azd env set RUN_MODE apply; azd up) ==")
        os.environ["RUN_MODE"] = "apply"
        before = _writes(emulator)
        applied = _fire_timer()
        print(textwrap.fill(applied.summary(), width=100))
        print(f"Graph writes: {_writes(emulator) - before}\n")

        print("== 4. Requests from a ticketing system (plain JSON on the request queue) ==")
        for answer in _requests(service, settings.request_queue, settings.result_queue):
            print(answer)
        print(f"\n== 5. Afterwards: {_afterwards(emulator)}")
        print("\nNext: deploy it to your tenant, in plan mode first: README.md, Quickstart")
    return 0


def _fire_timer() -> Any:
    """The timer function fired once by the local runner, from function_app loaded afresh with
    the environment's settings (as a new worker would); its report."""
    sys.modules.pop("function_app", None)
    import function_app

    with LocalHost(function_app.app, overrides={"visibilityTimeout": 0}) as host:
        host.fire_timer("reconcile_groups")
    return function_app.runtime.last_report


def _requests(service: QueueServiceClient, requests_queue: str, results_queue: str) -> list[str]:
    sys.modules.pop("function_app", None)
    import function_app

    requests = service.get_queue_client(requests_queue)
    for request in SAMPLE_REQUESTS:
        requests.send_message(json.dumps(request))  # as the Python SDK sends by default
    with LocalHost(function_app.app, overrides={"visibilityTimeout": 0}) as host:
        host.drain(timeout=60)
    lines = []
    for message in service.get_queue_client(results_queue).receive_messages(max_messages=32):
        answer = json.loads(message.content)
        value = answer["groupTag"] or answer["purchaseOrderId"] or answer["scenario"]
        said = answer["errors"][0]["message"].split(";")[0] if answer["errors"] else ""
        assigned = ", ".join(
            f"{SHORT.get(kind, kind)} {a['status']}"
            for kind, a in (answer.get("assignments") or {}).items()
        )
        extra = f" ({assigned})" if assigned else f" ({said})" if said else ""
        lines.append(f"{answer['requestId']} {value}: {answer['status']}{extra}")
    return lines


def _writes(emulator: Emulator) -> int:
    """Graph writes: the retrieve action is a POST that only reads."""
    return sum(
        1
        for r in emulator.requests
        if r.method in ("POST", "PATCH", "DELETE") and not r.path.endswith(READ_BY_POST)
    )


def _afterwards(emulator: Emulator) -> str:
    managed = [g for g in emulator.groups() if (g.get("uniqueName") or "").startswith("apg-")]
    on_profiles = sum(
        len(emulator.profile_assignments(p["id"])) for p in emulator.autopilot_profiles()
    )
    targeted = sum(
        emulator.membership_target(p["id"]) in {g["id"] for g in managed}
        for p in emulator.configuration_policies()
    )
    return (
        f"{len(managed)} managed groups, {on_profiles} profile assignments, "
        f"{targeted} device preparation policy on its group"  # the sample tenant has one
    )


def _group_names(assignments: list[dict[str, Any]], names: dict[str, str]) -> str:
    found = sorted(names.get(a["target"].get("groupId"), "?")[:48] for a in assignments)
    return "; ".join(found) or "(none)"


if __name__ == "__main__":
    sys.exit(main())
