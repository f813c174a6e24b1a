"""A local Microsoft Graph emulator for the Autopilot group-tag app's tests and benchmarks.

It serves the slice of Graph the app uses (v1.0: Autopilot device identities, groups and the
upsert by uniqueName, group owners, the recycle bin of deleted groups, service principals,
enrollment configurations and their assign action; beta: Autopilot deployment profiles and
their assignments, configuration policies and the device preparation membership target) over
real HTTP on loopback, with Graph's errors, paging, throttling, replication lag, faults, a
fixed latency, app-only and delegated tokens, and a strict profile. See README.md.
"""

from graph_emulator.clock import ManualClock
from graph_emulator.emulator import Emulator
from graph_emulator.enrollment_configurations import RemovedAssignment
from graph_emulator.faults import RANDOM_KINDS as FAULT_KINDS
from graph_emulator.generator import generate_tenant
from graph_emulator.rules import RuleSyntaxError, comparisons, parse_rule
from graph_emulator.service import RequestRecord
from graph_emulator.tenant import load_tenant

__all__ = [
    "FAULT_KINDS",
    "Emulator",
    "ManualClock",
    "RemovedAssignment",
    "RequestRecord",
    "RuleSyntaxError",
    "comparisons",
    "generate_tenant",
    "load_tenant",
    "parse_rule",
]
