"""OData ``$filter`` parsing shared by the device and group endpoints.

This only builds a small AST; each endpoint decides which forms it supports and how it
answers the rest (Intune and Entra answer unsupported filters differently:
graph_emulator/README.md, "What it emulates"; docs/graph-contract.md, row 6).
String literals use single quotes with ``''`` for an embedded quote (OData ABNF).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Literal = str | bool | None | int


class FilterSyntaxError(ValueError):
    """The ``$filter`` text is not well-formed OData."""


@dataclass(frozen=True)
class Compare:
    """``prop op literal``; ``prop`` may be the lambda variable inside ``any``."""

    prop: str
    op: str  # eq ne gt ge lt le in has
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class Call:
    """``func(prop, literal)`` for contains/startswith/endswith."""

    func: str
    prop: str
    value: Literal


@dataclass(frozen=True)
class AnyAll:
    """``prop/any(c:c eq 'x')``."""

    prop: str
    quantifier: str  # any / all
    variable: str
    body: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # and / or
    left: Expr
    right: Expr


@dataclass(frozen=True)
class NotOp:
    operand: Expr


Expr = Compare | Call | AnyAll | BoolOp | NotOp

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)(?![\w.])|(?P<name>[A-Za-z_$@][\w./$@]*)"
    r"|(?P<punct>[(),:\[\]]))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le", "in", "has"}
_FUNCS = {"contains", "startswith", "endswith"}


def parse_filter(text: str) -> Expr:
    """Parse ``text`` or raise :class:`FilterSyntaxError`."""
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    expr = parser.parse_or()
    if parser.peek() is not None:
        raise FilterSyntaxError(f"Syntax error at position {parser.position()} in '{text}'.")
    return expr


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise FilterSyntaxError(f"Syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def position(self) -> int:
        token = self.peek()
        return token[2] if token else -1

    def next(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError("Unexpected end of $filter expression.")
        self.index += 1
        return token

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "name" and token[1].lower() == word

    def expect_punct(self, punct: str) -> None:
        kind, text, pos = self.next()
        if kind != "punct" or text != punct:
            raise FilterSyntaxError(f"Expected '{punct}' at position {pos}, found '{text}'.")

    def parse_or(self) -> Expr:
        left = self.parse_and()
        while self.is_word("or"):
            self.next()
            left = BoolOp("or", left, self.parse_and())
        return left

    def parse_and(self) -> Expr:
        left = self.parse_unary()
        while self.is_word("and"):
            self.next()
            left = BoolOp("and", left, self.parse_unary())
        return left

    def parse_unary(self) -> Expr:
        if self.is_word("not"):
            self.next()
            return NotOp(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Expr:
        kind, text, pos = self.next()
        if kind == "punct" and text == "(":
            expr = self.parse_or()
            self.expect_punct(")")
            return expr
        if kind != "name":
            raise FilterSyntaxError(f"Syntax error at position {pos}: unexpected '{text}'.")
        nxt = self.peek()
        if text.lower() in _FUNCS and nxt is not None and nxt[1] == "(":
            self.next()
            prop = self.expect_name()
            self.expect_punct(",")
            value = self.parse_literal()
            self.expect_punct(")")
            return Call(text.lower(), prop, _scalar(value))
        lambda_match = re.fullmatch(r"(.+)/(any|all)", text, re.I)
        if lambda_match and nxt is not None and nxt[1] == "(":
            self.next()
            variable = self.expect_name()
            self.expect_punct(":")
            body = self.parse_or()
            self.expect_punct(")")
            return AnyAll(lambda_match.group(1), lambda_match.group(2).lower(), variable, body)
        op_kind, op_text, op_pos = self.next()
        op = op_text.lower()
        if op_kind != "name" or op not in _COMPARE:
            raise FilterSyntaxError(f"Syntax error at position {op_pos}: unexpected '{op_text}'.")
        return Compare(text, op, self.parse_literal())

    def expect_name(self) -> str:
        kind, text, pos = self.next()
        if kind != "name":
            raise FilterSyntaxError(f"Expected a property name at position {pos}, found '{text}'.")
        return text

    def parse_literal(self) -> Literal | tuple[Literal, ...]:
        kind, text, pos = self.next()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if kind == "name" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        if kind == "punct" and text == "(":
            items: list[Literal] = []
            while True:
                items.append(_scalar(self.parse_literal()))
                _kind2, text2, _ = self.next()
                if text2 == ")":
                    return tuple(items)
                if text2 != ",":
                    raise FilterSyntaxError(f"Expected ',' or ')' in list, found '{text2}'.")
        raise FilterSyntaxError(f"Expected a literal at position {pos}, found '{text}'.")


def _scalar(value: Literal | tuple[Literal, ...]) -> Literal:
    if isinstance(value, tuple):
        raise FilterSyntaxError("A list is only valid after 'in'.")
    return value


def expression_height(expr: Expr) -> int:
    """How high the filter's tree is, counted as the directory seems to count it.

    A comparison, a function call and a lambda (``groupTypes/any(c:c eq 'x')``) are leaves
    of height 1; ``not`` adds one; a run of the same operator (``a and b and c``, however
    parenthesised) is one node that adds one. This reproduces both data points of
    microsoft-graph-docs-contrib #7580: ``(any or (eq and eq)) and startswith`` is refused
    with "excessive height: 4", and ``(any and startswith) or (eq and eq and startswith)`` is
    accepted (height 3).
    """
    if isinstance(expr, BoolOp):
        return 1 + max(expression_height(e) for e in _operands(expr, expr.op))
    if isinstance(expr, NotOp):
        return 1 + expression_height(expr.operand)
    return 1


def uses_or(expr: Expr) -> bool:
    if isinstance(expr, BoolOp):
        return expr.op == "or" or uses_or(expr.left) or uses_or(expr.right)
    if isinstance(expr, NotOp):
        return uses_or(expr.operand)
    if isinstance(expr, AnyAll):
        return uses_or(expr.body)
    return False


def _operands(expr: Expr, op: str) -> list[Expr]:
    if isinstance(expr, BoolOp) and expr.op == op:
        return _operands(expr.left, op) + _operands(expr.right, op)
    return [expr]
