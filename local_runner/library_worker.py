"""Microsoft's library worker, ``azure_functions_runtime``, driven as the host's proxy worker does.

On Python 3.13 and later the Functions host starts a thin proxy worker that receives the host's
gRPC messages and hands each one to the library worker: ``worker_init_request`` (which indexes
``function_app.py``), ``functions_metadata_request``, ``function_load_request`` and
``invocation_request``, each a coroutine taking an object with ``.request`` (the
``StreamingMessage``) and ``.properties`` (on init: ``{"protos": <messages>, "host": ...}``),
after ``start_threadpool_executor()``. ``LibraryWorker`` plays that proxy: it builds the messages
(``protocol.py``), awaits the worker's answers, and reports them as plain data.

The worker keeps its state (the functions it indexed, the message module) in module globals: on
Azure there is one worker process per instance. Here several apps may live in one process (a test
that runs two instances), so each ``LibraryWorker`` imports a private copy of the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local_runner.errors import ConfigurationError, RunnerError
from local_runner.protocol import protos

RUNTIME = "azure_functions_runtime"
# The worker's host address property; used only for HTTP streaming, which these apps do not use.
_HOST = "127.0.0.1"
_IMPORT_LOCK = threading.Lock()


def available() -> bool:
    """Whether the library worker is installed (it is only published for Python 3.13+)."""
    return importlib.util.find_spec(RUNTIME) is not None


@dataclass(frozen=True)
class WorkerRequest:
    """What the proxy worker passes to each of the library worker's entry points."""

    request: Any
    properties: dict[str, Any] | None = None


@dataclass(frozen=True)
class IndexedFunction:
    """One function as the worker's indexing described it to the host."""

    name: str
    function_id: str
    raw_bindings: tuple[dict[str, Any], ...]
    # binding name -> (type, direction name: "in", "out" or "inout"), from BindingInfo
    bindings: dict[str, tuple[str, str]]
    properties: dict[str, str]
    metadata: Any = field(repr=False, compare=False)  # the RpcFunctionMetadata message


@dataclass(frozen=True)
class WorkerInvocation:
    """The worker's answer to one invocation: outputs as ``TypedData`` messages, or its error."""

    invocation_id: str
    succeeded: bool
    error: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    return_value: Any | None = None


class LibraryWorker:
    """One library worker (a private copy of ``azure_functions_runtime``) and its thread pool."""

    def __init__(self) -> None:
        if not available():
            raise RunnerError(
                f"{RUNTIME} is not installed: it exists for Python 3.13+ "
                "(requirements.txt installs it there)"
            )
        self.protos = protos()
        self.runtime = _private_copy()
        self.version: str = self.runtime.version.VERSION
        self.runtime.start_threadpool_executor()

    async def index(self, directory: Path) -> list[IndexedFunction]:
        """What the host does at start: ``init`` (the worker indexes ``directory``'s
        ``function_app.py``), ``metadata``, then ``load`` for each function. A failure raises
        ``ConfigurationError`` with the worker's message, as the host would not start the app."""
        _check(await self.init(directory), f"the worker could not index {directory}")
        functions = await self.metadata(directory)
        for function in functions:
            _check(await self.load(function), f"the worker could not load {function.name}")
        return functions

    async def init(self, directory: Path) -> Any:
        """``WorkerInitRequest``: the worker loads its bindings and indexes the app. Returns the
        ``StatusResult``."""
        p = self.protos
        response = await self.runtime.worker_init_request(
            WorkerRequest(
                p.StreamingMessage(
                    worker_init_request=p.WorkerInitRequest(
                        function_app_directory=str(directory), worker_directory=str(directory)
                    )
                ),
                {"protos": p, "host": _HOST},
            )
        )
        return response.result

    async def metadata(self, directory: Path) -> list[IndexedFunction]:
        """``FunctionsMetadataRequest``: the functions the worker indexed at init."""
        p = self.protos
        response = await self.runtime.functions_metadata_request(
            WorkerRequest(
                p.StreamingMessage(
                    functions_metadata_request=p.FunctionsMetadataRequest(
                        function_app_directory=str(directory)
                    )
                )
            )
        )
        _check(response.result, "the worker's function metadata")
        return [_indexed(p, entry) for entry in response.function_metadata_results]

    async def load(self, function: IndexedFunction) -> Any:
        """``FunctionLoadRequest`` for one indexed function. Returns the ``StatusResult``."""
        p = self.protos
        response = await self.runtime.function_load_request(
            WorkerRequest(
                p.StreamingMessage(
                    function_load_request=p.FunctionLoadRequest(
                        function_id=function.function_id, metadata=function.metadata
                    )
                )
            )
        )
        return response.result

    async def invoke(
        self,
        function_id: str,
        inputs: Mapping[str, Any],
        trigger_metadata: Mapping[str, Any],
        invocation_id: str | None = None,
    ) -> WorkerInvocation:
        """Send one ``InvocationRequest``; ``inputs`` and ``trigger_metadata`` map names to
        ``TypedData``. The function's own errors come back in the result."""
        p = self.protos
        invocation_id = invocation_id or str(uuid.uuid4())
        request = p.InvocationRequest(
            invocation_id=invocation_id,
            function_id=function_id,
            input_data=[p.ParameterBinding(name=name, data=data) for name, data in inputs.items()],
            trigger_metadata=dict(trigger_metadata),
        )
        response = await self.runtime.invocation_request(
            WorkerRequest(p.StreamingMessage(invocation_request=request))
        )
        if response.result.status != p.StatusResult.Success:
            return WorkerInvocation(invocation_id, False, _error(response.result))
        outputs = {binding.name: binding.data for binding in response.output_data}
        return_value = response.return_value if response.HasField("return_value") else None
        return WorkerInvocation(invocation_id, True, None, outputs, return_value)

    def close(self) -> None:
        """Stop the worker's thread pool (waits for running functions), as the proxy does."""
        self.runtime.stop_threadpool_executor()


def _private_copy() -> ModuleType:
    """A fresh import of the worker package whose module globals belong to the caller.

    The package is imported with its modules taken out of ``sys.modules`` and put back after, so
    an earlier copy (or the one a test imported) is left as it was. The worker imports nothing of
    its own lazily (1.3.0), so each copy keeps using its own modules.
    """
    with _IMPORT_LOCK:
        saved = _take_runtime_modules()
        try:
            return importlib.import_module(RUNTIME)
        finally:
            _take_runtime_modules()
            sys.modules.update(saved)


def _take_runtime_modules() -> dict[str, ModuleType]:
    names = [n for n in sys.modules if n == RUNTIME or n.startswith(f"{RUNTIME}.")]
    return {name: sys.modules.pop(name) for name in names}


def _indexed(p: ModuleType, entry: Any) -> IndexedFunction:
    directions = {value: name for name, value in p.BindingInfo.Direction.items()}
    return IndexedFunction(
        name=entry.name,
        function_id=entry.function_id,
        raw_bindings=tuple(json.loads(raw) for raw in entry.raw_bindings),
        bindings={
            name: (info.type, directions[info.direction]) for name, info in entry.bindings.items()
        },
        properties=dict(entry.properties),
        metadata=entry,
    )


def _error(result: Any) -> str:
    return str(result.exception.message or result.result or "the worker reported a failure")


def _check(result: Any, what: str) -> None:
    if result.status != protos().StatusResult.Success:
        raise ConfigurationError(f"{what}: {_error(result)}")
