"""Rules: the tolerant reader of every spelling admins write, and the strict canonical writer."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shared.core.model import Kind
from shared.core.rules import (
    ALL_DEVICES_RULE,
    MAX_RULE_LENGTH,
    Target,
    UnsafeValueError,
    build_rule,
    check_value,
    escape,
    parse_target,
)

SALES = Target(Kind.TAG, "SALES-UD")
ALL = Target(Kind.ALL_DEVICES, "")

# (id, rule, expected target)
SPELLINGS = [
    ("canonical", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))', SALES),
    ("no outer parentheses", 'device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")', SALES),
    ("no inner parentheses", 'device.devicePhysicalIds -any _ -eq "[OrderID]:SALES-UD"', SALES),
    (
        "outer but no inner parentheses",
        '(device.devicePhysicalIds -any _ -eq "[OrderID]:SALES-UD")',
        SALES,
    ),
    (
        "extra spaces",
        '  (  device.devicePhysicalIds   -any  ( _  -eq   "[OrderID]:SALES-UD" ) )  ',
        SALES,
    ),
    ("missing spaces", '(device.devicePhysicalIds -any(_ -eq "[OrderID]:SALES-UD"))', SALES),
    (
        "tabs and newlines",
        '(device.devicePhysicalIds\t-any\n(_ -eq "[OrderID]:SALES-UD"))\n',
        SALES,
    ),
    ("devicePhysicalIDs", '(device.devicePhysicalIDs -any (_ -eq "[OrderID]:SALES-UD"))', SALES),
    ("[OrderId]", '(device.devicePhysicalIds -any (_ -eq "[OrderId]:SALES-UD"))', SALES),
    ("[orderid]", '(device.devicePhysicalIds -any (_ -eq "[orderid]:SALES-UD"))', SALES),
    ("-EQ", '(device.devicePhysicalIds -any (_ -EQ "[OrderID]:SALES-UD"))', SALES),
    ("-ANY", '(device.devicePhysicalIds -ANY (_ -eq "[OrderID]:SALES-UD"))', SALES),
    (
        "operators without hyphen",
        '(device.devicePhysicalIds any (_ eq "[OrderID]:SALES-UD"))',
        SALES,
    ),
    (
        "tag value keeps its case",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales-Ud"))',
        Target(Kind.TAG, "Sales-Ud"),
    ),
    (
        "tag value keeps inner spaces",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales  UD "))',
        Target(Kind.TAG, "Sales  UD "),
    ),
    (
        "tag value holds parentheses",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:a (b) c"))',
        Target(Kind.TAG, "a (b) c"),
    ),
    (
        "backtick-escaped quotes in the value",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:say `"hi`""))',
        Target(Kind.TAG, 'say "hi"'),
    ),
    (
        "all devices, docs spelling",
        '(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))',
        ALL,
    ),
    ("all devices, canonical", ALL_DEVICES_RULE, ALL),
    ("all devices, [ZTDID]", '(device.devicePhysicalIds -any (_ -startsWith "[ZTDID]"))', ALL),
    ("all devices, Entra spelling", 'device.devicePhysicalIDs -any _ -startsWith "[ZTDId]"', ALL),
    (
        "all devices, older -contains",
        '(device.devicePhysicalIds -any (_ -contains "[ZTDID]"))',
        ALL,
    ),
    (
        "purchase order",
        '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:123"))',
        Target(Kind.PURCHASE_ORDER, "123"),
    ),
    (
        "purchase order, other case",
        '(device.devicePhysicalIds -any (_ -eq "[PURCHASEORDERID]:76222342342"))',
        Target(Kind.PURCHASE_ORDER, "76222342342"),
    ),
    # --- not the rule of one tag, one purchase order, or all devices -----------------------
    (
        "-or another tag",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")) -or '
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:HR-UD"))',
        None,
    ),
    (
        "-and another property",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")) -and '
        '(device.deviceOSType -eq "Windows")',
        None,
    ),
    (
        "-or inside -any",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD" -or _ -eq "[OrderID]:X"))',
        None,
    ),
    ("-not in front", '-not (device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))', None),
    ("-all instead of -any", '(device.devicePhysicalIds -all (_ -eq "[OrderID]:SALES-UD"))', None),
    ("other property", '(device.deviceOSType -eq "Windows")', None),
    ("other property in -any", '(device.systemLabels -any (_ -eq "[OrderID]:SALES-UD"))', None),
    (
        "-startsWith a tag prefix",
        '(device.devicePhysicalIds -any (_ -startsWith "[OrderID]:SALES"))',
        None,
    ),
    ("-ne", '(device.devicePhysicalIds -any (_ -ne "[OrderID]:SALES-UD"))', None),
    ("-contains a tag", '(device.devicePhysicalIds -any (_ -contains "[OrderID]:SALES-UD"))', None),
    ("-match a tag", '(device.devicePhysicalIds -any (_ -match "[OrderID]:SALES-UD"))', None),
    ("-eq [ZTDId]", '(device.devicePhysicalIds -any (_ -eq "[ZTDId]"))', None),
    (
        "-startsWith [ZTDId] and more",
        '(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]:x"))',
        None,
    ),
    ("empty tag value", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:"))', None),
    ("empty purchase order", '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:"))', None),
    ("unknown prefix", '(device.devicePhysicalIds -any (_ -eq "[GroupTag]:SALES-UD"))', None),
    ("value without prefix", '(device.devicePhysicalIds -any (_ -eq "SALES-UD"))', None),
    ("not the _ item", '(device.devicePhysicalIds -any (x -eq "[OrderID]:SALES-UD"))', None),
    ("unquoted value", "(device.devicePhysicalIds -any (_ -eq [OrderID]:SALES-UD))", None),
    ("single-quoted value", "(device.devicePhysicalIds -any (_ -eq '[OrderID]:SALES-UD'))", None),
    ("unclosed quote", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD))', None),
    (
        "missing last parenthesis",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")',
        None,
    ),
    (
        "missing first parenthesis",
        'device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))',
        None,
    ),
    (
        "one parenthesis too many",
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")))',
        None,
    ),
    (
        "closing before opening",
        ')device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD")(',
        None,
    ),
    ("garbage", "this is not a rule", None),
    ("only parentheses", "(()())", None),
    ("quote soup", '"""', None),
    ("empty", "", None),
    ("whitespace", "   ", None),
    ("None", None, None),
]


