"""Graph's error answers, as one exception the handlers raise and the server renders.

Every error body has Graph's shape (docs/graph-contract.md, row 19, and the task's contract):
``{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime


class GraphError(Exception):
    """An HTTP error answer: status, Graph error code and message, extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> GraphError:
    """400 Request_BadRequest: what the directory answers for invalid property values."""
    return GraphError(400, "Request_BadRequest", message)


def invalid_request(message: str) -> GraphError:
    """400 BadRequest: what OData and Intune answer for a body or query they cannot accept."""
    return GraphError(400, "BadRequest", message)


def unsupported_query(message: str = "Unsupported Query.") -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", message)


def not_found(message: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound", message)


def segment_not_found(segment: str) -> GraphError:
    """Graph answers an unknown path with 400, not 404."""
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def error_body(code: str, message: str, request_id: str, client_request_id: str | None) -> bytes:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id or request_id,
    }
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return json.dumps(body).encode()
