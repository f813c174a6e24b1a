"""The queue's floor: the storage operations and Graph requests the app's queue run makes, done
with raw ``azure-storage-queue`` and ``httpx``, with no app code and no runner on the clock.

Per message, exactly what the local runner and the app do:

* receive from the request queue in batches of host.json's ``batchSize``, polling again as soon as
  no more than ``newBatchThreshold`` messages are in flight (up to 16 + 8 = 24), with the runner's
  lease as the visibility timeout;
* decode the JSON body and read its group tag;
* ``GET /groups?$filter=uniqueName eq '…'`` (the one read of a request whose group exists);
* for the first message of a tag, which finds no group: the tenant's adoptable groups once per
  run (shared by every first message, as the app's index is), the recycle bin by the tag's key
  (issue 17: a deleted group may hold it), and the upsert ``PATCH /groups(uniqueName='…')``;
  the tag's other messages wait for that write before their read, as the app's per-key lock
  makes them;
* put the answer on the result queue, then delete the message.

Storage calls go through the same synchronous ``QueueClient`` the runner uses, in a pool of 32
threads as the runner's; Graph calls through one ``httpx.AsyncClient`` with keep-alive. The keys
and upsert bodies are computed before the clock starts (``tag_writes``): deciding them is the
app's work, not I/O. ``FloorCounts`` holds what was sent, for the test that the floor makes the
same requests as the app (``tests/bench/test_queue_floor.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from azure.storage.queue import QueueClient, QueueServiceClient

from shared.config.settings import Settings
from shared.core.model import Kind, Wanted, WantedGroup
from shared.core.planner import plan_values
from shared.graph.client import DEVELOPMENT_TOKEN
from shared.graph.groups import GROUP_FIELDS, create_body
from shared.shell.observe import GROUP_FILTER

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = (
    600  # the runner's processing lease (local_runner.settings.PROCESSING_LEASE_SECONDS)
)
EMPTY_POLL_SECONDS = 0.1  # the benchmark's maxPollingInterval override (tests/queue_app.py)
STORAGE_THREADS = 32  # the runner's pool for storage calls (local_runner.invoke.Worker)


@dataclass(frozen=True)
class Concurrency:
    batch_size: int
    new_batch_threshold: int

    @property
    def in_flight(self) -> int:
        return self.batch_size + self.new_batch_threshold

    @classmethod
    def from_host_json(cls, path: Path = ROOT / "host.json") -> Concurrency:
        queues = json.loads(path.read_text(encoding="utf-8"))["extensions"]["queues"]
        return cls(int(queues["batchSize"]), int(queues["newBatchThreshold"]))


@dataclass(frozen=True)
class TagWrite:
    key: str  # the group's uniqueName
    body: dict[str, Any]  # the upsert's JSON body


def tag_writes(tags: Iterable[str], wanted: Wanted, scenario: str) -> dict[str, TagWrite]:
    """The key and upsert body of each tag's group, as the app's planner decides them."""
    writes = {}
    for tag in tags:
        [entry] = plan_values([WantedGroup(Kind.TAG, tag, scenario=scenario)], [], wanted).entries
        assert entry.unique_name is not None and entry.spec is not None, entry
        writes[tag] = TagWrite(entry.unique_name, create_body(entry.spec))
    return writes


def wanted_for(base_url: str) -> Wanted:
    return Settings.from_env({"GRAPH_BASE_URL": base_url}).wanted()


@dataclass
class FloorCounts:
    receives: int = 0  # receive calls (one request each, up to batchSize messages)
    received: int = 0
    sends: int = 0
    deletes: int = 0
    graph_requests: int = 0


@dataclass
class FloorResult:
    seconds: float
    counts: FloorCounts
    max_in_flight: int


class _Floor:
    def __init__(
        self,
        requests: QueueClient,
        results: QueueClient,
        graph: httpx.AsyncClient,
        writes: dict[str, TagWrite],
        pool: concurrent.futures.ThreadPoolExecutor,
    ) -> None:
        self.requests = requests
        self.results = results
        self.graph = graph
        self.writes = writes
        self.pool = pool
        self.counts = FloorCounts()
        self.written: dict[str, asyncio.Future[None]] = {}
        self.listing: asyncio.Task[None] | None = None

    async def io(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(call, *args, **kwargs))

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        self.counts.graph_requests += 1
        response = await self.graph.get(path, params=params)
        response.raise_for_status()
        page: dict[str, Any] = json.loads(response.content)
        return page

    async def pages(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = await self.get(path, params)
        items.extend(page.get("value") or [])
        while page.get("@odata.nextLink"):
            page = await self.get(page["@odata.nextLink"], {})  # absolute: httpx keeps it
            items.extend(page.get("value") or [])
        return items

    async def find(self, key: str) -> list[dict[str, Any]]:
        params = {"$filter": f"uniqueName eq '{key}'", "$select": ",".join(GROUP_FIELDS)}
        return await self.pages("/groups", {**params, "$top": "999"})

    async def list_adoptable(self) -> None:
        params = {"$filter": GROUP_FILTER, "$select": ",".join(GROUP_FIELDS), "$top": "999"}
        await self.pages("/groups", params)

    async def create(self, write: TagWrite) -> None:
        if self.listing is None:
            self.listing = asyncio.ensure_future(self.list_adoptable())
        await self.listing
        params = {
            "$filter": f"uniqueName eq '{write.key}'",
            "$select": ",".join([*GROUP_FIELDS, "deletedDateTime"]),
            "$top": "999",
        }
        await self.pages("/directory/deletedItems/graph.group", params)  # the SDK's cast
        self.counts.graph_requests += 1
        response = await self.graph.patch(
            f"/groups(uniqueName='{write.key}')",
            json=write.body,
            headers={"Prefer": "create-if-missing"},
        )
        response.raise_for_status()

    async def process(self, message: Any) -> None:
        body = json.loads(message.content)
        tag = body["groupTag"]
        write = self.writes[tag]
        done = self.written.get(tag)
        if done is None:  # the tag's first message: its group is to be created
            done = self.written[tag] = asyncio.get_running_loop().create_future()
            groups = await self.find(write.key)
            if not groups:
                await self.create(write)
            done.set_result(None)
            status = "created" if not groups else "exists"
        else:
            await done
            groups = await self.find(write.key)
            status = "exists"
        answer = json.dumps(
            {"requestId": body.get("requestId"), "status": status, "key": write.key}
        )
        self.counts.sends += 1
        await self.io(self.results.send_message, answer)
        self.counts.deletes += 1
        await self.io(self.requests.delete_message, message.id, message.pop_receipt)

    def receive(self, count: int) -> list[Any]:
        pages = self.requests.receive_messages(
            messages_per_page=count, visibility_timeout=LEASE_SECONDS
        ).by_page()
        return list(next(pages, []))


async def _listen(floor: _Floor, expected: int, concurrency: Concurrency) -> int:
    """The runner's listen loop, as host.json configures it; returns the most in flight."""
    in_flight: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []
    done = 0
    most = 0

    def finished(task: asyncio.Task[None]) -> None:
        nonlocal done
        in_flight.discard(task)
        error = task.exception() if not task.cancelled() else asyncio.CancelledError()
        if error is None:
            done += 1
        else:
            failures.append(error)

    while done < expected:
        while len(in_flight) > concurrency.new_batch_threshold:
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        floor.counts.receives += 1
        messages = await floor.io(floor.receive, concurrency.batch_size)
        floor.counts.received += len(messages)
        for message in messages:
            task = asyncio.ensure_future(floor.process(message))
            in_flight.add(task)
            task.add_done_callback(finished)
        most = max(most, len(in_flight))
        if not messages:
            if in_flight:
                await asyncio.wait(
                    in_flight, timeout=EMPTY_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
            else:
                await asyncio.sleep(EMPTY_POLL_SECONDS)
        if failures:  # a floor that fails is no floor: stop, with the first error
            raise failures[0]
    return most


def run(
    connection_string: str,
    request_queue: str,
    result_queue: str,
    base_url: str,
    writes: dict[str, TagWrite],
    expected: int,
    concurrency: Concurrency | None = None,
    pool: concurrent.futures.ThreadPoolExecutor | None = None,
) -> FloorResult:
    """Drain ``expected`` messages already on ``request_queue``; timed from the first receive.

    ``pool``: the storage threads, when the caller keeps them (to read their CPU time)."""
    concurrency = concurrency or Concurrency.from_host_json()
    service = QueueServiceClient.from_connection_string(connection_string)
    own_pool = pool is None
    if pool is None:
        pool = storage_pool()
    try:
        results = service.get_queue_client(result_queue)
        results.create_queue()  # as the runner's output binding, before the clock

        async def main() -> FloorResult:
            headers = {"Authorization": f"Bearer {DEVELOPMENT_TOKEN}"}
            async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as graph:
                assert pool is not None
                floor = _Floor(
                    service.get_queue_client(request_queue), results, graph, writes, pool
                )
                started = time.perf_counter()
                most = await _listen(floor, expected, concurrency)
                return FloorResult(time.perf_counter() - started, floor.counts, most)

        return asyncio.run(main())
    finally:
        if own_pool:
            pool.shutdown(wait=True)
        service.close()


def storage_pool() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(STORAGE_THREADS, thread_name_prefix="floor")
