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

from shared.core.answers import Answer, answer_for, assignments_view, make_result
from shared.core.errors import PermanentGraphError
from shared.core.model import AssignmentKind
from shared.core.plan import AssignAction, AssignmentEntry, Done, Outcome
from shared.core.request_schema import FieldError, InvalidRequest, parse_request
from tests.builders import REQUEST_TABLE, request_entry, settle
from tests.resilience.strategies import near_requests

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
def test_every_request_the_schema_accepts_the_app_reads(document: dict[str, Any]):
    """The converse: the schema states every rule of the request's form. (Whether the scenario
    exists and its value can go into a rule is answered later, as rejected with the reason.)"""
    if not list(REQUEST.iter_errors(document)):
        parse_request(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("fields", "valid"),
    [
        ({}, True),
        ({"requestId": "RITM1\n"}, False),
        ({"scenario": "user-driven\n"}, False),
        ({"groupTag": "SALES-UD\n"}, False),
        ({"groupTag": " SALES-UD"}, False),
        ({"groupTag": "SALES-UD\u3000"}, False),
        ({"groupTag": "SALES\u200bUD"}, True),  # not white space to str.strip(); a rule decides
        ({"groupTag": "\ufeffSALES"}, True),
        ({"requestedBy": "it\tdesk"}, False),
        ({"requestedBy": "a\x85b"}, False),
        ({"requestedBy": "\u00a0IT desk"}, True),
        ({"requestedBy": None}, True),
    ],
)
def test_schema_and_app_agree_on_each_near_miss(fields: dict[str, Any], valid: bool):
    document = {"requestId": "RITM1", "scenario": "user-driven", "groupTag": "SALES-UD", **fields}
    assert (not list(REQUEST.iter_errors(document))) is valid
    try:
        parse_request(json.dumps(document).encode())
    except InvalidRequest:
        assert not valid
    else:
        assert valid


def result_for(status: str, **fields: Any) -> dict[str, Any]:
    request = parse_request(b'{"requestId": "R-1", "scenario": "user-driven", "groupTag": "X"}')
    answer = Answer(status, **fields)
    return make_result(answer, request=request, message_id="m-1", processed_at=NOW)


@pytest.mark.parametrize(("outcome", "make_entry", "applied", "status"), REQUEST_TABLE)
def test_the_answer_to_each_planner_outcome_is_a_valid_result(outcome, make_entry, applied, status):
    answer = answer_for(settle(make_entry(), applied), value_field="groupTag")
    result = result_for(
        answer.status, group=answer.group, errors=answer.errors, warnings=answer.warnings
    )

    assert not list(RESULT.iter_errors(result)), result


def assignment(
    kind: AssignmentKind, action: AssignAction, outcome: Outcome | None = None
) -> AssignmentEntry:
    return AssignmentEntry(
        action,
        kind,
        "Name",
        "id-1",
        "Name",
        "apg-key",
        "g-1",
        "Group",
        "user-driven",
        outcome=outcome,
    )


@pytest.mark.parametrize(
    ("action", "outcome", "status"),
    [
        (AssignAction.ASSIGN, Outcome(Done.ASSIGNED), "assigned"),
        (AssignAction.ASSIGN, Outcome(Done.ASSIGNED, shown=False), "assigned"),
        (AssignAction.ASSIGN, Outcome(Done.ALREADY), "unchanged"),
        (AssignAction.REPAIR, Outcome(Done.ASSIGNED), "repaired"),
        (AssignAction.ASSIGN, Outcome.failed(PermanentGraphError("refused")), "failed"),
        (AssignAction.UNCHANGED, None, "unchanged"),
        (AssignAction.CONFLICT, None, "conflict"),
        (AssignAction.DRIFT, None, "drift"),
        (AssignAction.SKIP, None, "skipped"),
    ],
)
def test_a_result_with_assignments_is_valid_and_says_each_status(action, outcome, status):
    view = assignments_view(
        [
            assignment(AssignmentKind.PROFILE, action, outcome),
            assignment(AssignmentKind.ESP, AssignAction.UNCHANGED),
        ]
    )
    answer = answer_for(settle(request_entry([]), Done.CREATED), value_field="groupTag")
    result = result_for("created", group=answer.group, assignments=view)

    assert not list(RESULT.iter_errors(result)), result
    assert result["assignments"]["autopilotProfile"]["status"] == status
    assert result["assignments"]["enrollmentStatusPage"]["status"] == "unchanged"


def test_a_result_without_assignments_has_no_such_field_and_a_rejection_is_valid():
    result = result_for("rejected", errors=[FieldError("scenario", "unknown")])

    assert "assignments" not in result
    assert not list(RESULT.iter_errors(result))
