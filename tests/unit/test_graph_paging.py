"""Paging through the SDK's pipeline with a scripted transport (httpx.MockTransport as the seam).

The emulator never repeats a nextLink; Graph has (microsoft-graph-docs-contrib#5311: a skiptoken
that returned the same page forever). The app must stop, not loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient

from shared.core.errors import PermanentGraphError
from shared.graph.gateway import GraphGateway

BASE = "http://127.0.0.1:9/v1.0"
DEVICES = f"{BASE}/deviceManagement/windowsAutopilotDeviceIdentities"


def gateway(handler: Callable[[httpx.Request], httpx.Response]) -> GraphGateway:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=client)
    adapter.base_url = BASE
    return GraphGateway(GraphServiceClient(request_adapter=adapter))


def page(tags: list[str], next_link: str | None) -> httpx.Response:
    body: dict[str, object] = {"value": [{"id": t, "groupTag": t} for t in tags]}
    if next_link:
        body["@odata.nextLink"] = next_link
    return httpx.Response(
        200, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


async def collect(graph: GraphGateway) -> list[list[str]]:
    return [[d["groupTag"] for d in p] async for p in graph.device_pages()]


def test_every_next_link_is_followed_to_the_last_page():
    links = {None: f"{DEVICES}?$skiptoken=a", "a": f"{DEVICES}?$skiptoken=b", "b": None}

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("$skiptoken")
        return page([f"T-{token}"], links[token])

    assert asyncio.run(collect(gateway(handler))) == [["T-None"], ["T-a"], ["T-b"]]


def test_a_next_link_that_repeats_stops_the_listing_with_an_error():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if len(calls) > 10:  # without the guard the listing would never end: fail, do not hang
            return httpx.Response(400, json={"error": {"code": "Loop", "message": "looping"}})
        return page(["SAME"], f"{DEVICES}?$skiptoken=forever")

    with pytest.raises(PermanentGraphError, match="same nextLink twice"):
        asyncio.run(collect(gateway(handler)))
    assert len(calls) == 2  # the first page, and the one page behind the link
