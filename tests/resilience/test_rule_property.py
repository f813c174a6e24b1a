"""The rule property: every value the app accepts becomes one comparison on that exact value;
every value it refuses is refused with the reason stated.

"Accepts" is decided by the app's own request path (``parse_request`` then ``group_spec``), and
"becomes" by the Graph emulator's strict parser, which reads rules as Entra's validator does.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.config.catalogue_file import SHIPPED_CATALOGUE, load_catalogue
from shared.core.groups import group_spec
from shared.core.model import Kind
from shared.core.request_schema import InvalidRequest, parse_request
from shared.core.rules import UnsafeValueError
from tests.resilience.checks import check_rule_targets
from tests.resilience.strategies import INJECTIONS, values

CATALOGUE = load_catalogue(SHIPPED_CATALOGUE)
FIELDS = {Kind.TAG: "groupTag", Kind.PURCHASE_ORDER: "purchaseOrderId"}


def accept(kind: Kind, value: str) -> str:
    """The rule the app would write for ``value``, or the reason it refuses, as an exception."""
    body = json.dumps(
        {"requestId": "INC-1", "scenario": "user-driven", FIELDS[kind]: value}
    ).encode("utf-8", "surrogatepass")
    request = parse_request(body)
    scenario = CATALOGUE.get(request.scenario)
    return group_spec(kind, request.value, scenario, CATALOGUE).membership_rule


def strings_at_all() -> st.SearchStrategy[str]:
    return st.one_of(values, st.text(st.characters(codec=None)), st.text(max_size=3000))


@pytest.mark.parametrize("kind", [Kind.TAG, Kind.PURCHASE_ORDER])
def test_an_accepted_value_is_one_comparison_on_it_and_a_refused_one_says_why(kind, long_profile):
    @settings(
        max_examples=5000 if long_profile else 300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(value=strings_at_all())
    @example(value='x")) -or (device.deviceId -ne null')
    @example(value="")
    @example(value="`")
    def check(value: str) -> None:
        try:
            rule = accept(kind, value)
        except InvalidRequest as refused:
            assert refused.errors and all(e.message for e in refused.errors)
            assert any(e.field == FIELDS[kind] for e in refused.errors), refused.errors
        except UnsafeValueError as refused:
            assert str(refused), value
        else:
            check_rule_targets(rule, kind, value, exact=True)

    check()


@pytest.mark.parametrize("value", INJECTIONS)
def test_each_known_injection_is_refused_or_held_inside_one_string(value):
    try:
        rule = accept(Kind.TAG, value)
    except (InvalidRequest, UnsafeValueError) as refused:
        assert str(refused)
    else:
        check_rule_targets(rule, Kind.TAG, value, exact=True)
