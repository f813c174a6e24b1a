"""What the host does with one queue message, from receipt to delete, release or poison.

It follows the storage queues extension's ``QueueListener`` and ``QueueProcessor``:

* a text that cannot be decoded per ``messageEncoding`` goes to the poison queue
  at once, unchanged and without an invocation (the extension's
  ``MessageDecodingFailed`` handler);
* a message already dequeued more than ``maxDequeueCount`` times goes to the
  poison queue without an invocation (``BeginProcessingMessageAsync``);
* while the function runs the message stays leased, renewed at half-time;
* success: the outputs are written (encoded per ``messageEncoding``), then the
  message is deleted;
* failure: outputs are discarded; at ``dequeue_count >= maxDequeueCount`` the
  message is copied to ``<queue>-poison`` and deleted, otherwise it is made
  visible again after ``visibilityTimeout``. A queue with no poison queue (its
  name ends in ``-poison``) keeps a failed message invisible until its lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from local_runner.codec import MessageDecodingError, decode_body, encode_body
from local_runner.discovery import FunctionInfo
from local_runner.invoke import InvocationResult, Invoker, Worker
from local_runner.outcome import InvocationOutcome, Status
from local_runner.queues import QueueStore, ReceivedMessage
from local_runner.settings import QueueOptions
from local_runner.triggers import QueueDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoundFunction:
    """A function with the stores (storage accounts) its trigger and outputs use."""

    info: FunctionInfo
    trigger_store: QueueStore | None
    output_stores: Mapping[str, QueueStore]

    @property
    def queue(self) -> str:
        """The trigger queue (queue-triggered functions only)."""
        assert self.info.queue_name is not None
        return self.info.queue_name

    @property
    def store(self) -> QueueStore:
        """The trigger queue's store (queue-triggered functions only)."""
        assert self.trigger_store is not None
        return self.trigger_store


class _Lease:
    """The pop receipt of a held message; renewing the lease changes it."""

    def __init__(self, receipt: str) -> None:
        self.receipt = receipt


class MessageProcessor:
    """Processes received messages for the queue-triggered functions of one runner."""

    def __init__(
        self,
        worker: Worker,
        invoker: Invoker,
        options: QueueOptions,
        lease_seconds: float,
        notify: Callable[[str], None] = lambda queue: None,
    ) -> None:
        self._worker = worker
        self._invoker = invoker
        self._options = options
        self.lease_seconds = lease_seconds
        self._notify = notify

    async def process(self, fn: BoundFunction, message: ReceivedMessage) -> InvocationOutcome:
        """Handle one received message to the end; returns what happened."""
        try:
            body = decode_body(message.text, self._options.message_encoding)
        except MessageDecodingError as e:
            log.warning(
                "Message decoding has failed! Check MessageEncoding settings. MessageId=%s.",
                message.id,
            )
            return await self._poison(fn, message, message.text, None, f"{e}", invoked=False)

        if message.dequeue_count > self._options.max_dequeue_count:
            error = (
                f"dequeue count {message.dequeue_count} is past maxDequeueCount "
                f"{self._options.max_dequeue_count}"
            )
            return await self._poison(fn, message, None, body, error, invoked=False)

        lease = _Lease(message.pop_receipt)
        renewal = asyncio.ensure_future(self._keep_leased(fn, message, lease))
        try:
            result = await self._invoker.invoke(fn.info, QueueDelivery(message, body))
            if result.succeeded:
                result = await self.write_outputs(fn, result)
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

        if result.succeeded:
            await self._worker.io(fn.store.delete, message, lease.receipt)
            return self._logged(fn, message, "succeeded", None, _texts(result.outputs))
        return await self._fail(fn, message, body, lease, result.error)

    async def _fail(
        self,
        fn: BoundFunction,
        message: ReceivedMessage,
        body: bytes,
        lease: _Lease,
        error: str | None,
    ) -> InvocationOutcome:
        if fn.info.poison_queue_name is None:
            return self._logged(fn, message, "failed", error, {})
        if message.dequeue_count >= self._options.max_dequeue_count:
            return await self._poison(fn, message, None, body, error, receipt=lease.receipt)
        await self._worker.io(
            fn.store.set_visibility,
            message,
            lease.receipt,
            self._options.visibility_timeout,
        )
        return self._logged(fn, message, "failed", error, {})

    async def _poison(
        self,
        fn: BoundFunction,
        message: ReceivedMessage,
        raw_text: str | None,
        body: bytes | None,
        error: str | None,
        *,
        invoked: bool = True,
        receipt: str | None = None,
    ) -> InvocationOutcome:
        poison = fn.info.poison_queue_name
        if poison is None:
            return self._logged(fn, message, "failed", error, {}, invoked=invoked)
        # A decoded message is re-encoded like any message the host writes; an
        # undecodable one is copied as it was (the host uses a non-encoding client).
        if raw_text is not None:
            text = raw_text
        else:
            assert body is not None
            text = encode_body(body, self._options.message_encoding)
        log.warning(
            "Message has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
            self._options.max_dequeue_count,
            poison,
        )
        await self._worker.io(fn.store.send, poison, text)
        await self._worker.io(fn.store.delete, message, receipt)
        self._notify(poison)
        return self._logged(fn, message, "poisoned", error, {}, invoked=invoked)

    async def write_outputs(self, fn: BoundFunction, result: InvocationResult) -> InvocationResult:
        """Write every output; a failed write fails the invocation, as a binding flush does."""
        try:
            for output in fn.info.outputs:
                store = fn.output_stores[output.name]
                for body in result.outputs.get(output.name, []):
                    text = encode_body(body, self._options.message_encoding)
                    await self._worker.io(store.send, output.queue_name, text)
                if result.outputs.get(output.name):
                    self._notify(output.queue_name)
        except Exception as e:
            return InvocationResult(result.invocation_id, {}, f"writing outputs failed: {e!r}")
        return result

    async def _keep_leased(
        self, fn: BoundFunction, message: ReceivedMessage, lease: _Lease
    ) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 2)
            try:
                lease.receipt = await self._worker.io(
                    fn.store.set_visibility, message, lease.receipt, self.lease_seconds
                )
            except Exception:
                # As the host: a lost lease is logged; the invocation goes on regardless.
                log.warning("lease: could not renew %s on %s", message.id, message.queue)
                return
            log.debug("lease: renewed %s on %s", message.id, message.queue)

    def _logged(
        self,
        fn: BoundFunction,
        message: ReceivedMessage,
        status: Status,
        error: str | None,
        outputs: dict[str, list[str]],
        *,
        invoked: bool = True,
    ) -> InvocationOutcome:
        outcome = InvocationOutcome(
            function=fn.info.name,
            message_id=message.id,
            dequeue_count=message.dequeue_count,
            status=status,
            error=error,
            outputs=outputs,
            invoked=invoked,
        )
        level = logging.INFO if status == "succeeded" else logging.WARNING
        log.log(
            level,
            "invoke: %s message %s dequeue %d -> %s%s",
            fn.info.name,
            message.id,
            message.dequeue_count,
            status,
            f" ({error})" if error else "",
        )
        return outcome


def _texts(outputs: Mapping[str, list[bytes]]) -> dict[str, list[str]]:
    return {
        name: [b.decode("utf-8", errors="replace") for b in bodies]
        for name, bodies in outputs.items()
    }
