"""The Graph client: who signs the requests, where they go, and the app's middleware.

Credentials are chosen by where the code runs: the managed identity in Azure, the admin's Azure
CLI sign-in on a laptop, and a fixed development token for an emulator on loopback only.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from shared.config.settings import Settings, is_loopback_host
from shared.core.errors import PermanentGraphError
from shared.graph.middleware import RequestCounter, pipeline

# A fixed, meaningless bearer token for a Graph emulator on loopback. It is never sent anywhere
# else: LoopbackTokenProvider refuses any other host.
DEVELOPMENT_TOKEN = "local-development-token"


class LoopbackTokenProvider(AuthenticationProvider):  # type: ignore[misc]
    """Sends the fixed development token, and only ever to a loopback host."""

    async def authenticate_request(
        self,
        request: RequestInformation,
        additional_authentication_context: dict[str, Any] | None = None,
    ) -> None:
        host = urlsplit(request.url).hostname
        if not is_loopback_host(host):
            raise PermanentGraphError(
                f"refusing to send the development token to {host!r}: it is not a loopback host"
            )
        request.headers.add("Authorization", f"Bearer {DEVELOPMENT_TOKEN}")


def in_azure() -> bool:
    """Whether a managed identity endpoint is there (the code runs in Azure)."""
    return bool(os.environ.get("IDENTITY_ENDPOINT") or os.environ.get("MSI_ENDPOINT"))


def default_credential(settings: Settings) -> TokenCredential:
    """Managed identity in Azure (user-assigned if AZURE_CLIENT_ID is set), else the Azure CLI.

    Chosen by where the code runs rather than by trying each in turn, so a laptop never probes
    the instance metadata endpoint and a function app never falls back to a developer's login.
    """
    from azure.identity import AzureCliCredential, ManagedIdentityCredential

    if in_azure():
        return ManagedIdentityCredential(client_id=settings.azure_client_id)
    return AzureCliCredential()


def graph_scope(settings: Settings) -> str:
    """The token scope for the settings' Graph host (national clouds have their own)."""
    return f"https://{urlsplit(settings.graph_base_url).hostname}/.default"


def graph_token(settings: Settings, credential: TokenCredential | None = None) -> str:
    """A token for the settings' Graph from the credential the app would use (the development
    token for a loopback emulator, unless a credential is given). For the doctor, which reads its
    claims: never log or print it."""
    if settings.graph_is_loopback and credential is None:
        return DEVELOPMENT_TOKEN
    chosen = credential or default_credential(settings)
    return chosen.get_token(graph_scope(settings)).token


def build_client(
    settings: Settings, credential: TokenCredential | None = None
) -> tuple[GraphServiceClient, RequestCounter]:
    """A GraphServiceClient for the settings' base URL, with this app's middleware.

    A loopback emulator gets the development token unless a credential is given: then the
    credential is used there too, so its path can be tested without a network.
    """
    host = urlsplit(settings.graph_base_url).hostname or ""
    auth: AuthenticationProvider
    if settings.graph_is_loopback and credential is None:
        auth = LoopbackTokenProvider()
    else:
        auth = AzureIdentityAuthenticationProvider(
            credential or default_credential(settings),
            scopes=[graph_scope(settings)],
            allowed_hosts=[host],
        )
    counter = RequestCounter()
    middleware = pipeline(settings.graph_max_retries, settings.graph_retry_delay_seconds, counter)
    http_client = GraphClientFactory.create_with_custom_middleware(
        middleware, client=KiotaClientFactory.get_default_client()
    )
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = settings.graph_base_url
    return GraphServiceClient(request_adapter=adapter), counter
