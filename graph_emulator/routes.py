"""The routing table: (method, path pattern) -> handler and the permissions it needs.

New endpoints (``servicePrincipals``, ``appRoleAssignedTo``...) are added with
:meth:`Router.add` in their own module, without touching the server.
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
        self._segments: set[str] = set()

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
        literal = re.match(r"/(\w+)", pattern)
        if literal:
            self._segments.add(literal.group(1))

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
        segments = [s for s in path.split("/") if s]
        if not segments:
            return ""
        first = segments[0].split("(")[0]
        if first not in self._segments or len(segments) < 2:
            return segments[0]
        return segments[-1]
