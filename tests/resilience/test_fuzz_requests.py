"""Fuzzing the queue function's input: whatever arrives is rejected with reasons or makes a group
whose rule is exactly one ``-eq`` on exactly the value asked for. Nothing else leaves the function
but ``RetryLater``.

Two paths: the request handling the function calls (``handle_message``) with a fake gateway, for
many examples; and the whole function through the local host, Azurite and the Graph emulator, for
a share of them. CI runs a small profile; ``pytest --long`` runs at least 10,000 examples.
"""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.config.settings import Settings
from shared.shell.memory import HandmadeGroups
from shared.shell.request_handler import Delivery, RequestContext, handle_message
from tests.resilience.checks import check_answer
from tests.resilience.fakes import FakeGateway
from tests.resilience.strategies import messages, near_requests

CI_EXAMPLES = 200
LONG_EXAMPLES = 10_000


def examples(long_profile: bool) -> int:
    return LONG_EXAMPLES if long_profile else CI_EXAMPLES


def fresh_context() -> RequestContext:
    async def send_failed(text: str) -> None:
        raise AssertionError("a request failed on its last delivery without a Graph fault")

    return RequestContext(
        wanted=Settings.from_env({}).wanted(),
        gateway=FakeGateway(),  # type: ignore[arg-type]
        handmade=HandmadeGroups(),
        send_failed=send_failed,
    )


def answer(body: bytes, context: RequestContext) -> dict:
    delivery = Delivery("message-1", 1, 5, "requests-poison")
    result = json.loads(asyncio.run(handle_message(body, delivery, context)))
    # The fake gateway never fails on its own: a failed answer means the app sent Graph
    # something it refuses (a rule its validator rejects).
    assert result["status"] != "failed", result
    return result


def test_any_message_is_answered_rejected_or_with_a_group_on_exactly_its_value(long_profile):
    context = fresh_context()

    @settings(
        max_examples=examples(long_profile),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(body=messages)
    def check(body: bytes) -> None:
        check_answer(body, answer(body, context))

    check()


def test_a_hostile_near_request_never_gets_a_rule_that_says_anything_else(long_profile):
    @settings(
        max_examples=examples(long_profile),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(document=near_requests(), ascii_only=st.booleans())
    def check(document: dict, ascii_only: bool) -> None:
        body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        check_answer(body, answer(body, fresh_context()))

    check()


def test_the_documented_injection_is_rejected_or_a_single_comparison():
    injection = 'x")) -or (device.deviceId -ne null'
    body = json.dumps(
        {"requestId": "INC-1", "scenario": "user-driven", "groupTag": injection}
    ).encode()
    result = answer(body, fresh_context())
    check_answer(body, result)
    assert result["status"] in ("created", "rejected")
