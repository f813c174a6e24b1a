"""The group query survives a stricter Graph: a 400 to the combined filter, and the app reads the
same groups with the two basic queries, for the rest of the process, saying so once.

A fake gateway (no I/O) that answers each basic query as Graph does and, when it is strict,
refuses the combined one as Graph refuses an unsupported query. The same behaviour against the
emulator's strict profile, with the real SDK over HTTP, is in ``tests/integration``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from shared.config.catalogue_file import load_catalogue
from shared.core.errors import PermanentGraphError, PermissionDeniedError
from shared.core.model import Wanted
from shared.shell.memory import HandmadeGroups, QueryForms
from shared.shell.observe import (
    DYNAMIC_FILTER,
    GROUP_FILTER,
    NICKNAME_FILTER,
    observe_groups,
)
from shared.shell.request_handler import Delivery, RequestContext, handle_message
from tests.resilience.fakes import FakeGateway

HAND_MADE = {
    "id": "hand-made",
    "displayName": "Kiosks",
    "mailNickname": "kiosks",
    "groupTypes": ["DynamicMembership"],
    "membershipRule": '(device.devicePhysicalIds -any (_ -eq "[OrderID]:KIOSK-SD"))',
    "membershipRuleProcessingState": "On",
}
MANAGED = {**HAND_MADE, "id": "managed", "mailNickname": "apg-a-ud", "uniqueName": "apg-tag-a"}
TURNED_STATIC = {**MANAGED, "id": "static", "mailNickname": "apg-b-ud", "groupTypes": []}
ASSIGNED = {**HAND_MADE, "id": "assigned", "mailNickname": "printers", "groupTypes": []}


class StrictGateway(FakeGateway):
    """Answers the two basic queries; refuses the combined one when ``strict`` (400)."""

    def __init__(self, strict: bool, refusal: Exception | None = None) -> None:
        super().__init__()
        self.strict = strict
        self.refusal = refusal or PermanentGraphError(
            "list groups: Graph answered 400 Request_UnsupportedQuery: Unsupported Query.",
            status=400,
            code="Request_UnsupportedQuery",
        )
        self.queries: list[str] = []
        for group in (HAND_MADE, MANAGED, TURNED_STATIC, ASSIGNED):
            self.groups[group["id"]] = dict(group)

    async def group_pages(
        self, odata_filter: str, top: int = 999
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        self.queries.append(odata_filter)
        dynamic = [g for g in self.groups.values() if "DynamicMembership" in g["groupTypes"]]
        prefixed = [g for g in self.groups.values() if g["mailNickname"].startswith("apg-")]
        if odata_filter == GROUP_FILTER:
            if self.strict:
                raise self.refusal
            yield [g for g in self.groups.values() if g in dynamic or g in prefixed]
        elif odata_filter == DYNAMIC_FILTER:
            yield dynamic
        elif odata_filter == NICKNAME_FILTER:
            yield prefixed
        else:
            raise AssertionError(f"unexpected query {odata_filter!r}")


def ids(gateway: StrictGateway, query: QueryForms) -> list[str]:
    return [g.id for g in asyncio.run(observe_groups(gateway, query))]  # type: ignore[arg-type]


def test_a_graph_that_accepts_the_combined_filter_is_asked_once():
    gateway = StrictGateway(strict=False)
    query = QueryForms()

    assert ids(gateway, query) == ["hand-made", "managed", "static"]
    assert gateway.queries == [GROUP_FILTER] and not query.split


def test_when_graph_refuses_the_combined_filter_the_two_basic_queries_find_the_same_groups():
    gateway = StrictGateway(strict=True)
    query = QueryForms()

    found = ids(gateway, query)

    # The managed dynamic group answers both queries: merged by id, it is seen once.
    assert found == ["hand-made", "managed", "static"]
    assert gateway.queries == [GROUP_FILTER, DYNAMIC_FILTER, NICKNAME_FILTER]
    assert query.split


def test_after_a_refusal_the_process_keeps_the_two_queries_and_says_so_once(caplog):
    gateway = StrictGateway(strict=True)
    query = QueryForms()
    caplog.set_level(logging.WARNING, logger="shared.shell.observe")

    ids(gateway, query)
    ids(gateway, query)

    assert gateway.queries == [GROUP_FILTER, *[DYNAMIC_FILTER, NICKNAME_FILTER] * 2]
    [warning] = [r for r in caplog.records if "refused the combined group query" in r.message]
    assert "Unsupported Query" in warning.getMessage() and NICKNAME_FILTER in warning.getMessage()


def test_an_expression_height_error_is_a_refusal_too():
    height = PermanentGraphError(
        "list groups: Graph answered 400 BadRequest: The search filter expression has excessive "
        "height: 4. Max allowed: 3.",
        status=400,
        code="BadRequest",
    )
    gateway = StrictGateway(strict=True, refusal=height)

    assert ids(gateway, QueryForms()) == ["hand-made", "managed", "static"]


@pytest.mark.parametrize(
    "error",
    [
        PermissionDeniedError("Group.ReadWrite.All", "list groups"),
        PermanentGraphError("list groups: Graph answered 404", status=404),
    ],
    ids=["403", "404"],
)
def test_only_a_400_makes_the_app_fall_back_other_failures_are_raised(error):
    gateway = StrictGateway(strict=True, refusal=error)
    query = QueryForms()

    with pytest.raises(type(error)):
        ids(gateway, query)
    assert gateway.queries == [GROUP_FILTER] and not query.split


def test_the_request_path_lists_hand_made_groups_through_the_fallback_and_adopts_one():
    gateway = StrictGateway(strict=True)
    context = RequestContext(Wanted(load_catalogue()), gateway, HandmadeGroups(), _never)  # type: ignore[arg-type]
    body = {"requestId": "INC-1", "scenario": "self-deploying", "groupTag": "kiosk-sd"}

    answer = asyncio.run(
        handle_message(json.dumps(body).encode(), Delivery("m-1", 1, 5, "p"), context)
    )

    result = json.loads(answer)
    assert (result["status"], result["group"]["id"]) == ("exists", "hand-made")
    assert DYNAMIC_FILTER in gateway.queries and context.query_forms.split


async def _never(text: str) -> None:
    raise AssertionError("no failed answer expected")
