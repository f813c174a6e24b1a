"""5. Queue: scenario requests through the local runner and Azurite, beside their floor.

Each run starts one Azurite and puts 1,000 requests for 50 new tags through the app (the
function app under ``LocalHost.serve``, the runner's listener: up to host.json's batchSize +
newBatchThreshold in flight) and through the floor (``bench.queuefloor``: the same queue
operations and Graph requests with no app code), in turn (the order alternates run by run), each
on a fresh tenant of the one emulator process and on fresh queues.

Why one Azurite per run: Azurite's queue service sweeps its unreferenced extents (what deleted
messages leave) 60 s after it starts and every 60 s after that, and answers nothing meanwhile;
the sweep grows with the messages deleted before it (over a minute after 8,000). On one Azurite
for every run it lands in some run at random. A run's pair ends well before its Azurite's first
sweep; ``azuriteSeconds`` is its age at the end. Each side's queues are deleted after it, since
answers left on a queue make every later receive and delete slower in Azurite.

Besides wall time, each side records the CPU seconds of the three processes (this one, split
into its event-loop thread and its storage threads; the emulator's; Azurite's), from /proc.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench import queuefloor
from bench.emulator_proc import EmulatorProcess
from bench.measure import PAGE_SIZE, SEED, WRITE_METHODS, app_env

QUEUE_REQUESTS, QUEUE_TAGS = 1000, 50
SCENARIO = "user-driven"
TIMEOUT_SECONDS = 600


def queue_documents(requests: int, tags: int) -> list[dict[str, str]]:
    """The requests a ticketing system sends: ``tags`` new tags, taken in turn."""
    return [
        {
            "requestId": f"INC-{number:05d}",
            "scenario": SCENARIO,
            "groupTag": f"QUEUE{number % tags:02d}-UD",
        }
        for number in range(requests)
    ]


# --- CPU time, from /proc ----------------------------------------------------------------------


def _stat_seconds(path: str) -> float:
    with open(path, encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    return _stat_seconds(f"/proc/{pid}/stat")


def thread_cpu() -> dict[int, float]:
    """CPU seconds of each live thread of this process so far, by native id."""
    seconds = {}
    for task in os.listdir("/proc/self/task"):
        try:
            seconds[int(task)] = _stat_seconds(f"/proc/self/task/{task}/stat")
        except OSError:  # ended meanwhile
            continue
    return seconds


@dataclass(frozen=True)
class Processes:
    """The three processes a queue run keeps busy: this one, the emulator's and Azurite's."""

    emulator: int
    azurite: int

    def cpu(self) -> dict[str, float]:
        return {
            "bench": cpu_seconds(os.getpid()),
            "emulator": cpu_seconds(self.emulator),
            "azurite": cpu_seconds(self.azurite),
        }

    def since(self, before: dict[str, float]) -> dict[str, float]:
        return {name: value - before[name] for name, value in self.cpu().items()}


class CpuMeter:
    """CPU spent from ``start()`` to ``stop()``: by process, and this process's by thread
    group (its event-loop thread, its storage threads, the rest). Threads must still be alive
    at ``stop()``."""

    def __init__(self, processes: Processes, loop_thread: int, storage_prefix: str) -> None:
        self.processes = processes
        self.loop_thread = loop_thread
        self.storage_prefix = storage_prefix

    def start(self) -> None:
        self._threads, self._processes = thread_cpu(), self.processes.cpu()

    def stop(self) -> dict[str, float]:
        names = {t.native_id: t.name for t in threading.enumerate()}
        spent = self.processes.since(self._processes)
        for native_id, seconds in thread_cpu().items():
            if native_id == self.loop_thread:
                group = "loop"
            elif names.get(native_id, "").startswith(self.storage_prefix):
                group = "storage"
            else:
                group = "otherThreads"
            spent[group] = spent.get(group, 0.0) + seconds - self._threads.get(native_id, 0.0)
        return spent


def azurite_pid(azurite: Any) -> int:
    """Azurite's process id (one node process); the runner's ``Azurite`` keeps it private."""
    return int(azurite._process.pid)


def native_id_of(loop: Any) -> int:
    """The native id of the thread running ``loop``."""
    found: list[int] = []
    done = threading.Event()

    def note() -> None:
        found.append(threading.get_native_id())
        done.set()

    loop.call_soon_threadsafe(note)
    done.wait()
    return found[0]


# --- the two sides -----------------------------------------------------------------------------


def queued(service: Any, queue_name: str) -> int:
    """Messages on a queue (Azurite's count is exact when nothing else is using it)."""
    properties = service.get_queue_client(queue_name).get_queue_properties()
    return int(properties.approximate_message_count or 0)


def serve_until(host: Any, expected: int, timeout: float) -> tuple[float, list[Any]]:
    """Serve until ``expected`` outcomes are reported: seconds to the last, and the outcomes."""
    stop = threading.Event()
    outcomes: list[Any] = []
    finished = [0.0]

    def on_outcome(outcome: Any) -> None:
        outcomes.append(outcome)
        if len(outcomes) >= expected:
            finished[0] = time.perf_counter()
            stop.set()

    deadline = threading.Timer(timeout, stop.set)
    deadline.start()
    started = time.perf_counter()
    try:
        host.serve(stop, on_outcome)
    finally:
        deadline.cancel()
    if len(outcomes) < expected:
        raise RuntimeError(f"served {len(outcomes)} of {expected} messages in {timeout:.0f} s")
    return finished[0] - started, outcomes


Hook = Callable[[Any], Any] | None  # called with the side's event loop around the timed part


def _counts(emu: EmulatorProcess) -> dict[str, int]:
    log = emu.requests()
    return {
        "graphRequests": len(log),
        "graphWrites": sum(1 for r in log if r.method in WRITE_METHODS),
        "groupsCreated": sum(
            1 for g in emu.groups() if (g.get("uniqueName") or "").startswith("apg-")
        ),
    }


def app_side(
    emu: EmulatorProcess,
    connection: str,
    processes: Processes,
    requests: int = QUEUE_REQUESTS,
    tags: int = QUEUE_TAGS,
    profiler: Any = None,
) -> dict[str, Any]:
    """The app under ``LocalHost.serve``, timed from the start of serving to the last outcome.
    ``profiler`` (a ``cProfile.Profile``) runs on the runner's event-loop thread if given."""
    from tests.queue_app import QueueApp

    base_url = emu.load(1000, 0, SEED, page_size=PAGE_SIZE)  # no tag has a group yet
    env = app_env(base_url)
    env.pop("GRAPH_BASE_URL")
    with QueueApp.start(connection, base_url, **env) as app:
        for document in queue_documents(requests, tags):
            app.send(document)
        emu.clear_requests()
        loop = app.host._worker.loop  # the runner's one event loop, in a thread of its own
        meter = CpuMeter(processes, native_id_of(loop), "storage")
        gc.collect()
        meter.start()
        with on_loop(loop, profiler):
            seconds, outcomes = serve_until(app.host, requests, TIMEOUT_SECONDS)
        cpu = meter.stop()
        answers = queued(app.service, app.result_queue)
        for queue_name in (app.request_queue, app.poison_queue, app.result_queue):
            app.service.delete_queue(queue_name)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "invocations": len(outcomes),
        "succeeded": sum(1 for o in outcomes if o.status == "succeeded"),
        "answers": answers,
        **_counts(emu),
    }


