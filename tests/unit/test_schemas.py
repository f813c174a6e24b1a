"""The published JSON Schemas and the app agree: what integrators read is what the app enforces
and what it sends back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from jsonschema import Draft202012Validator

from shared.core.answers import answer_for, assignments_view
from shared.core.assignments import AssignAction, AssignmentEntry, AssignmentKind
from shared.core.requests import FieldError, InvalidRequest, make_result, parse_request
from tests.resilience.strategies import near_requests
from tests.unit.test_answers import TABLE, entry_for

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
REQUEST = Draft202012Validator(json.loads((SCHEMAS / "request-v1.schema.json").read_text()))
RESULT = Draft202012Validator(json.loads((SCHEMAS / "result-v1.schema.json").read_text()))
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@settings(max_examples=300)
@given(near_requests())
def test_every_request_the_app_accepts_is_valid_by_the_schema(document: dict[str, Any]):
    try:
        parse_request(json.dumps(document).encode())
    except InvalidRequest:
        return
    assert not list(REQUEST.iter_errors(document)), document


@settings(max_examples=300)
@given(near_requests())
def test_every_request_the_schema_refuses_the_app_refuses(document: dict[str, Any]):
    if list(REQUEST.iter_errors(document)):
        with pytest.raises(InvalidRequest):
            parse_request(json.dumps(document).encode())


def result_for(status: str, **fields: Any) -> dict[str, Any]:
    request = parse_request(b'{"requestId": "R-1", "scenario": "user-driven", "groupTag": "X"}')
    return make_result(status, request=request, message_id="m-1", processed_at=NOW, **fields)


@pytest.mark.parametrize(("outcome", "make_entry", "applied", "status"), TABLE)
def test_the_answer_to_each_planner_outcome_is_a_valid_result(outcome, make_entry, applied, status):
    answer = answer_for(make_entry(), applied, None, value_field="groupTag")
    result = result_for(
        answer.status, group=answer.group, errors=answer.errors, warnings=answer.warnings
    )

    assert not list(RESULT.iter_errors(result)), result


def assignment(kind: AssignmentKind, action: AssignAction) -> AssignmentEntry:
    return AssignmentEntry(action, kind, "Name", "id-1", "Name", 0, "g-1", "Group", "user-driven")


@pytest.mark.parametrize(
    ("action", "outcome", "status"),
    [
        (AssignAction.ASSIGN, "assigned", "assigned"),
        (AssignAction.ASSIGN, "assigned (Graph does not show it yet)", "assigned"),
        (AssignAction.ASSIGN, "already assigned", "unchanged"),
        (AssignAction.REPAIR, "assigned", "repaired"),
        (AssignAction.ASSIGN, "failed: refused (permanent)", "failed"),
        (AssignAction.UNCHANGED, "unchanged", "unchanged"),
        (AssignAction.CONFLICT, "conflict reported", "conflict"),
        (AssignAction.DRIFT, "drift reported", "drift"),
        (AssignAction.SKIP, "skipped", "skipped"),
    ],
)
def test_a_result_with_assignments_is_valid_and_says_each_status(action, outcome, status):
    view = assignments_view(
        [
            (assignment(AssignmentKind.PROFILE, action), outcome),
            (assignment(AssignmentKind.ESP, AssignAction.UNCHANGED), ""),
        ]
    )
    answer = answer_for(entry_for([]), "created", None, value_field="groupTag")
    result = result_for("created", group=answer.group, assignments=view)

    assert not list(RESULT.iter_errors(result)), result
    assert result["assignments"]["autopilotProfile"]["status"] == status
    assert result["assignments"]["enrollmentStatusPage"]["status"] == "unchanged"


def test_a_result_without_assignments_has_no_such_field_and_a_rejection_is_valid():
    result = result_for("rejected", errors=[FieldError("scenario", "unknown")])

    assert "assignments" not in result
    assert not list(RESULT.iter_errors(result))
