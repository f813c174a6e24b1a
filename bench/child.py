"""Measurements that need a fresh interpreter: ``python -m bench.child MODE``, one JSON line out.

Modes:
  bare             import the app's four run-time dependencies, nothing else
  import           import ``function_app`` (settings, bindings, the Graph boundary)
  first-reconcile  import ``function_app``, then the timer's first reconcile
  reconcile        one reconcile (apply) through ``shared.shell.reconcile``: peak memory

Memory, one method throughout: the resident set's high-water mark of this process, VmHWM in
/proc/self/status, in KiB. (Not ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux it keeps the
peak of the process that forked this one, carried across exec, so it shows the benchmark's size.)
``peakKiB`` is the whole process's; for ``reconcile`` the mark is also reset after the imports
(writing 5 to /proc/self/clear_refs) so that ``reconcilePeakKiB`` is the peak during the
reconcile alone, beside ``baselineKiB``, VmRSS just before it. Settings come from the environment.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import asyncio  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

DEPENDENCIES = ("azure.functions", "azure.identity", "msgraph", "azure.storage.queue")


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def bare() -> dict[str, Any]:
    started = time.perf_counter()
    for name in DEPENDENCIES:
        importlib.import_module(name)
    return {"importSeconds": time.perf_counter() - started}


def import_app() -> dict[str, Any]:
    started = time.perf_counter()
    importlib.import_module("function_app")
    return {"importSeconds": time.perf_counter() - started}


def first_reconcile() -> dict[str, Any]:
    started = time.perf_counter()
    app = importlib.import_module("function_app")
    imported = time.perf_counter()
    report = asyncio.run(app.runtime.reconcile())
    done = time.perf_counter()
    return {
        "importSeconds": imported - started,
        "reconcileSeconds": done - imported,
        "graphRequests": report.graph_requests,
    }


def reconcile() -> dict[str, Any]:
    from shared.config.settings import Settings
    from shared.shell.reconcile import run_reconcile

    settings = Settings.from_env()
    whole_peak = _status_kib("VmHWM")
    reset = _reset_peak()
    baseline = _status_kib("VmRSS")
    started = time.perf_counter()
    report = asyncio.run(run_reconcile(settings, apply=True))
    return {
        "baselineKiB": baseline,
        "reconcilePeakKiB": _status_kib("VmHWM") if reset else None,
        "importPeakKiB": whole_peak,
        "reconcileSeconds": time.perf_counter() - started,
        "ok": report.ok,
        "error": report.error,
        "graphRequests": report.graph_requests,
        "devices": report.totals()["devices"],
    }


MODES = {
    "bare": bare,
    "import": import_app,
    "first-reconcile": first_reconcile,
    "reconcile": reconcile,
}


def main(argv: list[str]) -> int:
    result = MODES[argv[0]]()
    result["peakKiB"] = max(_status_kib("VmHWM"), result.get("importPeakKiB") or 0)
    result["sinceStartSeconds"] = time.perf_counter() - _STARTED
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