@contextlib.contextmanager
def on_loop(loop: Any, profiler: Any) -> Iterator[None]:
    """Enable ``profiler`` on the thread running ``loop`` for the block (from inside it)."""

    def switch(on: bool) -> None:
        done = threading.Event()

        def flip() -> None:
            profiler.enable() if on else profiler.disable()
            done.set()

        loop.call_soon_threadsafe(flip)
        done.wait()

    if profiler is None:
        yield
        return
    switch(True)
    try:
        yield
    finally:
        switch(False)


def floor_side(
    emu: EmulatorProcess,
    connection: str,
    processes: Processes,
    requests: int = QUEUE_REQUESTS,
    tags: int = QUEUE_TAGS,
    profiler: Any = None,
) -> dict[str, Any]:
    """The floor on the same emulator, Azurite and message count (its loop runs on this
    thread, where ``profiler`` runs if given)."""
    from azure.storage.queue import QueueServiceClient

    base_url = emu.load(1000, 0, SEED, page_size=PAGE_SIZE)
    documents = queue_documents(requests, tags)
    writes = queuefloor.tag_writes(
        {d["groupTag"] for d in documents}, queuefloor.wanted_for(base_url), SCENARIO
    )
    token = uuid.uuid4().hex[:8]
    request_queue, result_queue = f"floor-requests-{token}", f"floor-results-{token}"
    with QueueServiceClient.from_connection_string(connection) as service:
        client = service.create_queue(request_queue)
        for document in documents:
            client.send_message(json.dumps(document))
        emu.clear_requests()
        pool = queuefloor.storage_pool()
        meter = CpuMeter(processes, threading.get_native_id(), "floor")
        gc.collect()
        meter.start()
        if profiler is not None:
            profiler.enable()
        try:
            result = queuefloor.run(
                connection, request_queue, result_queue, base_url, writes, requests, pool=pool
            )
        finally:
            if profiler is not None:
                profiler.disable()
        cpu = meter.stop()
        pool.shutdown(wait=True)
        answers = queued(service, result_queue)
        for queue_name in (request_queue, result_queue):
            service.delete_queue(queue_name)
    return {
        "seconds": result.seconds,
        "cpu": cpu,
        "maxInFlight": result.max_in_flight,
        "receives": result.counts.receives,
        "received": result.counts.received,
        "sends": result.counts.sends,
        "deletes": result.counts.deletes,
        "answers": answers,
        **_counts(emu),
    }


SIDES = {"app": app_side, "floor": floor_side}


def pair(
    emu: EmulatorProcess,
    run: int,
    requests: int = QUEUE_REQUESTS,
    tags: int = QUEUE_TAGS,
    profilers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The app and the floor on one fresh Azurite, in turn (the order alternates by ``run``)."""
    from local_runner import Azurite

    sample: dict[str, Any] = {"requests": requests, "tags": tags}
    with Azurite() as azurite:
        born = time.perf_counter()
        processes = Processes(emu.pid, azurite_pid(azurite))
        for who in ("app", "floor") if run % 2 == 0 else ("floor", "app"):
            profiler = (profilers or {}).get(who)
            side = SIDES[who]
            sample[who] = side(emu, azurite.connection_string, processes, requests, tags, profiler)
        sample["azuriteSeconds"] = time.perf_counter() - born
    return sample


def queue(
    emu: EmulatorProcess, runs: int, requests: int = QUEUE_REQUESTS, tags: int = QUEUE_TAGS
) -> list[dict[str, Any]]:
    """``runs`` pairs, each on an Azurite of its own."""
    return [pair(emu, run, requests, tags) for run in range(runs)]
