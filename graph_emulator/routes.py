"""The routing table: (method, path pattern) -> handler and the permissions it needs.

New endpoints (``servicePrincipals``, ``appRoleAssignedTo``...) are added with
:meth:`Router.add` in their own module, without touching the server. Each API version
(``/v1.0``, ``/beta``) has a router of its own, so a path one version lacks is unknown there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from graph_emulator.errors import GraphError, segment_not_found
from graph_emulator.protocol import Request, Response

Handler = Callable[..., Response]  # handler(request, **path_params) -> Response


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    permissions: tuple[str, ...] | None  # any one of these is enough; None = handler checks


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []
        self._prefixes: set[str] = set()  # every leading run of literal segments, "/a", "/a/b"
        self._collections: set[str] = set()  # routes that are literal paths, keyed below

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        permissions: tuple[str, ...] | None,
    ) -> None:
        """Register ``handler`` for ``method`` on paths matching regex ``pattern`` (anchored)."""
        self._routes.append(
            Route(method.upper(), re.compile(pattern + r"\Z"), handler, permissions)
        )
        literal = re.match(r"(?:/\w+)+", pattern)
        if literal:
            parts = literal.group(0).split("/")[1:]
            for end in range(1, len(parts) + 1):
                self._prefixes.add("/" + "/".join(parts[:end]))
            if literal.group(0) == pattern:
                self._collections.add(pattern)

    def dispatch(self, request: Request) -> Response:
        path_matched = False
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            path_matched = True
            if route.method != request.method:
                continue
            if route.permissions is not None:
                request.require(route.permissions)
            return route.handler(request, **match.groupdict())
        if path_matched:
            raise GraphError(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            )
        raise segment_not_found(self._unknown_segment(request.path))

    def _unknown_segment(self, path: str) -> str:
        """The segment Graph names in "Resource not found for the segment '…'": the first
        one no route knows, or, past a collection's key, the last one."""
        segments = [s for s in path.split("/") if s]
        prefix = ""
        for index, segment in enumerate(segments):
            candidate = f"{prefix}/{segment.split('(')[0]}"
            if candidate in self._prefixes:
                prefix = candidate
            elif index == 0 or prefix not in self._collections:
                return segment
            else:
                return segments[-1]
        return segments[-1] if segments else ""
