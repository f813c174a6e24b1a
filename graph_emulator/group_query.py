"""Which group queries the directory answers, and how (docs/graph-contract.md, rows 4-8).

Default queries support ``eq``/``startswith`` (and ``groupTypes/any``); ``ne``, ``not``,
``endswith``, ``$search``, ``$count`` and ``$orderby`` with ``$filter`` are "advanced
queries" that need ``ConsistencyLevel: eventual``. String comparisons ignore case, as the
directory's do: ``displayName eq 'sales-ud'`` finds ``SALES-UD``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from graph_emulator.errors import GraphError, unsupported_query
from graph_emulator.odata import (
    AnyAll,
    BoolOp,
    Call,
    Compare,
    Expr,
    FilterSyntaxError,
    Literal,
    NotOp,
    parse_filter,
)

JsonDict = dict[str, Any]
Predicate = Callable[[JsonDict], bool]

_STRING = {
    "id",
    "displayName",
    "mailNickname",
    "description",
    "membershipRule",
    "membershipRuleProcessingState",
    "uniqueName",
    "mail",
    "visibility",
    "classification",
}
_BOOL = {"securityEnabled", "mailEnabled", "isAssignableToRole"}
_COLLECTIONS = {"groupTypes", "proxyAddresses"}
_STARTSWITH = {"displayName", "mailNickname", "description", "membershipRule", "uniqueName", "mail"}


@dataclass(frozen=True)
class CompiledFilter:
    predicate: Predicate
    advanced: bool  # needs ConsistencyLevel: eventual


def compile_group_filter(text: str, check: Callable[[Expr], None] | None = None) -> CompiledFilter:
    """The filter's predicate; ``check`` may refuse the parsed expression first (strict)."""
    try:
        expr = parse_filter(text)
    except FilterSyntaxError as exc:
        raise GraphError(400, "BadRequest", f"Invalid filter clause: {exc}") from None
    if check is not None:
        check(expr)
    flags: list[bool] = []
    predicate = _compile(expr, flags, None)
    return CompiledFilter(predicate, any(flags))


def _unsupported(prop: str) -> GraphError:
    return unsupported_query(
        f"Unsupported or invalid query filter clause specified for property '{prop}' of "
        "resource 'Group'."
    )


def _unknown(prop: str) -> GraphError:
    return GraphError(
        400,
        "BadRequest",
        f"Could not find a property named '{prop}' on type 'microsoft.graph.group'.",
    )


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _compile(expr: Expr, advanced: list[bool], variable: str | None) -> Predicate:
    if isinstance(expr, BoolOp):
        left = _compile(expr.left, advanced, variable)
        right = _compile(expr.right, advanced, variable)
        if expr.op == "and":
            return lambda g: left(g) and right(g)
        return lambda g: left(g) or right(g)
    if isinstance(expr, NotOp):
        advanced.append(True)
        inner = _compile(expr.operand, advanced, variable)
        return lambda g: not inner(g)
    if isinstance(expr, AnyAll):
        return _compile_lambda(expr, advanced)
    if isinstance(expr, Call):
        return _compile_call(expr, advanced)
    return _compile_compare(expr, advanced, variable)


def _compile_lambda(expr: AnyAll, advanced: list[bool]) -> Predicate:
    if expr.prop not in _COLLECTIONS:
        raise _unknown(expr.prop) if expr.prop not in _STRING | _BOOL else _unsupported(expr.prop)
    if expr.quantifier != "any":
        raise _unsupported(expr.prop)
    body = expr.body
    if not (isinstance(body, Compare) and body.prop == expr.variable and body.op == "eq"):
        raise _unsupported(expr.prop)
    wanted = _fold(_string_literal(expr.prop, body.value))
    prop = expr.prop
    return lambda g: any(_fold(v) == wanted for v in g.get(prop) or [])


