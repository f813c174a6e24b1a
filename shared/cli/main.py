"""``python -m shared``: the reconcile from a terminal, its stored reports, a request, the
permission grant and the doctor.

    python -m shared [plan]              read-only preview (the default)
    python -m shared apply [--force]     the timer's job, now
    python -m shared report [--list]     the timer's stored run reports
    python -m shared request --scenario KEY --tag TAG
    python -m shared grant-permissions --identity ID
    python -m shared doctor [--json]     a read-only preflight

An ordinary mistake (a bad setting, no sign-in, unreachable storage, a missing queue) ends the
command with one line on stderr and exit code 2, never a traceback. Exit codes: 0 success, 1 any
other failure, 2 bad settings, usage or sign-in, 3 unsafe plan refused.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from shared.cli import commands
from shared.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_UNSAFE, EXIT_USAGE
from shared.cli.parser import build_parser
from shared.config.settings import Settings
from shared.config.typos import near_misses
from shared.core.errors import AppError, SettingsError, SignInError, StorageError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_UNSAFE", "EXIT_USAGE", "main"]

_HANDLERS: dict[str, Callable[..., int]] = {
    "plan": commands.reconcile,
    "apply": commands.reconcile,
    "report": commands.report,
    "request": commands.request,
    "grant-permissions": commands.grant,
}
_SIGN_IN_FIX = (
    "sign in with `az login`, or choose another --credential: device-code or browser (an app "
    "registration of your tenant, --client-id) or environment (docs/getting-started.md)"
)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quiet = [] if args.verbose else [logging.getLogger("azure"), logging.getLogger("shared")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # the table (or the error line) says what their lines would
        logger.setLevel(logging.CRITICAL)
    try:
        return _run(args, out)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _run(args: argparse.Namespace, out: TextIO) -> int:
    for name, likely in near_misses():
        print(
            f"warning: the setting {name} is not one the app reads; did you mean {likely}?",
            file=sys.stderr,
        )
    try:
        if args.command == "doctor":  # it reads the settings itself: a bad one is a failed check
            return commands.doctor(args, out)
        return _HANDLERS[args.command](Settings.from_env(), args, out)
    except SettingsError as error:
        return _say(f"error: {error}")
    except SignInError as error:
        return _say(f"error: {error}; {_SIGN_IN_FIX}")
    except StorageError as error:
        return _say(f"error: {error}")
    except AppError as error:
        return _say(f"error: {error}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _say("stopped", EXIT_FAILED)


def _say(line: str, code: int = EXIT_USAGE) -> int:
    print(line, file=sys.stderr)
    return code
