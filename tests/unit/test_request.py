"""The queue function's decision for one message, with a fake Graph gateway (no I/O)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from shared.config.catalogue_file import load_catalogue
from shared.core.errors import PermanentGraphError, PermissionDeniedError, TransientGraphError
from shared.core.model import Wanted
from shared.shell.memory import HandmadeGroups
from shared.shell.request_handler import Delivery, RequestContext, RetryLater, handle_message

REQUEST = json.dumps({"requestId": "INC-1", "scenario": "user-driven", "groupTag": "A-UD"})


class FailingGateway:
    """A Graph gateway whose every call fails with the given error."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def find_group(self, unique_name: str) -> Any:
        raise self.error


def run(error: Exception, dequeue_count: int) -> tuple[str | None, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    async def send_failed(text: str) -> None:
        sent.append(json.loads(text))

    context = RequestContext(
        Wanted(load_catalogue()),
        FailingGateway(error),  # type: ignore[arg-type]
        HandmadeGroups(),
        send_failed,
    )
    delivery = Delivery("m-1", dequeue_count, 5, "requests-poison")
    try:
        answer = asyncio.run(handle_message(REQUEST.encode(), delivery, context))
    except RetryLater:
        return None, sent
    return answer, sent


@pytest.mark.parametrize(
    "error",
    [
        TransientGraphError("throttled", status=429),
        PermissionDeniedError("Group.ReadWrite.All", "create a group"),
        RuntimeError("a defect"),
    ],
    ids=["transient", "permission missing", "unexpected defect"],
)
def test_a_retryable_failure_is_handed_back_and_answered_failed_only_on_the_last_delivery(error):
    answer, sent = run(error, dequeue_count=1)
    assert answer is None and sent == []

    answer, sent = run(error, dequeue_count=5)
    assert answer is None
    [failed] = sent
    assert failed["status"] == "failed" and failed["requestId"] == "INC-1"
    assert "requests-poison" in failed["errors"][0]["message"]


def test_graph_refusing_the_request_as_such_is_answered_failed_at_once():
    answer, sent = run(PermanentGraphError("400 Request_BadRequest: invalid"), dequeue_count=1)
    assert sent == []
    assert answer is not None and json.loads(answer)["status"] == "failed"
