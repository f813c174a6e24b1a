"""The raw floor: the same pages from the same emulator with httpx and json, no SDK.

It sends the same requests as the app's observe step (same $select, $filter, $top, following
@odata.nextLink) over one keep-alive connection, and extracts the same thing from them: the
devices counted per folded group tag (each distinct spelling folded once, as the app does), and
the groups as dicts. Whatever the app spends beyond
this is the cost of its SDK, its middleware and its own code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.core.model import fold
from shared.graph.client import DEVELOPMENT_TOKEN
from shared.graph.devices import DEVICE_FIELDS
from shared.graph.groups import GROUP_FIELDS
from shared.shell.observe import GROUP_FILTER

DEVICES_PATH = "/deviceManagement/windowsAutopilotDeviceIdentities"


@dataclass
class RawResult:
    requests: int = 0
    devices: int = 0
    untagged: int = 0
    tags: dict[str, int] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)


def observe(base_url: str) -> RawResult:
    result = RawResult()
    headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKEN}"}
    with httpx.Client(headers=headers, timeout=100.0) as client:
        spellings: dict[str, int] = {}
        for page in _pages(client, base_url + DEVICES_PATH, {"$select": ",".join(DEVICE_FIELDS)}):
            result.requests += 1
            result.devices += len(page)
            for device in page:
                tag = device.get("groupTag") or ""
                spellings[tag] = spellings.get(tag, 0) + 1
        for tag, count in spellings.items():
            if tag.strip():
                key = fold(tag)
                result.tags[key] = result.tags.get(key, 0) + count
            else:
                result.untagged += count
        query = {"$filter": GROUP_FILTER, "$select": ",".join(GROUP_FIELDS), "$top": "999"}
        for page in _pages(client, base_url + "/groups", query):
            result.requests += 1
            result.groups.extend(page)
    return result


def _pages(
    client: httpx.Client, url: str, params: dict[str, str]
) -> Iterator[list[dict[str, Any]]]:
    next_url: str | None = url
    query: dict[str, str] | None = params
    while next_url:
        response = client.get(next_url, params=query)
        response.raise_for_status()
        page = json.loads(response.content)
        yield page.get("value") or []
        next_url, query = page.get("@odata.nextLink"), None
