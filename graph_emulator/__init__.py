"""A local Microsoft Graph emulator for the Autopilot group-tag app's tests and benchmarks.

It serves the slice of Graph v1.0 the app uses (Autopilot device identities, groups and
the upsert by uniqueName) over real HTTP on loopback, with Graph's errors, paging,
throttling, replication lag and faults. See README.md.
"""

from graph_emulator.clock import ManualClock
from graph_emulator.emulator import Emulator
from graph_emulator.faults import KINDS as FAULT_KINDS
from graph_emulator.generator import generate_tenant
from graph_emulator.rules import RuleSyntaxError, comparisons, parse_rule
from graph_emulator.service import RequestRecord
from graph_emulator.tenant import load_tenant

__all__ = [
    "FAULT_KINDS",
    "Emulator",
    "ManualClock",
    "RequestRecord",
    "RuleSyntaxError",
    "comparisons",
    "generate_tenant",
    "load_tenant",
    "parse_rule",
]
