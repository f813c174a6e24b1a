"""``/servicePrincipals`` and app role assignments: what granting Graph permissions needs.

A managed identity has no "API permissions" page; an admin grants it Graph's application
permissions with ``POST /servicePrincipals/{resource}/appRoleAssignedTo``
(docs/graph-contract.md, rows 25-26). This module serves that call and the reads around it:
find a service principal by appId or displayName, read one, and list the assignments of a
resource (``appRoleAssignedTo``) or of a principal (``appRoleAssignments``).

Service principals and assignments are small, directory-wide lists that nothing else changes,
so they live here behind their own lock, without the groups' replication lag.
What a seeded service principal looks like (Microsoft Graph's, the Intune Provisioning
Client) is in ``principals_model.py``.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from graph_emulator.errors import GraphError, bad_request, not_found
from graph_emulator.paging import (
    check_options,
    page_response,
    parse_select,
    parse_top,
    project,
)
from graph_emulator.principals_model import GRAPH_APP_ID as GRAPH_APP_ID
from graph_emulator.principals_model import GRAPH_APP_ROLES as GRAPH_APP_ROLES
from graph_emulator.principals_model import GRAPH_SP_ID as GRAPH_SP_ID
from graph_emulator.principals_model import (
    PROVISIONING_CLIENT_APP_ID as PROVISIONING_CLIENT_APP_ID,
)
from graph_emulator.principals_model import SP_PROPERTIES as SP_PROPERTIES
from graph_emulator.principals_model import graph_service_principal, seed_service_principal
from graph_emulator.protocol import Request, Response, json_response
from graph_emulator.routes import Router

JsonDict = dict[str, Any]

APP_READ = ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All")
ASSIGN_WRITE = ("AppRoleAssignment.ReadWrite.All",)
PAGE_SIZE = 100

ASSIGNMENT_PROPERTIES = (
    "id",
    "appRoleId",
    "createdDateTime",
    "deletedDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
)
_FILTER = re.compile(r"\s*(appId|displayName)\s+eq\s+'((?:[^']|'')*)'\s*", re.IGNORECASE)
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_LIST_OPTIONS = {"$filter", "$select", "$top", "$skiptoken"}
_NAVIGATION_OPTIONS = {"$select", "$top", "$skiptoken"}


class ServicePrincipalEndpoints:
    """Service principals and app role assignments; one lock guards both lists."""

    def __init__(
        self,
        service_principals: Iterable[JsonDict] | None = None,
        assignments: Iterable[JsonDict] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._sps: dict[str, JsonDict] = {}
        self._assignments: list[JsonDict] = []
        seeds = list(service_principals or ())
        if not any(str(sp.get("appId", "")).lower() == GRAPH_APP_ID for sp in seeds):
            seeds.insert(0, graph_service_principal())  # every tenant has Microsoft Graph's
        for sp in seeds:
            self.add_service_principal(sp)
        for assignment in assignments:
            self.add_assignment(assignment)

    def register(self, router: Router) -> None:
        item = r"/servicePrincipals/(?P<sp_id>[^/()]+)"
        router.add("GET", r"/servicePrincipals", self.list, APP_READ)
        router.add("GET", item, self.get, APP_READ)
        router.add("GET", item + r"/appRoleAssignedTo", self.list_assigned_to, APP_READ)
        router.add("POST", item + r"/appRoleAssignedTo", self.assign, ASSIGN_WRITE)
        router.add("GET", item + r"/appRoleAssignments", self.list_assignments, APP_READ)

    # --- seeding and inspection ---

    def add_service_principal(self, partial: JsonDict) -> JsonDict:
        sp = seed_service_principal(partial)
        with self._lock:
            if sp["id"].lower() in self._sps:
                raise ValueError(f"service principal id {sp['id']!r} is already taken")
            if any(s["appId"].lower() == sp["appId"].lower() for s in self._sps.values()):
                # A tenant holds one service principal per application.
                raise ValueError(f"a service principal for appId {sp['appId']!r} exists already")
            self._sps[sp["id"].lower()] = sp
        return copy.deepcopy(sp)

    def add_assignment(self, partial: JsonDict) -> JsonDict:
        with self._lock:
            principal = self._sps.get(str(partial.get("principalId", "")).lower())
            resource = self._sps.get(str(partial.get("resourceId", "")).lower())
            if principal is None or resource is None:
                raise ValueError(f"assignment {partial!r} names an unknown service principal")
            assignment = _assignment(principal, resource, partial["appRoleId"], partial.get("id"))
            self._assignments.append(assignment)
        return copy.deepcopy(assignment)

    def find(self, sp_id: str) -> JsonDict | None:
        """A copy of one service principal, or None."""
        with self._lock:
            sp = self._sps.get(sp_id.lower())
            return None if sp is None else copy.deepcopy(sp)

    def by_app_id(self, app_id: str) -> JsonDict | None:
        with self._lock:
            found = [sp for sp in self._sps.values() if sp["appId"].lower() == app_id.lower()]
            return copy.deepcopy(found[0]) if found else None

    def service_principals(self) -> list[JsonDict]:
        with self._lock:
            return copy.deepcopy(list(self._sps.values()))

    def assignments(self) -> list[JsonDict]:
        with self._lock:
            return copy.deepcopy(self._assignments)

    # --- reads ---

    def list(self, request: Request) -> Response:
        check_options(request, _LIST_OPTIONS)
        select = parse_select(request.option("$select"), SP_PROPERTIES, "servicePrincipal")
        with self._lock:
            found = list(self._sps.values())
        text = request.option("$filter")
        if text is not None:
            match = _FILTER.fullmatch(text)
            if match is None:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "The emulator supports $filter=appId eq '…' or displayName eq '…' only.",
                )
            field = "appId" if match.group(1).lower() == "appid" else "displayName"
            wanted = match.group(2).replace("''", "'").casefold()
            found = [sp for sp in found if str(sp.get(field, "")).casefold() == wanted]
        return _page(request, found, select, "servicePrincipals", "servicePrincipals")

    def get(self, request: Request, sp_id: str) -> Response:
        select = parse_select(request.option("$select"), SP_PROPERTIES, "servicePrincipal")
        sp = self._find(sp_id)
        context = f"{request.service_root}/$metadata#servicePrincipals/$entity"
        return json_response(200, {"@odata.context": context, **project(sp, select)})

    def list_assigned_to(self, request: Request, sp_id: str) -> Response:
        """Assignments of this resource's roles to others (``appRoleAssignedTo``)."""
        check_options(request, _NAVIGATION_OPTIONS)
        resource = self._find(sp_id)
        with self._lock:
            found = [a for a in self._assignments if a["resourceId"] == resource["id"]]
        context = f"servicePrincipals('{resource['id']}')/appRoleAssignedTo"
        return _page(request, found, None, context, f"servicePrincipals/{sp_id}/appRoleAssignedTo")

    def list_assignments(self, request: Request, sp_id: str) -> Response:
        """Roles this principal was given (``appRoleAssignments``)."""
        check_options(request, _NAVIGATION_OPTIONS)
        principal = self._find(sp_id)
        with self._lock:
            found = [a for a in self._assignments if a["principalId"] == principal["id"]]
        context = f"servicePrincipals('{principal['id']}')/appRoleAssignments"
        return _page(request, found, None, context, f"servicePrincipals/{sp_id}/appRoleAssignments")

    # --- the grant ---

    def assign(self, request: Request, sp_id: str) -> Response:
        body = request.json()
        odata_type = body.pop("@odata.type", "#microsoft.graph.appRoleAssignment")
        if odata_type != "#microsoft.graph.appRoleAssignment":
            raise GraphError(400, "BadRequest", f"Invalid @odata.type '{odata_type}'.")
        unknown = set(body) - {"principalId", "resourceId", "appRoleId"}
        if unknown:
            name = sorted(unknown)[0]
            raise GraphError(
                400,
                "BadRequest",
                f"Property '{name}' does not exist on type 'microsoft.graph.appRoleAssignment'.",
            )
        for name in ("principalId", "resourceId", "appRoleId"):
            value = body.get(name)
            if not isinstance(value, str) or not _GUID.fullmatch(value):
                raise bad_request(
                    f"Invalid value specified for property '{name}' of resource "
                    "'AppRoleAssignment'."
                )
        with self._lock:
            resource = self._sps.get(sp_id.lower())
            if resource is None:
                raise _missing(sp_id)
            if body["resourceId"].lower() != resource["id"].lower():
                raise bad_request(
                    "The resourceId in the body must be the service principal in the request URL."
                )
            principal = self._sps.get(body["principalId"].lower())
            if principal is None:
                raise _missing(body["principalId"])
            role_id = body["appRoleId"].lower()
            roles = {r["id"].lower() for r in resource.get("appRoles") or [] if r.get("isEnabled")}
            if role_id not in roles:
                raise bad_request(
                    f"Permission being assigned was not found on application '{resource['appId']}'."
                )
            for existing in self._assignments:
                if (
                    existing["principalId"] == principal["id"]
                    and existing["resourceId"] == resource["id"]
                    and existing["appRoleId"].lower() == role_id
                ):
                    raise bad_request("Permission being assigned already exists on the object")
            assignment = _assignment(principal, resource, body["appRoleId"])
            self._assignments.append(assignment)
        context = f"{request.service_root}/$metadata#appRoleAssignments/$entity"
        return json_response(201, {"@odata.context": context, **assignment})

    def _find(self, sp_id: str) -> JsonDict:
        with self._lock:
            sp = self._sps.get(sp_id.lower())
        if sp is None:
            if not _GUID.fullmatch(sp_id):
                raise bad_request(f"Invalid object identifier '{sp_id}'.")
            raise _missing(sp_id)
        return sp


def _assignment(
    principal: JsonDict, resource: JsonDict, app_role_id: str, assignment_id: str | None = None
) -> JsonDict:
    return {
        "id": assignment_id or uuid.uuid4().hex[:22],  # Graph's ids here are not GUIDs either
        "appRoleId": app_role_id,
        "createdDateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "deletedDateTime": None,
        "principalDisplayName": principal["displayName"],
        "principalId": principal["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource["displayName"],
        "resourceId": resource["id"],
    }


def _page(
    request: Request,
    items: list[JsonDict],
    select: tuple[str, ...] | None,
    context: str,
    path: str,
) -> Response:
    size = parse_top(request.option("$top"), 999) or PAGE_SIZE
    return page_response(request, items, size, select, context, path)


def _missing(object_id: str) -> GraphError:
    return not_found(
        f"Resource '{object_id}' does not exist or one of its queried reference-property "
        "objects are not present."
    )
