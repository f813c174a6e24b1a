"""The queue's floor (``bench.queuefloor``) does what the runner and the app do, operation for
operation: the same Graph requests (method, path and query, as the emulator logged them) and the
same queue operations per message, at host.json's concurrency. No timings are asserted here:
``python -m bench`` measures them (BENCHMARKS.md section 5).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from azure.storage.queue import QueueServiceClient

from bench import queuefloor
from bench.queuebench import queue_documents, queued, serve_until
from graph_emulator import Emulator
from local_runner.queues import QueueStore
from tests.builders import empty_tenant
from tests.queue_app import QueueApp

REQUESTS, TAGS = 120, 12  # several batches, a write per tag, more than 24 in flight could take


@pytest.fixture
def storage_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The runner's queue operations, counted at its storage boundary (``QueueStore``)."""
    calls: Counter[str] = Counter()

    def counted(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: QueueStore, *args: Any) -> Any:
            result = call(self, *args)
            calls[name] += 1
            if name == "receive":
                calls["received"] += len(result)
                calls["largest batch"] = max(calls["largest batch"], len(result))
            return result

        return wrapper

    for name in ("receive", "send", "delete", "set_visibility"):
        monkeypatch.setattr(QueueStore, name, counted(name, getattr(QueueStore, name)))
    return calls


@pytest.fixture
def azurite() -> Iterator[Any]:
    """An Azurite of this test's own, not the session's: Azurite's queue sweep, 60 s after it
    starts and every 60 s after, holds every request while it runs, for longer the more messages
    earlier tests left; this test ends long before its Azurite's first sweep."""
    from local_runner.azurite import Azurite

    with Azurite() as instance:
        yield instance


@pytest.fixture
def two_tenants() -> Iterator[tuple[Emulator, Emulator]]:
    """One empty tenant for the app, one for the floor."""
    with Emulator(tenant=empty_tenant()) as app, Emulator(tenant=empty_tenant()) as floor:
        yield app, floor


def graph_log(emulator: Emulator) -> Counter[tuple[str, str, tuple[tuple[str, str], ...]]]:
    return Counter((r.method, r.path, tuple(sorted(parse_qsl(r.query)))) for r in emulator.requests)


def test_the_floor_sends_the_apps_graph_requests_and_queue_operations(
    azurite: Any, storage_calls: Counter[str], two_tenants: tuple[Emulator, Emulator]
) -> None:
    app_tenant, floor_tenant = two_tenants
    documents = queue_documents(REQUESTS, TAGS)

    with QueueApp.start(azurite.connection_string, app_tenant.base_url) as app:
        for document in documents:
            app.send(document)
        concurrency = (app.host.options.batch_size, app.host.options.new_batch_threshold)
        _, outcomes = serve_until(app.host, REQUESTS, timeout=300)
        app_answers = queued(app.service, app.result_queue)
        app_queue_calls = Counter(storage_calls)

    writes = queuefloor.tag_writes(
        {d["groupTag"] for d in documents},
        queuefloor.wanted_for(floor_tenant.base_url),
        "user-driven",
    )
    with QueueServiceClient.from_connection_string(azurite.connection_string) as service:
        requests = service.create_queue(f"floor-requests-{app.request_queue}")
        for document in documents:
            requests.send_message(json.dumps(document))
        result_queue = f"floor-results-{app.request_queue}"
        floor = queuefloor.run(
            azurite.connection_string,
            requests.queue_name,
            result_queue,
            floor_tenant.base_url,
            writes,
            REQUESTS,
        )
        floor_answers = queued(service, result_queue)

    assert [o.status for o in outcomes] == ["succeeded"] * REQUESTS
    # The same Graph requests: one read per request, and per new tag the adoptable groups (once
    # per run), the recycle bin by key and the upsert.
    assert graph_log(floor_tenant) == graph_log(app_tenant)
    assert len(app_tenant.requests) == REQUESTS + 1 + 2 * TAGS
    assert floor.counts.graph_requests == len(floor_tenant.requests)
    # The same queue operations: every message received once, answered once and deleted once,
    # in batches of at most batchSize, with no lease renewal on either side.
    assert concurrency == (
        queuefloor.Concurrency.from_host_json().batch_size,
        queuefloor.Concurrency.from_host_json().new_batch_threshold,
    )
    assert app_queue_calls["received"] == floor.counts.received == REQUESTS
    assert app_queue_calls["send"] == floor.counts.sends == REQUESTS
    assert app_queue_calls["delete"] == floor.counts.deletes == REQUESTS
    assert app_queue_calls["set_visibility"] == 0
    assert app_answers == floor_answers == REQUESTS
    assert app_queue_calls["largest batch"] <= concurrency[0]
    assert floor.max_in_flight <= sum(concurrency)
