"""The planner: a pure function from observed devices and groups to what to do, tested by tables."""

from __future__ import annotations

import pytest

from shared.core.catalogue import parse_catalogue
from shared.core.groups import group_spec
from shared.core.model import (
    DYNAMIC,
    MANAGED_MARK,
    GroupSnapshot,
    GroupSpec,
    Inventory,
    Kind,
    Wanted,
    fold,
)
from shared.core.naming import unique_name
from shared.core.plan import Action, Plan, PlanEntry, Refusal
from shared.core.planner import plan
from shared.core.rules import ALL_DEVICES_RULE, MAX_RULE_LENGTH, build_rule
from shared.core.wording import entry_reason
from tests.builders import CANONICAL, CATALOGUE, DRIFTS, handmade, inventory, managed

ALL_KEY = unique_name(Kind.ALL_DEVICES)
SALES_RULE = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))'


def as_written(spec: GroupSpec, group_id: str) -> GroupSnapshot:
    """The group the upsert makes from a spec, as the next run's read shows it."""
    return GroupSnapshot(
        id=group_id,
        display_name=spec.display_name,
        unique_name=spec.unique_name,
        membership_rule=spec.membership_rule,
        processing_state="On",
        group_types=(DYNAMIC,),
        description=spec.description,
    )


def wanted(**settings: object) -> Wanted:
    return Wanted(catalogue=CATALOGUE, **settings)  # type: ignore[arg-type]


def summary(result: Plan) -> list[tuple[Action, Kind, str]]:
    return [(entry.action, entry.kind, entry.value) for entry in result.entries]


def only(result: Plan, kind: Kind, value: str = "") -> PlanEntry:
    """The single entry for (kind, value, in any case)."""
    found = [e for e in result.entries if e.kind is kind and fold(e.value) == fold(value)]
    assert len(found) == 1, summary(result)
    return found[0]


# --- creating -------------------------------------------------------------------------------


def test_an_empty_tenant_gets_only_the_all_devices_group() -> None:
    result = plan(Inventory(), [], wanted())
    assert summary(result) == [(Action.CREATE, Kind.ALL_DEVICES, "")]
    entry = result.entries[0]
    assert entry.unique_name == ALL_KEY
    assert entry.membership_rule == ALL_DEVICES_RULE
    assert entry.display_name == "Autopilot - All devices"
    assert entry.spec is not None
    assert (entry.spec.display_name, entry.spec.mail_nickname, entry.spec.membership_rule) == (
        "Autopilot - All devices",
        "apg-all-autopilot-devices",
        ALL_DEVICES_RULE,
    )
    assert entry.spec.description == (
        f"{MANAGED_MARK} for all Autopilot devices. "
        "Do not edit by hand: rule changes are reported or reverted."
    )


def test_two_spellings_of_one_tag_get_one_group_named_after_the_first() -> None:
    result = plan(inventory("Sales-UD", "SALES-UD", "sales-ud"), [], wanted())
    assert summary(result) == [
        (Action.CREATE, Kind.ALL_DEVICES, ""),
        (Action.CREATE, Kind.TAG, "Sales-UD"),
    ]
    entry = result.entries[1]
    assert entry.display_name == "Autopilot - User-driven - Sales-UD"
    assert entry.membership_rule == '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales-UD"))'
    assert entry.unique_name == unique_name(Kind.TAG, "SALES-UD")
    assert entry.devices == 3


@pytest.mark.parametrize(
    ("tag", "scenario", "name"),
    [
        pytest.param("Sales-UD", "user-driven", "Autopilot - User-driven - Sales-UD", id="ud"),
        pytest.param(
            "Berlin-HYB", "user-driven-hybrid", "Autopilot - Hybrid join - Berlin-HYB", id="hyb"
        ),
        pytest.param(
            "Lobby-KIOSK", "self-deploying", "Autopilot - Self-deploying - Lobby-KIOSK", id="kiosk"
        ),
        pytest.param("Lab-PP", "pre-provisioning", "Autopilot - Pre-provisioned - Lab-PP", id="pp"),
        pytest.param(
            "Warehouse", "user-driven", "Autopilot - User-driven - Warehouse", id="default"
        ),
    ],
)
def test_each_tag_lands_in_the_scenario_its_pattern_matches(
    tag: str, scenario: str, name: str
) -> None:
    entry = only(plan(inventory(tag), [], wanted()), Kind.TAG, tag)
    assert (entry.action, entry.scenario, entry.display_name) == (Action.CREATE, scenario, name)
    assert entry.spec.description.startswith(f"{MANAGED_MARK} (scenario: {scenario}).")


