"""The doctor's pure part: what each check found, a token's roles against the permissions the app
needs, and the checklist as text or as one JSON document.

The token is read, never trusted: its payload is decoded without verifying the signature, only
to see which application roles Graph will find in it. Nothing here prints or keeps the token.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL = "✓", "✗"
EXIT_OK, EXIT_FAILED, EXIT_SETTINGS = 0, 1, 2
SETTINGS_CHECK = "settings"

# A broader application permission also allows what a narrower one does. A role held this way is
# not missing; the doctor says it is broader than the app needs.
BROADER: dict[str, tuple[str, ...]] = {
    "DeviceManagementServiceConfig.Read.All": ("DeviceManagementServiceConfig.ReadWrite.All",),
    "Group.ReadWrite.All": ("Directory.ReadWrite.All",),
    "Application.Read.All": ("Application.ReadWrite.All", "Directory.Read.All"),
}

# What the doctor cannot check without writing, said plainly in every checklist.
NOT_CHECKED = (
    "creating a group (the upsert with Prefer: create-if-missing) and repairing one (PATCH by "
    "id): Group.ReadWrite.All is proven by the token's roles claim when it has one; without one, "
    "the upsert probe can only show a 403, and a 404 does not prove the right to write",
    "sending to the result queue (the output binding, and the app's answer on a last delivery)",
    "receiving and deleting request messages (the queue trigger), and the host moving a message "
    "to the poison queue",
    "the host's blob leases in AzureWebJobsStorage (the timer's lock)",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class Checklist:
    checks: list[Check] = field(default_factory=list)

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def exit_code(self) -> int:
        if any(c.name == SETTINGS_CHECK and not c.ok for c in self.checks):
            return EXIT_SETTINGS
        return EXIT_OK if self.ok else EXIT_FAILED

    def render(self) -> str:
        lines = ["python -m shared doctor: a read-only preflight; nothing is written.", ""]
        for check in self.checks:
            lines.append(f"{PASS if check.ok else FAIL} {check.name}: {check.detail}")
            if not check.ok and check.fix:
                lines.append(f"    fix: {check.fix}")
        lines += ["", "Not checked, because checking would write:"]
        lines += [f"  - {item}" for item in NOT_CHECKED]
        passed = sum(check.ok for check in self.checks)
        lines += ["", f"{passed} of {len(self.checks)} checks passed."]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exitCode": self.exit_code,
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix or None}
                for c in self.checks
            ],
            "notChecked": list(NOT_CHECKED),
        }


def token_claims(token: str) -> dict[str, Any] | None:
    """A JWT's payload (base64url JSON), decoded WITHOUT verifying the signature; None if the
    token is not a JWT (such as the emulator's development token)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def roles_claim(claims: dict[str, Any] | None) -> list[str] | None:
    """The application roles an app-only token carries; None when it has no roles claim."""
    roles = (claims or {}).get("roles")
    if not isinstance(roles, list):
        return None
    return [role for role in roles if isinstance(role, str)]


def scopes_claim(claims: dict[str, Any] | None) -> list[str] | None:
    """The delegated permissions a user's token carries (its space-separated ``scp`` claim);
    None when it has none (an app-only token, or not a JWT)."""
    scopes = (claims or {}).get("scp")
    if not isinstance(scopes, str):
        return None
    return scopes.split()


def missing_roles(held: Iterable[str], required: Sequence[str]) -> list[str]:
    """The required permissions the roles do not grant, directly or through a broader one."""
    have = set(held)
    return [
        role
        for role in required
        if role not in have and not have.intersection(BROADER.get(role, ()))
    ]


def broader_held(held: Iterable[str], required: Sequence[str]) -> list[str]:
    """Roles held in place of a required one, broader than the app needs."""
    have = set(held)
    return sorted(
        broader
        for role in required
        if role not in have
        for broader in BROADER.get(role, ())
        if broader in have
    )
