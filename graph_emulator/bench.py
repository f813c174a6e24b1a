"""How fast the emulator serves the Autopilot device list, so benchmarks of the app can
check that the emulator is not what they measure.

A plain ``http.client`` connection with keep-alive follows ``@odata.nextLink`` through
every page; the first pass warms the per-device JSON cache and is not counted.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from graph_emulator.emulator import Emulator
from graph_emulator.generator import generate_tenant

DEVICES_PATH = "/deviceManagement/windowsAutopilotDeviceIdentities"


@dataclass(frozen=True)
class BenchResult:
    devices: int
    pages: int
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else float("inf")


def list_all_devices(base_url: str, select: str | None = None) -> tuple[int, int]:
    """Follow every page once; returns (pages, devices)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    headers = {"Authorization": "Bearer bench-token"}
    url: str | None = parts.path + DEVICES_PATH + (f"?$select={select}" if select else "")
    pages = devices = 0
    try:
        while url:
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            payload = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"GET {url} answered {response.status}: {payload}")
            pages += 1
            devices += len(payload["value"])
            link = payload.get("@odata.nextLink")
            url = None if link is None else link[link.index(parts.path) :]
    finally:
        connection.close()
    return pages, devices


def run(devices: int = 100_000, rounds: int = 3, select: str | None = None) -> BenchResult:
    tenant = generate_tenant(devices, max(1, min(2000, devices // 50)), seed=1)
    with Emulator(tenant) as emulator:
        list_all_devices(emulator.base_url, select)  # warm the caches
        started = time.perf_counter()
        pages = 0
        for _ in range(rounds):
            pages += list_all_devices(emulator.base_url, select)[0]
        elapsed = time.perf_counter() - started
    return BenchResult(devices, pages, elapsed)
