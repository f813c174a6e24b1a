"""A strict parser for Entra's dynamic membership rule language.

The emulator must refuse what Entra's validator refuses, so that an app tested here cannot
ship a rule that only an emulator would accept. Where Microsoft's documentation is silent or
ambiguous (docs/graph-contract.md, rows 20-22) this parser picks the *stricter* reading and
says so:

* Property names are matched case-insensitively (admins write ``devicePhysicalIDs`` and
  Microsoft's own pages publish it), but unknown properties are rejected.
* Operators are matched case-insensitively and the leading hyphen is optional, as the
  Entra rule reference says ("hyphen optional").
* Strings are double-quoted. The only escape is the documented backtick before a double
  quote (`` `" ``); the reference's example ``user.department -eq `"Sales`"`` lacks the
  enclosing quotes, read here as ``"`"Sales`""`` (a value that contains quotes).
  A backtick followed by anything else is a syntax error: the docs define no meaning
  for it (PowerShell would drop the backtick, a literal reading would keep it), so a
  rule that spells one is ambiguous and is refused. A tag containing a backtick thus
  cannot be put in a rule here.
* A single quote inside a value must be doubled (``''`` means ``'``), as the docs ask; a lone
  ``'`` is a syntax error.
* Control characters (U+0000-U+001F, U+007F) are refused inside values.
* Device and user properties cannot be mixed in one rule.

The parser is recursive descent. Precedence, from the rule reference: comparisons bind
tightest, then ``-not``, then ``-and``, then ``-or``. ``-any``/``-all`` apply to a
multi-valued property and take a condition on ``_`` with or without parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_RULE_LENGTH = 3072

Value = str | bool | None | tuple[str, ...]


class RuleSyntaxError(ValueError):
    """The rule is not valid in the dynamic membership rule language."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(f"{message}{where}")


# --- The AST -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """``device.devicePhysicalIds``: ``name`` is the documented spelling, ``spelled`` as written."""

    object: str
    name: str
    spelled: str

    @property
    def path(self) -> str:
        return f"{self.object}.{self.name}"


@dataclass(frozen=True)
class Item:
    """The lambda variable: ``_``, or ``group.objectId``/``assignedPlan.x`` inside ``-any``."""

    spelled: str


@dataclass(frozen=True)
class Comparison:
    subject: Property | Item
    operator: str  # canonical, e.g. "-eq", "-startsWith"
    value: Value


@dataclass(frozen=True)
class Quantified:
    """``<property> -any|-all <condition on _>``."""

    property: Property
    quantifier: str  # "-any" or "-all"
    condition: Comparison
    parenthesized: bool


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Comparison | Quantified | Not | And | Or


@dataclass(frozen=True)
class Condition:
    """One comparison of a rule, flattened: what the app's tests check a built rule against."""

    property: str  # e.g. "device.devicePhysicalIds"
    operator: str  # e.g. "-eq"
    value: Value
    quantifier: str | None  # "-any"/"-all" when the comparison sits inside a lambda


def comparisons(node: Node) -> list[Condition]:
    """Every comparison in ``node``, left to right, with the property it applies to."""
    return list(_walk(node))


def _walk(node: Node) -> Iterator[Condition]:
    if isinstance(node, Comparison):
        subject = node.subject
        name = subject.path if isinstance(subject, Property) else subject.spelled
        yield Condition(name, node.operator, node.value, None)
    elif isinstance(node, Quantified):
        yield Condition(
            node.property.path, node.condition.operator, node.condition.value, node.quantifier
        )
    elif isinstance(node, Not):
        yield from _walk(node.operand)
    else:
        for operand in node.operands:
            yield from _walk(operand)


# --- Vocabulary ----------------------------------------------------------------------------

_STRING_OPERATORS = [
    "-eq",
    "-ne",
    "-startsWith",
    "-notStartsWith",
    "-contains",
    "-notContains",
    "-match",
    "-notMatch",
    "-endsWith",
    "-notEndsWith",
    "-in",
    "-notIn",
]
_DATE_OPERATORS = ["-le", "-ge"]
OPERATORS = {op[1:].lower(): op for op in _STRING_OPERATORS + _DATE_OPERATORS}
_LOGICAL = {"and": "-and", "or": "-or", "not": "-not", "any": "-any", "all": "-all"}

_EXTENSIONS = [f"extensionAttribute{i}" for i in range(1, 16)]

# kind: "string", "bool", "collection", "date"
DEVICE_PROPERTIES: dict[str, str] = {
    "accountEnabled": "bool",
    "displayName": "string",
    "deviceCategory": "string",
    "deviceId": "string",
    "deviceManagementAppId": "string",
    "deviceManufacturer": "string",
    "deviceModel": "string",
    "deviceOSType": "string",
    "deviceOSVersion": "string",
    "deviceOwnership": "string",
    "devicePhysicalIds": "collection",
    "deviceTrustType": "string",
    "enrollmentProfileName": "string",
    "isRooted": "bool",
    "managementType": "string",
    "memberOf": "collection",
    "objectId": "string",
    "profileType": "string",
    "systemLabels": "string",
    **{name: "string" for name in _EXTENSIONS},
}

