"""The Microsoft Graph boundary: the only module that imports msgraph-sdk and kiota.

It keeps the SDK's request builders (URL templates, query encoding, the upsert by uniqueName) and
its middleware pipeline (auth, redirects, the retry handler), and changes three things:

- Retry-After is honoured in every documented form. kiota-http's RetryHandler reads whole seconds
  and HTTP-dates but not fractional seconds such as Microsoft's own example "2.128": it falls back
  to its exponential backoff. ``GraphRetryHandler`` reads all three.
- A dropped connection or a timeout is retried too. kiota retries only on status codes, and every
  request this app sends is safe to replay (reads, the upsert on a fixed key, a PATCH by id).
- List responses are read as JSON, page by page, instead of into SDK models: the app needs three
  fields of each device, and building a model object per device costs more than the request.

Failures leave as the project's own errors (``shared.errors``), transient or permanent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import math
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.credentials import TokenCredential
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import BaseMiddleware, RetryHandler
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.device_management.windows_autopilot_device_identities.windows_autopilot_device_identities_request_builder import (  # noqa: E501
    WindowsAutopilotDeviceIdentitiesRequestBuilder,
)
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.service_principals.item.service_principal_item_request_builder import (
    ServicePrincipalItemRequestBuilder,
)
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)
from msgraph_core import GraphClientFactory

from shared.errors import (
    GraphError,
    PermanentGraphError,
    PermissionDeniedError,
    TransientGraphError,
)
from shared.model import GroupSnapshot, GroupSpec
from shared.settings import Settings, is_loopback_host

log = logging.getLogger(__name__)

DEVICE_PERMISSION = "DeviceManagementServiceConfig.Read.All"
GROUP_PERMISSION = "Group.ReadWrite.All"
# What an admin's sign-in needs to grant application permissions (graph-facts §6).
APP_READ_PERMISSION = "Application.Read.All"
ASSIGN_PERMISSION = "AppRoleAssignment.ReadWrite.All"
# A fixed, meaningless bearer token for a Graph emulator on loopback. It is never sent anywhere
# else: LoopbackTokenProvider refuses any other host.
DEVELOPMENT_TOKEN = "local-development-token"

DEVICE_FIELDS = ["id", "groupTag", "purchaseOrderIdentifier"]
GROUP_FIELDS = [
    "id",
    "displayName",
    "description",
    "uniqueName",
    "membershipRule",
    "membershipRuleProcessingState",
    "groupTypes",
    "mailNickname",
    "createdDateTime",
]
SERVICE_PRINCIPAL_FIELDS = ["id", "appId", "displayName", "servicePrincipalType", "appRoles"]
ERROR_MAP: dict[str, Any] = {"XXX": ODataError}
_TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}


# --- middleware ------------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: whole, fractional, or an HTTP-date."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


class GraphRetryHandler(RetryHandler):  # type: ignore[misc]
    """kiota's RetryHandler, reading Retry-After in all three documented forms."""

    def get_delay_time(
        self,
        retry_count: int,
        response: httpx.Response | None = None,
        delay: float = RetryHandlerOption.DEFAULT_DELAY,
    ) -> float:
        retry_after = parse_retry_after(response.headers.get("retry-after") if response else None)
        if retry_after is not None:
            return retry_after
        return float(super().get_delay_time(retry_count, None, delay))


class TransportRetryHandler(BaseMiddleware):  # type: ignore[misc]
    """Replays a request whose connection dropped or timed out, with backoff."""

    def __init__(self, max_retries: int, base_delay: float) -> None:
        super().__init__()
        self.max_retries = max_retries
        self.base_delay = base_delay

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response: httpx.Response = await super().send(request, transport)
                return response
            except httpx.TransportError as error:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                wait = self.base_delay * 2 ** (attempt - 1) + random.uniform(0, self.base_delay)
                log.warning(
                    "graph: %s %s failed (%s); retry %d of %d in %.2fs",
                    request.method,
                    request.url.path,
                    type(error).__name__,
                    attempt,
                    self.max_retries,
                    wait,
                )
                await asyncio.sleep(wait)