def test_a_tag_that_matches_no_scenario_and_has_no_default_is_skipped() -> None:
    catalogue = parse_catalogue(
        {
            "version": 1,
            "defaultScenario": None,
            "scenarios": [
                {
                    "key": "ud",
                    "label": "UD",
                    "displayName": {"tag": "UD {value}", "purchaseOrder": "UD PO {value}"},
                    "tagPatterns": ["*-UD"],
                }
            ],
        }
    )
    result = plan(
        inventory("Warehouse", "Sales-UD"), [], Wanted(catalogue, all_devices_group=False)
    )
    assert summary(result) == [
        (Action.SKIP, Kind.TAG, "Warehouse"),
        (Action.CREATE, Kind.TAG, "Sales-UD"),
    ]
    assert "matches no scenario" in result.entries[0].reason


def test_a_created_group_is_seen_unchanged_on_the_next_run() -> None:
    first = plan(
        inventory("Sales-UD", purchase_orders=("123",)), [], wanted(purchase_order_groups=True)
    )
    observed = [
        as_written(entry.spec, f"g{i}")
        for i, entry in enumerate(first.entries)
        if entry.spec is not None
    ]
    second = plan(
        inventory("SALES-UD", purchase_orders=("123",)),
        observed,
        wanted(purchase_order_groups=True),
    )
    assert [e.action for e in second.entries] == [Action.UNCHANGED] * 3
    assert [e.group_id for e in second.entries] == ["g0", "g1", "g2"]
    assert second.creates == 0


# --- adopting hand-made groups --------------------------------------------------------------

HANDMADE_SPELLINGS = [
    ("canonical", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))'),
    ("no inner parentheses", 'device.devicePhysicalIds -any _ -eq "[OrderID]:SALES-UD"'),
    ("spaces", '( device.devicePhysicalIds  -any(_ -eq "[OrderID]:SALES-UD") ) '),
    ("devicePhysicalIDs", '(device.devicePhysicalIDs -any (_ -eq "[OrderID]:SALES-UD"))'),
    ("[OrderId]", '(device.devicePhysicalIds -any (_ -eq "[OrderId]:SALES-UD"))'),
    ("[orderid]", '(device.devicePhysicalIds -any (_ -eq "[orderid]:SALES-UD"))'),
    ("-EQ", '(device.devicePhysicalIds -any (_ -EQ "[OrderID]:SALES-UD"))'),
    ("value in lower case", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:sales-ud"))'),
]


@pytest.mark.parametrize("rule", [pytest.param(r, id=i) for i, r in HANDMADE_SPELLINGS])
def test_a_hand_made_group_in_any_spelling_is_adopted(rule: str) -> None:
    result = plan(inventory("Sales-UD"), [handmade("hm-1", rule)], wanted())
    entry = only(result, Kind.TAG, "Sales-UD")
    assert entry.action is Action.ADOPT
    assert entry.group_id == "hm-1"
    assert entry.display_name == "Hand-made hm-1"
    assert "already targets this group tag" in entry.reason
    assert result.creates == 1  # the all-devices group only


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param('(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))', id="docs"),
        pytest.param('(device.devicePhysicalIds -any (_ -contains "[ZTDID]"))', id="older docs"),
        pytest.param('device.devicePhysicalIDs -any _ -startsWith "[ZTDId]"', id="entra docs"),
    ],
)
def test_a_hand_made_all_devices_group_is_adopted(rule: str) -> None:
    result = plan(Inventory(), [handmade("all-1", rule)], wanted())
    assert summary(result) == [(Action.ADOPT, Kind.ALL_DEVICES, "")]
    assert result.entries[0].group_id == "all-1"


def test_of_two_hand_made_groups_for_a_tag_the_oldest_is_adopted_and_the_reason_says_so() -> None:
    rule = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))'
    groups = [
        handmade("newer", rule, created="2024-05-01T00:00:00Z"),
        handmade("older", rule.replace("SALES", "sales"), created="2023-02-01T00:00:00Z"),
    ]
    for order in (groups, groups[::-1]):
        entry = only(plan(inventory("Sales-UD"), order, wanted()), Kind.TAG, "Sales-UD")
        assert (entry.action, entry.group_id) == (Action.ADOPT, "older")
        assert "2 hand-made groups do; the oldest is used" in entry.reason


