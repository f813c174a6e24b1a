"""``make run``: the whole app on this machine, against Azurite and the Graph emulator.

Starts Azurite and the Graph emulator with the sample tenant, creates the queues and runs the
read-only preflight (``python -m shared doctor``), previews the reconcile, fires the
timer function once through the local runner, puts a few sample requests (one of them invalid) on
the request queue, lets the queue function answer them, and prints what happened.

Test and demo tooling: in Azure, or with ``func start``, the Functions host does the runner's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
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
]


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with Azurite() as azurite, Emulator(tenant=SAMPLE_TENANT) as emulator:
        os.environ.update(
            {
                "AzureWebJobsStorage": azurite.connection_string,
                "GRAPH_BASE_URL": emulator.base_url,
                "SCENARIO_FILE": str(SAMPLE_SCENARIOS),
            }
        )
        print(f"Azurite queues on {azurite.queue_endpoint}")
        print(
            f"Graph emulator on {emulator.base_url} (sample tenant: {SAMPLE_TENANT.name}, "
            f"{len(emulator.devices())} devices, {len(emulator.groups())} groups)\n"
        )

        from shared.cli.render import render_table
        from shared.config.settings import Settings
        from shared.core.permissions import required_roles
        from shared.shell.reconcile import run_reconcile

        settings = Settings.from_env()
        roles = required_roles(settings.catalogue)
        emulator.set_permissions(roles)  # what `python -m shared grant-permissions` would grant
        print(f"Scenarios: {SAMPLE_SCENARIOS.name} (user-driven names a profile and an ESP)")
        print(f"Graph permissions granted to the app: {', '.join(roles)}\n")
        from shared.cli.doctor import run_doctor

        print("== 0. Preflight: python -m shared doctor ==")
        service = QueueServiceClient.from_connection_string(azurite.connection_string)
        for queue in (settings.request_queue, settings.result_queue, settings.poison_queue):
            with contextlib.suppress(ResourceExistsError):  # as infra/main.bicep creates them
                service.create_queue(queue)
        print(asyncio.run(run_doctor()).render())
        print("== 1. Preview: python -m shared plan ==")
        print(render_table(asyncio.run(run_reconcile(settings, apply=False))))

        sys.path.insert(0, str(ROOT))
        import function_app

        with LocalHost(function_app.app, overrides={"visibilityTimeout": 0}) as host:
            print("== 2. The timer function, fired once by the local runner ==")
            outcome = host.fire_timer("reconcile_groups")
            print(
                f"reconcile_groups: {outcome.status}"
                + (f" ({outcome.error})" if outcome.error else "")
            )
            timer_run = function_app.runtime.last_report
            print(render_table(timer_run) if timer_run else "(the timer run made no report)")

            print("== 3. Scenario requests from a ticketing system ==")
            service = QueueServiceClient.from_connection_string(azurite.connection_string)
            requests = service.get_queue_client(settings.request_queue)
            with contextlib.suppress(ResourceExistsError):
                requests.create_queue()
            for request in SAMPLE_REQUESTS:
                text = json.dumps(request)
                requests.send_message(text)  # plain JSON, as the Python SDK sends by default
                print(f"sent  {text}")
            host.drain(timeout=60)
            results = service.get_queue_client(settings.result_queue)
            print()
            for message in results.receive_messages(max_messages=32):
                answer = json.loads(message.content)
                group = answer["group"]["displayName"] if answer["group"] else "-"
                errors = "; ".join(f"{e['field']}: {e['message']}" for e in answer["errors"])
                assigned = ", ".join(
                    f"{kind}: {a['status']}" for kind, a in answer.get("assignments", {}).items()
                )
                print(
                    f"result {answer['requestId']}: {answer['status']:8} {group}"
                    + (f"  [{errors}]" if errors else "")
                    + (f"  ({assigned})" if assigned else "")
                )

        print("\n== 4. Groups in the tenant now ==")
        for group in sorted(emulator.groups(), key=lambda g: g["displayName"]):
            kind = "managed" if (group.get("uniqueName") or "").startswith("apg-") else "other"
            print(
                f"{kind:8} {group['displayName'][:60]:60} {group.get('membershipRule') or ''}"[:160]
            )
        print("\n== 5. Profile and ESP assignments now ==")
        names = {g["id"]: g["displayName"] for g in emulator.groups()}
        for profile in emulator.autopilot_profiles():
            targets = emulator.profile_assignments(profile["id"])
            print(f"profile {profile['displayName']!r}: {_group_names(targets, names)}")
        for config in emulator.enrollment_configurations():
            if config["@odata.type"].endswith("CompletionPageConfiguration") and config["priority"]:
                targets = emulator.esp_assignments(config["id"])
                print(f"ESP {config['displayName']!r}: {_group_names(targets, names)}")
        writes = [r for r in emulator.requests if r.method in ("POST", "PATCH", "DELETE")]
        print(f"\n{len(emulator.requests)} Graph requests in all, {len(writes)} of them writes.")
    return 0


def _group_names(assignments: list[dict[str, Any]], names: dict[str, str]) -> str:
    found = sorted(names.get(a["target"].get("groupId"), "?")[:48] for a in assignments)
    return "; ".join(found) or "(none)"


if __name__ == "__main__":
    sys.exit(main())