USER_PROPERTIES: dict[str, str] = {
    "accountEnabled": "bool",
    "dirSyncEnabled": "bool",
    "city": "string",
    "country": "string",
    "companyName": "string",
    "department": "string",
    "displayName": "string",
    "employeeId": "string",
    "employeeHireDate": "date",
    "employeeType": "string",
    "facsimileTelephoneNumber": "string",
    "givenName": "string",
    "jobTitle": "string",
    "mail": "string",
    "mailNickName": "string",
    "memberOf": "collection",
    "mobile": "string",
    "objectId": "string",
    "onPremisesDistinguishedName": "string",
    "onPremisesSamAccountName": "string",
    "onPremisesSecurityIdentifier": "string",
    "passwordPolicies": "string",
    "physicalDeliveryOfficeName": "string",
    "postalCode": "string",
    "preferredLanguage": "string",
    "sipProxyAddress": "string",
    "state": "string",
    "streetAddress": "string",
    "surname": "string",
    "telephoneNumber": "string",
    "usageLocation": "string",
    "userPrincipalName": "string",
    "userType": "string",
    "otherMails": "collection",
    "proxyAddresses": "collection",
    "assignedPlans": "collection",
    **{name: "string" for name in _EXTENSIONS},
}

_OBJECTS = {"device": DEVICE_PROPERTIES, "user": USER_PROPERTIES}
_LOOKUP = {obj: {k.lower(): k for k in props} for obj, props in _OBJECTS.items()}
_CUSTOM_EXTENSION = re.compile(r"extension_[0-9a-fA-F]{32}_\w+\Z")
# Lambda subjects other than "_" that the rule reference documents.
_ITEM_SUBJECTS = {"memberOf": re.compile(r"group\.objectId\Z", re.I), "assignedPlans": None}
_ASSIGNED_PLAN = re.compile(r"assignedPlan\.(servicePlanId|capabilityStatus|service)\Z", re.I)


# --- Tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "(", ")", "[", "]", ",", "end"
    text: str
    value: str
    pos: int


