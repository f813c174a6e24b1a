"""The strict profile (``Emulator(strict=True)``, ``serve --strict``): a stricter Graph.

Where the sources leave a point open, the default profile answers as Graph most likely does;
the strict one takes the strictest plausible reading, so an app that passes under both copes
whichever way the real service falls. Every point, with its source, is in the README's
"Strict profile" table. The checks that need an endpoint's state live in that endpoint
(``strict`` flags in ``groups.py``, ``group_listing.py``, ``devices.py``,
``autopilot_profiles.py``, ``enrollment_configurations.py``, ``configuration_policies.py``,
``membership_targets.py``); the pure ones are here.
"""

from __future__ import annotations

import re
from typing import Any

from graph_emulator.errors import GraphError, unsupported_query
from graph_emulator.group_model import invalid_property
from graph_emulator.odata import Expr, expression_height, uses_or

JsonDict = dict[str, Any]

MAX_FILTER_HEIGHT = 3  # microsoft-graph-docs-contrib #7580
MAX_DESCRIPTION = 1024  # microsoft-graph-docs #6675 (community answer)
# The copies disagree on a nickname's characters: the safest set (docs/graph-contract.md, row 23)
_NICKNAME = re.compile(r"[A-Za-z0-9_-]+")


def check_group_filter(expr: Expr) -> None:
    """400 for a group ``$filter`` higher than 3, then for any ``or``."""
    height = expression_height(expr)
    if height > MAX_FILTER_HEIGHT:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"The search filter expression has excessive height: {height}. "
            f"Max allowed: {MAX_FILTER_HEIGHT}.",
        )
    if uses_or(expr):
        raise unsupported_query()


def check_group(group: JsonDict) -> JsonDict:
    """The stricter limits on a group's resulting state (after the default validation)."""
    if not _NICKNAME.fullmatch(group.get("mailNickname") or ""):
        raise invalid_property("mailNickname")
    if len(group.get("description") or "") > MAX_DESCRIPTION:
        raise invalid_property("description")
    return group