@pytest.mark.parametrize(
    "group",
    [
        pytest.param(
            handmade("static", SALES_RULE, dynamic=False),
            id="assigned group with a leftover rule",
        ),
        pytest.param(
            handmade(
                "wider",
                '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")) -or '
                '(device.deviceOSType -eq "Windows")',
            ),
            id="rule selects more",
        ),
        pytest.param(
            handmade("prefix", '(device.devicePhysicalIds -any (_ -startsWith "[OrderID]:SALES"))'),
            id="prefix match",
        ),
        pytest.param(
            handmade("other", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:HR-UD"))'),
            id="another tag",
        ),
        pytest.param(
            handmade("po", '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:SALES-UD"))'),
            id="purchase order with the same value",
        ),
        pytest.param(handmade("none", None), id="no rule"),
    ],
)
def test_a_hand_made_group_that_is_not_the_tags_group_is_not_adopted(group: GroupSnapshot) -> None:
    entry = only(plan(inventory("SALES-UD"), [group], wanted()), Kind.TAG, "SALES-UD")
    assert entry.action is Action.CREATE
    assert entry.group_id is None


def test_a_managed_group_wins_over_a_hand_made_one() -> None:
    groups = [
        handmade("hm", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))'),
        managed(Kind.TAG, "Sales-UD", group_id="mine"),
    ]
    entry = only(plan(inventory("SALES-UD"), groups, wanted()), Kind.TAG, "SALES-UD")
    assert (entry.action, entry.group_id) == (Action.UNCHANGED, "mine")


# --- managed groups and drift ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(None, id="canonical"),
        pytest.param(
            'device.devicePhysicalIDs -any _ -EQ "[orderid]:sales-ud"', id="other spelling"
        ),
        pytest.param(SALES_RULE + " ", id="trailing space"),
    ],
)
def test_a_managed_group_whose_rule_targets_its_tag_is_unchanged(rule: str | None) -> None:
    group = managed(Kind.TAG, "Sales-UD", rule=rule, group_id="g-sales")
    entry = only(
        plan(inventory("Sales-UD"), [group], wanted(drift_policy="repair")), Kind.TAG, "Sales-UD"
    )
    assert (entry.action, entry.group_id, entry.reason, entry.problems) == (
        Action.UNCHANGED,
        "g-sales",
        "",
        (),
    )
    assert entry.display_name == "Managed tag Sales-UD"


def test_a_managed_all_devices_group_is_unchanged() -> None:
    result = plan(Inventory(), [managed(Kind.ALL_DEVICES, group_id="g-all")], wanted())
    assert summary(result) == [(Action.UNCHANGED, Kind.ALL_DEVICES, "")]
    assert result.entries[0].group_id == "g-all"


@pytest.mark.parametrize(("changes", "words"), [pytest.param(c, w, id=i) for i, c, w, _ in DRIFTS])
def test_a_drifted_managed_group_is_repaired_under_the_repair_policy(
    changes: dict[str, object], words: str
) -> None:
    group = managed(Kind.TAG, "Sales-UD", group_id="g-sales", **changes)  # type: ignore[arg-type]
    entry = only(
        plan(inventory("Sales-UD"), [group], wanted(drift_policy="repair")), Kind.TAG, "Sales-UD"
    )
    assert (entry.action, entry.group_id) == (Action.REPAIR, "g-sales")
    assert words in entry.reason
    assert entry.group == group and entry.spec is not None
    assert entry.spec.membership_rule == CANONICAL


@pytest.mark.parametrize(("changes", "words"), [pytest.param(c, w, id=i) for i, c, w, _ in DRIFTS])
def test_a_drifted_managed_group_is_only_reported_under_the_report_policy(
    changes: dict[str, object], words: str
) -> None:
    group = managed(Kind.TAG, "Sales-UD", group_id="g-sales", **changes)  # type: ignore[arg-type]
    result = plan(inventory("Sales-UD"), [group], wanted(drift_policy="report"))
    entry = only(result, Kind.TAG, "Sales-UD")
    assert (entry.action, entry.group_id) == (Action.DRIFT, "g-sales")
    assert words in entry.reason
    assert entry.reason.endswith("(DRIFT_POLICY=report)")
    assert result.creates == 1  # the all-devices group, never a second group for the tag


