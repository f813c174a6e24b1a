"""What an admin does to the directory while the app runs, and the tokens tests sign in with.

A mixin of ``Emulator``. Every change here is a write through the true state, as if made in
the Entra admin center (or Exchange), so reads see it after the replication lag, like the
app's own writes. Tokens are the JWT-shaped, unsigned ones ``tokens.py`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from graph_emulator import tokens
from graph_emulator.group_model import apply_update
from graph_emulator.principals_model import PROVISIONING_CLIENT_NAMES, provisioning_client
from graph_emulator.service import GraphService
from graph_emulator.state import TenantState

JsonDict = dict[str, Any]

APP_ID = "7d3b0c2e-3f1a-4c55-9e0b-6a8f2d1c4b01"  # the app registration tokens name by default
APP_OID = "6c1f5b7e-0d6a-4f0e-9a57-2d3c9e4b8f11"  # its service principal's object id
ADMIN_UPN = "admin@contoso.onmicrosoft.com"
ADMIN_OID = "3a9e7c55-8b2d-4f61-a0c4-1e5d9b7f2a33"


class DirectoryAdmin:
    """Deleting and restoring groups, owners, RBAC scope, and tokens."""

    _service: GraphService
    _state: TenantState

    def _new_id(self) -> str:
        raise NotImplementedError

    # --- deleted groups ---

    def delete_group(self, group_id: str) -> None:
        """An admin deletes a group: it goes to the recycle bin (``directory/deletedItems``)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if not self._state.delete_group(group_id, now):
            raise KeyError(f"no live group {group_id!r}")

    def purge_deleted(self, group_id: str) -> None:
        """An admin empties one group from the recycle bin: it is gone for good."""
        if not self._state.purge_group(group_id):
            raise KeyError(f"no deleted group {group_id!r}")

    def deleted_groups(self) -> list[JsonDict]:
        """The recycle bin in the true state (ignoring lag)."""
        return self._state.current_deleted_groups()

    def update_group(self, group_id: str, changes: JsonDict, *, validate: bool = True) -> JsonDict:
        """An admin changes a group. ``validate`` applies Graph's checks (a PATCH); without
        it the changes go in as another workload could make them (e.g. ``mailEnabled`` on a
        security group, which only Exchange can do). Returns the new state."""
        with self._state.lock:
            existing = self._state.current_group(group_id)
            if existing is None:
                raise KeyError(f"no live group {group_id!r}")
            updated = apply_update(existing, changes) if validate else {**existing, **changes}
            return self._state.put_group(updated)

    # --- owners ---

    def owners(self, group_id: str) -> list[str]:
        """The group's owner ids in the true state (ignoring lag)."""
        return list(self._service.owners.current(group_id))

    def add_owner(self, group_id: str, owner_id: str) -> None:
        """An admin adds an owner (a service principal's object id) now."""
        if self._service.service_principals.find(owner_id) is None:
            raise KeyError(f"no service principal {owner_id!r}")
        current = self._service.owners.current(group_id)
        self._service.owners.commit(group_id, (*current, owner_id))

    def remove_owner(self, group_id: str, owner_id: str) -> None:
        """An admin removes an owner now (the documented way a device preparation group
        stops working, memdocs ``device-preparation/known-issues.md``)."""
        current = self._service.owners.current(group_id)
        if owner_id.lower() not in current:
            raise KeyError(f"{owner_id!r} does not own {group_id!r}")
        self._service.owners.commit(group_id, (o for o in current if o != owner_id.lower()))

    def add_provisioning_client(
        self, display_name: str = PROVISIONING_CLIENT_NAMES[0], sp_id: str | None = None
    ) -> JsonDict:
        """The Intune Provisioning Client service principal (appId f1346770-…)."""
        sp = provisioning_client(sp_id or self._new_id(), display_name)
        return self._service.service_principals.add_service_principal(sp)

    def set_outside_caller_scope(self, group_id: str, outside: bool = True) -> None:
        """Put a group outside the app's Intune RBAC scope (``securityGroupNotInCallerScope``)."""
        self._service.policies.targets.set_outside_scope(group_id, outside)

    # --- tokens ---

    def app_token(self, roles: Iterable[str] = (), appid: str = APP_ID, oid: str = APP_OID) -> str:
        """An app-only token: its ``roles`` decide what the request may do."""
        return tokens.make_token(tokens.app_claims(self._state.tenant_id, roles, appid, oid))

    def delegated_token(
        self,
        scopes: Iterable[str] = (),
        upn: str = ADMIN_UPN,
        oid: str = ADMIN_OID,
        appid: str = APP_ID,
    ) -> str:
        """A delegated token: its space-separated ``scp`` decides what the request may do."""
        claims = tokens.delegated_claims(self._state.tenant_id, scopes, upn, oid, appid)
        return tokens.make_token(claims)
