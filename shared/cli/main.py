"""``python -m shared``: the reconcile from a terminal, and a request put on the queue by hand.

    python -m shared [plan]           read-only preview (the default)
    python -m shared apply [--force]  the timer's job, now
    python -m shared request --scenario KEY --tag TAG
    python -m shared grant-permissions --identity ID  an admin grants the app's Graph roles
    python -m shared doctor [--json]  a read-only preflight: settings, token, reads, queues

Exit codes: 0 success, 1 any other failure, 2 bad settings or usage, 3 unsafe plan refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import uuid
from collections.abc import Sequence
from typing import TextIO

from azure.core.credentials import TokenCredential

from shared.cli.grant import GrantReport
from shared.cli.render import render_table
from shared.config.settings import Settings
from shared.core.errors import AppError, SettingsError
from shared.graph.gateway import GraphGateway
from shared.shell.reconcile import run_reconcile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNSAFE = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command == "doctor":  # it reads the settings itself: a bad one is a failed check
        return _doctor(args, out)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "request":
        return _request(settings, args, out)
    if args.command == "grant-permissions":
        return _grant(settings, args, out)
    report = asyncio.run(run_reconcile(settings, apply=args.command == "apply", force=args.force))
    if args.json:
        json.dump(report.to_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(render_table(report))
    if report.unsafe:
        return EXIT_UNSAFE
    return EXIT_OK if report.ok else EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared",
        description="Keep one Entra dynamic device group per Autopilot group tag.",
        epilog="Settings come from the environment (see README). Exit codes: 0 ok, 1 failure, "
        "2 bad settings or usage, 3 unsafe plan refused.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command")
    for name, help_text in (
        ("plan", "show what a run would do, writing nothing (the default)"),
        ("apply", "make every group exist with the right rule, as the timer does"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--json", action="store_true", help="one JSON document")
        command.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
        if name == "apply":
            command.add_argument(
                "--force",
                action="store_true",
                help="apply even if the plan creates more than MAX_NEW_GROUPS_PER_RUN groups",
            )
    request = commands.add_parser("request", help="put a scenario request on the request queue")
    target = request.add_mutually_exclusive_group(required=True)
    target.add_argument("--tag", help="the Autopilot group tag")
    target.add_argument("--purchase-order", help="the Autopilot purchase order id")
    request.add_argument("--scenario", required=True, help="a scenario key from the catalogue")
    request.add_argument("--request-id", help="the ticket reference (default: a new one)")
    request.add_argument("--requested-by", help="who asks, for the audit trail")
    request.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the result (0: do not wait)"
    )
    request.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    grant = commands.add_parser(
        "grant-permissions",
        help="give the app's managed identity the Graph application permissions its settings "
        "need (as an admin signed in with az login)",
    )
    grant.add_argument(
        "--identity",
        required=True,
        help="the managed identity: object (principal) id, client id, or display name",
    )
    grant.add_argument("--json", action="store_true", help="one JSON document")
    grant.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    doctor = commands.add_parser(
        "doctor",
        help="check, writing nothing, that the settings, the identity's token, Graph's answers "
        "and the queues are ready (exit 0 all passed, 1 a check failed, 2 settings)",
    )
    doctor.add_argument("--json", action="store_true", help="one JSON document")
    doctor.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(command="plan", json=False, force=False)
    return parser


def _grant(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from azure.core.exceptions import ClientAuthenticationError

    from shared.cli.grant import grant_permissions
    from shared.core.permissions import required_roles

    async def run() -> GrantReport:
        credential = None if settings.graph_is_loopback else _admin_credential()
        async with GraphGateway.from_settings(settings, credential) as gateway:
            roles = required_roles(settings.catalogue)
            return await grant_permissions(gateway, args.identity, roles)

    try:
        report = asyncio.run(run())
    except AppError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except ClientAuthenticationError as error:
        print(
            f"error: no admin sign-in for Microsoft Graph ({error.message}); run `az login` "
            "as a Privileged Role Administrator or Global Administrator",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.json:
        json.dump(report.to_dict(), out, indent=2)
        out.write("\n")
    else:
        out.write(report.render())
    return EXIT_OK


def _doctor(args: argparse.Namespace, out: TextIO) -> int:
    from shared.cli.doctor import run_doctor

    checklist = asyncio.run(run_doctor())
    if args.json:
        json.dump(checklist.to_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(checklist.render())
    return checklist.exit_code


def _admin_credential() -> TokenCredential:
    """The admin's Azure CLI sign-in, never a managed identity: granting is an admin's act."""
    from azure.identity import AzureCliCredential

    return AzureCliCredential()


def _request(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from shared.config.hostconfig import load_queue_settings
    from shared.storage.queues import peek_texts, queue_client, send_text

    encoding = load_queue_settings().message_encoding
    request: dict[str, str] = {
        "requestId": args.request_id or f"cli-{uuid.uuid4().hex[:12]}",
        "scenario": args.scenario,
    }
    if args.tag is not None:
        request["groupTag"] = args.tag
    else:
        request["purchaseOrderId"] = args.purchase_order
    if args.requested_by:
        request["requestedBy"] = args.requested_by
    try:
        requests = queue_client(settings.storage, settings.request_queue, encoding=encoding)
        results = queue_client(settings.storage, settings.result_queue, encoding=encoding)
        send_text(requests, json.dumps(request))
    except AppError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    out.write(f"queued request {request['requestId']} on {settings.request_queue}\n")
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        for text in peek_texts(results):
            try:
                result = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(result, dict) and result.get("requestId") == request["requestId"]:
                json.dump(result, out, indent=2, ensure_ascii=False)
                out.write("\n")
                return (
                    EXIT_OK
                    if result.get("status") in ("created", "exists", "updated")
                    else EXIT_FAILED
                )
        time.sleep(0.5)
    out.write(
        f"no result yet; it will appear on the queue {settings.result_queue} with requestId "
        f"{request['requestId']} (JSON), e.g.\n"
        f"  az storage message peek --queue-name {settings.result_queue} --num-messages 32\n"
    )
    return EXIT_OK
