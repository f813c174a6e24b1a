"""The real msgraph-sdk pointed at the emulator, for the tests that drive it through the SDK."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from graph_emulator import Emulator

T = TypeVar("T")


class FixedToken(AuthenticationProvider):
    """Adds the development bearer token the emulator accepts."""

    async def authenticate_request(
        self, request: RequestInformation, additional_authentication_context: Any = None
    ) -> None:
        request.headers.add("Authorization", "Bearer test-token")


def graph_adapter(emulator: Emulator) -> GraphRequestAdapter:
    """The SDK's request adapter with its default middleware (retries included), on v1.0."""
    adapter = GraphRequestAdapter(
        FixedToken(), client=GraphClientFactory.create_with_default_middleware()
    )
    adapter.base_url = emulator.base_url
    return adapter


def graph_client(emulator: Emulator) -> GraphServiceClient:
    return GraphServiceClient(request_adapter=graph_adapter(emulator))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def no_retry(**headers: str) -> RequestConfiguration[Any]:
    config: RequestConfiguration[Any] = RequestConfiguration(
        headers=HeadersCollection(), options=[RetryHandlerOption(max_retries=0)]
    )
    for name, value in headers.items():
        config.headers.add(name, value)
    return config
