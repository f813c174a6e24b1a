"""Dynamic membership rules: building the canonical ones and recognising what any rule targets.

Building is strict: a value is written inside double quotes with the documented escape (a backtick
before an embedded ``"``), and a value that cannot be written without doubt is refused with its
reason, never sent to Graph. Recognising is tolerant: admins write the same rule many ways (with or
without the inner parentheses, any spacing, ``devicePhysicalIDs``, ``[ZTDid]``, ``[OrderId]``), and
a hand-made group for a tag must be found whichever way it was written, so that the app adopts it
instead of creating a second group.

Sources: Microsoft's "Create device groups for Windows Autopilot" page (the three Autopilot rules)
and the Entra dynamic membership rule reference (escaping, the 3,072-character limit, case
insensitivity of values, doubled single quotes); docs/graph-contract.md, rows 20 to 22.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shared.core.errors import AppError
from shared.core.model import Kind

MAX_RULE_LENGTH = 3072

ALL_DEVICES_RULE = '(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))'


PREFIXES = {Kind.TAG: "[OrderID]:", Kind.PURCHASE_ORDER: "[PurchaseOrderId]:"}


class UnsafeValueError(AppError):
    """The value cannot be written into a rule without doubt; the message says why."""


@dataclass(frozen=True)
class Target:
    """What a rule selects: one tag, one purchase order id, or every Autopilot device."""

    kind: Kind
    value: str  # as written in the rule, unescaped; "" for ALL_DEVICES


def escape(value: str) -> str:
    """Write ``value`` as the inside of a double-quoted rule string.

    The rule reference gives two escapes: a backtick before a double quote, and "two single
    quotation marks instead of one each time" (docs/graph-contract.md, row 20).
    """
    return value.replace('"', '`"').replace("'", "''")


def check_value(value: str) -> None:
    """Raise ``UnsafeValueError`` if ``value`` cannot be written into a rule without doubt."""
    if not value.strip():
        raise UnsafeValueError("the value is empty")
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise UnsafeValueError(
                f"the value contains the control character U+{ord(char):04X}, "
                "which a rule cannot hold"
            )
    if "`" in value:
        raise UnsafeValueError(
            "the value contains a backtick, the rule language's escape character; "
            "it cannot be written so that Entra reads it back unchanged"
        )
    if "\\" in value:
        raise UnsafeValueError(
            "the value contains a backslash, which Microsoft's rule documentation also "
            "describes as an escape character; it cannot be written without doubt"
        )


def build_rule(kind: Kind, value: str = "") -> str:
    """The canonical rule for a target, or ``UnsafeValueError`` with the reason it cannot be."""
    if kind is Kind.ALL_DEVICES:
        return ALL_DEVICES_RULE
    check_value(value)
    rule = f'(device.devicePhysicalIds -any (_ -eq "{PREFIXES[kind]}{escape(value)}"))'
    if len(rule) > MAX_RULE_LENGTH:
        raise UnsafeValueError(
            f"the rule would be {len(rule)} characters; Entra allows at most {MAX_RULE_LENGTH}"
        )
    return rule


# --- recognising ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\()
      | (?P<rparen>\))
      | "(?P<string>(?:[^"`]|`.)*)"
      | (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(rule: str) -> list[tuple[str, str]] | None:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = rule.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _unescape(literal: str) -> str:
    return re.sub(r"`(.)|''", lambda m: m.group(1) or "'", literal, flags=re.DOTALL)


def _strip_outer_parens(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    while len(tokens) >= 2 and tokens[0][0] == "lparen" and tokens[-1][0] == "rparen":
        depth = 0
        for index, (kind, _) in enumerate(tokens):
            depth += {"lparen": 1, "rparen": -1}.get(kind, 0)
            if depth == 0 and index < len(tokens) - 1:
                return tokens  # the first "(" closes before the end: not an outer pair
        tokens = tokens[1:-1]
    return tokens


def _operator(word: str) -> str:
    return word.lower().lstrip("-")


def parse_target(rule: str | None) -> Target | None:
    """What ``rule`` targets if it is one of the Autopilot rules, in any spelling; else None.

    Only a rule that is exactly one comparison inside ``device.devicePhysicalIds -any`` counts:
    ``-eq "[OrderID]:<tag>"``, ``-eq "[PurchaseOrderId]:<id>"``, or ``-startsWith``/``-contains``
    ``"[ZTDId]"``. A rule that also says anything else selects other devices, so it is not the
    group of that tag.
    """
    if not rule:
        return None
    tokens = _tokens(rule)
    if tokens is None:
        return None
    tokens = _strip_outer_parens(tokens)
    if len(tokens) < 5:
        return None
    (k0, prop), (k1, any_word), *body = tokens
    if k0 != "word" or prop.lower() != "device.devicephysicalids":
        return None
    if k1 != "word" or _operator(any_word) != "any":
        return None
    if body and body[0][0] == "lparen" and body[-1][0] == "rparen":
        body = body[1:-1]
    if [kind for kind, _ in body] != ["word", "word", "string"] or body[0][1] != "_":
        return None
    operator, literal = _operator(body[1][1]), _unescape(body[2][1])
    return _target_of(operator, literal)


def _target_of(operator: str, literal: str) -> Target | None:
    if operator in ("startswith", "contains") and literal.upper() == "[ZTDID]":
        return Target(Kind.ALL_DEVICES, "")
    if operator != "eq":
        return None
    for kind, prefix in PREFIXES.items():
        if literal[: len(prefix)].upper() == prefix.upper():
            value = literal[len(prefix) :]
            return Target(kind, value) if value else None
    return None
