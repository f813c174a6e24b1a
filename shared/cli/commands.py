"""What each terminal command does, once its options are read; ``main`` turns errors into lines.

Each returns its exit code and writes its document to ``out``; an ordinary mistake (a setting,
a sign-in, storage, a queue) is raised as the project's error for ``main`` to say in one line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from typing import Any, TextIO

from azure.core.credentials import TokenCredential

from shared.cli.credentials import SignIn, choose, credential
from shared.cli.render import render_markdown, render_table
from shared.config.settings import Settings
from shared.core.errors import SettingsError, SignInError
from shared.graph.gateway import GraphGateway
from shared.shell.reconcile import run_reconcile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNSAFE = 0, 1, 2, 3
SUCCESS = ("created", "exists", "updated", "planned")


def sign_in(settings: Settings, args: argparse.Namespace) -> tuple[SignIn, TokenCredential | None]:
    """The chosen sign-in and its credential; none for a loopback emulator unless one is asked."""
    if settings.graph_is_loopback and args.credential is None:
        return SignIn("development"), None
    chosen = choose(args.credential, args.client_id, args.tenant_id)
    return chosen, credential(chosen)


def write(out: TextIO, document: Any) -> None:
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def reconcile(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """plan or apply from a terminal: the run, its table or JSON document, its exit code."""
    _, chosen = sign_in(settings, args)

    async def run() -> Any:
        async with GraphGateway.from_settings(settings, chosen) as gateway:
            return await run_reconcile(
                settings, apply=args.command == "apply", force=args.force, gateway=gateway
            )

    report = asyncio.run(run())
    if isinstance(report.stopped_by, SignInError):
        raise report.stopped_by
    document = report.to_dict()
    if args.json:
        write(out, document)
    else:
        out.write(render_table(document))
    if report.unsafe:
        return EXIT_UNSAFE
    return EXIT_OK if report.ok else EXIT_FAILED


def report(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """A stored run report of the timer's, or the list of them."""
    from shared.storage.reports import ReportStore

    chosen = None
    if args.credential is not None:  # else the connection's own (az login, locally)
        chosen = credential(choose(args.credential, args.client_id, args.tenant_id))
    store = ReportStore(settings.storage, credential=chosen)
    if args.list:
        names = asyncio.run(store.names())
        if args.json:
            write(out, names)
        else:
            out.write("".join(f"{name}\n" for name in names) or "no report is stored yet\n")
        return EXIT_OK
    document = asyncio.run(store.load(args.run))
    if args.json:
        write(out, document)
    else:
        out.write(render_markdown(document) if args.markdown else render_table(document))
    return EXIT_OK


def request(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Queue one request as a ticketing system would, and wait for its answer."""
    from shared.config.hostconfig import load_queue_settings
    from shared.storage.queues import find_answer, queue_client, send_text

    if settings.catalogue.get(args.scenario) is None:
        known = ", ".join(settings.catalogue.keys())
        raise SettingsError("--scenario", f"{args.scenario!r} is not a scenario; known: {known}")
    encoding = load_queue_settings().message_encoding
    document: dict[str, str] = {
        "requestId": args.request_id or f"cli-{uuid.uuid4().hex[:12]}",
        "scenario": args.scenario,
    }
    if args.tag is not None:
        document["groupTag"] = args.tag
    else:
        document["purchaseOrderId"] = args.purchase_order
    if args.requested_by:
        document["requestedBy"] = args.requested_by
    requests = queue_client(settings.storage, settings.request_queue, encoding=encoding)
    results = queue_client(settings.storage, settings.result_queue, encoding=encoding)
    send_text(requests, json.dumps(document))
    out.write(f"queued request {document['requestId']} on {settings.request_queue}\n")
    if args.wait <= 0:
        return EXIT_OK
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        answer = find_answer(results, document["requestId"])
        if answer is not None:
            write(out, answer)
            return EXIT_OK if answer.get("status") in SUCCESS else EXIT_FAILED
        time.sleep(0.5)
    # Queued, and not answered yet: a failure of the request (exit 1), not of the command.
    sys.stderr.write(
        f"error: no answer to {document['requestId']} within {args.wait:g} s; it will appear on "
        f"the queue {settings.result_queue} (is the app running, and not paused?)\n"
    )
    return EXIT_FAILED


def grant(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from shared.cli.grant import grant_permissions
    from shared.core.permissions import required_roles

    _, chosen = sign_in(settings, args)

    async def run() -> Any:
        async with GraphGateway.from_settings(settings, chosen) as gateway:
            return await grant_permissions(
                gateway, args.identity, required_roles(settings.catalogue)
            )

    granted = asyncio.run(run())
    if args.json:
        write(out, granted.to_dict())
    else:
        out.write(granted.render())
    return EXIT_OK


def doctor(args: argparse.Namespace, out: TextIO) -> int:
    from shared.cli.doctor import run_doctor

    chosen: SignIn | None = None
    if args.credential is not None:
        chosen = choose(args.credential, args.client_id, args.tenant_id)
    checklist = asyncio.run(run_doctor(sign_in=chosen))
    if args.json:
        write(out, checklist.to_dict())
    else:
        out.write(checklist.render())
    return checklist.exit_code