def test_every_drift_of_one_group_is_named() -> None:
    group = managed(Kind.TAG, "Sales-UD", rule="garbage", state="Paused", group_types=())
    entry = only(plan(inventory("Sales-UD"), [group], wanted()), Kind.TAG, "Sales-UD")
    assert "membership is not dynamic" in entry.reason
    assert "rule is 'garbage'" in entry.reason
    assert "rule processing is Paused" in entry.reason


def test_a_managed_group_without_a_processing_state_is_taken_as_on() -> None:
    group = managed(Kind.TAG, "Sales-UD", state=None)
    entry = only(plan(inventory("Sales-UD"), [group], wanted()), Kind.TAG, "Sales-UD")
    assert entry.action is Action.UNCHANGED


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        pytest.param(Kind.TAG, "Gone-UD", "no Autopilot device has this group tag now", id="tag"),
        pytest.param(Kind.PURCHASE_ORDER, "999", "purchase order id", id="purchase order"),
    ],
)
def test_a_managed_group_whose_value_has_no_devices_is_kept_with_a_reason(
    kind: Kind, value: str, words: str
) -> None:
    group = managed(kind, value, group_id="g-gone")
    result = plan(inventory(), [group], wanted(purchase_order_groups=True))
    assert summary(result) == [
        (Action.CREATE, Kind.ALL_DEVICES, ""),
        (Action.UNCHANGED, kind, value),
    ]
    entry = result.entries[1]
    assert entry.group_id == "g-gone"
    assert entry.unique_name == group.unique_name
    assert words in entry.reason
    assert "kept" in entry.reason


def test_no_plan_ever_deletes_a_group() -> None:
    groups = [
        managed(Kind.TAG, "Gone-UD"),
        managed(Kind.TAG, "Drifted-UD", rule="garbage"),
        managed(Kind.PURCHASE_ORDER, "1"),
        managed(Kind.ALL_DEVICES),
        handmade("hm", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Orphan"))'),
    ]
    for settings in (wanted(), wanted(all_devices_group=False, drift_policy="repair")):
        result = plan(inventory("Other-UD"), groups, settings)
        assert {e.action for e in result.entries} <= {
            Action.CREATE,
            Action.ADOPT,
            Action.REPAIR,
            Action.DRIFT,
            Action.UNCHANGED,
            Action.SKIP,
        }
        managed_ids = {g.id for g in groups if g.unique_name}
        assert managed_ids <= {e.group_id for e in result.entries}


# --- hostile values -------------------------------------------------------------------------

LONGEST_TAG = MAX_RULE_LENGTH - len(build_rule(Kind.TAG, "x")) + 1


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        pytest.param("SALES`-UD", "backtick", id="backtick"),
        pytest.param("SALES\x07-UD", "U+0007", id="bell"),
        pytest.param("SALES\n-UD", "U+000A", id="newline"),
        pytest.param("SALES\\-UD", "backslash", id="backslash"),
        pytest.param("   ", "empty", id="blank"),
        pytest.param("x" * 3100, "Entra allows at most 3072", id="3100 characters"),
        pytest.param("x" * (LONGEST_TAG + 1), "Entra allows at most 3072", id="one past the limit"),
    ],
)
def test_a_tag_that_cannot_be_written_into_a_rule_is_skipped_with_the_reason(
    tag: str, words: str
) -> None:
    result = plan(inventory(tag), [], wanted())
    entry = only(result, Kind.TAG, tag)
    assert (entry.action, entry.refusal) == (Action.SKIP, Refusal.UNSAFE_VALUE)
    assert entry_reason(entry).startswith("not written: ")  # as the report shows it
    assert words in entry.reason
    assert (entry.unique_name, entry.membership_rule, entry.spec) == (None, None, None)
    assert result.creates == 1  # the all-devices group only


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param("x" * 600, id="600 characters"),
        pytest.param("y" * LONGEST_TAG, id="the longest that fits"),
        pytest.param('Say "hi"-UD', id="quotes"),
    ],
)
def test_a_long_or_quoted_tag_that_fits_in_a_rule_is_created(tag: str) -> None:
    entry = only(plan(inventory(tag), [], wanted()), Kind.TAG, tag)
    assert entry.action is Action.CREATE
    assert len(entry.membership_rule) <= MAX_RULE_LENGTH
    assert len(entry.display_name) <= 256
    assert len(entry.spec.mail_nickname) <= 64


