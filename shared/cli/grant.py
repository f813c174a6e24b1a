"""Grant the app's managed identity the Graph application permissions its settings need.

A managed identity has no "API permissions" page in the portal: the grant is a Graph call,
``POST /servicePrincipals/{Microsoft Graph}/appRoleAssignedTo`` (docs/graph-contract.md, rows 25
and 26), made with an admin's sign-in. Same shape as the reconcile: observe (Microsoft Graph's
service principal, found by its well-known appId; the identity's; the roles it already holds),
plan (a pure function: which roles are missing), apply (one POST per missing role). Running it
twice assigns nothing the second time, and Graph's "already exists" answer to a racing grant
counts as success.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from shared.core.errors import AppError, PermanentGraphError, PermissionDeniedError
from shared.core.permissions import APP_READ_PERMISSION, ASSIGN_PERMISSION
from shared.graph.gateway import GraphGateway
from shared.graph.principals import RoleAssignment, ServicePrincipal

log = logging.getLogger(__name__)

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph, in every tenant
ASSIGNED, ALREADY_ASSIGNED = "assigned", "already assigned"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_DUPLICATE = "already exists on the object"


class GrantError(AppError):
    """The grant cannot be made as asked (no such identity, an ambiguous name...)."""


class AdminRightsError(GrantError):
    """Graph refused the admin's sign-in (403): it lacks the rights to grant app roles."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"Microsoft Graph denied {operation} (403). The signed-in account needs the "
            f"delegated permissions {ASSIGN_PERMISSION} and {APP_READ_PERMISSION}, which an "
            "admin holding the Privileged Role Administrator or Global Administrator directory "
            "role has: sign in as one with `az login` (add --allow-no-subscriptions if needed) "
            "and run the command again."
        )


@dataclass(frozen=True)
class RoleGrant:
    permission: str
    app_role_id: str
    outcome: str  # "assigned" or "already assigned"


@dataclass
class GrantReport:
    identity: ServicePrincipal
    resource: ServicePrincipal
    grants: list[RoleGrant] = field(default_factory=list)

    @property
    def assigned(self) -> int:
        return sum(grant.outcome == ASSIGNED for grant in self.grants)

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": _principal_dict(self.identity),
            "resource": _principal_dict(self.resource),
            "roles": [
                {"permission": g.permission, "appRoleId": g.app_role_id, "outcome": g.outcome}
                for g in self.grants
            ],
            "assigned": self.assigned,
            "alreadyAssigned": len(self.grants) - self.assigned,
        }

    def render(self) -> str:
        identity, resource = self.identity, self.resource
        lines = [
            f"identity: {identity.display_name} ({identity.kind or 'service principal'}, "
            f"object id {identity.id}, client id {identity.app_id})",
            f"resource: {resource.display_name} (object id {resource.id}, appId {resource.app_id})",
        ]
        width = max(len(g.outcome) for g in self.grants)
        lines += [
            f"  {g.outcome.ljust(width)}  {g.permission} (app role {g.app_role_id})"
            for g in self.grants
        ]
        lines.append(
            f"done: {self.assigned} assigned, {len(self.grants) - self.assigned} already assigned."
        )
        if self.assigned:
            lines.append(
                "New assignments reach the identity's tokens only after a while (tokens are "
                "cached); until then the app reports the missing permission and retries."
            )
        return "\n".join(lines) + "\n"


def plan_grants(
    resource: ServicePrincipal, held: list[RoleAssignment], roles: tuple[str, ...]
) -> list[tuple[str, str, bool]]:
    """The plan: (permission, app role id, already held) for each role the app needs."""
    held_ids = {a.app_role_id for a in held if a.resource_id == resource.id.lower()}
    plan = []
    for permission in roles:
        role_id = resource.app_role_id(permission)
        if role_id is None:
            raise GrantError(
                f"{resource.display_name} ({resource.app_id}) defines no application role "
                f"{permission}: is this the right tenant or cloud?"
            )
        plan.append((permission, role_id, role_id.lower() in held_ids))
    return plan


async def grant_permissions(
    gateway: GraphGateway, identity: str, roles: tuple[str, ...]
) -> GrantReport:
    """Give ``identity`` (object id, client id or display name) the Graph app roles ``roles``
    (``core.permissions.required_roles`` of the settings)."""
    try:
        resource = await _graph_service_principal(gateway)
        principal = await find_identity(gateway, identity)
        held = await gateway.role_assignments_of(principal.id)
        report = GrantReport(identity=principal, resource=resource)
        for permission, role_id, already in plan_grants(resource, held, roles):
            if not already and not await _assign(gateway, principal, resource, role_id):
                already = True
            outcome = ALREADY_ASSIGNED if already else ASSIGNED
            log.info("grant: %s %s to %s", outcome, permission, principal.id)
            report.grants.append(RoleGrant(permission, role_id, outcome))
        return report
    except PermissionDeniedError as error:
        raise AdminRightsError(error.operation) from error


async def find_identity(gateway: GraphGateway, identity: str) -> ServicePrincipal:
    """The service principal for an object id, a client id (appId) or a display name."""
    text = identity.strip()
    if not text:
        raise GrantError("--identity is empty")
    if _GUID.fullmatch(text):
        found = await gateway.get_service_principal(text)
        if found is not None:
            return found
        by_client_id = await gateway.find_service_principals(f"appId eq '{text}'")
        if by_client_id:
            return by_client_id[0]
        raise GrantError(f"no service principal has the object id or client id {text}")
    quoted = text.replace("'", "''")
    matches = await gateway.find_service_principals(f"displayName eq '{quoted}'")
    if not matches:
        raise GrantError(
            f"no service principal is named {text!r} (a user-assigned identity's is its resource "
            "name; a system-assigned one's is the app's name); or pass its object id"
        )
    if len(matches) > 1:
        listed = ", ".join(f"{m.id} ({m.kind})" for m in matches)
        raise GrantError(
            f"{len(matches)} service principals are named {text!r}: {listed}; "
            "pass --identity <object id>"
        )
    return matches[0]


async def _graph_service_principal(gateway: GraphGateway) -> ServicePrincipal:
    found = await gateway.find_service_principals(f"appId eq '{GRAPH_APP_ID}'")
    if not found:
        raise GrantError(f"no service principal has Microsoft Graph's appId {GRAPH_APP_ID}")
    return found[0]


async def _assign(
    gateway: GraphGateway, principal: ServicePrincipal, resource: ServicePrincipal, role_id: str
) -> bool:
    """True if this call made the assignment; False if Graph says it already existed."""
    try:
        await gateway.assign_app_role(principal.id, resource.id, role_id)
    except PermanentGraphError as error:
        if isinstance(error, PermissionDeniedError) or error.status != 400:
            raise
        if _DUPLICATE not in str(error):
            raise
        return False
    return True


def _principal_dict(sp: ServicePrincipal) -> dict[str, str]:
    return {"id": sp.id, "appId": sp.app_id, "displayName": sp.display_name, "type": sp.kind}
