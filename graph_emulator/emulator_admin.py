"""The tokens tests sign in with: JWT-shaped, unsigned, as ``tokens.py`` reads them.

A mixin of ``Emulator``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph_emulator import tokens
from graph_emulator.service import GraphService
from graph_emulator.state import TenantState

JsonDict = dict[str, Any]

APP_ID = "7d3b0c2e-3f1a-4c55-9e0b-6a8f2d1c4b01"  # the app registration tokens name by default
APP_OID = "6c1f5b7e-0d6a-4f0e-9a57-2d3c9e4b8f11"  # its service principal's object id
ADMIN_UPN = "admin@contoso.onmicrosoft.com"
ADMIN_OID = "3a9e7c55-8b2d-4f61-a0c4-1e5d9b7f2a33"


class DirectoryAdmin:
    """App-only and delegated tokens for this tenant."""

    _service: GraphService
    _state: TenantState

    def _new_id(self) -> str:
        raise NotImplementedError

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