# --- the safety valve -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "limit", "unsafe"),
    [
        pytest.param(("A-UD", "B-UD", "C-UD"), 2, True, id="3 new over a limit of 2"),
        pytest.param(("A-UD", "B-UD"), 2, False, id="2 new at a limit of 2"),
        pytest.param(("A-UD",), 0, True, id="1 new over a limit of 0"),
        pytest.param((), 0, False, id="nothing new at a limit of 0"),
    ],
)
def test_the_safety_valve_trips_only_past_the_limit(
    tags: tuple[str, ...], limit: int, unsafe: bool
) -> None:
    result = plan(inventory(*tags), [], wanted(all_devices_group=False, max_new_groups=limit))
    assert result.creates == len(tags)
    assert result.max_new_groups == limit
    assert result.unsafe is unsafe


def test_the_all_devices_group_counts_towards_the_safety_valve() -> None:
    result = plan(inventory("A-UD", "B-UD"), [], wanted(max_new_groups=2))
    assert (result.creates, result.unsafe) == (3, True)


def test_adopted_unchanged_and_skipped_groups_do_not_count_towards_the_safety_valve() -> None:
    groups = [
        handmade("hm", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:A-UD"))'),
        managed(Kind.TAG, "B-UD"),
        managed(Kind.TAG, "C-UD", rule="garbage"),
    ]
    tags = ("A-UD", "B-UD", "C-UD", "D`-UD", "E-UD")
    result = plan(inventory(*tags), groups, wanted(all_devices_group=False, max_new_groups=1))
    assert [e.action for e in result.entries] == [
        Action.ADOPT,
        Action.UNCHANGED,
        Action.DRIFT,
        Action.SKIP,
        Action.CREATE,
    ]
    assert (result.creates, result.unsafe) == (1, False)


# --- scenario conflicts ---------------------------------------------------------------------


def test_a_managed_group_bound_to_another_scenario_is_kept_and_no_second_group_is_made() -> None:
    group = managed(Kind.TAG, "Sales-UD", scenario="self-deploying", group_id="g-sd")
    result = plan(inventory("Sales-UD"), [group], wanted())
    entry = only(result, Kind.TAG, "Sales-UD")
    assert (entry.action, entry.group_id) == (Action.UNCHANGED, "g-sd")
    assert "bound to scenario 'self-deploying'" in entry.reason
    assert result.creates == 1  # the all-devices group only


def test_a_scenario_conflict_is_named_alongside_drift() -> None:
    group = managed(Kind.TAG, "Sales-UD", scenario="self-deploying", state="Paused")
    entry = only(
        plan(inventory("Sales-UD"), [group], wanted(drift_policy="repair")), Kind.TAG, "Sales-UD"
    )
    assert entry.action is Action.REPAIR
    assert "rule processing is Paused" in entry.reason
    assert "bound to scenario 'self-deploying'" in entry.reason


def test_a_managed_group_without_a_scenario_mark_is_not_a_conflict() -> None:
    group = GroupSnapshot(
        id="g",
        display_name="Managed",
        unique_name=unique_name(Kind.TAG, "Sales-UD"),
        membership_rule=build_rule(Kind.TAG, "Sales-UD"),
        processing_state="On",
        group_types=(DYNAMIC,),
        description="someone rewrote the description",
    )
    entry = only(plan(inventory("Sales-UD"), [group], wanted()), Kind.TAG, "Sales-UD")
    assert (entry.action, entry.reason) == (Action.UNCHANGED, "")


# --- what the settings ask for --------------------------------------------------------------


def test_purchase_order_groups_are_planned_only_when_asked_for() -> None:
    observed = inventory("Sales-UD", purchase_orders=("76222342342",))
    without = plan(observed, [], wanted(all_devices_group=False))
    with_po = plan(observed, [], wanted(all_devices_group=False, purchase_order_groups=True))
    assert summary(without) == [(Action.CREATE, Kind.TAG, "Sales-UD")]
    assert summary(with_po) == [
        (Action.CREATE, Kind.TAG, "Sales-UD"),
        (Action.CREATE, Kind.PURCHASE_ORDER, "76222342342"),
    ]
    entry = with_po.entries[1]
    assert entry.display_name == "Autopilot - User-driven - PO 76222342342"
    assert entry.membership_rule == (
        '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342"))'
    )
    assert entry.unique_name == unique_name(Kind.PURCHASE_ORDER, "76222342342")


def test_a_hand_made_purchase_order_group_is_adopted() -> None:
    rule = '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:123"))'
    result = plan(
        inventory(purchase_orders=("123",)),
        [handmade("po", rule)],
        wanted(all_devices_group=False, purchase_order_groups=True),
    )
    assert summary(result) == [(Action.ADOPT, Kind.PURCHASE_ORDER, "123")]


def test_the_all_devices_group_is_not_planned_when_turned_off() -> None:
    result = plan(inventory("Sales-UD"), [], wanted(all_devices_group=False))
    assert summary(result) == [(Action.CREATE, Kind.TAG, "Sales-UD")]


def test_a_managed_all_devices_group_is_kept_when_the_setting_is_turned_off() -> None:
    result = plan(
        Inventory(), [managed(Kind.ALL_DEVICES, group_id="g-all")], wanted(all_devices_group=False)
    )
    assert summary(result) == [(Action.UNCHANGED, Kind.ALL_DEVICES, "")]
    assert result.entries[0].group_id == "g-all"


# --- determinism ----------------------------------------------------------------------------


def test_the_same_input_always_gives_the_same_plan() -> None:
    def observed() -> tuple[Inventory, list[GroupSnapshot]]:
        groups = [
            handmade(
                "hm-2", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:A-UD"))', created=None
            ),
            handmade(
                "hm-1", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:a-ud"))', created=None
            ),
            managed(Kind.TAG, "B-HYB", rule="garbage"),
            managed(Kind.TAG, "Gone-SD", scenario="self-deploying"),
            managed(Kind.ALL_DEVICES),
        ]
        return inventory("A-UD", "B-HYB", "C-PP", "D`x", purchase_orders=("1",)), groups

    settings = wanted(purchase_order_groups=True, drift_policy="repair", max_new_groups=1)
    first = plan(*observed(), settings)
    assert plan(*observed(), settings) == first
    assert only(first, Kind.TAG, "A-UD").group_id == "hm-1"  # same age: the lower id
    assert summary(first) == [
        (Action.UNCHANGED, Kind.ALL_DEVICES, ""),
        (Action.ADOPT, Kind.TAG, "A-UD"),
        (Action.REPAIR, Kind.TAG, "B-HYB"),
        (Action.CREATE, Kind.TAG, "C-PP"),
        (Action.SKIP, Kind.TAG, "D`x"),
        (Action.CREATE, Kind.PURCHASE_ORDER, "1"),
        (Action.UNCHANGED, Kind.TAG, "Gone-SD"),
    ]
    assert first.unsafe


def test_group_spec_refuses_a_tag_without_a_scenario() -> None:
    with pytest.raises(ValueError, match="needs a scenario"):
        group_spec(Kind.TAG, "Sales-UD", None, CATALOGUE)


def _no_scenario_catalogue() -> Wanted:
    catalogue = parse_catalogue(
        {
            "version": 1,
            "scenarios": [
                {
                    "key": "user-driven",
                    "label": "UD",
                    "displayName": {"tag": "UD {value}", "purchaseOrder": "UD PO {value}"},
                    "tagPatterns": ["*-UD"],
                }
            ],
        }
    )
    return Wanted(catalogue, all_devices_group=False)


@pytest.mark.parametrize(
    ("group", "observed", "settings"),
    [
        pytest.param(
            managed(Kind.PURCHASE_ORDER, "123"),
            inventory(purchase_orders=("123",)),
            wanted(all_devices_group=False, purchase_order_groups=False),
            id="purchase order groups turned off",
        ),
        pytest.param(
            managed(Kind.ALL_DEVICES),
            inventory("Sales-UD"),
            wanted(all_devices_group=False),
            id="all-devices group turned off",
        ),
        pytest.param(
            managed(Kind.TAG, "Warehouse"),
            inventory("Warehouse"),
            _no_scenario_catalogue(),
            id="tag no longer matches a scenario",
        ),
    ],
)
def test_a_kept_managed_group_is_not_said_to_have_no_devices_when_it_has_some(
    group: GroupSnapshot, observed: Inventory, settings: Wanted
) -> None:
    result = plan(observed, [group], settings)
    kept = [e for e in result.entries if e.group_id == group.id]
    assert len(kept) == 1
    assert kept[0].action is Action.UNCHANGED
    assert "no Autopilot device has" not in kept[0].reason
