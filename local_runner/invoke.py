"""Call a user function the way the Python worker does.

The worker binds each parameter by name to a binding (the trigger, an output
binding as ``func.Out``, or ``context``), runs ``async def`` functions on its one
event loop and plain functions in a thread pool, and hands the output values
back only if the function returned normally. ``Worker`` owns that loop (in a
thread of its own, for the runner's whole life, so loop-bound objects an app
keeps between invocations keep working) and the pools.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import os
import threading
import traceback
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import azure.functions as func

from local_runner.codec import output_bodies
from local_runner.discovery import RETURN_BINDING, FunctionInfo

T = TypeVar("T")


class Out(func.Out[Any]):
    """The value holder the worker gives each output binding parameter."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


@dataclass(frozen=True)
class InvocationContext:
    """What a ``context`` parameter receives (the parts of ``func.Context`` the runner knows)."""

    invocation_id: str
    function_name: str
    function_directory: str
    thread_local_storage: threading.local = field(default_factory=threading.local)


@dataclass(frozen=True)
class InvocationResult:
    """A finished invocation: output bodies by binding name, or the error it raised."""

    invocation_id: str
    outputs: dict[str, list[bytes]]
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class Worker:
    """An event loop thread plus thread pools: one for user code, one for storage calls."""

    def __init__(self, max_threads: int | None = None) -> None:
        if max_threads is None:
            configured = os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT")
            max_threads = int(configured) if configured else None
        self._user_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_threads, thread_name_prefix="function"
        )
        self._io_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=32, thread_name_prefix="storage"
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="local-runner-loop", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the worker loop and wait for its result (from another thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def io(self, call: Callable[..., T], *args: Any) -> T:
        """Run a blocking storage call off the loop."""
        return await self.loop.run_in_executor(self._io_pool, functools.partial(call, *args))

    async def invoke(self, function: FunctionInfo, trigger_value: Any) -> InvocationResult:
        """Invoke the user function with its bindings; never raises for the function's errors."""
        invocation_id = str(uuid.uuid4())
        outs = {o.name: Out() for o in function.outputs if o.name != RETURN_BINDING}
        try:
            kwargs = _arguments(function, trigger_value, outs, invocation_id)
            returned = await self._call(function.user_function, kwargs)
            outputs = {name: output_bodies(out.get()) for name, out in outs.items()}
            if any(o.name == RETURN_BINDING for o in function.outputs):
                outputs[RETURN_BINDING] = output_bodies(returned)
        except Exception as e:
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            return InvocationResult(invocation_id, {}, detail)
        return InvocationResult(invocation_id, outputs)

    async def _call(self, user_function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(user_function):
            coro: Awaitable[Any] = user_function(**kwargs)
            return await coro
        return await self.loop.run_in_executor(
            self._user_pool, functools.partial(user_function, **kwargs)
        )

    def close(self) -> None:
        """Stop the loop and the pools (waits for running functions)."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self._user_pool.shutdown(wait=True)
        self._io_pool.shutdown(wait=True)
        self.loop.close()


def _arguments(
    function: FunctionInfo, trigger_value: Any, outs: dict[str, Out], invocation_id: str
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, parameter in inspect.signature(function.user_function).parameters.items():
        if name == function.trigger_name:
            kwargs[name] = _trigger_argument(trigger_value, parameter.annotation)
        elif name in outs:
            kwargs[name] = outs[name]
        elif name == "context":
            kwargs[name] = InvocationContext(invocation_id, function.name, os.getcwd())
    return kwargs


def _trigger_argument(value: Any, annotation: Any) -> Any:
    """A queue message as the annotation asks: str and bytes get the body, else a QueueMessage."""
    if isinstance(value, func.QueueMessage):
        if annotation is str or annotation == "str":
            return value.get_body().decode("utf-8")
        if annotation is bytes or annotation == "bytes":
            return value.get_body()
    return value
