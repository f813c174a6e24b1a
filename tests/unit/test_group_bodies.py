"""The bodies the Graph boundary writes for a group: the upsert's, and a repair's."""

from __future__ import annotations

import pytest

from shared.core.groups import group_spec
from shared.core.model import DYNAMIC, MANAGED_MARK, Kind
from shared.core.rules import ALL_DEVICES_RULE
from shared.graph.groups import create_body, repair_body, snapshot
from tests.builders import CANONICAL, CATALOGUE, DRIFTS, managed


def test_the_upsert_writes_a_dynamic_security_group_with_the_spec_s_rule_and_processing_on():
    spec = group_spec(Kind.ALL_DEVICES, "", None, CATALOGUE)

    assert create_body(spec) == {
        "displayName": "Autopilot - All devices",
        "description": f"{MANAGED_MARK} for all Autopilot devices. "
        "Do not edit by hand: rule changes are reported or reverted.",
        "mailEnabled": False,
        "mailNickname": "apg-all-autopilot-devices",
        "securityEnabled": True,
        "groupTypes": [DYNAMIC],
        "membershipRule": ALL_DEVICES_RULE,
        "membershipRuleProcessingState": "On",
    }


@pytest.mark.parametrize(
    ("changes", "group_types"), [pytest.param(c, t, id=i) for i, c, _, t in DRIFTS]
)
def test_a_repair_puts_back_the_rule_processing_and_dynamic_membership_and_keeps_other_types(
    changes: dict[str, object], group_types: list[str]
) -> None:
    group = managed(Kind.TAG, "Sales-UD", group_id="g-sales", **changes)  # type: ignore[arg-type]
    spec = group_spec(Kind.TAG, "Sales-UD", CATALOGUE.get("user-driven"), CATALOGUE)

    assert repair_body(spec, group) == {
        "groupTypes": group_types,
        "membershipRule": CANONICAL,
        "membershipRuleProcessingState": "On",
    }


def test_a_group_is_read_from_graph_json() -> None:
    group = snapshot(
        {
            "id": "g1",
            "displayName": "Sales",
            "uniqueName": "apg-tag-sales-0123",
            "membershipRule": "rule",
            "membershipRuleProcessingState": "Paused",
            "groupTypes": ["Unified", DYNAMIC],
            "description": "Managed by autopilot-groups (scenario: self-deploying).",
            "createdDateTime": "2024-01-01T00:00:00Z",
            "mailNickname": "ignored",
        }
    )
    assert (group.id, group.display_name, group.unique_name) == (
        "g1",
        "Sales",
        "apg-tag-sales-0123",
    )
    assert (group.membership_rule, group.processing_state, group.group_types) == (
        "rule",
        "Paused",
        ("Unified", DYNAMIC),
    )
    assert group.created == "2024-01-01T00:00:00Z"
    assert group.dynamic
    assert group.scenario == "self-deploying"


def test_a_group_with_nulls_reads_as_empty() -> None:
    group = snapshot({"id": 7, "displayName": None, "groupTypes": None, "description": None})
    assert (group.id, group.display_name, group.group_types) == ("7", "", ())
    assert not group.dynamic
    assert group.scenario is None
