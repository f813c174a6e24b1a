"""The command line's options: each subcommand with a description and an example."""

from __future__ import annotations

import argparse

from shared import __version__
from shared.cli.credentials import KINDS

EXIT_CODES = "Exit codes: 0 ok, 1 a failure, 2 bad settings, usage or sign-in, 3 unsafe plan."

COMMANDS: dict[str, tuple[str, str, str]] = {
    # name: (one line for the list, description, examples)
    "plan": (
        "show what a run would do, writing nothing (the default)",
        "Reads the Autopilot devices and the groups, plans every group, profile and ESP "
        "assignment, and writes nothing. The table's digest approves exactly this plan "
        "(APPROVE_PLAN) when it creates more groups than MAX_NEW_GROUPS_PER_RUN.",
        "python -m shared plan\n  python -m shared plan --json > plan.json\n"
        "  python -m shared plan --credential device-code --client-id <app id>",
    ),
    "apply": (
        "make every group exist with the right rule, as the timer does in apply mode",
        "Plans as plan does, then writes: creates and repairs groups, restores deleted ones, "
        "and assigns profiles and ESPs. Refuses a plan over MAX_NEW_GROUPS_PER_RUN unless it "
        "is approved (APPROVE_PLAN) or --force is given.",
        "python -m shared apply\n  python -m shared apply --force",
    ),
    "report": (
        "show a stored run report of the timer (the latest by default)",
        "Reads the reports the timer stores in the container autopilot-group-reports (the last "
        "100). Needs only Storage Blob Data Reader on that container.",
        "python -m shared report\n  python -m shared report --list\n"
        "  python -m shared report --run runs/20261203T101500Z-1a2b3c4d5e6f.json --markdown",
    ),
    "request": (
        "put a scenario request on the request queue and wait for its answer",
        "Checks the scenario against the catalogue, queues the request as a ticketing system "
        "would (plain JSON), and prints the answer when it comes (exit 1 if it does not come "
        "in time, or is not a success).",
        "python -m shared request --scenario user-driven --tag SALES-UD --request-id RITM0010001",
    ),
    "grant-permissions": (
        "give the app's managed identity the Graph permissions its settings need",
        "Run as a Privileged Role Administrator or Global Administrator (az login). Gives the "
        "identity exactly the application permissions the settings need, and nothing else; "
        "running it again assigns nothing.",
        "python -m shared grant-permissions --identity id-contoso-apg",
    ),
    "doctor": (
        "check, writing nothing, that settings, sign-in, Graph and the queues are ready",
        "A read-only preflight with the app's settings: the settings, a token and its "
        "permissions, each read the app makes, the upsert route, and the three queues. Exit 0 "
        "all passed, 1 a check failed, 2 settings.",
        "python -m shared doctor\n"
        "  python -m shared doctor --credential browser --client-id <app id>",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared",
        description="Keep one Entra dynamic device group per Autopilot group tag, and their "
        "Autopilot profile and ESP assignments.",
        epilog=f"Settings come from the environment (docs/configuration.md). {EXIT_CODES}",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, description, examples) in COMMANDS.items():
        command = commands.add_parser(
            name,
            help=summary,
            description=description,
            epilog=f"examples:\n  {examples}\n\n{EXIT_CODES}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
        if name != "request":
            command.add_argument("--json", action="store_true", help="one JSON document")
        if name in ("plan", "apply", "doctor", "grant-permissions", "report"):
            _sign_in_options(command)
    commands.choices["apply"].add_argument(
        "--force",
        action="store_true",
        help="apply even if the plan creates more than MAX_NEW_GROUPS_PER_RUN groups",
    )
    report = commands.choices["report"]
    report.add_argument("--run", help="a stored report's name (from --list) instead of the latest")
    report.add_argument("--list", action="store_true", help="list the stored reports, newest first")
    report.add_argument("--markdown", action="store_true", help="Markdown, for a change ticket")
    request = commands.choices["request"]
    target = request.add_mutually_exclusive_group(required=True)
    target.add_argument("--tag", help="the Autopilot group tag")
    target.add_argument("--purchase-order", help="the Autopilot purchase order id")
    request.add_argument("--scenario", required=True, help="a scenario key from the catalogue")
    request.add_argument("--request-id", help="the ticket reference (default: a new one)")
    request.add_argument("--requested-by", help="who asks, for the audit trail")
    request.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for the answer (0: do not wait)"
    )
    commands.choices["grant-permissions"].add_argument(
        "--identity",
        required=True,
        help="the managed identity: object (principal) id, client id, or display name",
    )
    parser.set_defaults(
        command="plan", json=False, force=False, credential=None, client_id=None, tenant_id=None
    )
    return parser


def _sign_in_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--credential",
        choices=KINDS,
        help="how to sign in to Graph: cli (az login, the default), device-code or browser "
        "(through your tenant's app registration), environment (AZURE_CLIENT_ID and a "
        "certificate or secret)",
    )
    command.add_argument("--client-id", help="the app registration for device-code and browser")
    command.add_argument("--tenant-id", help="the tenant to sign in to (default: AZURE_TENANT_ID)")
