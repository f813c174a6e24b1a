"""A request is a reconcile of one value: the shared planner decides, and each of its outcomes
maps to exactly one answer status. Pure: no Graph, no queue."""

from __future__ import annotations

import pytest

from shared.core.answers import NOT_SHOWN_YET, answer_for
from shared.core.model import Kind, WantedGroup
from shared.core.naming import unique_name
from shared.core.plan import Action, Done, Refusal
from shared.core.planner import plan_values
from tests.builders import (
    REPAIR,
    REPORT,
    REQUEST_TABLE,
    RULE,
    TAG,
    handmade,
    managed,
    settle,
)
from tests.builders import request_entry as entry_for


@pytest.mark.parametrize(
    ("outcome", "make_entry", "applied", "status"),
    REQUEST_TABLE,
    ids=[row[0] for row in REQUEST_TABLE],
)
def test_each_planner_outcome_for_a_request_maps_to_one_answer_status(
    outcome, make_entry, applied, status
):
    entry = settle(make_entry(), applied)

    answer = answer_for(entry, value_field="groupTag")

    assert answer.status == status


def test_the_table_covers_every_action_a_request_can_plan():
    planned = {row[1]().action for row in REQUEST_TABLE}
    assert planned == set(Action)


def test_an_unsafe_value_is_refused_on_its_own_field_without_the_plan_wording():
    entry = entry_for([], tag="A`B")
    assert entry.refusal is Refusal.UNSAFE_VALUE

    [error] = answer_for(entry, value_field="purchaseOrderId").errors

    assert error.field == "purchaseOrderId"
    assert "backtick" in error.message and not error.message.startswith("not written")


def test_an_unknown_scenario_is_refused_on_the_scenario_field_with_the_known_keys():
    [error] = answer_for(entry_for([], scenario="moon-landing"), value_field="groupTag").errors

    assert error.field == "scenario"
    assert "unknown scenario 'moon-landing'" in error.message and "user-driven" in error.message


def test_a_value_whose_group_belongs_to_another_scenario_is_refused_with_that_group():
    group = managed(Kind.TAG, TAG, scenario="self-deploying")
    entry = entry_for([group], wanted=REPAIR)  # even under repair: nothing is written

    answer = answer_for(entry, value_field="groupTag")

    assert entry.action is Action.CONFLICT and not entry.writes
    assert answer.group is not None and answer.group["id"] == group.id
    [error] = answer.errors
    assert error.field == "scenario"
    assert f"already has the group {group.display_name!r} in scenario 'self-deploying'" in (
        error.message
    )


def test_the_timer_keeps_a_group_bound_to_another_scenario_where_a_request_refuses_it():
    group = managed(Kind.TAG, TAG, scenario="self-deploying")
    [timer_entry] = plan_values([WantedGroup(Kind.TAG, TAG)], [group], REPORT).entries

    assert timer_entry.action is Action.UNCHANGED
    assert "bound to scenario 'self-deploying', kept" in timer_entry.reason


def test_an_adopted_group_is_answered_as_it_is_with_a_warning():
    group = handmade("h1", '(device.devicePhysicalIds -any _ -eq "[OrderID]:sales-ud")')

    answer = answer_for(entry_for([group]), value_field="groupTag")

    assert answer.group == {
        "id": "h1",
        "displayName": group.display_name,
        "uniqueName": None,
        "membershipRule": group.membership_rule,
    }
    assert answer.warnings == [
        f"hand-made group {group.display_name!r} already targets this group tag; it is used as is"
    ]


def test_drift_is_warned_once_per_difference_and_a_repair_shows_the_rule_put_back():
    group = managed(Kind.TAG, TAG, rule="(device.deviceId -ne null)", state="Paused")

    reported = answer_for(entry_for([group]), value_field="groupTag")
    repaired = answer_for(
        settle(entry_for([group], wanted=REPAIR), Done.REPAIRED), value_field="groupTag"
    )

    assert len(reported.warnings) == 2
    assert all(
        w.startswith("drift: ") and w.endswith("(DRIFT_POLICY=report)") for w in reported.warnings
    )
    assert [w.removeprefix("repaired: ") for w in repaired.warnings] == [
        w.removeprefix("drift: ").removesuffix(" (DRIFT_POLICY=report)") for w in reported.warnings
    ]
    assert repaired.group is not None and repaired.group["membershipRule"] == RULE


def test_a_created_group_is_answered_as_graph_returned_it_and_a_taken_key_without_an_id():
    created = answer_for(settle(entry_for([]), Done.CREATED), value_field="groupTag")
    taken = answer_for(settle(entry_for([]), Done.EXISTS), value_field="groupTag")

    assert created.group is not None and created.group["id"] == "new-id"
    assert taken.group is not None and taken.group["id"] is None
    assert taken.group["uniqueName"] == unique_name(Kind.TAG, TAG)
    assert taken.warnings == [NOT_SHOWN_YET]


def test_a_write_that_did_not_happen_has_no_answer():
    with pytest.raises(ValueError, match="no answer"):
        answer_for(entry_for([], wanted=REPAIR), value_field="groupTag")
