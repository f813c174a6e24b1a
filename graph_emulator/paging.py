"""Query options shared by list endpoints: ``$top``, ``$select`` and opaque ``$skiptoken`` paging.

Graph's ``@odata.nextLink`` is an absolute URL that repeats the query and adds an opaque
``$skiptoken`` (docs/graph-contract.md, row 1); clients must follow it whole.
Every list but the device list (which serialises from its own cache) answers through
:func:`page_response`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from graph_emulator.errors import GraphError
from graph_emulator.protocol import Request, Response, json_response

JsonDict = dict[str, Any]

_TOKEN_PREFIX = "emu1:"


def encode_skiptoken(offset: int) -> str:
    raw = f"{_TOKEN_PREFIX}{offset}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        if not raw.startswith(_TOKEN_PREFIX):
            raise ValueError(raw)
        offset = int(raw[len(_TOKEN_PREFIX) :])
        if offset < 0:
            raise ValueError(raw)
        return offset
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise GraphError(400, "BadRequest", "The $skiptoken value is not valid.") from None


def next_link(url: str, query: list[tuple[str, str]], offset: int) -> str:
    """``url`` with the original query options (minus any old token) and a new ``$skiptoken``."""
    pairs = [(k, v) for k, v in query if k != "$skiptoken"]
    pairs.append(("$skiptoken", encode_skiptoken(offset)))
    encoded = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',()')}" for k, v in pairs)
    return f"{url}?{encoded}"


def parse_top(value: str | None, maximum: int | None) -> int | None:
    if value is None:
        return None
    try:
        top = int(value)
    except ValueError:
        raise GraphError(400, "BadRequest", f"Invalid value '{value}' for $top.") from None
    if top < 1 or (maximum is not None and top > maximum):
        high = f" and {maximum}" if maximum is not None else ""
        raise GraphError(
            400,
            "Request_BadRequest",
            f"Invalid page size specified: '{top}'. Must be between 1{high}.",
        )
    return top


def parse_select(value: str | None, known: Iterable[str], type_name: str) -> tuple[str, ...] | None:
    """The selected properties, ``id`` first and always included; None when no ``$select``."""
    if value is None:
        return None
    known_set = set(known)
    selected = ["id"]
    for raw in value.split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in known_set:
            raise GraphError(
                400,
                "BadRequest",
                f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.",
            )
        if name not in selected:
            selected.append(name)
    return tuple(selected)


def check_options(request: Request, allowed: Collection[str]) -> None:
    """400 for a system query option (``$...``) this list does not support."""
    for key, _ in request.query:
        if key.startswith("$") and key not in allowed:
            raise GraphError(400, "BadRequest", f"Query option '{key}' is not supported.")


def project(
    item: JsonDict, select: tuple[str, ...] | None, expanded: Sequence[str] = ()
) -> JsonDict:
    """``item`` cut down to ``select``; OData annotations such as ``@odata.type`` are kept,
    and so are the ``expanded`` navigations (with their ``name@odata.context``)."""
    if select is None:
        return dict(item)
    kept = {key: value for key, value in item.items() if key.startswith("@odata.")}
    kept.update((name, item.get(name)) for name in select)
    for name in expanded:
        kept.update((k, v) for k, v in item.items() if k in (name, f"{name}@odata.context"))
    return kept


def select_context(select: tuple[str, ...] | None, expanded: Sequence[str] = ()) -> str:
    """The context URL's projection: ``(id,displayName)``, ``(id,assignments())``, or ""."""
    names = [*(select or ()), *(f"{name}()" for name in expanded)]
    return f"({','.join(names)})" if names else ""


def page_response(
    request: Request,
    items: Sequence[JsonDict],
    size: int,
    select: tuple[str, ...] | None,
    context: str,
    path: str,
    *,
    count: bool = False,
    expanded: Sequence[str] = (),
) -> Response:
    """One page of ``items`` from the request's ``$skiptoken``, with ``@odata.nextLink``.

    ``context`` is the ``$metadata#...`` fragment, ``path`` the collection's path under the
    service root (the nextLink's base); ``count`` adds ``@odata.count`` to the first page.
    """
    token = request.option("$skiptoken")
    offset = decode_skiptoken(token) if token is not None else 0
    context += select_context(select, expanded)
    payload: JsonDict = {"@odata.context": f"{request.service_root}/$metadata#{context}"}
    if count and offset == 0:
        payload["@odata.count"] = len(items)
    if offset + size < len(items):
        payload["@odata.nextLink"] = next_link(
            f"{request.service_root}/{path}", request.query, offset + size
        )
    page = items[offset : offset + size]
    payload["value"] = [project(item, select, expanded) for item in page]
    return json_response(200, payload)