_WORD = re.compile(r"-?[A-Za-z_][A-Za-z0-9_.]*")
_SPACE = " \t\r\n"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
        elif ch in "()[],":
            tokens.append(_Token(ch, ch, ch, i))
            i += 1
        elif ch == '"':
            value, end = _read_string(text, i)
            tokens.append(_Token("string", text[i:end], value, i))
            i = end
        elif match := _WORD.match(text, i):
            tokens.append(_Token("word", match.group(), match.group(), i))
            i = match.end()
        else:
            raise RuleSyntaxError(f"unexpected character {ch!r}", i)
    tokens.append(_Token("end", "", "", n))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read a double-quoted value starting at ``start``; return (value, index after it)."""
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "`":
            if i + 1 < n and text[i + 1] == '"':
                out.append('"')
                i += 2
                continue
            raise RuleSyntaxError('a backtick may only escape a double quote (`")', i)
        if ch == "'":
            if i + 1 < n and text[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            raise RuleSyntaxError("a single quote inside a value must be doubled ('')", i)
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise RuleSyntaxError(f"control character {ch!r} inside a value", i)
        out.append(ch)
        i += 1
    raise RuleSyntaxError("unterminated string (missing closing double quote)", start)


# --- Parser ------------------------------------------------------------------------------


def parse_rule(text: str) -> Node:
    """Parse ``text`` into an AST, or raise :class:`RuleSyntaxError` saying what is wrong."""
    if not text.strip():
        raise RuleSyntaxError("the rule is empty")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(f"the rule is {len(text)} characters; the maximum is 3072")
    parser = _Parser(_tokenize(text))
    node = parser.parse_or()
    parser.expect("end", "end of rule")
    objects = {o for o in parser.objects}
    if len(objects) > 1:
        raise RuleSyntaxError("a rule cannot mix user and device properties")
    return node


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.objects: list[str] = []

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        token = self.current
        if token.kind != kind:
            found = token.text or "end of rule"
            raise RuleSyntaxError(f"expected {what}, found {found!r}", token.pos)
        return self.advance()

    def keyword(self) -> str | None:
        """The canonical logical keyword at the cursor (``-and``...), if any."""
        token = self.current
        if token.kind != "word":
            return None
        return _LOGICAL.get(token.text.removeprefix("-").lower())

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.keyword() == "-or":
            self.advance()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while self.keyword() == "-and":
            self.advance()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_not(self) -> Node:
        if self.keyword() == "-not":
            self.advance()
            return Not(self.parse_not())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        if self.current.kind == "(":
            self.advance()
            node = self.parse_or()
            self.expect(")", "')'")
            return node
        prop = self.parse_property()
        quantifier = self.keyword()
        if quantifier in ("-any", "-all"):
            self.advance()
            return self.parse_quantified(prop, quantifier)
        if _kind(prop) == "collection":
            raise RuleSyntaxError(
                f"{prop.spelled} is multi-valued: use -any or -all", self.current.pos
            )
        operator = self.parse_operator()
        value = self.parse_value()
        _check_operand(_kind(prop), prop.spelled, operator, value, self.current.pos)
        return Comparison(prop, operator, value)

    def parse_property(self) -> Property:
        token = self.current
        if token.kind != "word" or token.text.startswith("-") or "." not in token.text:
            found = token.text or "end of rule"
            raise RuleSyntaxError(
                f"expected a property such as device.x, found {found!r}", token.pos
            )
        self.advance()
        obj, _, name = token.text.partition(".")
        if obj not in _OBJECTS:
            raise RuleSyntaxError(f"unknown object {obj!r} (expected device or user)", token.pos)
        canonical = _LOOKUP[obj].get(name.lower())
        if canonical is None and _CUSTOM_EXTENSION.match(name):
            canonical = name
        if canonical is None:
            raise RuleSyntaxError(f"attribute not supported: {token.text}", token.pos)
        self.objects.append(obj)
        return Property(obj, canonical, token.text)

    def parse_operator(self) -> str:
        token = self.current
        if token.kind == "word":
            operator = OPERATORS.get(token.text.removeprefix("-").lower())
            if operator is not None:
                self.advance()
                return operator
        raise RuleSyntaxError(
            f"expected an operator, found {token.text or 'end of rule'!r}", token.pos
        )

    def parse_quantified(self, prop: Property, quantifier: str) -> Quantified:
        if _kind(prop) != "collection":
            raise RuleSyntaxError(
                f"{quantifier} applies to multi-valued properties, not {prop.spelled}",
                self.current.pos,
            )
        parenthesized = self.current.kind == "("
        if parenthesized:
            self.advance()
        token = self.current
        if token.kind != "word" or not _valid_item(prop, token.text):
            raise RuleSyntaxError(f"expected _ after {quantifier}, found {token.text!r}", token.pos)
        self.advance()
        operator = self.parse_operator()
        value = self.parse_value()
        _check_operand("string", token.text, operator, value, token.pos)
        if parenthesized:
            self.expect(")", "')'")
        return Quantified(
            prop, quantifier, Comparison(Item(token.text), operator, value), parenthesized
        )

    def parse_value(self) -> Value:
        token = self.current
        if token.kind == "string":
            self.advance()
            return token.value
        if token.kind == "[":
            self.advance()
            items: list[str] = []
            while True:
                items.append(self.expect("string", "a quoted value in the list").value)
                if self.current.kind == ",":
                    self.advance()
                    continue
                self.expect("]", "']' or ','")
                return tuple(items)
        if token.kind == "word":
            literal = token.text.lower()
            if literal in ("true", "false", "null"):
                self.advance()
                return {"true": True, "false": False, "null": None}[literal]
        raise RuleSyntaxError(f"expected a value, found {token.text or 'end of rule'!r}", token.pos)


def _kind(prop: Property) -> str:
    if prop.name.startswith("extension_"):
        return "string"
    return _OBJECTS[prop.object][prop.name]


def _valid_item(prop: Property, text: str) -> bool:
    if text == "_":
        return True
    if prop.name == "memberOf":
        pattern = _ITEM_SUBJECTS["memberOf"]
        return pattern is not None and bool(pattern.match(text))
    return prop.name == "assignedPlans" and bool(_ASSIGNED_PLAN.match(text))


def _check_operand(kind: str, subject: str, operator: str, value: Value, pos: int) -> None:
    """Refuse operand/operator pairs Entra's validator refuses ("Invalid operands found")."""
    is_list = isinstance(value, tuple)
    if operator in ("-in", "-notIn") and not is_list:
        raise RuleSyntaxError(f'{operator} needs a list such as ["a", "b"]', pos)
    if operator not in ("-in", "-notIn") and is_list:
        raise RuleSyntaxError(f"a list is only valid with -in or -notIn, not {operator}", pos)
    if value is None and operator not in ("-eq", "-ne"):
        raise RuleSyntaxError(f"null is only valid with -eq or -ne, not {operator}", pos)
    if operator in ("-le", "-ge") and kind != "date":
        raise RuleSyntaxError(
            f"operator isn't supported on attribute: {operator} on {subject}", pos
        )
    if kind == "bool":
        if operator not in ("-eq", "-ne") or not isinstance(value, bool | None):
            raise RuleSyntaxError(f"{subject} takes -eq/-ne with true or false", pos)
    elif isinstance(value, bool):
        raise RuleSyntaxError(f"invalid operands found for operator {operator}: {subject}", pos)
    if operator in ("-match", "-notMatch") and isinstance(value, str):
        try:
            re.compile(value)
        except re.error as exc:
            raise RuleSyntaxError(f"invalid regular expression: {exc}", pos) from None
