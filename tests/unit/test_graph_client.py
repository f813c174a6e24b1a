"""The Graph client's middleware: exactly what the app needs, in the order a request meets it."""

from __future__ import annotations

import asyncio

import httpx
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_http.middleware import RedirectHandler
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler

from shared.graph.client import build_client
from shared.graph.gateway import GraphGateway
from shared.graph.middleware import (
    GraphRetryHandler,
    RequestCounter,
    TransportRetryHandler,
    pipeline,
)
from tests.builders import settings_for


def chain(client: GraphServiceClient) -> list[object]:
    transport = client.request_adapter._http_client._transport
    middleware, found = transport.pipeline._first_middleware, []
    while middleware is not None:
        found.append(middleware)
        middleware = middleware.next
    return found


def test_the_client_keeps_only_the_sdk_version_header_redirects_two_retries_and_the_counter(
    emulator,
):
    client, counter = build_client(settings_for(emulator))

    assert chain(client)[-1] is counter  # the one the gateway reads its count from
    assert [type(middleware) for middleware in chain(client)] == [
        GraphTelemetryHandler,
        RedirectHandler,
        GraphRetryHandler,
        TransportRetryHandler,
        RequestCounter,
    ]
    asyncio.run(client.request_adapter._http_client.aclose())


def test_a_graph_host_is_sent_the_sdk_version_header_and_every_send_is_counted():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = 429 if len(seen) == 1 else 200
        return httpx.Response(status, json={"value": []}, headers={"Retry-After": "0"})

    counter = RequestCounter()
    http_client = GraphClientFactory.create_with_custom_middleware(
        pipeline(max_retries=2, retry_delay=0, counter=counter),
        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=http_client)
    adapter.base_url = "https://graph.microsoft.com/v1.0"
    gateway = GraphGateway(GraphServiceClient(request_adapter=adapter), counter)

    async def list_devices() -> list[list[dict[str, object]]]:
        return [page async for page in gateway.device_pages()]

    assert asyncio.run(list_devices()) == [[]]
    assert len(seen) == 2 and gateway.requests_sent == 2  # the 429, then its retry
    assert seen[-1].headers["sdkVersion"].startswith("graph-python")
    assert seen[-1].url.params["$select"] == "id,groupTag,purchaseOrderIdentifier"
