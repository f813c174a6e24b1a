"""How the app reaches the host's storage account: the same connection as the host's bindings."""

from __future__ import annotations

from azure.core.credentials import TokenCredential

from shared.config.settings import STORAGE_CONNECTION, StorageConnection
from shared.core.errors import SettingsError


def require(connection: StorageConnection | None, purpose: str) -> StorageConnection:
    """The connection, or a SettingsError saying what it is needed for."""
    if connection is None:
        raise SettingsError(
            STORAGE_CONNECTION,
            f"is not set, and {purpose} needs it (a connection string, or "
            "AzureWebJobsStorage__accountName / __queueServiceUri for an identity-based one)",
        )
    return connection


def credential_for(connection: StorageConnection) -> TokenCredential:
    """The identity of an identity-based connection: the user-assigned one when a client id is
    set (as the host does), else the default chain (a developer's az login, locally)."""
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if connection.client_id:
        return ManagedIdentityCredential(client_id=connection.client_id)
    return DefaultAzureCredential()
