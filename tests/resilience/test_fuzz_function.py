"""Fuzzing the whole queue function: messages go on the queue as a producer sends them
(base64), the local host delivers them as Azure does, the answers are read from the result queue,
and every group is read back from the Graph emulator and its rule parsed by the emulator's parser.

Nothing may leave the function but ``RetryLater``; every message gets exactly one answer.
"""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.core.model import Kind
from tests.queue_app import QueueApp
from tests.resilience.checks import ACCEPTED, check_answer, check_rule_targets
from tests.resilience.strategies import messages

QUEUE_LIMIT = 64 * 1024  # an Azure Storage queue message, as sent (base64 text)


def fits_on_a_queue(body: bytes) -> bool:
    return len(base64.b64encode(body)) <= QUEUE_LIMIT


def test_whatever_arrives_gets_one_answer_and_only_transient_errors_escape(
    azurite, emulator, long_profile
):
    app = QueueApp.start(azurite.connection_string, emulator.base_url)

    @settings(
        max_examples=40 if long_profile else 6,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(bodies=st.lists(messages.filter(fits_on_a_queue), min_size=25, max_size=25))
    def check(bodies: list[bytes]) -> None:
        sent = {app.send_bytes(body): body for body in bodies}
        outcomes = app.host.drain(timeout=120)

        for outcome in outcomes:
            assert outcome.status in ("succeeded", "failed"), outcome
            if outcome.status == "failed":
                assert "RetryLater" in (outcome.error or ""), outcome.error
        answers = app.results()
        assert sorted(a["messageId"] for a in answers) == sorted(sent)
        assert app.poison() == []
        groups = {g.get("uniqueName"): g for g in emulator.groups()}
        for answer in answers:
            body = sent[answer["messageId"]]
            check_answer(body, answer)
            assert answer["status"] != "failed", answer  # no fault was injected
            if answer["status"] in ACCEPTED:
                document = json.loads(body)
                kind = Kind.TAG if "groupTag" in document else Kind.PURCHASE_ORDER
                value = document["groupTag" if kind is Kind.TAG else "purchaseOrderId"]
                stored = groups[answer["group"]["uniqueName"]]
                check_rule_targets(stored["membershipRule"], kind, value, exact=False)

    try:
        check()
    finally:
        app.close()
