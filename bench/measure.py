"""The five measurements, each beside its floor. Every function returns raw samples (JSON-able);
``bench.report`` turns them into medians and the table.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import os
import pstats
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import rawclient
from bench.emulator_proc import EmulatorProcess
from bench.floors import lower_bound
from shared.config.settings import Settings
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 1000  # Intune's page of Autopilot devices
# Timings of a fraction of a second on a 2-core machine shared with the emulator process move by a
# tenth or more from run to run; the speed and layer figures take medians of more runs.
TIMING_RUNS = 11
SEED = 7
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass(frozen=True)
class Size:
    devices: int
    tags: int

    @property
    def label(self) -> str:
        return f"{self.devices:,}"


def app_env(base_url: str) -> dict[str, str]:
    # RUN_MODE's default is plan, which writes nothing: the timer's first reconcile (cold start)
    # and the queue's requests are measured as they run in apply mode.
    # The first run at 2,000 tags creates ~1,800 groups: past the default safety valve.
    return {"RUN_MODE": "apply", "GRAPH_BASE_URL": base_url, "MAX_NEW_GROUPS_PER_RUN": "15000"}


def reconcile(base_url: str) -> tuple[Report, float]:
    settings = Settings.from_env(app_env(base_url))
    started = time.perf_counter()
    report = asyncio.run(run_reconcile(settings, apply=True))
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the reconcile failed: {report.summary()}")
    return report, elapsed


# --- 1. Graph requests per reconcile -----------------------------------------------------------


def graph_requests(emu: EmulatorProcess, size: Size, runs: int) -> list[dict[str, Any]]:
    """A fresh tenant per run: the first reconcile, then a steady-state one with nothing to do."""
    samples = []
    for _ in range(runs):
        base_url = emu.load(size.devices, size.tags, SEED, page_size=PAGE_SIZE)
        before = emu.groups()
        emu.clear_requests()
        first, first_seconds = reconcile(base_url)
        first_log = emu.requests()
        after = emu.groups()
        emu.clear_requests()
        steady, steady_seconds = reconcile(base_url)
        steady_log = emu.requests()
        settled = emu.groups()
        samples.append(
            {
                "first": {
                    "requests": len(first_log),
                    "reported": first.graph_requests,
                    "writes": sum(1 for r in first_log if r.method in WRITE_METHODS),
                    "floor": lower_bound(size.devices, PAGE_SIZE, before, after).to_dict(),
                    "seconds": first_seconds,
                    "groupsPlanned": len(first.entries),
                },
                "steady": {
                    "requests": len(steady_log),
                    "reported": steady.graph_requests,
                    "writes": sum(1 for r in steady_log if r.method in WRITE_METHODS),
                    "floor": lower_bound(size.devices, PAGE_SIZE, after, settled).to_dict(),
                    "seconds": steady_seconds,
                },
            }
        )
    return samples


# --- 2. Reconcile time against the raw floor ---------------------------------------------------


def speed(emu: EmulatorProcess, size: Size, runs: int) -> list[dict[str, Any]]:
    """Steady-state reconciles and raw fetches of the same pages, alternating, same emulator."""
    base_url = emu.load(size.devices, size.tags, SEED, page_size=PAGE_SIZE)
    reconcile(base_url)  # reach the steady state
    rawclient.observe(base_url)  # warm the emulator's caches for both
    reconcile(base_url)
    samples = []
    for run in range(runs):
        order = ("raw", "app") if run % 2 == 0 else ("app", "raw")
        sample: dict[str, Any] = {}
        for who in order:
            gc.collect()  # neither side pays for the other's garbage
            if who == "raw":
                started = time.perf_counter()
                raw = rawclient.observe(base_url)
                sample["rawSeconds"] = time.perf_counter() - started
                sample["rawTags"] = len(raw.tags)
                sample["rawRequests"] = raw.requests
            else:
                report, seconds = reconcile(base_url)
                sample["appSeconds"] = seconds
                sample["appTags"] = report.totals()["distinctTags"]
                sample["appRequests"] = report.graph_requests
        samples.append(sample)
    return samples


# --- 3. Peak memory, and 4. cold start, in fresh processes ------------------------------------


def child(mode: str, env: dict[str, str]) -> dict[str, Any]:
    """``python -m bench.child MODE`` in a fresh interpreter; its JSON line, plus wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", mode],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"bench.child {mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["processSeconds"] = wall
    return result


def memory(emu: EmulatorProcess, size: Size, runs: int) -> list[dict[str, Any]]:
    samples = []
    for _ in range(runs):
        base_url = emu.load(size.devices, size.tags, SEED, page_size=PAGE_SIZE)
        first = child("reconcile", app_env(base_url))
        steady = child("reconcile", app_env(base_url))
        samples.append({"first": first, "steady": steady})
    return samples


def cold_start(emu: EmulatorProcess, runs: int) -> list[dict[str, Any]]:
    samples = []
    for run in range(runs):
        base_url = emu.load(1000, 20, SEED, page_size=PAGE_SIZE)
        env = app_env(base_url)
        sample: dict[str, Any] = {}
        modes = ["bare", "import", "first-reconcile"]
        for mode in modes[run % 3 :] + modes[: run % 3]:  # rotate: no mode always runs first
            sample[mode] = child(mode, env)
        samples.append(sample)
    return samples


# --- the profile of the 100,000-device run ----------------------------------------------------

BUCKETS = [
    ("msgraph-sdk models and builders", ("/msgraph/", "/msgraph_core/")),
    ("kiota (request adapter, middleware)", ("/kiota_",)),
    ("httpx / httpcore / h11 / h2 (HTTP)", ("/httpx/", "/httpcore/", "/h11/", "/h2/", "/hpack/")),
    ("json decoding", ("/json/", "_json.")),
    ("asyncio event loop and sockets", ("/asyncio/", "selectors", "socket", "{method 'recv")),
    ("the app (shared/)", ("/shared/",)),
]


def bucket_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return name
    return "other (interpreter built-ins, stdlib)"


def profile(emu: EmulatorProcess, size: Size, out_dir: Path) -> dict[str, Any]:
    """cProfile of the first and the steady-state reconcile; self time by bucket, top functions."""
    base_url = emu.load(size.devices, size.tags, SEED, page_size=PAGE_SIZE)
    result: dict[str, Any] = {}
    for phase in ("first", "steady"):
        profiler = cProfile.Profile()
        profiler.enable()
        reconcile(base_url)
        profiler.disable()
        path = out_dir / f"profile-{size.devices}-{phase}.prof"
        profiler.dump_stats(str(path))
        stats = pstats.Stats(profiler)
        raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
        total = sum(row[2] for row in raw.values())
        buckets: dict[str, float] = {}
        rows = []
        for (filename, line, function), (_, calls, tottime, cumtime, _) in raw.items():
            name = bucket_of(filename, function)
            buckets[name] = buckets.get(name, 0.0) + tottime
            short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            rows.append((tottime, cumtime, calls, f"{short}:{line}({function})"))
        rows.sort(reverse=True)
        result[phase] = {
            "profile": str(path.relative_to(ROOT)),
            "totalSeconds": total,
            "buckets": dict(sorted(buckets.items(), key=lambda kv: -kv[1])),
            "top": [
                {"tottime": t, "cumtime": c, "calls": n, "function": f} for t, c, n, f in rows[:12]
            ],
        }
    return result
