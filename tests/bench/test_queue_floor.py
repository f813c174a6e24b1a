"""The queue's floor (``bench.queuefloor``) does what the runner and the app do, operation for
operation: the same Graph requests (method, path and query, as the emulator logged them), the same
queue operations per message, at host.json's concurrency, and the same answers. The app runs in
apply mode (``RUN_MODE``'s default is plan, which writes nothing and so is no measure of the
queue). No timings are asserted here: ``python -m bench`` measures them (BENCHMARKS.md section 5).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.core.pipeline.transport import AioHttpTransport, RequestsTransport
from azure.storage.queue import QueueServiceClient

from bench import queuefloor
from bench.queuebench import queue_documents, queued, serve_until
from graph_emulator import Emulator
from local_runner.queues import QueueStore
from local_runner.timer_lock import LOCK_CONTAINER
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


StorageRequest = tuple[str, str, str]  # method, queue or container, what in it


@pytest.fixture
def storage_requests(monkeypatch: pytest.MonkeyPatch) -> list[StorageRequest]:
    """Every storage request this process sends, at azure-core's transports (sync and async):
    the runner's, the app's own (a ledger, a report, a failed answer) and the floor's alike."""
    sent: list[StorageRequest] = []

    def note(request: Any) -> None:
        _, _, target, *rest = urlsplit(request.url).path.split("/")  # /account/target/...
        what = {0: "itself", 1: "its messages"}.get(len(rest), "one message or blob")
        sent.append((request.method, target, what))

    sync_send, async_send = RequestsTransport.send, AioHttpTransport.send

    def counted_sync(self: RequestsTransport, request: Any, **kwargs: Any) -> Any:
        note(request)
        return sync_send(self, request, **kwargs)

    async def counted_async(self: AioHttpTransport, request: Any, **kwargs: Any) -> Any:
        note(request)
        return await async_send(self, request, **kwargs)

    monkeypatch.setattr(RequestsTransport, "send", counted_sync)
    monkeypatch.setattr(AioHttpTransport, "send", counted_async)
    return sent


def message_operations(
    sent: list[StorageRequest], queues: dict[str, str]
) -> Counter[tuple[str, str, str]]:
    """The requests on the named queues' messages (by role), receives left out: how often each
    side polls an empty queue is timing, not work."""
    return Counter(
        (method, queues[target], what)
        for method, target, what in sent
        if target in queues and what != "itself" and (method, what) != ("GET", "its messages")
    )


def taken(service: QueueServiceClient, queue_name: str) -> list[dict[str, Any]]:
    """Every answer on a queue, taken off it: plain UTF-8 JSON (host.json messageEncoding
    "none")."""
    client = service.get_queue_client(queue_name)
    answers = []
    while batch := list(client.receive_messages(messages_per_page=32, max_messages=32)):
        for message in batch:
            answers.append(json.loads(message.content))
            client.delete_message(message)
    return answers


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


def graph_log(emulator: Emulator) -> Counter[tuple[str, str, tuple[tuple[str, str], ...], int]]:
    """Each Graph request as the emulator logged it, with the status it was answered."""
    return Counter(
        (r.method, r.path, tuple(sorted(parse_qsl(r.query))), r.status) for r in emulator.requests
    )


GROUP_FIELDS = (
    "uniqueName",
    "displayName",
    "description",
    "mailNickname",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
)


def groups_made(emulator: Emulator) -> list[tuple[str, ...]]:
    """What the writes left in the tenant, without what Graph assigns (ids, times)."""
    return sorted(tuple(str(g.get(name)) for name in GROUP_FIELDS) for g in emulator.groups())


def test_the_floor_sends_the_apps_graph_requests_and_queue_operations(
    azurite: Any,
    storage_calls: Counter[str],
    storage_requests: list[StorageRequest],
    two_tenants: tuple[Emulator, Emulator],
) -> None:
    app_tenant, floor_tenant = two_tenants
    documents = queue_documents(REQUESTS, TAGS)

    with QueueApp.start(azurite.connection_string, app_tenant.base_url, RUN_MODE="apply") as app:
        for document in documents:
            app.send(document)
        concurrency = (app.host.options.batch_size, app.host.options.new_batch_threshold)
        serving = len(storage_requests)
        _, outcomes = serve_until(app.host, REQUESTS, timeout=300)
        app_storage = storage_requests[serving:]
        app_queue_calls = Counter(storage_calls)
        app_queues = {
            app.request_queue: "requests",
            app.result_queue: "results",
            app.poison_queue: "poison",
        }
        app_answers = queued(app.service, app.result_queue)
        app_results = taken(app.service, app.result_queue)

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
        serving = len(storage_requests)
        floor = queuefloor.run(
            azurite.connection_string,
            requests.queue_name,
            result_queue,
            floor_tenant.base_url,
            writes,
            REQUESTS,
        )
        floor_storage = storage_requests[serving:]
        floor_queues = {requests.queue_name: "requests", result_queue: "results"}
        floor_answers = queued(service, result_queue)
        floor_results = taken(service, result_queue)

    assert [o.status for o in outcomes] == ["succeeded"] * REQUESTS
    # The same Graph requests, answered alike: one read per request, and per new tag the
    # adoptable groups (once per run), the recycle bin by key and the upsert, which leaves the
    # same groups.
    assert graph_log(floor_tenant) == graph_log(app_tenant)
    assert groups_made(floor_tenant) == groups_made(app_tenant)
    assert len(groups_made(app_tenant)) == TAGS
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
    # Counted at the transports, so the app's own storage requests are in too: per message, the
    # same requests on both sides (an answer sent, a message deleted), and no storage the app
    # keeps of its own (ledger, reports) is touched; besides its queues, the app's process
    # reaches only the host's lock container (the timer's listener lock, once, not per message).
    assert message_operations(app_storage, app_queues) == Counter(
        {
            ("POST", "results", "its messages"): REQUESTS,
            ("DELETE", "requests", "one message or blob"): REQUESTS,
        }
    )
    assert message_operations(floor_storage, floor_queues) == message_operations(
        app_storage, app_queues
    )
    assert {target for _, target, _ in app_storage} - set(app_queues) <= {LOCK_CONTAINER}
    assert {target for _, target, _ in floor_storage} <= set(floor_queues)
    # The same answers, each request's: created for a tag's first, exists for the rest, and the
    # app's written in apply mode.
    assert {a["mode"] for a in app_results} == {"apply"}
    app_statuses = {a["requestId"]: a["status"] for a in app_results}
    assert app_statuses == {a["requestId"]: a["status"] for a in floor_results}
    assert Counter(app_statuses.values()) == {"created": TAGS, "exists": REQUESTS - TAGS}
