"""The doctor's checks that are not Graph requests: the settings, the token, the queues.

``doctor`` runs them in order; each returns a ``Check`` with what it found and, when it failed,
the fix. Blocking calls (a credential, the queue SDK) run in a daemon thread under a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from shared.config.settings import Settings, StorageConnection
from shared.core.preflight import (
    SETTINGS_CHECK,
    Check,
    broader_held,
    missing_roles,
    roles_claim,
    scopes_claim,
    token_claims,
)
from shared.storage.queues import QueueCheckError, peek_check

T = TypeVar("T")
TOKEN_CHECK = "a token for Microsoft Graph"
_STORAGE_FIX = (
    "set AzureWebJobsStorage (a connection string), or AzureWebJobsStorage__accountName or "
    "__queueServiceUri for an identity-based connection"
)


def grant_fix(permissions: Sequence[str], settings: Settings, identity: str | None = None) -> str:
    who = identity or settings.azure_client_id or "<the app's managed identity>"
    return (
        f"grant {', '.join(permissions)}: python -m shared grant-permissions --identity {who} "
        "(as a Privileged Role Administrator or Global Administrator); new tokens carry it after "
        "a while"
    )


def settings_check(settings: Settings) -> Check:
    if settings.storage is None:
        return Check(SETTINGS_CHECK, False, "AzureWebJobsStorage is not set", _STORAGE_FIX)
    queues = f"{settings.request_queue}, {settings.result_queue}, {settings.poison_queue}"
    return Check(
        SETTINGS_CHECK,
        True,
        f"Graph {settings.graph_base_url}; queues {queues}; storage {_describe(settings.storage)}",
    )


def _describe(storage: StorageConnection) -> str:
    """Where the queues are, never the connection string itself (it may hold a key)."""
    if storage.connection_string:
        return "by a connection string"
    identity = f", client id {storage.client_id}" if storage.client_id else ""
    return f"{storage.queue_service_uri} with an identity{identity}"


def delegated_fix(permissions: Sequence[str], claims: dict[str, Any] | None) -> str:
    """What a signed-in admin does about missing delegated permissions: on the app registration
    they signed in through, never on the app's managed identity."""
    app = (claims or {}).get("appid") or (claims or {}).get("azp") or "<your app registration>"
    return (
        f"your sign-in lacks the delegated permission(s) {', '.join(permissions)}: add them to "
        f"the app registration {app} (Microsoft Graph, delegated) and grant admin consent "
        f"(az ad app permission add --id {app} ...; az ad app permission admin-consent --id "
        f"{app}; docs/getting-started.md), then sign in again. The Azure CLI's own sign-in "
        "(--credential cli) cannot be given them: use --credential device-code or browser with "
        "your app registration. Your account needs an Intune or Groups administrator role too"
    )


def token_check(
    token: str | None,
    error: Exception | None,
    needed: Sequence[str],
    settings: Settings,
    who: str = "",
) -> Check:
    """What the token says about the permissions, read from its claims, never shown. ``who``
    says which sign-in got it."""
    used = f"signed in with {who}: " if who else ""
    if token is None:
        reason = "none within the timeout" if isinstance(error, TimeoutError) else _short(error)
        return Check(
            TOKEN_CHECK,
            False,
            f"{used}no token: {reason}",
            "sign in with `az login` on a laptop (or choose --credential device-code, browser "
            "or environment); in Azure, check the managed identity (AZURE_CLIENT_ID)",
        )
    claims = token_claims(token)
    roles = roles_claim(claims)
    if claims is None:
        what = "the development token" if settings.graph_is_loopback else "a token"
        return Check(
            TOKEN_CHECK,
            True,
            f"{used}{what}, not a JWT: no roles claim, so the requests below check the permissions",
        )
    scopes = scopes_claim(claims)
    if roles is None and scopes is not None:
        user = claims.get("upn") or claims.get("unique_name") or "a signed-in user"
        missing = missing_roles(scopes, needed)
        if missing:
            return Check(
                TOKEN_CHECK,
                False,
                f"{used}a user's token ({user}); its scopes lack {', '.join(missing)}",
                delegated_fix(missing, claims),
            )
        return Check(
            TOKEN_CHECK,
            True,
            f"{used}a user's token ({user}) with the delegated {', '.join(needed)}: the "
            "requests below check this account's access, not the app identity's",
        )
    if roles is None:
        who_is = claims.get("upn") or claims.get("unique_name") or "a signed-in user"
        return Check(
            TOKEN_CHECK,
            True,
            f"{used}a user's token ({who_is}), no roles claim: the requests below check this "
            "account's access, not the app identity's",
        )
    app = f"{used}an app-only token (app {claims.get('appid') or claims.get('azp') or 'unknown'})"
    missing = missing_roles(roles, needed)
    if missing:
        return Check(
            TOKEN_CHECK,
            False,
            f"{app}; its roles lack {', '.join(missing)}",
            grant_fix(missing, settings, claims.get("oid")),
        )
    broader = broader_held(roles, needed)
    extra = f"; held through broader roles: {', '.join(broader)}" if broader else ""
    return Check(TOKEN_CHECK, True, f"{app} with {', '.join(needed)}{extra}")


async def queue_checks(settings: Settings, timeout: float) -> list[Check]:
    """Each queue exists and can be read with the configured connection: a peek, nothing else."""
    checks: list[Check] = []
    reason = "" if settings.storage is not None else "no storage connection (see settings)"
    for label, queue in (
        ("request queue", settings.request_queue),
        ("result queue", settings.result_queue),
        ("poison queue", settings.poison_queue),
    ):
        name = f"{label} {queue}"
        if reason:
            checks.append(Check(name, False, f"not checked: {reason}", "fix the check above first"))
            continue
        peek = partial(peek_check, settings.storage, queue, timeout)
        try:
            seen = await asyncio.wait_for(in_daemon_thread(peek), timeout)
        except TimeoutError:
            checks.append(Check(name, False, f"no answer within {timeout:g} s", _STORAGE_FIX))
            reason = "the queue service did not answer above"
        except QueueCheckError as error:
            checks.append(Check(name, False, error.reason, _queue_fix(error, queue)))
            if error.kind == "unreachable":
                reason = "the queue service did not answer above"
        else:
            state = "a message is waiting" if seen else "empty"
            checks.append(Check(name, True, f"exists and can be read (peeked: {state})"))
    return checks


def _queue_fix(error: QueueCheckError, queue: str) -> str:
    if error.kind == "missing":
        return (
            f"create it: az storage queue create --name {queue} --account-name <account> "
            "--auth-mode login (infra/main.bicep creates all three)"
        )
    if error.kind == "denied":
        return (
            "give the identity this runs as (your az login, or the app's managed identity) "
            "Storage Queue Data Reader or Contributor on the account or the queue"
        )
    return _STORAGE_FIX


def _short(error: Exception | None) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else 'no message'}"


async def in_daemon_thread(call: Callable[[], T]) -> T:
    """A blocking call in a daemon thread: one that times out is left behind, instead of the
    process waiting for it at exit (as it would for asyncio's default executor)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = call(), None
        except BaseException as caught:
            result, error = None, caught
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="doctor-check", daemon=True).start()
    return await future
