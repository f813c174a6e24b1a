"""The reads the doctor makes, one per read the app makes with the settings: devices, groups
with the app's query, and each target a scenario names (Autopilot profiles, ESPs, device
preparation policies and the Intune Provisioning Client), resolved as a run resolves them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from shared.config.settings import Settings
from shared.core.assignments import NO_PROVISIONING_CLIENT, resolve
from shared.core.errors import AppError
from shared.core.model import PROVISIONING_CLIENT_APP_ID, AssignmentKind
from shared.graph.gateway import GraphGateway
from shared.shell.memory import QueryForms
from shared.shell.observe import observe_groups
from shared.shell.observe_intune import read_policies, read_profiles, target_groups


@dataclass(frozen=True)
class Read:
    """One read the app makes: ``probe`` returns what it found, or raises a ``GraphError``."""

    name: str
    probe: Callable[[GraphGateway], Awaitable[str]]


async def _devices(gateway: GraphGateway) -> str:
    async with contextlib.aclosing(gateway.device_pages(top=1)) as pages:
        async for page in pages:
            return f"the Autopilot device list answered ({len(page)} of $top=1)"
    return "the Autopilot device list answered"


async def _groups(gateway: GraphGateway) -> str:
    query = QueryForms()
    await observe_groups(gateway, query, first_page=True)
    if query.split:
        return (
            "Graph refused the combined group filter (400); the two basic queries the app "
            "falls back to answered"
        )
    return "the combined group filter answered"


class DoctorSurprise(AppError):
    """Graph answered, but not as documented (or not as the settings need)."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix


def _targets(kind: AssignmentKind, names: set[str]) -> Callable[[GraphGateway], Awaitable[str]]:
    """The list of one kind of target, each name the catalogue gives resolved against it, and
    its assignments read, as a run does (every profile's, with the list's ``$expand``)."""

    async def probe(gateway: GraphGateway) -> str:
        forms = QueryForms()
        if kind is AssignmentKind.PROFILE:
            profiles = await read_profiles(gateway, forms)
            listed, groups_of = [p for p, _ in profiles], {p.id: g for p, g in profiles}
        elif kind is AssignmentKind.DEVICE_PREPARATION:
            listed, groups_of = await read_policies(gateway, forms), {}
        else:
            listed, groups_of = await gateway.enrollment_status_pages(), {}
        found = []
        for name in sorted(names):
            target = resolve(kind, name, listed)
            if isinstance(target, str):
                raise DoctorSurprise(
                    target,
                    "name it by its id or its exact display name in the scenario catalogue "
                    "(SCENARIO_FILE); until then that scenario's assignments are skipped",
                )
            if target.id not in groups_of:
                groups_of[target.id] = await target_groups(gateway, kind, target.id)
            found.append(
                f"{target.display_name!r} ({target.id}, {len(groups_of[target.id])} groups)"
            )
        how = ""
        if forms.policies_unfiltered:
            how = "; Graph refused the technology filter, so every configuration policy is read"
        if kind is AssignmentKind.PROFILE:
            how = (
                "; Graph refused $expand=assignments, so each profile is read on its own"
                if forms.profiles_one_by_one
                else ", with every profile's assignments in one read"
            )
        return f"{len(listed)} listed{how}; the catalogue's resolve: {', '.join(found)}"

    return probe


async def _provisioning_client(gateway: GraphGateway) -> str:
    found = await gateway.provisioning_client()
    if found is None:
        raise DoctorSurprise(
            f"no service principal has appId {PROVISIONING_CLIENT_APP_ID}",
            NO_PROVISIONING_CLIENT,
        )
    return f"{found.display_name!r} ({found.id}) is there to own device preparation groups"


def reads_for(settings: Settings) -> tuple[Read, ...]:
    """The reads the app makes with these settings, in the order it makes them. Each must
    answer; a 403 names the permission it lacks."""
    reads = [
        Read("read Autopilot devices", _devices),
        Read("read groups with the app's query", _groups),
    ]
    named = settings.catalogue.named_targets()
    if AssignmentKind.PROFILE in named:
        profiles = _targets(AssignmentKind.PROFILE, named[AssignmentKind.PROFILE])
        reads.append(Read("read Autopilot profiles (Graph beta)", profiles))
    if AssignmentKind.ESP in named:
        esps = _targets(AssignmentKind.ESP, named[AssignmentKind.ESP])
        reads.append(Read("read Enrollment Status Pages", esps))
    if AssignmentKind.DEVICE_PREPARATION in named:
        policies = _targets(
            AssignmentKind.DEVICE_PREPARATION, named[AssignmentKind.DEVICE_PREPARATION]
        )
        reads.append(Read("read the Intune Provisioning Client", _provisioning_client))
        reads.append(Read("read device preparation policies (Graph beta)", policies))
    return tuple(reads)
