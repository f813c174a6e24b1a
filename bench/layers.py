"""Where the reconcile's time goes beyond the raw floor, one layer at a time.

``python -m bench.layers [--devices N] [--runs N]`` lists the same device pages from the same
emulator (a separate process) five ways, each adding one layer of what the app does:

1. sync httpx + json: the raw floor of ``bench.rawclient``;
2. async httpx + json: the transport msgraph-sdk is built on;
3. the app's ``GraphGateway.device_pages``: kiota's request builders, adapter and middleware;
4. the app's ``observe_devices``: plus counting the tags;
5. the app's whole steady-state reconcile: plus the group pages and the plan.

Medians of ``--runs`` rounds; the order rotates each round.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable

import httpx

from bench.emulator_proc import EmulatorProcess
from shared.config.settings import Settings
from shared.graph.client import DEVELOPMENT_TOKEN
from shared.graph.devices import DEVICE_FIELDS
from shared.graph.gateway import GraphGateway
from shared.shell.observe import observe_devices
from shared.shell.reconcile import run_reconcile

HEADERS = {"Authorization": f"Bearer {DEVELOPMENT_TOKEN}"}
QUERY = "/deviceManagement/windowsAutopilotDeviceIdentities?$select=" + ",".join(DEVICE_FIELDS)


def sync_httpx(base_url: str) -> None:
    with httpx.Client(headers=HEADERS) as client:
        url: str | None = base_url + QUERY
        while url:
            url = json.loads(client.get(url).content).get("@odata.nextLink")


async def async_httpx(base_url: str) -> None:
    async with httpx.AsyncClient(headers=HEADERS) as client:
        url: str | None = base_url + QUERY
        while url:
            url = json.loads((await client.get(url)).content).get("@odata.nextLink")


def settings(base_url: str) -> Settings:
    return Settings.from_env({"GRAPH_BASE_URL": base_url, "MAX_NEW_GROUPS_PER_RUN": "15000"})


async def sdk_pages(base_url: str) -> None:
    async with GraphGateway.from_settings(settings(base_url)) as gateway:
        async for _ in gateway.device_pages():
            pass


async def app_observe(base_url: str) -> None:
    async with GraphGateway.from_settings(settings(base_url)) as gateway:
        await observe_devices(gateway, purchase_orders=False)


LAYERS: list[tuple[str, Callable[[str], object]]] = [
    ("1. sync httpx + json (the raw floor's transport)", sync_httpx),
    ("2. async httpx + json", lambda url: asyncio.run(async_httpx(url))),
    (
        "3. + kiota builders, adapter, middleware (device pages)",
        lambda url: asyncio.run(sdk_pages(url)),
    ),
    ("4. + counting tags (observe_devices)", lambda url: asyncio.run(app_observe(url))),
    (
        "5. + group pages and the plan (steady-state reconcile)",
        lambda url: asyncio.run(run_reconcile(settings(url), apply=True)),
    ),
]


def measure(base_url: str, runs: int) -> dict[str, list[float]]:
    """Seconds per layer, ``runs`` rounds, the order rotated each round (tenant at steady state)."""
    asyncio.run(run_reconcile(settings(base_url), apply=True))  # reach the steady state
    samples: dict[str, list[float]] = {name: [] for name, _ in LAYERS}
    for run in range(runs):
        rotated = LAYERS[run % len(LAYERS) :] + LAYERS[: run % len(LAYERS)]
        for name, layer in rotated:
            gc.collect()
            started = time.perf_counter()
            layer(base_url)
            samples[name].append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.layers", description=__doc__)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--tags", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with EmulatorProcess() as emulator:
        samples = measure(emulator.load(args.devices, args.tags, 7, page_size=1000), args.runs)
    floor = statistics.median(samples[LAYERS[0][0]])
    print(f"{args.devices:,} devices, {args.tags:,} tags, medians of {args.runs} runs")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:58} {median:6.3f} s  x{median / floor:.2f}")


if __name__ == "__main__":
    main()
