"""One client's requests: send, page, and translate failures into the project's own errors.

Every resource family (``devices``, ``groups``, ``principals``...) builds its requests with the
SDK's request builders and sends them through here, so retries, counting and error translation are
written once. List responses are read as JSON, page by page, instead of into SDK models: the app
needs three fields of each device, and building a model object per device costs more than the
request.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Any, Self

import httpx
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from shared.config.settings import Settings, beta_url
from shared.core.errors import (
    GraphError,
    PermanentGraphError,
    PermissionDeniedError,
    SignInError,
    TransientGraphError,
)
from shared.core.permissions import DEVICE_PERMISSION, intune_permission
from shared.graph.client import build_client
from shared.graph.middleware import RequestCounter

ERROR_MAP: dict[str, Any] = {"XXX": ODataError}
_TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}


class GraphSession:
    """A Graph client with the app's middleware, and the two ways of calling it."""

    def __init__(
        self,
        client: GraphServiceClient,
        counter: RequestCounter | None = None,
        intune_permission: str = DEVICE_PERMISSION,
    ) -> None:
        self._client = client
        self._adapter = client.request_adapter
        self._counter = counter
        # The device management permission a 403 on an Intune read names: what the settings need.
        self.intune_permission = intune_permission

    @classmethod
    def from_settings(cls, settings: Settings, credential: TokenCredential | None = None) -> Self:
        client, counter = build_client(settings, credential)
        return cls(client, counter, intune_permission(settings.catalogue))

    @property
    def requests_sent(self) -> int:
        return self._counter.sent if self._counter else 0

    async def close(self) -> None:
        http_client = getattr(self._adapter, "_http_client", None)
        if http_client is not None:
            await http_client.aclose()

    async def _send(self, info: RequestInformation, operation: str, permission: str) -> bytes:
        try:
            content = await self._adapter.send_primitive_async(info, "bytes", ERROR_MAP)
        except APIError as error:
            raise translate(error, operation, permission) from error
        except ClientAuthenticationError as error:  # the credential gave no token
            first = (str(error.message or error).strip().splitlines() or ["no message"])[0]
            raise SignInError(f"no sign-in for Microsoft Graph: {first}") from error
        except httpx.TransportError as error:
            raise TransientGraphError(
                f"{operation}: connection to Graph failed ({type(error).__name__})"
            ) from error
        return content or b""

    async def _get_or_none(
        self, info: RequestInformation, operation: str, permission: str
    ) -> dict[str, Any] | None:
        """One object, or None when Graph answers 404 (deleted, or not replicated yet)."""
        try:
            content = await self._send(info, operation, permission)
        except PermanentGraphError as error:
            if error.status == 404:
                return None
            raise
        item: dict[str, Any] = json.loads(content)
        return item

    async def _pages(
        self, info: RequestInformation, builder: Any | None, operation: str, permission: str
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Each page's items, following every nextLink, stopping if Graph repeats one.

        ``builder`` is the SDK's request builder of the first page; None for a raw URL (beta).
        """
        seen: set[str] = set()
        while True:
            page = json.loads(await self._send(info, operation, permission) or b"{}")
            yield page.get("value") or []
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            if next_link in seen:
                raise PermanentGraphError(
                    f"{operation}: Graph returned the same nextLink twice; stopped rather than "
                    "loop forever"
                )
            seen.add(next_link)
            if builder is None:
                info = raw_request(Method.GET, next_link)
            else:
                info = builder.with_url(next_link).to_get_request_information()

    def _url(self, path: str, *, beta: bool = False) -> str:
        """A URL under the client's Graph base (v1.0), or under its beta twin."""
        base = str(self._adapter.base_url).rstrip("/")
        return f"{beta_url(base) if beta else base}/{path}"

    async def _first_item(
        self, pages: AsyncGenerator[list[dict[str, Any]], None]
    ) -> dict[str, Any] | None:
        """The first item of a listing, its pages closed here rather than by the event loop's
        finaliser for abandoned async generators."""
        async with contextlib.aclosing(pages) as listing:
            async for page in listing:
                for item in page:
                    return item
        return None

    async def _raw_list(
        self, url: str, operation: str, permission: str
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Each page of a list at a URL the SDK has no builder for (Graph beta, a raw filter)."""
        async for page in self._pages(raw_request(Method.GET, url), None, operation, permission):
            yield page


def raw_request(method: Method, url: str, body: Any = None) -> RequestInformation:
    """A request to a URL the SDK has no builder for (Graph beta), sent through the same
    adapter and middleware as every other: auth, retries, counting, error translation."""
    info = RequestInformation()
    info.http_method = method
    info.url = url
    info.headers.try_add("Accept", "application/json")
    if body is not None:
        info.headers.try_add("Content-Type", "application/json")
        info.content = json.dumps(body).encode()
    return info


def translate(error: APIError, operation: str, permission: str) -> GraphError:
    """An SDK error as one of the project's own, transient or permanent."""
    status = getattr(error, "response_status_code", None)
    detail = getattr(error, "error", None)
    code = getattr(detail, "code", None)
    message = getattr(detail, "message", None) or str(error) or "no message"
    if status == 403:
        return PermissionDeniedError(permission, operation)
    text = f"{operation}: Graph answered {status}{' ' + code if code else ''}: {message}"
    if status in _TRANSIENT_STATUS:
        return TransientGraphError(text, status=status, code=code)
    return PermanentGraphError(text, status=status, code=code)
