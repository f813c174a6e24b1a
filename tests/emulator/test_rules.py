"""The rule parser accepts Microsoft's documented rules and refuses what Entra refuses."""

from __future__ import annotations

import pytest

from graph_emulator.rules import (
    And,
    Comparison,
    Condition,
    Not,
    Or,
    Quantified,
    RuleSyntaxError,
    comparisons,
    parse_rule,
)

DOCUMENTED_RULES = [
    # memdocs enrollment-autopilot.md and the tutorial include
    '(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))',
    '(device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881"))',
    '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342"))',
    # Entra rule reference, without inner parentheses
    'device.devicePhysicalIDs -any _ -startsWith "[ZTDId]"',
    'device.devicePhysicalIds -any _ -eq "[OrderID]:179887111881"',
    # older memdocs
    '(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))',
    '(device.devicePhysicalIds -all _ -notContains "[ZTDID]")',
    "device.objectId -ne null",
    '(user.proxyAddresses -any (_ -startsWith "contoso"))',
    'user.department -eq "Sales" -and user.country -eq "US"',
    'device.deviceOSType -in ["Windows", "iPad"]',
    "device.accountEnabled -eq true",
    'device.enrollmentProfileName -eq "OfflineAutopilotprofile-1234"',
    # The rule reference's escaping example reads `user.department -eq `"Sales`"`, without
    # enclosing quotes (a rendering artefact); its meaning, a value with quotes, is:
    'user.department -eq "`"Sales`""',
]


@pytest.mark.parametrize("rule", DOCUMENTED_RULES)
def test_documented_rules_parse(rule: str) -> None:
    assert parse_rule(rule) is not None


def test_tag_rule_is_one_eq_comparison_on_the_order_id() -> None:
    node = parse_rule('(device.devicePhysicalIds -any (_ -eq "[OrderID]:SALES-UD"))')
    assert comparisons(node) == [
        Condition("device.devicePhysicalIds", "-eq", "[OrderID]:SALES-UD", "-any")
    ]
    assert isinstance(node, Quantified) and node.parenthesized


def test_both_lambda_spellings_give_the_same_condition() -> None:
    with_parens = parse_rule('device.devicePhysicalIds -any (_ -eq "x")')
    without = parse_rule('device.devicePhysicalIDs -any _ -eq "x"')
    assert comparisons(with_parens) == comparisons(without)
    assert isinstance(without, Quantified) and not without.parenthesized
    assert without.property.spelled == "device.devicePhysicalIDs"
    assert without.property.name == "devicePhysicalIds"


def test_operators_are_case_insensitive_and_the_hyphen_is_optional() -> None:
    node = parse_rule('device.deviceModel EQ "x" and device.deviceOSType -STARTSWITH "Win"')
    assert [(c.operator, c.value) for c in comparisons(node)] == [
        ("-eq", "x"),
        ("-startsWith", "Win"),
    ]


def test_precedence_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    node = parse_rule(
        'device.deviceModel -eq "a" -or -not device.deviceModel -eq "b" '
        "-and device.isRooted -eq false"
    )
    assert isinstance(node, Or)
    right = node.operands[1]
    assert isinstance(right, And) and isinstance(right.operands[0], Not)
    assert isinstance(right.operands[1], Comparison)


def test_backtick_escapes_a_double_quote() -> None:
    node = parse_rule('(device.devicePhysicalIds -any (_ -eq "[OrderID]:QA-`"Q`"-UD"))')
    assert comparisons(node)[0].value == '[OrderID]:QA-"Q"-UD'


def test_doubled_single_quote_is_one_single_quote() -> None:
    node = parse_rule("user.department -eq \"O''Brien\"")
    assert comparisons(node)[0].value == "O'Brien"


def test_lists_nulls_and_booleans_are_values() -> None:
    node = parse_rule('device.deviceOSType -in ["a","b"] -and device.objectId -ne null')
    assert [c.value for c in comparisons(node)] == [("a", "b"), None]


BAD_RULES = {
    "empty": "",
    "unknown property": 'device.colour -eq "red"',
    "unknown object": 'computer.displayName -eq "x"',
    "unquoted value": "device.deviceModel -eq x",
    "unterminated string": 'device.deviceModel -eq "x',
    "unescaped quote inside": 'device.deviceModel -eq "a"b"',
    "control character": 'device.deviceModel -eq "a\x07b"',
    "newline inside a value": 'device.deviceModel -eq "a\nb"',
    "backtick before a letter": 'device.deviceModel -eq "a`b"',
    "lone single quote": 'device.deviceModel -eq "O\'Brien"',
    "unknown operator": 'device.deviceModel -like "x"',
    "missing operand": "device.deviceModel -eq",
    "unbalanced parenthesis": '(device.deviceModel -eq "x"',
    "stray closing parenthesis": 'device.deviceModel -eq "x")',
    "any on a single-valued property": 'device.deviceModel -any (_ -eq "x")',
    "collection compared directly": 'device.devicePhysicalIds -eq "x"',
    "lambda without underscore": 'device.devicePhysicalIds -any (x -eq "y")',
    "in without a list": 'device.deviceOSType -in "Windows"',
    "list without in": 'device.deviceOSType -eq ["Windows"]',
    "boolean on a string property": "device.deviceModel -eq true",
    "string on a boolean property": 'device.accountEnabled -eq "yes"',
    "null with startsWith": "device.deviceModel -startsWith null",
    "mixed user and device": 'device.deviceModel -eq "x" -and user.department -eq "y"',
    "dangling and": 'device.deviceModel -eq "x" -and',
    "bad regex": 'device.deviceModel -match "("',
    "too long": 'device.deviceModel -eq "' + "x" * 3100 + '"',
}


@pytest.mark.parametrize("rule", BAD_RULES.values(), ids=BAD_RULES.keys())
def test_invalid_rules_raise_a_syntax_error_with_a_message(rule: str) -> None:
    with pytest.raises(RuleSyntaxError) as raised:
        parse_rule(rule)
    assert str(raised.value)


def test_the_rule_length_limit_is_3072_characters() -> None:
    prefix, suffix = 'device.deviceModel -eq "', '"'
    fits = prefix + "x" * (3072 - len(prefix) - len(suffix)) + suffix
    assert len(fits) == 3072
    parse_rule(fits)
    with pytest.raises(RuleSyntaxError, match="3072"):
        parse_rule(fits[:-1] + "x" + suffix)
