"""``/groups/{id}/owners``: who owns a group (Autopilot device preparation needs one owner).

A device preparation group must be owned by the Intune Provisioning Client service principal
(docs/graph-contract.md, row 43). Owners are directory objects; the emulator's directory
holds service principals but no users, so only a service principal can be an owner here.
Each group's owner list is versioned like the groups themselves (``versions.py``): the list
read through ``GET …/owners`` is the one of ``lag`` seconds ago, while ``$ref`` writes act on
the true one.

Graph's contract, from its pages (contrib ``group-list-owners.md``, ``group-post-owners.md``,
``group-delete-owners.md``): the list returns directoryObjects, a service principal with its
``@odata.type`` and ``id`` only, other properties null, unless the caller may read service
principals ("Limited information returned for inaccessible member objects"); adding answers
204, 400 if the object already is an owner, 404 if it does not exist; removing answers 204.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from graph_emulator import permissions
from graph_emulator.errors import GraphError, bad_request, not_found
from graph_emulator.paging import check_options, page_response, parse_select, parse_top
from graph_emulator.protocol import Request, Response, no_content
from graph_emulator.routes import Router
from graph_emulator.service_principals import SP_PROPERTIES
from graph_emulator.state import TenantState
from graph_emulator.versions import History

JsonDict = dict[str, Any]
FindPrincipal = Callable[[str], JsonDict | None]

SP_TYPE = "#microsoft.graph.servicePrincipal"
MAX_TOP = 999
_OPTIONS = {"$select", "$top", "$skiptoken"}
_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
# An @odata.id or @odata.bind URL naming a directory object: any host, v1.0 or beta.
_REFERENCE = re.compile(
    rf"https?://[^/]+/(?:v1\.0|beta)/(?:directoryObjects|servicePrincipals|users)/({_GUID})/?",
    re.IGNORECASE,
)


class OwnerLists:
    """Each group's owner ids, versioned for the lag; guarded by the tenant state's lock."""

    def __init__(self, state: TenantState) -> None:
        self._state = state
        self._lists: dict[str, History[tuple[str, ...]]] = {}

    def current(self, group_id: str) -> tuple[str, ...]:
        with self._state.lock:
            history = self._lists.get(group_id.lower())
            return (history.current if history else None) or ()

    def visible(self, group_id: str) -> tuple[str, ...]:
        cutoff = self._state.read_cutoff()
        with self._state.lock:
            history = self._lists.get(group_id.lower())
            return (history.visible(cutoff) if history else None) or ()

    def commit(self, group_id: str, owners: Iterable[str]) -> None:
        """A write now: reads see the new list after the lag."""
        with self._state.lock:
            history = self._lists.setdefault(group_id.lower(), History())
            if not history.versions:
                history.reset(())
            history.commit(self._state.clock(), tuple(dict.fromkeys(o.lower() for o in owners)))

    def seed(self, group_id: str, owners: Iterable[str]) -> None:
        """Owners the group has always had (visible at once)."""
        with self._state.lock:
            history = self._lists.setdefault(group_id.lower(), History())
            history.reset(tuple(dict.fromkeys(o.lower() for o in owners)))


def referenced_id(url: object, what: str) -> str:
    """The object id in an ``@odata.id``/``@odata.bind`` URL; 400 for anything else."""
    match = _REFERENCE.fullmatch(url) if isinstance(url, str) else None
    if match is None:
        raise GraphError(400, "BadRequest", f"Invalid URL format specified in {what}: {url!r}.")
    return match.group(1).lower()


def missing_object(object_id: str) -> GraphError:
    return not_found(
        f"Resource '{object_id}' does not exist or one of its queried reference-property "
        "objects are not present."
    )


def bound_owners(body: JsonDict, find: FindPrincipal) -> list[str]:
    """The owner ids an ``owners@odata.bind`` list names (404 for an unknown object)."""
    owners: list[str] = []
    for url in body.get("owners@odata.bind") or []:
        object_id = referenced_id(url, "owners@odata.bind")
        if find(object_id) is None:
            raise missing_object(object_id)
        owners.append(object_id)
    return owners


class OwnerEndpoints:
    """The owners list and the two ``$ref`` writes."""

    def __init__(
        self,
        state: TenantState,
        owners: OwnerLists,
        find: FindPrincipal,
        page_size: int = 100,
        strict: bool = False,
    ) -> None:
        self.state = state
        self.owners = owners
        self.find = find
        self.page_size = page_size
        self.strict = strict

    def register(self, router: Router) -> None:
        base = rf"/groups/(?P<group_id>{_GUID})/owners"
        router.add("GET", base, self.list, permissions.OWNER_READ)
        router.add("POST", base + r"/\$ref", self.add, permissions.GROUP_WRITE)
        router.add(
            "DELETE", base + rf"/(?P<owner_id>{_GUID})/\$ref", self.remove, permissions.GROUP_WRITE
        )

    def list(self, request: Request, group_id: str) -> Response:
        check_options(request, _OPTIONS)
        select = parse_select(request.option("$select"), SP_PROPERTIES, "directoryObject")
        if self.state.visible_group(group_id) is None:
            raise missing_object(group_id)
        full = bool(request.permissions & set(permissions.APPLICATION_READ))
        items = [self._directory_object(o, full) for o in self.owners.visible(group_id)]
        size = parse_top(request.option("$top"), MAX_TOP) or self.page_size
        path = f"groups/{group_id}/owners"
        return page_response(request, items, size, select, "directoryObjects", path)

    def add(self, request: Request, group_id: str) -> Response:
        body = request.json()
        unknown = set(body) - {"@odata.id"}
        if unknown:
            raise bad_request(f"Property '{sorted(unknown)[0]}' is not valid in a reference.")
        object_id = referenced_id(body.get("@odata.id"), "@odata.id")
        # Strict: the write lands where the group is visible only after the lag (README).
        view = self.state.visible_group if self.strict else self.state.current_group
        with self.state.lock:
            if view(group_id) is None:
                raise missing_object(group_id)
            if self.find(object_id) is None:
                raise missing_object(object_id)
            current = self.owners.current(group_id)
            if object_id in current:
                raise bad_request(
                    "One or more added object references already exist for the following "
                    "modified properties: 'owners'."
                )
            self.owners.commit(group_id, (*current, object_id))
        return no_content()

    def remove(self, request: Request, group_id: str, owner_id: str) -> Response:
        with self.state.lock:
            if self.state.current_group(group_id) is None:
                raise missing_object(group_id)
            current = self.owners.current(group_id)
            if owner_id.lower() not in current:
                raise missing_object(owner_id)
            self.owners.commit(group_id, (o for o in current if o != owner_id.lower()))
        return no_content()

    def _directory_object(self, object_id: str, full: bool) -> JsonDict:
        """A service principal as a directoryObject; limited without the right to read it."""
        sp = self.find(object_id) or {"id": object_id}
        if full:
            return {"@odata.type": SP_TYPE, **sp}
        limited: JsonDict = {"@odata.type": SP_TYPE, **dict.fromkeys(SP_PROPERTIES)}
        limited["id"] = sp["id"]
        return limited