@pytest.mark.parametrize(("rule", "expected"), [pytest.param(r, t, id=i) for i, r, t in SPELLINGS])
def test_every_spelling_admins_write_is_read_as_its_target(
    rule: str | None, expected: Target | None
) -> None:
    assert parse_target(rule) == expected


# --- building -------------------------------------------------------------------------------


def test_a_tag_rule_is_written_in_the_canonical_form() -> None:
    assert build_rule(Kind.TAG, "SALES-UD") == (
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))'
    )


def test_a_purchase_order_rule_is_written_in_the_canonical_form() -> None:
    assert build_rule(Kind.PURCHASE_ORDER, "76222342342") == (
        '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342"))'
    )


def test_the_all_devices_rule_ignores_any_value() -> None:
    assert build_rule(Kind.ALL_DEVICES) == ALL_DEVICES_RULE
    assert build_rule(Kind.ALL_DEVICES, "ignored") == ALL_DEVICES_RULE
    assert ALL_DEVICES_RULE == '(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))'


def test_the_case_of_a_value_is_kept_as_written() -> None:
    assert build_rule(Kind.TAG, "Sales-Ud") == (
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales-Ud"))'
    )


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        pytest.param("plain", "plain", id="nothing to escape"),
        pytest.param('a"b', 'a`"b', id="one quote"),
        pytest.param('"', '`"', id="only a quote"),
        pytest.param('"a" "b"', '`"a`" `"b`"', id="several quotes"),
        pytest.param("it's", "it''s", id="single quote doubled"),
        pytest.param("(x)", "(x)", id="parentheses left alone"),
    ],
)
def test_a_double_quote_is_escaped_with_a_backtick(value: str, escaped: str) -> None:
    assert escape(value) == escaped


def test_a_value_with_quotes_is_written_escaped_inside_the_rule() -> None:
    assert build_rule(Kind.TAG, 'say "hi"') == (
        '(device.devicePhysicalIds -any (_ -eq "[OrderID]:say `"hi`""))'
    )


# (id, value, words the reason must contain)
REFUSED = [
    ("bell", "SALES\x07", "U+0007"),
    ("newline", "SALES\nUD", "U+000A"),
    ("carriage return", "SALES\r", "U+000D"),
    ("tab", "SALES\tUD", "U+0009"),
    ("NUL", "\x00", "U+0000"),
    ("DEL", "SALES\x7f", "U+007F"),
    ("C1 control", "SALES\x85", "U+0085"),
    ("lone surrogate", "SALES\ud800", "U+D800"),
    ("backtick", "SALES`UD", "backtick"),
    ("backtick before quote", 'SALES`"', "backtick"),
    ("backslash", "SALES\\UD", "backslash"),
    ("empty", "", "empty"),
    ("spaces only", "   ", "empty"),
    ("no-break space only", "\u00a0", "empty"),
]


