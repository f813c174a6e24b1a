"""The request and response values that pass between the HTTP server and the handlers.

Handlers never touch sockets: they take a :class:`Request` and return a :class:`Response`
(or raise ``GraphError``), which keeps them testable and the server small.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_emulator.errors import GraphError
from graph_emulator.tokens import DEVELOPMENT, Caller

JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, after the version prefix (/v1.0, /beta), e.g. "/groups"
    raw_path: str  # as received, with the prefix
    query: list[tuple[str, str]]  # decoded pairs, in order
    raw_query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    service_root: str  # absolute, with the version, e.g. "http://127.0.0.1:8080/v1.0"
    request_id: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    caller: Caller = field(default_factory=lambda: Caller(DEVELOPMENT, frozenset()))

    def option(self, name: str) -> str | None:
        """A query option by exact name (e.g. ``$filter``), the last one if repeated."""
        found = None
        for key, value in self.query:
            if key == name:
                found = value
        return found

    @property
    def advanced(self) -> bool:
        """True with ``ConsistencyLevel: eventual``, which unlocks advanced queries."""
        return self.headers.get("consistencylevel", "").strip().lower() == "eventual"

    def json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise GraphError(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set "
                "and payload is of valid JSON format.",
            )
        return body

    def require(self, any_of: Iterable[str]) -> None:
        """403 unless the caller holds at least one of ``any_of`` (the token's roles or
        scopes, or for the development token the tenant's grants)."""
        if not self.permissions & set(any_of):
            raise insufficient_privileges()

    def require_delegated(self, any_of: Iterable[str]) -> None:
        """The same, for operations Graph documents as not supported app-only."""
        if self.caller.is_application:
            raise insufficient_privileges()
        self.require(any_of)


def insufficient_privileges() -> GraphError:
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    status: int, payload: Mapping[str, Any], headers: dict[str, str] | None = None
) -> Response:
    merged = {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}
    return Response(status, json.dumps(payload).encode(), merged)


def no_content() -> Response:
    return Response(204)
