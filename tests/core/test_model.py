"""The project's own small types: the scenario mark of a managed group, and the plan's counts."""

from __future__ import annotations

import pytest

from shared.core.model import GroupSnapshot, Kind
from shared.core.plan import Action, Plan, PlanEntry


@pytest.mark.parametrize(
    ("description", "scenario"),
    [
        pytest.param("Managed (scenario: user-driven).", "user-driven", id="mark"),
        pytest.param("(scenario: pre-provisioning) edited", "pre-provisioning", id="mark first"),
        pytest.param("(scenario: User-Driven)", None, id="not a key"),
        pytest.param("scenario: user-driven", None, id="no parentheses"),
        pytest.param(None, None, id="no description"),
    ],
)
def test_the_scenario_is_read_from_the_mark_in_the_description(
    description: str | None, scenario: str | None
) -> None:
    assert GroupSnapshot(id="g", display_name="g", description=description).scenario == scenario


def entry(action: Action) -> PlanEntry:
    return PlanEntry(action, Kind.TAG, "v", None, "", None, None)


@pytest.mark.parametrize(
    ("actions", "limit", "creates", "unsafe"),
    [
        pytest.param([], 0, 0, False, id="empty"),
        pytest.param([Action.CREATE, Action.ADOPT, Action.REPAIR], 1, 1, False, id="at the limit"),
        pytest.param([Action.CREATE, Action.CREATE], 1, 2, True, id="over the limit"),
        pytest.param([Action.SKIP, Action.DRIFT, Action.UNCHANGED], 0, 0, False, id="no creates"),
    ],
)
def test_a_plan_counts_its_creates_against_the_limit(
    actions: list[Action], limit: int, creates: int, unsafe: bool
) -> None:
    plan = Plan(tuple(entry(a) for a in actions), limit)
    assert (plan.creates, plan.unsafe) == (creates, unsafe)
    assert plan.count(Action.CREATE) == creates
