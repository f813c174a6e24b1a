"""``python -m graph_emulator serve|generate|bench``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from types import FrameType

from graph_emulator import bench
from graph_emulator.emulator import Emulator
from graph_emulator.faults import RANDOM_KINDS as KINDS
from graph_emulator.generator import generate_tenant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graph_emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a tenant over HTTP until killed")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--tenant", help="tenant JSON file (default: an empty tenant)")
    serve.add_argument("--page-size", type=int, default=1000, help="devices per page")
    serve.add_argument("--group-page-size", type=int, default=100)
    serve.add_argument("--lag", type=float, default=0.0, help="replication lag in seconds")
    serve.add_argument("--fault-rate", type=float, default=0.0)
    serve.add_argument("--fault-kinds", default="429,503", help=f"comma list of {','.join(KINDS)}")
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    serve.add_argument("--intune-page-size", type=int, default=100)
    serve.add_argument(
        "--strict", action="store_true", help="the strictest plausible Graph (README table)"
    )
    serve.add_argument("--verbose", action="store_true", help="log every request")

    generate = commands.add_parser("generate", help="write a synthetic tenant as JSON")
    generate.add_argument("--devices", type=int, required=True)
    generate.add_argument("--tags", type=int, required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--indent", type=int, default=None)
    generate.add_argument(
        "--scenario-profiles",
        action="store_true",
        help="add an Autopilot profile and an ESP for each scenario besides user-driven",
    )
    generate.add_argument(
        "--no-provisioning-client",
        action="store_true",
        help="leave out the Intune Provisioning Client service principal",
    )

    bench_cmd = commands.add_parser("bench", help="measure device pages served per second")
    bench_cmd.add_argument("--devices", type=int, default=100_000)
    bench_cmd.add_argument("--rounds", type=int, default=3)
    bench_cmd.add_argument("--select", default=None, help="a $select to list with")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "generate":
        tenant = generate_tenant(
            args.devices,
            args.tags,
            args.seed,
            scenario_profiles=args.scenario_profiles,
            provisioning_client=not args.no_provisioning_client,
        )
        json.dump(tenant, sys.stdout, indent=args.indent, ensure_ascii=True)
        sys.stdout.write("\n")
        return 0
    result = bench.run(args.devices, args.rounds, args.select)
    print(
        f"{result.pages} pages of up to 1000 devices ({result.devices} devices) in "
        f"{result.seconds:.2f} s: {result.pages_per_second:.0f} pages/s"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    emulator = Emulator(
        args.tenant,
        page_size=args.page_size,
        lag_seconds=args.lag,
        seed=args.seed,
        group_page_size=args.group_page_size,
        intune_page_size=args.intune_page_size,
        strict=args.strict,
        latency_seconds=args.latency_ms / 1000,
        host=args.host,
        port=args.port,
    )
    if args.fault_rate:
        kinds = [k.strip() for k in args.fault_kinds.split(",") if k.strip()]
        emulator.faults.set_rate(args.fault_rate, kinds, seed=args.seed)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator.start()
    print(f"Graph emulator listening on {emulator.base_url}", flush=True)
    stop.wait()
    emulator.stop()
    return 0
