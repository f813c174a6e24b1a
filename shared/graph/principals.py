"""Service principals and app role assignments: what the permission grant reads and writes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.service_principals.item.service_principal_item_request_builder import (
    ServicePrincipalItemRequestBuilder,
)
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)

from shared.core.permissions import APP_READ_PERMISSION, ASSIGN_PERMISSION
from shared.graph.session import GraphSession

SERVICE_PRINCIPAL_FIELDS = ["id", "appId", "displayName", "servicePrincipalType", "appRoles"]


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


class PrincipalCalls(GraphSession):
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
        item = await self._get_or_none(info, "read a service principal", APP_READ_PERMISSION)
        return None if item is None else ServicePrincipal.from_graph(item)

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
