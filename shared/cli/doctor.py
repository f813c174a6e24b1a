"""``python -m shared doctor``: a read-only preflight, with the app's own settings, before the
timer is switched on.

In order: the settings; a token for Graph (when it carries a roles claim, as app-only tokens do,
its roles against the permissions the settings need); each read the app makes; the upsert route
(``PATCH /groups(uniqueName='<a key never used>')`` without ``Prefer`` must answer 404); the
request, result and poison queues (peek only). Each check has a short timeout, Graph requests
are retried once at most, and a service that did not answer is not asked again: with Graph
unreachable the doctor answers within a minute. It writes nothing: the upsert probe is, by
Graph's documentation, an update of a group that does not exist.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any

from azure.core.credentials import TokenCredential

from shared.cli.credentials import SignIn
from shared.cli.credentials import credential as make_credential
from shared.cli.doctor_checks import (
    delegated_fix,
    grant_fix,
    in_daemon_thread,
    queue_checks,
    settings_check,
    token_check,
)
from shared.cli.doctor_reads import DoctorSurprise, reads_for
from shared.config.settings import Settings
from shared.core.errors import (
    GraphError,
    PermissionDeniedError,
    SettingsError,
    TransientGraphError,
)
from shared.core.permissions import required_roles
from shared.core.preflight import (
    SETTINGS_CHECK,
    Check,
    Checklist,
    roles_claim,
    scopes_claim,
    token_claims,
)
from shared.graph.client import default_credential, graph_token, in_azure
from shared.graph.gateway import GraphGateway

CHECK_TIMEOUT = 15.0  # seconds per check
GRAPH_RETRIES = 1  # per Graph request (the app's own setting may wait minutes in all)
UPSERT_CHECK = "the upsert route"
PROBE_PREFIX = "apg-doctor-probe-"
PROBE_BODY = {"description": "A probe of python -m shared doctor: it must find no group."}


def needed_roles(settings: Settings) -> tuple[str, ...]:
    """The application permissions these settings need: the one place the doctor asks."""
    return required_roles(settings.catalogue)


async def _upsert_route(gateway: GraphGateway) -> str:
    key = PROBE_PREFIX + uuid.uuid4().hex
    route = f"PATCH /groups(uniqueName='{key}') without Prefer"
    outcome = await gateway.patch_by_key(key, PROBE_BODY)
    if outcome == "missing":
        return (
            f"{route} answered 404, as documented; nothing was created (a 403 would mean "
            "Group.ReadWrite.All is missing; a 404 does not prove it is granted)"
        )
    raise DoctorSurprise(
        f"{route} answered {'201: Graph created a group' if outcome == 'created' else '204'}, "
        "where its documentation says 404",
        f"delete the group whose uniqueName is {key}, and report this: the app relies on the "
        "documented upsert (docs/graph-contract.md)",
    )


async def run_doctor(
    environ: Mapping[str, str] | None = None,
    credential: TokenCredential | None = None,
    timeout: float = CHECK_TIMEOUT,
    sign_in: SignIn | None = None,
) -> Checklist:
    """Every check, in order; the checklist says what passed and how to fix the rest.

    ``sign_in``: the terminal's choice (``--credential``); without it, the app's own: the
    managed identity in Azure, the Azure CLI on a laptop, the development token on loopback."""
    checklist = Checklist()
    try:
        settings = Settings.from_env(environ)
    except SettingsError as error:
        checklist.add(
            Check(
                SETTINGS_CHECK,
                False,
                str(error),
                "correct it (docs/configuration.md; docs/troubleshooting.md#settings)",
            )
        )
        return checklist
    checklist.add(settings_check(settings))
    if credential is None and sign_in is not None:
        credential = make_credential(sign_in)
    await _graph_checks(
        settings, credential, timeout, checklist, _who(settings, credential, sign_in)
    )
    for check in await queue_checks(settings, timeout):
        checklist.add(check)
    return checklist


def _who(settings: Settings, credential: TokenCredential | None, sign_in: SignIn | None) -> str:
    """Which sign-in the doctor uses, in words."""
    if sign_in is not None:
        return sign_in.describe()
    if credential is not None:
        return f"the credential given ({type(credential).__name__})"
    if settings.graph_is_loopback:
        return SignIn("development").describe()
    return "the app's managed identity" if in_azure() else SignIn("cli").describe()


async def _graph_checks(
    settings: Settings,
    credential: TokenCredential | None,
    timeout: float,
    checklist: Checklist,
    who: str = "",
) -> None:
    reads = reads_for(settings)
    probes = [*((read.name, read.probe) for read in reads), (UPSERT_CHECK, _upsert_route)]
    if credential is None and not settings.graph_is_loopback:
        credential = default_credential(settings)  # one credential for the token and the reads
    try:
        token = await asyncio.wait_for(
            in_daemon_thread(lambda: graph_token(settings, credential)), timeout
        )
    except Exception as error:  # no credential, no sign-in, a timeout: the token check says so
        checklist.add(token_check(None, error, needed_roles(settings), settings, who))
        _skip(checklist, [name for name, _ in probes], "no token for Graph (see above)")
        return
    checklist.add(token_check(token, None, needed_roles(settings), settings, who))
    claims = token_claims(token)
    delegated = claims if scopes_claim(claims) is not None and roles_claim(claims) is None else None
    quick = dataclasses.replace(
        settings,
        graph_max_retries=min(settings.graph_max_retries, GRAPH_RETRIES),
        graph_retry_delay_seconds=min(settings.graph_retry_delay_seconds, 1.0),
    )
    async with GraphGateway.from_settings(quick, credential) as gateway:
        for index, (name, probe) in enumerate(probes):
            check, answered = await _attempt(name, probe(gateway), timeout, settings, delegated)
            checklist.add(check)
            if not answered:
                later = [later_name for later_name, _ in probes[index + 1 :]]
                _skip(checklist, later, "Graph did not answer the check above")
                return


def _skip(checklist: Checklist, names: list[str], reason: str) -> None:
    for name in names:
        checklist.add(Check(name, False, f"not checked: {reason}", "fix the check above first"))


async def _attempt(
    name: str,
    probe: Awaitable[str],
    timeout: float,
    settings: Settings,
    delegated: dict[str, Any] | None = None,
) -> tuple[Check, bool]:
    """The check, and whether Graph answered at all (if not, later checks are skipped)."""
    unreachable = (
        f"check GRAPH_BASE_URL ({settings.graph_base_url}) and that this machine reaches it"
    )
    try:
        detail = await asyncio.wait_for(probe, timeout)
    except TimeoutError:
        return Check(name, False, f"no answer within {timeout:g} s", unreachable), False
    except PermissionDeniedError as error:
        return (
            Check(
                name,
                False,
                f"Graph answered 403: the {'sign-in' if delegated else 'identity'} lacks "
                f"{error.permission}",
                delegated_fix([error.permission], delegated)
                if delegated
                else grant_fix([error.permission], settings),
            ),
            True,
        )
    except TransientGraphError as error:
        return Check(name, False, f"Graph did not answer: {error}", unreachable), False
    except DoctorSurprise as error:
        return Check(name, False, error.detail, error.fix), True
    except GraphError as error:
        return Check(name, False, str(error), "see Graph's message"), True
    except Exception as error:  # a credential failing mid-way, a defect: a check, not a crash
        return Check(name, False, f"{type(error).__name__}: {error}", "see the error"), True
    return Check(name, True, detail), True
