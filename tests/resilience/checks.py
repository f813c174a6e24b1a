"""What every answer must satisfy, shared by the fuzz tests of the pure path and of the function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from graph_emulator import comparisons, parse_rule
from shared.core.model import Kind, fold
from shared.core.rules import PREFIXES

ACCEPTED = ("created", "exists", "updated")
RESULT_SCHEMA = Draft202012Validator(
    json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "result-v1.schema.json").read_text()
    )
)


def single_comparison(rule: str) -> tuple[str, str]:
    """The one ``-any (_ -eq "...")`` comparison of ``rule``; an AssertionError says why not."""
    conditions = comparisons(parse_rule(rule))
    assert len(conditions) == 1, f"{rule!r} has {len(conditions)} comparisons"
    [condition] = conditions
    assert condition.property == "device.devicePhysicalIds", rule
    assert condition.quantifier == "-any", rule
    assert condition.operator == "-eq", rule
    assert isinstance(condition.value, str), rule
    return condition.operator, condition.value


def check_rule_targets(rule: str, kind: Kind, value: str, *, exact: bool) -> None:
    """``rule`` is one -eq comparison on exactly ``value`` (or its case-folded spelling)."""
    _, literal = single_comparison(rule)
    prefix = PREFIXES[kind]
    assert literal.startswith(prefix), (rule, prefix)
    written = literal[len(prefix) :]
    if exact:
        assert written == value, (rule, value)
    else:
        assert fold(written) == fold(value), (rule, value)


def check_answer(body: bytes, answer: dict[str, Any]) -> None:
    """A result is valid by the published schema, and is rejected with reasons, failed with
    reasons, or names a group on its value."""
    assert not list(RESULT_SCHEMA.iter_errors(answer)), answer
    assert answer["version"] == 1
    status = answer["status"]
    if status in ("rejected", "failed"):
        assert answer["errors"], answer
        assert all(isinstance(e["message"], str) and e["message"] for e in answer["errors"])
        return
    assert status in ACCEPTED, answer
    document = json.loads(body)
    kind = Kind.TAG if "groupTag" in document else Kind.PURCHASE_ORDER
    value = document["groupTag" if kind is Kind.TAG else "purchaseOrderId"]
    assert answer["groupTag" if kind is Kind.TAG else "purchaseOrderId"] == value
    check_rule_targets(answer["group"]["membershipRule"], kind, value, exact=status == "created")
