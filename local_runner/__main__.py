"""Command line: ``python -m local_runner serve | fire-timer NAME | drain``.

Test and demo tooling, not the Functions host: use ``func start`` for real use.
App settings come from the environment, then from local.settings.json
``Values`` for names not already set (as Core Tools does).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local_runner.azurite import Azurite
from local_runner.errors import RunnerError
from local_runner.host import LocalHost
from local_runner.outcome import InvocationOutcome
from local_runner.schedule import every
from local_runner.settings import apply_local_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_runner",
        description="Drive the app's functions against Azurite (test and demo tooling; "
        "use `func start` for real use).",
    )
    parser.add_argument("--app", default="function_app", help="module defining the FunctionApp")
    parser.add_argument("--host-json", type=Path, help="host.json (default: beside the app)")
    parser.add_argument(
        "--settings",
        type=Path,
        default=Path("local.settings.json"),
        help="Core Tools settings file whose Values fill unset environment variables",
    )
    parser.add_argument(
        "--azurite",
        action="store_true",
        help="start a private in-memory Azurite; UseDevelopmentStorage=true points to it",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="listen on queues and fire timers until Ctrl-C")
    serve.add_argument(
        "--timer-every",
        type=float,
        metavar="SECONDS",
        help="fire timers every SECONDS instead of on their NCRONTAB schedule (demos)",
    )
    fire = commands.add_parser("fire-timer", help="invoke a timer function once")
    fire.add_argument("name", nargs="?", help="the timer function (optional if only one)")
    drain = commands.add_parser("drain", help="process queued messages until none is left")
    drain.add_argument("--timeout", type=float, default=30.0, help="seconds before giving up")
    return parser


def _print(outcome: InvocationOutcome) -> None:
    print(json.dumps(dataclasses.asdict(outcome)), flush=True)


def _serve(host: LocalHost) -> None:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server = threading.Thread(target=host.serve, args=(stop, _print), name="serve")
    server.start()
    while server.is_alive():
        server.join(timeout=0.5)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("azure").setLevel(logging.WARNING)
    apply_local_settings(args.settings)
    azurite = Azurite().start() if args.azurite else None
    try:
        parser = every(args.timer_every) if getattr(args, "timer_every", None) else None
        with LocalHost(
            args.app, host_json=args.host_json, azurite=azurite, schedule_parser=parser
        ) as host:
            if args.command == "serve":
                _serve(host)
            elif args.command == "fire-timer":
                outcome = host.fire_timer(args.name)
                _print(outcome)
                return 0 if outcome.status == "succeeded" else 1
            else:
                for outcome in host.drain(timeout=args.timeout):
                    _print(outcome)
    except RunnerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if azurite is not None:
            azurite.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
