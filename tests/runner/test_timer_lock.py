"""The host's timer lock: a timer function runs on one instance at a time, under a blob lease in
AzureWebJobsStorage, and another instance takes over when the holder stops."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import azure.functions as func
import pytest
from azure.storage.blob import BlobServiceClient

from local_runner import Azurite, ConfigurationError, LocalHost
from local_runner.azurite import connection_string_for
from local_runner.schedule import every
from local_runner.timer_lock import HOST_ID_SETTING, LOCK_CONTAINER, lock_blob_name, lock_options
from tests.runner.runner_storage import HOST_JSON, wait_for

# Blob leases last at least 15 s; the holder renews at half of that, and releases on stop.
SINGLETON = {"listenerLockPeriod": "00:00:15", "listenerLockRecoveryPollingInterval": 0.1}


def ticking_app(events: list[str], label: str) -> func.FunctionApp:
    """An app whose one timer, ``tick``, records ``label`` each time it fires."""
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *")
    def tick(timer: func.TimerRequest) -> None:
        events.append(label)

    return app


class Instance:
    """One runner serving the app in a thread, as one instance of the function app."""

    def __init__(self, azurite: Azurite, host_id: str, events: list[str], label: str) -> None:
        self.host = LocalHost(
            ticking_app(events, label),
            connection_string=azurite.connection_string,
            settings={HOST_ID_SETTING: host_id},
            host_json=HOST_JSON,
            schedule_parser=every(0.1),
            singleton=SINGLETON,
        )
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.host.serve, args=(self.stop_event,), daemon=True)

    def start(self) -> Instance:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.stop_event.is_set():
            return
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)
        self.host.close()


@pytest.fixture
def host_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def instances(azurite: Azurite) -> Iterator[list[Instance]]:
    started: list[Instance] = []
    yield started
    for instance in started:
        instance.stop()


def lease_state(azurite: Azurite, host_id: str) -> str:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    blob = service.get_blob_client(LOCK_CONTAINER, lock_blob_name(host_id, "tick"))
    return str(blob.get_blob_properties().lease.state)


def test_a_second_instance_never_fires_the_timer_while_the_first_holds_it_then_takes_over(
    azurite: Azurite, host_id: str, instances: list[Instance]
) -> None:
    events: list[str] = []
    first = Instance(azurite, host_id, events, "first").start()
    instances.append(first)
    wait_for(lambda: events.count("first") >= 2)
    second = Instance(azurite, host_id, events, "second").start()
    instances.append(second)
    wait_for(lambda: events.count("first") >= 5)

    first.stop()
    events.append("first stopped")
    wait_for(lambda: "second" in events)

    assert events.index("second") > events.index("first stopped")


def test_the_lock_is_a_lease_on_the_hosts_blob_while_the_timer_is_served(
    azurite: Azurite, host_id: str, instances: list[Instance]
) -> None:
    events: list[str] = []
    instance = Instance(azurite, host_id, events, "only").start()
    instances.append(instance)
    wait_for(lambda: "only" in events)

    assert lease_state(azurite, host_id) == "leased"
    instance.stop()
    assert lease_state(azurite, host_id) == "available"


def test_a_timer_fired_by_hand_takes_no_lock_as_the_hosts_run_now(
    azurite: Azurite, host_id: str, instances: list[Instance]
) -> None:
    events: list[str] = []
    serving = Instance(azurite, host_id, events, "serving").start()
    instances.append(serving)
    wait_for(lambda: "serving" in events)
    by_hand = Instance(azurite, host_id, events, "by hand")
    instances.append(by_hand)

    outcome = by_hand.host.fire_timer()

    assert outcome.status == "succeeded" and "by hand" in events


def test_the_lock_needs_the_blob_service_of_the_hosts_storage(azurite: Azurite) -> None:
    queues_only = connection_string_for(azurite.port)  # no BlobEndpoint
    with (
        LocalHost(ticking_app([], "x"), connection_string=queues_only, host_json=HOST_JSON) as host,
        pytest.raises(ConfigurationError, match="BlobEndpoint"),
    ):
        host.serve(threading.Event())


@pytest.mark.parametrize(
    ("singleton", "message"),
    [
        ({"listenerLockPeriod": "00:00:10"}, "listenerLockPeriod"),
        ({"listenerLockPeriod": "00:02:00"}, "listenerLockPeriod"),
        ({"listenerLockRecoveryPollingInterval": 0}, "listenerLockRecoveryPollingInterval"),
        ({"listenerLock": 30}, "listenerLock"),
    ],
)
def test_a_bad_singleton_option_names_itself(singleton: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        lock_options({"singleton": singleton})


def test_host_json_singleton_defaults_to_a_minute_each() -> None:
    options = lock_options({})

    assert (options.period, options.recovery_interval) == (60.0, 60.0)
