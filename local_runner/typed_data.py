"""The host's side of the protocol's data: triggers into ``TypedData``, outputs back into messages.

What the host sends for these triggers is inferred from the worker's converters
(``azure.functions`` ``TimerRequestConverter``, ``QueueMessageInConverter``) and the timer and
queue extensions' binding data; it was not captured from a live host:

* a timer: ``json`` of the timer info, ``{"Schedule": {...}, "ScheduleStatus": {"Last", "Next",
  "LastUpdated"} or null, "IsPastDue": bool}``;
* a queue message: its body as ``string``; trigger metadata ``Id`` and ``PopReceipt`` as
  ``string``, ``DequeueCount`` as ``json`` (a number), ``InsertionTime``, ``ExpirationTime`` and
  ``NextVisibleTime`` as ``json`` (ISO 8601 strings). A body that is not UTF-8 goes as ``bytes``:
  what the host does there is not documented (older hosts failed the binding), and ``bytes``
  keeps the body unchanged for the function, as the in-process path does.

Outputs come back as ``TypedData`` on ``InvocationResponse.output_data`` (and ``return_value``
for ``$return``). As the host's queue output binding: ``string`` or ``bytes`` is one message; a
``json`` array is one message per element (a string element as its text, anything else as its
JSON); any other ``json`` is one message holding that JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from local_runner.protocol import protos
from local_runner.triggers import SCHEDULE, QueueDelivery, TimerFiring


def timer_input(firing: TimerFiring) -> Any:
    """The ``TypedData`` a timer trigger parameter receives."""
    info = {
        "Schedule": SCHEDULE,
        "ScheduleStatus": firing.schedule_status,
        "IsPastDue": firing.past_due,
    }
    return protos().TypedData(json=json.dumps(info))


def queue_input(delivery: QueueDelivery) -> tuple[Any, dict[str, Any]]:
    """The ``TypedData`` of a queue message body, and the trigger metadata sent with it."""
    p = protos()
    message = delivery.message
    try:
        body = p.TypedData(string=delivery.body.decode("utf-8"))
    except UnicodeDecodeError:
        body = p.TypedData(bytes=delivery.body)
    metadata = {
        "Id": p.TypedData(string=message.id),
        "PopReceipt": p.TypedData(string=message.pop_receipt),
        "DequeueCount": p.TypedData(json=json.dumps(message.dequeue_count)),
    }
    times = {
        "InsertionTime": message.inserted_on,
        "ExpirationTime": message.expires_on,
        "NextVisibleTime": message.next_visible_on,
    }
    for name, moment in times.items():
        if moment is not None:
            metadata[name] = p.TypedData(json=json.dumps(_iso(moment)))
    return body, metadata


def message_bodies(data: Any) -> list[bytes]:
    """The queue messages one output ``TypedData`` stands for."""
    kind = data.WhichOneof("data")
    if kind is None:
        return []
    if kind == "string":
        return [str(data.string).encode("utf-8")]
    if kind == "bytes":
        return [bytes(data.bytes)]
    if kind == "json":
        value = json.loads(data.json)
        if isinstance(value, list):
            return [_element_body(item) for item in value]
        return [str(data.json).encode("utf-8")]
    raise TypeError(f"a queue output of TypedData kind {kind!r} is not emulated")


def _element_body(item: Any) -> bytes:
    text = item if isinstance(item, str) else json.dumps(item)
    return text.encode("utf-8")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