class RequestCounter(BaseMiddleware):  # type: ignore[misc]
    """Counts the HTTP requests really sent, retries included, for reports and benchmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        self.sent += 1
        response: httpx.Response = await super().send(request, transport)
        return response


class LoopbackTokenProvider(AuthenticationProvider):  # type: ignore[misc]
    """Sends the fixed development token, and only ever to a loopback host."""

    async def authenticate_request(
        self,
        request: RequestInformation,
        additional_authentication_context: dict[str, Any] | None = None,
    ) -> None:
        host = urlsplit(request.url).hostname
        if not is_loopback_host(host):
            raise PermanentGraphError(
                f"refusing to send the development token to {host!r}: it is not a loopback host"
            )
        request.headers.add("Authorization", f"Bearer {DEVELOPMENT_TOKEN}")


def default_credential(settings: Settings) -> TokenCredential:
    """Managed identity in Azure (user-assigned if AZURE_CLIENT_ID is set), else the Azure CLI.

    Chosen by where the code runs rather than by trying each in turn, so a laptop never probes
    the instance metadata endpoint and a function app never falls back to a developer's login.
    """
    import os

    from azure.identity import AzureCliCredential, ManagedIdentityCredential

    if os.environ.get("IDENTITY_ENDPOINT") or os.environ.get("MSI_ENDPOINT"):
        return ManagedIdentityCredential(client_id=settings.azure_client_id)
    return AzureCliCredential()


def build_client(
    settings: Settings, credential: TokenCredential | None = None
) -> tuple[GraphServiceClient, RequestCounter]:
    """A GraphServiceClient for the settings' base URL, with this app's middleware.

    A loopback emulator gets the development token unless a credential is given: then the
    credential is used there too, so its path can be tested without a network.
    """
    host = urlsplit(settings.graph_base_url).hostname or ""
    auth: AuthenticationProvider
    if settings.graph_is_loopback and credential is None:
        auth = LoopbackTokenProvider()
    else:
        scheme_host = f"https://{host}"
        auth = AzureIdentityAuthenticationProvider(
            credential or default_credential(settings),
            scopes=[f"{scheme_host}/.default"],
            allowed_hosts=[host],
        )
    options = RetryHandlerOption(
        delay=settings.graph_retry_delay_seconds,
        max_retries=settings.graph_max_retries,
    )
    counter = RequestCounter()
    middleware = [
        GraphRetryHandler(options) if isinstance(handler, RetryHandler) else handler
        for handler in KiotaClientFactory.get_default_middleware(None)
    ]
    middleware += [
        TransportRetryHandler(
            settings.graph_max_retries, max(settings.graph_retry_delay_seconds, 0.01)
        ),
        counter,
    ]
    http_client = GraphClientFactory.create_with_custom_middleware(
        middleware, client=KiotaClientFactory.get_default_client()
    )
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = settings.graph_base_url
    return GraphServiceClient(request_adapter=adapter), counter


# --- the gateway -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UpsertResult:
    created: bool  # False: the group already existed (made by an overlapping run or a replay)
    group: GroupSnapshot | None  # the created group; None when Graph answered 204


@dataclass(frozen=True)
class ServicePrincipal:
    id: str
    app_id: str
    display_name: str
    kind: str  # servicePrincipalType: Application, ManagedIdentity, ...
    app_roles: tuple[tuple[str, str], ...] = ()  # (value, id) of roles apps can be given

    @classmethod
    def from_graph(cls, item: dict[str, Any]) -> ServicePrincipal:
        roles = tuple(
            (str(role["value"]), str(role["id"]))
            for role in item.get("appRoles") or []
            if role.get("value")
            and role.get("isEnabled", True)
            and "Application" in (role.get("allowedMemberTypes") or ["Application"])
        )
        return cls(
            id=str(item["id"]),
            app_id=str(item.get("appId") or ""),
            display_name=str(item.get("displayName") or ""),
            kind=str(item.get("servicePrincipalType") or ""),
            app_roles=roles,
        )

    def app_role_id(self, value: str) -> str | None:
        return next((role_id for name, role_id in self.app_roles if name == value), None)


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    principal_id: str
    resource_id: str
    app_role_id: str

    @classmethod
    def from_graph(cls, item: dict[str, Any]) -> RoleAssignment:
        return cls(
            id=str(item.get("id") or ""),
            principal_id=str(item["principalId"]).lower(),
            resource_id=str(item["resourceId"]).lower(),
            app_role_id=str(item["appRoleId"]).lower(),
        )


class GraphGateway:
    """What the app asks of Graph, in the project's own types."""

    def __init__(self, client: GraphServiceClient, counter: RequestCounter | None = None) -> None:
        self._client = client
        self._adapter = client.request_adapter
        self._counter = counter

    @classmethod
    def from_settings(
        cls, settings: Settings, credential: TokenCredential | None = None
    ) -> GraphGateway:
        client, counter = build_client(settings, credential)
        return cls(client, counter)

    @property
    def requests_sent(self) -> int:
        return self._counter.sent if self._counter else 0

    async def close(self) -> None:
        http_client = getattr(self._adapter, "_http_client", None)
        if http_client is not None:
            await http_client.aclose()

    async def __aenter__(self) -> GraphGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # reads

    def device_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Every Autopilot device identity (three fields), one page at a time."""
        builder = self._client.device_management.windows_autopilot_device_identities
        params = WindowsAutopilotDeviceIdentitiesRequestBuilder.WindowsAutopilotDeviceIdentitiesRequestBuilderGetQueryParameters(  # noqa: E501
            select=DEVICE_FIELDS
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        return self._pages(first, builder, "list Autopilot devices", DEVICE_PERMISSION)

    def group_pages(self, odata_filter: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Groups matching a basic $filter, 999 a page, with the fields the planner reads."""
        builder = self._client.groups
        params = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
            filter=odata_filter, select=GROUP_FIELDS, top=999
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        return self._pages(first, builder, "list groups", GROUP_PERMISSION)

    async def find_group(self, unique_name: str) -> GroupSnapshot | None:
        """The group with this uniqueName, if Graph shows it yet (reads lag behind writes)."""
        quoted = unique_name.replace("'", "''")
        async for page in self.group_pages(f"uniqueName eq '{quoted}'"):
            for item in page:
                return GroupSnapshot.from_graph(item)
        return None

    async def get_group(self, group_id: str) -> GroupSnapshot | None:
        """One group by id, or None if Graph does not show it (deleted, or not replicated yet)."""
        builder = self._client.groups.by_group_id(group_id)
        params = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
            select=GROUP_FIELDS
        )
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        try:
            content = await self._send(info, "read a group", GROUP_PERMISSION)
        except PermanentGraphError as error:
            if error.status == 404:
                return None
            raise
        return GroupSnapshot.from_graph(json.loads(content))

    async def _pages(
        self, info: RequestInformation, builder: Any, operation: str, permission: str
    ) -> AsyncIterator[list[dict[str, Any]]]:
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
            info = builder.with_url(next_link).to_get_request_information()

    # writes

    async def upsert_group(self, spec: GroupSpec) -> UpsertResult:
        """Create the group on its uniqueName, or leave the one already there (never a second).

        ``PATCH /groups(uniqueName='…')`` with ``Prefer: create-if-missing``: 201 when created,
        204 when a group with that key exists. A replay after a timeout, or a run racing another,
        lands on the same key.
        """
        body = _group_model(spec.create_body())
        config: RequestConfiguration[Any] = RequestConfiguration(headers=HeadersCollection())
        config.headers.add("Prefer", "create-if-missing")
        builder = self._client.groups_with_unique_name(spec.unique_name)
        info = builder.to_patch_request_information(body, config)
        content = await self._send(info, "create a group", GROUP_PERMISSION)
        if not content:
            return UpsertResult(created=False, group=None)
        return UpsertResult(created=True, group=GroupSnapshot.from_graph(json.loads(content)))

    async def update_group(self, group_id: str, changes: dict[str, Any]) -> None:
        builder = self._client.groups.by_group_id(group_id)
        info = builder.to_patch_request_information(_group_model(changes))
        await self._send(info, "update a group", GROUP_PERMISSION)

    # service principals and app role assignments: the permission grant (shared.grant)

    async def find_service_principals(self, odata_filter: str) -> list[ServicePrincipal]:
        """Service principals matching a $filter such as ``appId eq '…'``."""
        builder = self._client.service_principals
        params = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=odata_filter, select=SERVICE_PRINCIPAL_FIELDS
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        found: list[ServicePrincipal] = []
        operation = "find a service principal"
        async for page in self._pages(first, builder, operation, APP_READ_PERMISSION):
            found.extend(ServicePrincipal.from_graph(item) for item in page)
        return found

    async def get_service_principal(self, object_id: str) -> ServicePrincipal | None:
        """One service principal by object id, or None if there is none with that id."""
        builder = self._client.service_principals.by_service_principal_id(object_id)
        params = (
            ServicePrincipalItemRequestBuilder.ServicePrincipalItemRequestBuilderGetQueryParameters(
                select=SERVICE_PRINCIPAL_FIELDS
            )
        )
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        try:
            content = await self._send(info, "read a service principal", APP_READ_PERMISSION)
        except PermanentGraphError as error:
            if error.status == 404:
                return None
            raise
        return ServicePrincipal.from_graph(json.loads(content))

    async def role_assignments_of(self, principal_id: str) -> list[RoleAssignment]:
        """The app roles a principal holds (its ``appRoleAssignments``, a short list)."""
        item = self._client.service_principals.by_service_principal_id(principal_id)
        builder = item.app_role_assignments
        first = builder.to_get_request_information()
        found: list[RoleAssignment] = []
        operation = "list a service principal's app role assignments"
        async for page in self._pages(first, builder, operation, APP_READ_PERMISSION):
            found.extend(RoleAssignment.from_graph(entry) for entry in page)
        return found

    async def assign_app_role(
        self, principal_id: str, resource_id: str, app_role_id: str
    ) -> RoleAssignment:
        """``POST /servicePrincipals/{resource}/appRoleAssignedTo``: give a principal a role."""
        body = AppRoleAssignment(
            principal_id=uuid.UUID(principal_id),
            resource_id=uuid.UUID(resource_id),
            app_role_id=uuid.UUID(app_role_id),
        )
        item = self._client.service_principals.by_service_principal_id(resource_id)
        info = item.app_role_assigned_to.to_post_request_information(body)
        content = await self._send(info, "assign an app role", ASSIGN_PERMISSION)
        return RoleAssignment.from_graph(json.loads(content))

    async def _send(self, info: RequestInformation, operation: str, permission: str) -> bytes:
        try:
            content = await self._adapter.send_primitive_async(info, "bytes", ERROR_MAP)
        except APIError as error:
            raise translate(error, operation, permission) from error
        except httpx.TransportError as error:
            raise TransientGraphError(
                f"{operation}: connection to Graph failed ({type(error).__name__})"
            ) from error
        return content or b""


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


_MODEL_FIELDS = {
    "displayName": "display_name",
    "description": "description",
    "mailEnabled": "mail_enabled",
    "mailNickname": "mail_nickname",
    "securityEnabled": "security_enabled",
    "groupTypes": "group_types",
    "membershipRule": "membership_rule",
    "membershipRuleProcessingState": "membership_rule_processing_state",
}


def _group_model(body: dict[str, Any]) -> Group:
    group = Group()
    for name, value in body.items():
        setattr(group, _MODEL_FIELDS[name], value)
    return group
