"""Hypothesis strategies for what ticketing systems send: anything at all, and near-requests.

Near-requests matter most: a message that is almost valid reaches the rule builder, which is
where an injection would do harm. Hostile values mix rule syntax (quotes, the backtick escape,
parentheses, ``-or``), unicode of every category, and sizes around every limit.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from shared.config.catalogue_file import SHIPPED_CATALOGUE, load_catalogue
from shared.core.request_schema import MAX_VALUE, REQUEST_FIELDS

SCENARIOS = load_catalogue(SHIPPED_CATALOGUE).keys()

INJECTIONS = [
    'x")) -or (device.deviceId -ne null',
    'x")) -or (device.deviceId -ne null) -or ((device.devicePhysicalIds -any (_ -eq "y',
    'A"B',
    'A`"B',
    '"',
    "'",
    "O'Brien",
    "a'' -or ''b",
    ") -or (",
    "_ -eq",
    "[ZTDId]",
    "[OrderID]:x",
    "x -or device.accountEnabled -eq true",
    "\u202eRTL",
    "tag\u2028line",
    "\ufeffBOM",
    "null",
    "$(Get-Process)",
]

_RULE_PIECES = st.sampled_from([*list("\"`'()_- \\[]:$.,;*?!{}<>=@&|~^%#"), " -or ", " -and "])
_ANY_CHAR = st.characters(codec=None)

values = st.one_of(
    st.sampled_from(INJECTIONS),
    st.sampled_from(["SALES-UD\n", " SALES", "SALES\u3000", "\u0085X", "X\u200bY", "\ufeffX"]),
    st.lists(
        st.one_of(_RULE_PIECES, st.characters(min_codepoint=32, max_codepoint=126)), max_size=30
    ).map("".join),
    st.text(_ANY_CHAR, max_size=40),
    st.integers(min_value=MAX_VALUE - 60, max_value=MAX_VALUE + 2).map(lambda n: "T" * n),
    st.integers(min_value=1, max_value=4).map(lambda n: "\U0001f600" * (MAX_VALUE // n)),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def near_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A version-1 request, mostly right, with hostile values and the odd wrong field."""
    document: dict[str, Any] = {
        "requestId": draw(
            st.one_of(
                st.from_regex(r"[A-Za-z0-9._:-]{1,20}", fullmatch=True),
                st.sampled_from(["RITM1\n", "RITM 1", "a" * 129, ""]),
                st.text(max_size=12),
                json_values,
            )
        ),
        "scenario": draw(
            st.one_of(
                st.sampled_from(SCENARIOS),
                st.sampled_from(["user-driven\n", "User-driven", "-k"]),
                st.text(max_size=12),
            )
        ),
    }
    field = draw(st.sampled_from(["groupTag", "purchaseOrderId"]))
    document[field] = draw(st.one_of(values, values, values, json_values))
    if draw(st.booleans()):
        document["requestedBy"] = draw(
            st.one_of(
                st.text(max_size=300),
                st.sampled_from(["it\tdesk", "a\x85b", "\u00a0x", "x\n"]),
                json_values,
            )
        )
    if draw(st.integers(0, 9)) == 0:
        document["version"] = draw(st.one_of(st.just(1), json_values))
    if draw(st.integers(0, 19)) == 0:
        document[draw(st.text(max_size=8).filter(lambda k: k not in REQUEST_FIELDS))] = 1
    if draw(st.integers(0, 19)) == 0:
        document["purchaseOrderId" if field == "groupTag" else "groupTag"] = "X"
    return document


def _encode(document: Any, ensure_ascii: bool) -> bytes:
    return json.dumps(document, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


messages = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda d: _encode(d, True)),
    near_requests().flatmap(lambda d: st.sampled_from([_encode(d, True), _encode(d, False)])),
    near_requests().flatmap(lambda d: st.sampled_from([_encode(d, True), _encode(d, False)])),
    near_requests().flatmap(lambda d: st.sampled_from([_encode(d, True), _encode(d, False)])),
)
