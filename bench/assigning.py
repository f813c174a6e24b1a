"""Section 1, with assignments: every scenario names the generated tenant's Autopilot profile and
ESP for it, so each group the app makes is also put on both. The app's Graph requests against
their floor (``bench.floors``: the groups' floor plus the assignments').
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.emulator_proc import EmulatorProcess
from bench.floors import IntuneSnapshot, assignment_bound, lower_bound
from bench.measure import PAGE_SIZE, SEED, WRITE_METHODS, Size, app_env
from shared.config.catalogue_file import SHIPPED_CATALOGUE
from shared.config.settings import Settings, StorageConnection
from shared.shell.reconcile import run_reconcile
from shared.storage.ledger import Ledger

# Each scenario's profile and ESP, as graph_emulator.generate_tenant(scenario_profiles=True)
# names them.
TARGETS = {
    "user-driven": ("User-driven Entra join", "ESP - User-driven"),
    "user-driven-hybrid": ("Hybrid Entra join", "ESP - Hybrid join"),
    "self-deploying": ("Self-deploying", "ESP - Self-deploying"),
    "pre-provisioning": ("Pre-provisioning", "ESP - Pre-provisioning"),
}
PERMISSIONS = ["DeviceManagementServiceConfig.ReadWrite.All", "Group.ReadWrite.All"]


def write_catalogue(folder: Path) -> Path:
    document = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    for scenario in document["scenarios"]:
        profile, esp = TARGETS[scenario["key"]]
        scenario.update({"autopilotProfile": profile, "enrollmentStatusPage": esp})
    path = folder / "assigning-scenarios.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def snapshot(emu: EmulatorProcess) -> IntuneSnapshot:
    """The lists' sizes and the named targets' assignments, as the bound needs them."""
    intune = emu.intune()
    profiles = {p["displayName"]: p for p in intune["profiles"]}
    configurations = {c["displayName"]: c for c in intune["configurations"]}

    def targets(item: dict[str, Any]) -> frozenset[str]:
        return frozenset(json.dumps(a["target"], sort_keys=True) for a in item["assignments"])

    return IntuneSnapshot(
        profiles=len(intune["profiles"]),
        configurations=len(intune["configurations"]),
        profile_assignments={profiles[p]["id"]: targets(profiles[p]) for p, _ in TARGETS.values()},
        esp_assignments={
            configurations[e]["id"]: targets(configurations[e]) for _, e in TARGETS.values()
        },
        profile_sizes=tuple(len(p["assignments"]) for p in intune["profiles"]),
    )


def graph_requests(
    emu: EmulatorProcess, size: Size, runs: int, storage: str
) -> list[dict[str, Any]]:
    """A fresh tenant (and a fresh ledger) per run: the first reconcile, then a steady one."""
    samples = []
    with tempfile.TemporaryDirectory() as folder:
        catalogue = write_catalogue(Path(folder))
        for _ in range(runs):
            base_url = emu.load(
                size.devices, size.tags, SEED, page_size=PAGE_SIZE, scenario_profiles=True
            )
            emu.set_permissions(PERMISSIONS)
            env = {**app_env(base_url), "SCENARIO_FILE": str(catalogue)}
            env["AzureWebJobsStorage"] = storage
            settings = Settings.from_env(env)
            # Generated tenants reuse their ids: each run keeps its history apart.
            ledger = Ledger(
                StorageConnection(connection_string=storage), container=f"bench-{uuid.uuid4().hex}"
            )
            samples.append({"first": _run(emu, settings, ledger), "steady": {}})
            samples[-1]["steady"] = _run(emu, settings, ledger)
    return samples


def _run(emu: EmulatorProcess, settings: Settings, ledger: Ledger) -> dict[str, Any]:
    groups, intune = emu.groups(), snapshot(emu)
    emu.clear_requests()
    started = time.perf_counter()
    report = asyncio.run(run_reconcile(settings, apply=True, ledger=ledger))
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the reconcile failed: {report.summary()}")
    log = emu.requests()
    devices = report.inventory.devices if report.inventory else 0
    group_floor = lower_bound(devices, PAGE_SIZE, groups, emu.groups())
    bound = assignment_bound(intune, snapshot(emu))
    return {
        "requests": len(log),
        "reported": report.graph_requests,
        "writes": sum(1 for r in log if r.method in WRITE_METHODS),
        "floor": {"groups": group_floor.to_dict(), "assignments": bound.to_dict()},
        "floorTotal": group_floor.total + bound.total,
        "assigned": report.assignment_totals()["assigned"],
        "seconds": seconds,
    }
