"""One list query over groups, for ``/groups`` and the recycle bin's ``deletedItems``.

The deleted items list "supports the query parameters that are supported by the resource
that is specified by the OData cast" (contrib ``directory-deleteditems-list.md``), so both
lists answer ``$filter``, ``$search``, ``$count``, ``$orderby``, ``$select`` and ``$top`` the
same way (``group_query.py``); only what may be ordered differs: deleted items may also be
ordered by ``deletedDateTime``, which "requires adding the advanced query parameters".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph_emulator.errors import unsupported_query
from graph_emulator.group_model import GROUP_PROPERTIES
from graph_emulator.group_query import compile_group_filter, compile_search, parse_orderby
from graph_emulator.paging import check_options, page_response, parse_select, parse_top
from graph_emulator.protocol import Request, Response
from graph_emulator.strict import check_group_filter

JsonDict = dict[str, Any]
MAX_TOP = 999
LIST_OPTIONS = {"$filter", "$select", "$top", "$skiptoken", "$count", "$orderby", "$search"}
GROUP_ORDERING = {"displayName": False}  # property -> needs the advanced query parameters


def list_groups(
    request: Request,
    groups: Sequence[JsonDict],
    *,
    page_size: int,
    strict: bool,
    context: str,
    path: str,
    ordering: Mapping[str, bool] = GROUP_ORDERING,
) -> Response:
    """A page of ``groups`` (already seen through the lag) as the request's query asks."""
    check_options(request, LIST_OPTIONS)
    count = request.option("$count") == "true"
    search, text = request.option("$search"), request.option("$filter")
    orderby = request.option("$orderby")
    if (search is not None or count) and not request.advanced:
        raise unsupported_query(
            "$search and $count=true need the header 'ConsistencyLevel: eventual'."
        )
    select = parse_select(request.option("$select"), GROUP_PROPERTIES, "group")
    size = parse_top(request.option("$top"), MAX_TOP) or page_size
    compiled = compile_group_filter(text, check_group_filter if strict else None) if text else None
    order = parse_orderby(orderby, ordering) if orderby is not None else None
    needs_advanced = (
        search is not None
        or (compiled is not None and compiled.advanced)
        or (orderby is not None and (text is not None or search is not None))
        or (order is not None and ordering[order[0]])
    )
    if needs_advanced and not request.advanced:
        raise unsupported_query()
    if needs_advanced and strict and not count:
        # Strict: the docs ask for both the header and $count=true (group-list.md,
        # aad-advanced-queries.md; graph_emulator/README.md, "Strict profile").
        raise unsupported_query("An advanced query needs $count=true as well.")
    found = list(groups)
    if compiled is not None:
        found = [g for g in found if compiled.predicate(g)]
    if search is not None:
        matcher = compile_search(search)
        found = [g for g in found if matcher(g)]
    if order is not None:
        prop, descending = order
        found.sort(key=lambda g: str(g.get(prop) or "").casefold(), reverse=descending)
    return page_response(request, found, size, select, context, path, count=count)
