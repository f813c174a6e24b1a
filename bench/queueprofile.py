"""Where a queue run's time goes: ``python -m bench.queueprofile [--runs N]``.

``--runs`` pairs as section 5 of BENCHMARKS.md measures them (``bench.queuebench``: the app and
its floor on one fresh Azurite, 1,000 requests for 50 new tags), their medians of wall time and
CPU by process and thread; then one more pair with cProfile on each side's event-loop thread
(the storage threads are not profiled: their CPU is in the first table), self time grouped by
where the code lives, the top functions, and the profiles in ``bench/results/``. Profiling slows
the loop thread several times over: read the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import statistics
from typing import Any

from bench import queuebench
from bench.emulator_proc import EmulatorProcess
from bench.measure import ROOT

RESULTS = ROOT / "bench" / "results"

BUCKETS = [
    ("kiota's URL templates (std-uritemplate)", ("/stduritemplate/",)),
    ("msgraph-sdk, kiota, opentelemetry", ("/msgraph", "/kiota_", "/opentelemetry/")),
    ("httpx / httpcore / anyio / h11", ("/httpx/", "/httpcore/", "/anyio/", "/h11/")),
    ("azure-storage-queue / azure-core", ("/azure/storage/", "/azure/core/")),
    ("requests / urllib3 / http.client", ("/requests/", "/urllib3/", "/http/client")),
    ("the app (shared/, function_app.py)", ("/shared/", "function_app.py")),
    ("the runner (local_runner/), azure-functions", ("/local_runner/", "/azure/functions/")),
    ("the floor (bench/queuefloor.py)", ("/bench/queuefloor",)),
    ("json", ("/json/", "_json.")),
    ("asyncio, threads", ("/asyncio/", "/concurrent/", "threading")),
    ("sockets and polling (built-ins)", ("_socket", "select.", "selectors")),
]


def bucket_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return name
    return "other built-ins and stdlib"


def medians(samples: list[dict[str, Any]], who: str) -> dict[str, float]:
    rows: dict[str, list[float]] = {}
    for sample in samples:
        side = sample[who]
        for name, value in {"wall seconds": side["seconds"], **side["cpu"]}.items():
            rows.setdefault(name, []).append(value)
    return {name: statistics.median(values) for name, values in rows.items()}


def self_time(profiler: cProfile.Profile) -> tuple[float, dict[str, float], list[tuple[Any, ...]]]:
    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = 0.0
    grouped: dict[str, float] = {}
    rows: list[tuple[Any, ...]] = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in raw.items():
        total += tottime
        name = bucket_of(filename, function)
        grouped[name] = grouped.get(name, 0.0) + tottime
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        rows.append((tottime, cumtime, calls, f"{short}:{line}({function})"))
    rows.sort(reverse=True)
    return total, dict(sorted(grouped.items(), key=lambda kv: -kv[1])), rows


LABELS = {
    "wall seconds": "wall time (s)",
    "loop": "CPU: this process, event-loop thread",
    "storage": "CPU: this process, storage threads",
    "otherThreads": "CPU: this process, other threads",
    "bench": "CPU: this process, all",
    "azurite": "CPU: Azurite",
    "emulator": "CPU: the Graph emulator",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queueprofile", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true", help="the table only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    profilers = {"app": cProfile.Profile(), "floor": cProfile.Profile()}
    with EmulatorProcess() as emu:
        samples = queuebench.queue(emu, args.runs)
        if not args.no_profile:
            queuebench.pair(emu, 0, profilers=profilers)
    app, floor = medians(samples, "app"), medians(samples, "floor")
    ratio = statistics.median(s["app"]["seconds"] / s["floor"]["seconds"] for s in samples)
    print(f"medians of {args.runs} runs, 1,000 requests for 50 new tags; ratio {ratio:.2f}")
    print(f"  {'':40} {'app':>7} {'floor':>7} {'app − floor':>12}")
    for key, label in LABELS.items():
        a, f = app.get(key, 0.0), floor.get(key, 0.0)
        print(f"  {label:40} {a:7.2f} {f:7.2f} {a - f:+12.2f}")
    if args.no_profile:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    for who, profiler in profilers.items():
        path = RESULTS / f"profile-queue-{who}.prof"
        profiler.dump_stats(str(path))
        total, grouped, rows = self_time(profiler)
        print(f"\n{who}: event-loop thread under cProfile, {total:.2f} s self time, {path}")
        for name, seconds in grouped.items():
            print(f"  {name:48} {seconds:6.2f} {seconds / total:5.0%}")
        print("  top functions by self time (s self, s cumulative, calls):")
        for tottime, cumtime, calls, function in rows[:12]:
            print(f"    {tottime:6.3f} {cumtime:6.3f} {calls:8,} {function}")


if __name__ == "__main__":
    main()