def _compile_call(expr: Call, advanced: list[bool]) -> Predicate:
    prop = expr.prop
    if prop not in _STRING | _BOOL | _COLLECTIONS:
        raise _unknown(prop)
    if expr.func == "contains" or prop not in _STARTSWITH:
        raise _unsupported(prop)
    if expr.func == "endswith":
        advanced.append(True)
    wanted = str(_fold(_string_literal(prop, expr.value)))
    if expr.func == "startswith":
        return lambda g: str(_fold(g.get(prop) or "")).startswith(wanted)
    return lambda g: str(_fold(g.get(prop) or "")).endswith(wanted)


def _compile_compare(expr: Compare, advanced: list[bool], variable: str | None) -> Predicate:
    prop = expr.prop
    if prop not in _STRING | _BOOL:
        raise _unknown(prop) if prop not in _COLLECTIONS else _unsupported(prop)
    if expr.op not in ("eq", "ne", "in"):
        raise _unsupported(prop)
    if expr.op == "ne":
        advanced.append(True)
    if expr.op == "in":
        if not isinstance(expr.value, tuple):
            raise GraphError(400, "BadRequest", "Invalid filter clause: 'in' needs a list.")
        options = {_fold(_check_type(prop, v)) for v in expr.value}
        return lambda g: _fold(g.get(prop)) in options
    wanted = _fold(_check_type(prop, expr.value))
    if expr.op == "eq":
        return lambda g: _fold(g.get(prop)) == wanted
    return lambda g: _fold(g.get(prop)) != wanted


def _check_type(prop: str, value: Literal | tuple[Literal, ...]) -> Literal:
    if value is None:
        return None
    expected = bool if prop in _BOOL else str
    if not isinstance(value, expected) or isinstance(value, tuple):
        found = "Edm.Boolean" if isinstance(value, bool) else "Edm.String"
        wanted = "Edm.Boolean" if expected is bool else "Edm.String"
        if isinstance(value, int) and not isinstance(value, bool):
            found = "Edm.Int32"
        raise GraphError(
            400,
            "BadRequest",
            "A binary operator with incompatible types was detected. Found operand types "
            f"'{wanted}' and '{found}' for operator kind 'Equal'.",
        )
    return value


def _string_literal(prop: str, value: Literal | tuple[Literal, ...]) -> str:
    if not isinstance(value, str):
        raise GraphError(400, "BadRequest", f"Invalid filter clause: '{prop}' needs a string.")
    return value


def parse_orderby(text: str, allowed: Collection[str] = ("displayName",)) -> tuple[str, bool]:
    """``prop [asc|desc]`` -> (property, descending) for a property in ``allowed``."""
    parts = text.split()
    if not parts or len(parts) > 2 or parts[0] not in allowed:
        raise unsupported_query(f"Unsupported $orderby clause '{text}'.")
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise GraphError(400, "BadRequest", f"Invalid $orderby direction '{parts[1]}'.")
    return parts[0], direction == "desc"


def compile_search(text: str) -> Predicate:
    """``"displayName:term"`` clauses joined by ``AND`` or ``OR``: a case-insensitive substring
    match, a simplification of the directory's tokenised search."""
    terms = re.findall(r'"([^"]*)"', text)
    joiners = set(re.sub(r'"[^"]*"', " ", text).split())
    if not terms or not joiners <= {"AND", "OR"} or len(joiners) > 1:
        raise unsupported_query(f'Unsupported $search value {text!r}: use "property:term".')
    clauses: list[Predicate] = []
    for term in terms:
        prop, sep, value = term.partition(":")
        if not sep or prop not in ("displayName", "description", "mailNickname"):
            raise unsupported_query(f"Unsupported $search clause '{term}'.")
        folded = value.casefold()
        clauses.append(_contains(prop, folded))
    if joiners == {"OR"}:
        return lambda g: any(c(g) for c in clauses)
    return lambda g: all(c(g) for c in clauses)


def _contains(prop: str, folded: str) -> Predicate:
    return lambda g: folded in str(g.get(prop) or "").casefold()
