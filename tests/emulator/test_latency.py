"""A fixed latency per request, waited in each connection's own thread.

The waits go through an injected ``sleep``, so no test here measures wall-clock time: one
records what was waited, another makes two requests meet at a barrier inside their waits,
which they can only do if both are in flight at once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from emulator_helpers import TOKEN_HEADERS

from graph_emulator import Emulator


def test_every_request_waits_the_fixed_latency_once() -> None:
    waited: list[float] = []
    with Emulator(latency_seconds=0.25, sleep=waited.append) as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as client:
            statuses = [client.get("/groups").status_code for _ in range(3)]
        with httpx.Client(base_url=emulator.beta_url, headers=TOKEN_HEADERS) as beta:
            statuses.append(beta.get("/nothing").status_code)

    assert statuses == [200, 200, 200, 400]
    assert waited == [0.25] * 4  # per request, not per connection, on every route


def test_a_latency_fault_adds_to_the_fixed_latency_and_clear_keeps_the_latter() -> None:
    waited: list[float] = []
    with Emulator(latency_seconds=0.25, sleep=waited.append) as emulator:
        emulator.faults.script("latency", seconds=1.0)
        with httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as client:
            client.get("/groups")
            emulator.faults.clear()
            client.get("/groups")

    assert waited == [1.25, 0.25]


def test_without_latency_nothing_waits() -> None:
    waited: list[float] = []
    with Emulator(sleep=waited.append) as emulator:
        httpx.get(emulator.base_url + "/groups", headers=TOKEN_HEADERS)
    assert waited == []


def test_two_slow_requests_are_in_flight_at_the_same_time() -> None:
    # Each request's wait meets the other's at the barrier; were requests served one after
    # another, the first would wait alone until the barrier gave up and its answer was lost.
    barrier = threading.Barrier(2, timeout=5)

    def meet(_seconds: float) -> None:
        barrier.wait()

    with Emulator(latency_seconds=0.25, sleep=meet) as emulator:

        def get(path: str) -> int:
            with httpx.Client(base_url=emulator.base_url, headers=TOKEN_HEADERS) as client:
                return client.get(path).status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = list(pool.map(get, ["/groups", "/servicePrincipals/x"]))

    assert statuses == [200, 403]
    assert not barrier.broken
