"""The assignment ledger on real Azurite blobs: history merges, and locks that serialise writers."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from local_runner import Azurite
from shared.config.settings import StorageConnection
from shared.core.errors import LockBusyError, SettingsError, StorageError
from shared.core.model import LedgerEntry
from shared.storage.ledger import Ledger

T1, T2 = "2026-12-01T10:00:00+00:00", "2026-12-01T10:05:00+00:00"


@pytest.fixture
def ledger(azurite: Azurite) -> Ledger:
    connection = StorageConnection(connection_string=azurite.connection_string)
    return Ledger(connection, container=f"ledger-{uuid.uuid4().hex[:8]}", wait_seconds=0.5)


def test_an_unknown_target_has_no_history(ledger):
    assert asyncio.run(ledger.history("enrollmentStatusPage", "esp-1")) == {}


def test_what_was_seen_written_and_intended_is_kept_per_group(ledger):
    async def run() -> dict[str, LedgerEntry]:
        await ledger.record("enrollmentStatusPage", "esp-1", now=T1, intended=["a", "b"])
        await ledger.record("enrollmentStatusPage", "esp-1", now=T2, written=["a"], seen=["c"])
        return await ledger.history("enrollmentStatusPage", "esp-1")

    assert asyncio.run(run()) == {
        "a": LedgerEntry(seen=None, written=T2, intended=T1),
        "b": LedgerEntry(intended=T1),
        "c": LedgerEntry(seen=T2),
    }


def test_a_write_graph_refused_for_good_withdraws_its_intent_and_keeps_the_rest(ledger):
    async def run() -> dict[str, LedgerEntry]:
        await ledger.record("autopilotProfile", "p-1", now=T1, written=["a"], intended=["a", "b"])
        await ledger.record("autopilotProfile", "p-1", now=T2, refused=["a", "b"])
        return await ledger.history("autopilotProfile", "p-1")

    assert asyncio.run(run()) == {"a": LedgerEntry(written=T1), "b": LedgerEntry()}


def test_concurrent_records_from_many_writers_all_land(ledger):
    def write(group: str) -> None:
        asyncio.run(ledger.record("autopilotProfile", "p-1", now=T1, written=[group]))

    threads = [threading.Thread(target=write, args=(f"g{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    history = asyncio.run(ledger.history("autopilotProfile", "p-1"))
    assert sorted(history) == [f"g{i}" for i in range(8)]


def test_a_second_writer_waits_for_the_lock_and_gives_up_while_it_is_held(ledger):
    inside, order = asyncio.Event(), []

    async def first(release: asyncio.Event) -> None:
        async with ledger.lock("enrollmentStatusPage", "esp-1"):
            order.append("first in")
            inside.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        await inside.wait()
        with pytest.raises(LockBusyError, match="stayed taken"):
            async with ledger.lock("enrollmentStatusPage", "esp-1"):
                order.append("second in while held")  # never reached

    async def run() -> None:
        release = asyncio.Event()
        holder = asyncio.create_task(first(release))
        await second()
        release.set()
        await holder
        async with ledger.lock("enrollmentStatusPage", "esp-1"):  # free again once released
            order.append("third in")

    asyncio.run(run())
    assert order == ["first in", "first out", "third in"]


def test_locks_on_two_targets_do_not_block_each_other(ledger):
    async def run() -> bool:
        async with (
            ledger.lock("enrollmentStatusPage", "esp-1"),
            ledger.lock("enrollmentStatusPage", "esp-2"),
        ):
            return True

    assert asyncio.run(run())


def test_a_ledger_without_storage_says_what_it_needs():
    with pytest.raises(SettingsError, match="AzureWebJobsStorage: is not set, and assigning"):
        Ledger(None)


def test_an_unreachable_storage_account_is_a_storage_error_not_a_crash():
    unreachable = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    ledger = Ledger(StorageConnection(connection_string=unreachable), retries=0)
    with pytest.raises(StorageError, match="assignment ledger"):
        asyncio.run(ledger.history("autopilotProfile", "p-1"))
