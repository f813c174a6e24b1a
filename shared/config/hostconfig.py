"""The queue settings of host.json that the app's own code must agree with.

The host decides when a message is on its last delivery (``maxDequeueCount``) and how messages
are encoded (``messageEncoding``). The queue function writes its ``failed`` answer itself on the
last delivery, and the command line puts requests on the queue, so both read the same file the
host reads instead of repeating its numbers. It lies beside ``function_app.py`` at the root of
the app; a missing or unreadable one stops the app at start, since the host's defaults would
then silently differ from what the app believes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from shared.core.errors import SettingsError

HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"
ENCODINGS = ("base64", "none")


@dataclass(frozen=True)
class QueueHostSettings:
    max_dequeue_count: int = 5
    message_encoding: str = "base64"


def load_queue_settings(path: Path = HOST_JSON) -> QueueHostSettings:
    """host.json's ``extensions.queues``, with the host's defaults for what it leaves out."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SettingsError("host.json", f"{path} cannot be read: {error}") from error
    queues = (document.get("extensions") or {}).get("queues") or {}
    count, encoding = queues.get("maxDequeueCount", 5), queues.get("messageEncoding", "base64")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise SettingsError("host.json", f"extensions.queues.maxDequeueCount {count!r} is not >= 1")
    if str(encoding).lower() not in ENCODINGS:
        raise SettingsError(
            "host.json", f"extensions.queues.messageEncoding {encoding!r} is not base64 or none"
        )
    return QueueHostSettings(max_dequeue_count=count, message_encoding=str(encoding).lower())
