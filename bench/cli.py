"""``python -m bench [--quick] [--runs N] [--output PATH]``: run every benchmark, print the table.

The full run writes BENCHMARKS.md; ``--quick`` is a smoke version (small tenants, two runs) that
prints the table and writes only ``bench/results/``, unless ``--output`` is given.
``python -m bench latency ...`` runs the large-tenant section alone (see ``bench.latency``);
``python -m bench queue [--runs N]`` runs section 5 alone and prints it (see ``bench.queuebench``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from bench import assigning, latency, layers, measure, queuebench, report
from bench.emulator_proc import EmulatorProcess
from local_runner.azurite import Azurite

FULL_SIZES = [measure.Size(1_000, 20), measure.Size(10_000, 200), measure.Size(100_000, 2_000)]
QUICK_SIZES = [measure.Size(1_000, 20), measure.Size(10_000, 200)]


def render_only(argv: list[str]) -> int:
    """BENCHMARKS.md again from a full run's raw samples, once bench/reading.md has changed:
    the figures stay those the run measured, with its date; nothing is measured."""
    parser = argparse.ArgumentParser(prog="python -m bench render", description=render_only.__doc__)
    parser.add_argument(
        "--results",
        type=Path,
        default=measure.ROOT / "bench" / "results" / "full.json",
        help="a run's raw samples (default bench/results/full.json, the last full run)",
    )
    parser.add_argument("--output", type=Path, default=measure.ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not args.results.exists():
        raise SystemExit(f"{args.results} does not exist: run make bench first")
    results = json.loads(args.results.read_text(encoding="utf-8"))
    args.output.write_text(report.render(results), encoding="utf-8")
    print(f"wrote {args.output} from {args.results}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args_given = sys.argv[1:] if argv is None else argv
    if args_given[:1] == ["latency"]:
        return latency.main(args_given[1:])
    if args_given[:1] == ["queue"]:
        return queue_only(args_given[1:])
    if args_given[:1] == ["render"]:
        return render_only(args_given[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small tenants, a smoke run")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 5)")
    parser.add_argument("--output", type=Path, default=None, help="the Markdown file to write")
    parser.add_argument("--no-queue", action="store_true", help="skip the queue benchmark")
    args = parser.parse_args(args_given)
    logging.basicConfig(level=logging.ERROR)  # the tables are the output; errors still show
    runs = args.runs or (2 if args.quick else 5)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    output = args.output or (None if args.quick else measure.ROOT / "BENCHMARKS.md")
    results_dir = measure.ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "command": " ".join(["python -m bench", *args_given]),
            "date": report.stamp(),
            "runs": runs,
            "pageSize": measure.PAGE_SIZE,
            "seed": measure.SEED,
        },
        "sizes": [{"devices": s.devices, "tags": s.tags, "label": s.label} for s in sizes],
        "requests": {},
        "speed": {},
        "memory": {},
        "assigning": {},
    }
    memory_sizes = [sizes[0], sizes[-1]]
    with EmulatorProcess() as emu:
        for size in sizes:
            step(f"Graph requests, {size.label} devices")
            results["requests"][size.label] = measure.graph_requests(emu, size, runs)
            step(f"reconcile time against the raw floor, {size.label} devices")
            results["speed"][size.label] = measure.speed(emu, size, max(runs, measure.TIMING_RUNS))
        for size in memory_sizes:
            step(f"peak memory, {size.label} devices")
            results["memory"][size.label] = measure.memory(emu, size, runs)
        with Azurite() as azurite:  # the assignments' ledger and locks
            for size in sizes[:2]:
                step(f"Graph requests with assignments, {size.label} devices")
                results["assigning"][size.label] = assigning.graph_requests(
                    emu, size, runs, azurite.connection_string
                )
        step("cold start")
        results["coldStart"] = measure.cold_start(emu, runs)
        step("queue")
        results["queue"] = [] if args.no_queue else queuebench.queue(emu, runs)
        step(f"the gap layer by layer, {sizes[-1].label} devices")
        base_url = emu.load(
            sizes[-1].devices, sizes[-1].tags, measure.SEED, page_size=measure.PAGE_SIZE
        )
        results["layers"] = layers.measure(base_url, max(runs, measure.TIMING_RUNS))
        step("large tenants against Graph's round trip")
        results["latency"] = latency.measure(
            emu,
            latency.QUICK_SIZES if args.quick else latency.SIZES,
            latency.DELAY_SECONDS,
            1 if args.quick else latency.RUNS,
        )
        step(f"profile, {sizes[-1].label} devices")
        results["profile"] = measure.profile(emu, sizes[-1], results_dir)
    results["meta"]["seconds"] = time.perf_counter() - started
    name = "quick" if args.quick else "full"
    (results_dir / f"{name}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = report.render(results)
    print(text)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


def step(text: str) -> None:
    print(f"bench: {text} ...", file=sys.stderr, flush=True)


def queue_only(argv: list[str]) -> int:
    """Section 5 alone, printed (BENCHMARKS.md is written only by a full run)."""
    parser = argparse.ArgumentParser(prog="python -m bench queue", description=queuebench.__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs (default 5)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    with EmulatorProcess() as emu:
        samples = queuebench.queue(emu, args.runs)
    results_dir = measure.ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "queue.json").write_text(json.dumps(samples, indent=1), encoding="utf-8")
    print("\n".join(report.queue_section(samples)))
    return 0
