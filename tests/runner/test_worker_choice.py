"""Which language worker the runner uses, and what Microsoft's worker refuses that the runner's
in-process one would have let through."""

from __future__ import annotations

import sys

import azure.functions as func
import pytest

from local_runner import Azurite, ConfigurationError, LocalHost
from tests.builders import needs_library_worker
from tests.runner.runner_storage import HOST_JSON

ON_313 = sys.version_info >= (3, 13)


def queue_app() -> func.FunctionApp:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="in-q", connection="AzureWebJobsStorage")
    def handle(msg: func.QueueMessage) -> None: ...

    return app


def host_for(app: func.FunctionApp, azurite: Azurite, **kwargs: object) -> LocalHost:
    return LocalHost(
        app, connection_string=azurite.connection_string, host_json=HOST_JSON, **kwargs
    )


def test_the_runner_uses_microsofts_library_worker_on_3_13_and_its_own_below(
    azurite: Azurite,
) -> None:
    with host_for(queue_app(), azurite) as host:
        assert host.worker == ("library" if ON_313 else "in-process")


@needs_library_worker
def test_the_in_process_worker_can_still_be_chosen_on_3_13(azurite: Azurite) -> None:
    with host_for(queue_app(), azurite, worker="in-process") as host:
        assert host.worker == "in-process"


@needs_library_worker
def test_the_library_worker_refuses_a_parameter_that_names_no_binding_at_start(
    azurite: Azurite,
) -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="in-q", connection="AzureWebJobsStorage")
    def handle(msg: func.QueueMessage, extra: str) -> None: ...

    with pytest.raises(ConfigurationError, match="extra"):
        host_for(app, azurite)


@needs_library_worker
def test_the_library_worker_refuses_an_output_annotated_with_a_builtin_generic(
    azurite: Azurite,
) -> None:
    """Out[list[str]] is refused by Microsoft's worker 1.3.0 ("invalid non-type annotation"),
    though the in-process worker accepts it: the reason the runner uses the real one."""
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="in-q", connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="out", queue_name="out-q", connection="AzureWebJobsStorage")
    def fan(msg: func.QueueMessage, out: func.Out[list[str]]) -> None: ...

    with pytest.raises(ConfigurationError, match="invalid non-type annotation"):
        host_for(app, azurite)
