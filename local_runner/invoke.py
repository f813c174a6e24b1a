"""Where invocations run: the runner's event loop, and the worker that calls the functions.

``Worker`` owns one event loop (in a thread of its own, for the runner's whole life, so loop-bound
objects an app keeps between invocations keep working, as on the Python worker's one loop) and a
thread pool for storage calls. An ``Invoker`` turns a trigger into a call of the user function
and its outputs into message bodies, as a language worker does:

* ``InProcessInvoker`` (Python 3.11 and 3.12, where Microsoft has no library worker): the runner
  binds the parameters itself, as the worker does, from the app's ``func.FunctionApp``;
* ``LibraryInvoker`` (``library_invoker.py``, Python 3.13+): Microsoft's library worker
  ``azure_functions_runtime`` does it, from protocol messages.
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
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import azure.functions as func
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest

from local_runner.codec import output_bodies
from local_runner.discovery import (
    RETURN_BINDING,
    FunctionInfo,
    RawFunctions,
    index_in_process,
)
from local_runner.triggers import SCHEDULE, QueueDelivery, TimerFiring, Trigger

T = TypeVar("T")


@dataclass(frozen=True)
class InvocationResult:
    """A finished invocation: output bodies by binding name, or the error it raised."""

    invocation_id: str
    outputs: dict[str, list[bytes]]
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class Invoker(Protocol):
    """A language worker as the host sees it: what it indexed, and invocations."""

    kind: str

    @property
    def indexed(self) -> RawFunctions:
        """Each function's bindings as the worker sends them to the host, by name."""

    async def invoke(self, function: FunctionInfo, trigger: Trigger) -> InvocationResult:
        """Run the function; its errors come back in the result, never raised."""

    def close(self) -> None:
        """Release what the worker holds (its thread pool)."""


class Worker:
    """The runner's event loop thread, plus a thread pool for blocking storage calls."""

    def __init__(self) -> None:
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

    def close(self) -> None:
        """Stop the loop and the pool."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self._io_pool.shutdown(wait=True)
        self.loop.close()


def error_text(error: BaseException) -> str:
    """An invocation error as the worker reports it: ``Type: message``."""
    return "".join(traceback.format_exception_only(type(error), error)).strip()


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


class InProcessInvoker:
    """Calls the app's Python functions directly, binding parameters as the Python worker does.

    ``async def`` functions run on the runner's loop, others in a thread pool sized by
    ``PYTHON_THREADPOOL_THREAD_COUNT``, as in the worker.
    """

    kind = "in-process"

    def __init__(self, app: func.FunctionApp, loop: asyncio.AbstractEventLoop) -> None:
        app_functions = app.get_functions()
        self.indexed: RawFunctions = index_in_process(app_functions)
        self._functions: dict[str, Callable[..., Any]] = {
            str(fn.get_function_name()): fn.get_user_function() for fn in app_functions
        }
        self._loop = loop
        configured = os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT")
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=int(configured) if configured else None, thread_name_prefix="function"
        )

    async def invoke(self, function: FunctionInfo, trigger: Trigger) -> InvocationResult:
        invocation_id = str(uuid.uuid4())
        user_function = self._functions[function.name]
        outs = {o.name: Out() for o in function.outputs if o.name != RETURN_BINDING}
        try:
            kwargs = _arguments(function, user_function, trigger, outs, invocation_id)
            returned = await self._call(user_function, kwargs)
            outputs = {name: output_bodies(out.get()) for name, out in outs.items()}
            if any(o.name == RETURN_BINDING for o in function.outputs):
                outputs[RETURN_BINDING] = output_bodies(returned)
        except Exception as e:
            return InvocationResult(invocation_id, {}, error_text(e))
        return InvocationResult(invocation_id, outputs)

    async def _call(self, user_function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(user_function):
            coro: Awaitable[Any] = user_function(**kwargs)
            return await coro
        return await self._loop.run_in_executor(
            self._pool, functools.partial(user_function, **kwargs)
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _arguments(
    function: FunctionInfo,
    user_function: Callable[..., Any],
    trigger: Trigger,
    outs: Mapping[str, Out],
    invocation_id: str,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, parameter in inspect.signature(user_function).parameters.items():
        if name == function.trigger_name:
            kwargs[name] = _trigger_argument(trigger, parameter.annotation)
        elif name in outs:
            kwargs[name] = outs[name]
        elif name == "context":
            kwargs[name] = InvocationContext(invocation_id, function.name, os.getcwd())
    return kwargs


def _trigger_argument(trigger: Trigger, annotation: Any) -> Any:
    """As the worker's converters: a queue message as str or bytes if so annotated, else a
    ``QueueMessage``; a timer firing as a ``TimerRequest``."""
    if isinstance(trigger, TimerFiring):
        return TimerRequest(
            past_due=trigger.past_due,
            schedule_status=trigger.schedule_status or {},
            schedule=dict(SCHEDULE),
        )
    if annotation is str or annotation == "str":
        return trigger.body.decode("utf-8")
    if annotation is bytes or annotation == "bytes":
        return trigger.body
    return _queue_message(trigger)


def _queue_message(delivery: QueueDelivery) -> QueueMessage:
    message = delivery.message
    return QueueMessage(  # type: ignore[no-untyped-call]
        id=message.id,
        body=delivery.body,
        dequeue_count=message.dequeue_count,
        expiration_time=message.expires_on,
        insertion_time=message.inserted_on,
        time_next_visible=message.next_visible_on,
        pop_receipt=message.pop_receipt,
    )
