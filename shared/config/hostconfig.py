"""The queue settings of host.json that the app's own code must agree with.

The host decides when a message is on its last delivery (``maxDequeueCount``) and how messages
are encoded (``messageEncoding``). The queue function writes its ``failed`` answer itself on the
last delivery, and the command line puts requests on the queue, so both read the same file the
host reads instead of repeating its numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HOST_JSON = Path(__file__).resolve().parent.parent / "host.json"


@dataclass(frozen=True)
class QueueHostSettings:
    max_dequeue_count: int = 5
    message_encoding: str = "base64"


def load_queue_settings(path: Path = HOST_JSON) -> QueueHostSettings:
    """host.json's ``extensions.queues``, with the host's defaults for what it leaves out."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return QueueHostSettings()
    queues = document.get("extensions", {}).get("queues", {})
    return QueueHostSettings(
        max_dequeue_count=int(queues.get("maxDequeueCount", 5)),
        message_encoding=str(queues.get("messageEncoding", "base64")).lower(),
    )
