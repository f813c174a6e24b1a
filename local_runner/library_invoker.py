"""The runner's invocations through Microsoft's library worker (Python 3.13+).

The worker does what it does under the host: it indexes the app (which gives the host the
functions' bindings), checks the functions' parameters, converts each trigger's ``TypedData``
into the function's argument (``TimerRequest``, ``QueueMessage``, ``str``...), runs the function
(``async def`` on the runner's loop, others in its own thread pool) and converts what the
function set on its outputs into ``TypedData``. The runner keeps the host's side: it turns
triggers into ``TypedData`` and outputs into queue messages (``typed_data.py``).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func

from local_runner.discovery import RETURN_BINDING, FunctionInfo, RawFunctions
from local_runner.errors import ConfigurationError
from local_runner.invoke import InvocationResult, Worker, error_text
from local_runner.library_worker import LibraryWorker
from local_runner.triggers import TimerFiring, Trigger
from local_runner.typed_data import message_bodies, queue_input, timer_input

# The worker's default script file (PYTHON_SCRIPT_FILE_NAME), imported by its module name.
SCRIPT_MODULE = "function_app"
_PRESENT_LOCK = threading.Lock()


class LibraryInvoker:
    """One app indexed and invoked by its own library worker."""

    kind = "library"

    def __init__(self, app: func.FunctionApp, worker: Worker) -> None:
        self.library = LibraryWorker()
        try:
            with _presented(app) as directory:
                functions = worker.run(self.library.index(directory))
        except BaseException:
            self.library.close()
            raise
        if not functions:
            self.library.close()
            raise ConfigurationError("the library worker indexed no function in the app")
        self.indexed: RawFunctions = {f.name: list(f.raw_bindings) for f in functions}
        self._ids = {f.name: f.function_id for f in functions}

    async def invoke(self, function: FunctionInfo, trigger: Trigger) -> InvocationResult:
        metadata: dict[str, Any] = {}
        if isinstance(trigger, TimerFiring):
            inputs = {function.trigger_name: timer_input(trigger)}
        else:
            body, metadata = queue_input(trigger)
            inputs = {function.trigger_name: body}
        answer = await self.library.invoke(self._ids[function.name], inputs, metadata)
        if not answer.succeeded:
            return InvocationResult(answer.invocation_id, {}, answer.error)
        try:
            outputs = {name: message_bodies(data) for name, data in answer.outputs.items()}
            if answer.return_value is not None:
                outputs[RETURN_BINDING] = message_bodies(answer.return_value)
        except (TypeError, ValueError) as e:
            return InvocationResult(answer.invocation_id, {}, error_text(e))
        return InvocationResult(answer.invocation_id, outputs)

    def close(self) -> None:
        self.library.close()


@contextlib.contextmanager
def _presented(app: func.FunctionApp) -> Iterator[Path]:
    """The app where the worker looks for it, while the worker indexes.

    The worker (1.3.0 loader, inferred from its source) checks that ``function_app.py`` exists in
    the function app directory, then imports the module ``function_app`` and takes the one
    ``FunctionApp`` it defines. The runner is handed the app already built (imported with its
    settings, or made in a test), so it registers a module of that name holding the app, and
    points the worker at a folder whose ``function_app.py`` is an empty placeholder.
    """
    with _PRESENT_LOCK, tempfile.TemporaryDirectory(prefix="function-app-") as folder:
        script = Path(folder) / f"{SCRIPT_MODULE}.py"
        script.write_text("# Placeholder: the local runner registers the app's module.\n")
        module = ModuleType(SCRIPT_MODULE)
        module.__file__ = str(script)
        module.app = app  # type: ignore[attr-defined]
        saved = sys.modules.get(SCRIPT_MODULE)
        sys.modules[SCRIPT_MODULE] = module
        try:
            yield Path(folder)
        finally:
            if saved is None:
                sys.modules.pop(SCRIPT_MODULE, None)
            else:
                sys.modules[SCRIPT_MODULE] = saved