@pytest.mark.parametrize(("value", "reason"), [pytest.param(v, r, id=i) for i, v, r in REFUSED])
@pytest.mark.parametrize("kind", [Kind.TAG, Kind.PURCHASE_ORDER])
def test_a_value_that_cannot_be_written_without_doubt_is_refused_with_its_reason(
    kind: Kind, value: str, reason: str
) -> None:
    with pytest.raises(UnsafeValueError, match=re.escape(reason)):
        check_value(value)
    with pytest.raises(UnsafeValueError, match=re.escape(reason)):
        build_rule(kind, value)


# The fixed part of the canonical rule, and so the longest value each kind can hold.
TAG_OVERHEAD = len('(device.devicePhysicalIds -any (_ -eq "[OrderID]:"))')
PO_OVERHEAD = len('(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:"))')
LONGEST_TAG = MAX_RULE_LENGTH - TAG_OVERHEAD
LONGEST_PO = MAX_RULE_LENGTH - PO_OVERHEAD


def test_the_longest_values_are_computed_from_the_3072_character_limit() -> None:
    assert MAX_RULE_LENGTH == 3072
    assert (LONGEST_TAG, LONGEST_PO) == (3020, 3012)


@pytest.mark.parametrize(
    ("kind", "longest"),
    [
        pytest.param(Kind.TAG, LONGEST_TAG, id="tag"),
        pytest.param(Kind.PURCHASE_ORDER, LONGEST_PO, id="purchase order"),
    ],
)
def test_a_rule_of_exactly_3072_characters_is_accepted_and_one_more_is_refused(
    kind: Kind, longest: int
) -> None:
    rule = build_rule(kind, "x" * longest)
    assert len(rule) == MAX_RULE_LENGTH
    assert parse_target(rule) == Target(kind, "x" * longest)
    with pytest.raises(UnsafeValueError, match="3073 characters; Entra allows at most 3072"):
        build_rule(kind, "x" * (longest + 1))


def test_the_length_limit_counts_the_escape_backticks() -> None:
    fits = "x" * (LONGEST_TAG - 2) + '"'  # one quote costs two characters
    assert len(build_rule(Kind.TAG, fits)) == MAX_RULE_LENGTH
    with pytest.raises(UnsafeValueError, match="3073 characters"):
        build_rule(Kind.TAG, "x" * (LONGEST_TAG - 1) + '"')


ACCEPTED = [
    ("plain", "SALES-UD"),
    ("mixed case", "Sales-Ud"),
    ("digits", "179887111881"),
    ("quotes", 'say "hi"'),
    ("quote at the end", 'end"'),
    ("quote at the start", '"start'),
    ("single quotes", "it's"),
    ("parentheses", "a (b) c"),
    ("square brackets", "[OrderID]:nested"),
    ("spaces around", "  padded  "),
    ("unicode letters", "Straße-ÄÖÜ-日本"),
    ("emoji", "team-🚀"),
    ("rule words", '-or _ -eq "x"'),
    ("longest", "y" * LONGEST_TAG),
]


@pytest.mark.parametrize("value", [pytest.param(v, id=i) for i, v in ACCEPTED])
@pytest.mark.parametrize("kind", [Kind.TAG, Kind.PURCHASE_ORDER])
def test_an_accepted_value_reads_back_exactly_from_its_rule(kind: Kind, value: str) -> None:
    if kind is Kind.PURCHASE_ORDER and len(value) > LONGEST_PO:
        value = value[:LONGEST_PO]
    assert parse_target(build_rule(kind, value)) == Target(kind, value)


@given(value=st.text(), kind=st.sampled_from([Kind.TAG, Kind.PURCHASE_ORDER]))
@example(value='"', kind=Kind.TAG)
@example(value="`", kind=Kind.TAG)
@example(value="\\", kind=Kind.TAG)
@example(value="\u2028", kind=Kind.TAG)
@example(value=" \u200b ", kind=Kind.PURCHASE_ORDER)
@example(value='")) -or (device.deviceOSType -eq "Windows', kind=Kind.TAG)
def test_any_text_is_either_refused_or_reads_back_exactly(kind: Kind, value: str) -> None:
    try:
        rule = build_rule(kind, value)
    except UnsafeValueError:
        return
    assert len(rule) <= MAX_RULE_LENGTH
    assert parse_target(rule) == Target(kind, value)
