"""``/directory/deletedItems``: the recycle bin that deleted groups go to for 30 days.

Graph's API pages still say deleted security groups are deleted for good, but Microsoft's
message center notice MC1183299 (general availability early 2026) gives cloud security
groups, dynamic ones included, a deleted state (docs/graph-contract.md, row 41); the emulator
follows the notice: ``DELETE /groups/{id}`` moves any group here, with its id, properties,
uniqueName and owners. Restoring brings it back as it was; Intune keeps assignments by group
id, so a restored group's profile and ESP assignments are there again (deleting a group does
not remove them in the emulator: a modelling choice). The 30 days are not counted: a group
stays until it is restored or purged.

Routes, from contrib ``directory-deleteditems-{list,get,restore,delete}.md``: the list needs
the OData cast (``microsoft.graph.group``, or ``graph.group`` as the SDK writes it) and takes
the group list's query options; a permanent delete is delegated-only for groups.
"""

from __future__ import annotations

from typing import Any

from graph_emulator import permissions
from graph_emulator.errors import GraphError, bad_request, not_found
from graph_emulator.group_listing import list_groups
from graph_emulator.group_model import GROUP_PROPERTIES
from graph_emulator.groups import unique_taken
from graph_emulator.paging import check_options, parse_select, project
from graph_emulator.protocol import Request, Response, json_response, no_content
from graph_emulator.routes import Router
from graph_emulator.state import TenantState

JsonDict = dict[str, Any]

GROUP_TYPE = "#microsoft.graph.group"
_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_CAST = r"(?:microsoft\.)?graph\.group"
DELETED_ORDERING = {"displayName": False, "deletedDateTime": True}


class DeletedItemEndpoints:
    """The recycle bin's routes; reads through the lag, restore and purge on the true state."""

    def __init__(self, state: TenantState, page_size: int = 100, strict: bool = False) -> None:
        self.state = state
        self.page_size = page_size
        self.strict = strict

    def register(self, router: Router) -> None:
        base = r"/directory/deletedItems"
        item = base + rf"/(?P<item_id>{_GUID})"
        router.add("GET", base, self.uncast, permissions.DELETED_READ)
        router.add("GET", base + "/" + _CAST, self.list, permissions.DELETED_READ)
        router.add("GET", item, self.get, permissions.DELETED_READ)
        router.add("GET", item + "/" + _CAST, self.get, permissions.DELETED_READ)
        restore = item + r"/(?:microsoft\.graph\.)?restore"
        router.add("POST", restore, self.restore, permissions.DELETED_RESTORE)
        router.add("DELETE", item, self.purge, None)

    def uncast(self, request: Request) -> Response:
        raise bad_request(
            "The OData cast type is a required part of the URI: list "
            "directory/deletedItems/microsoft.graph.group."
        )

    def list(self, request: Request) -> Response:
        return list_groups(
            request,
            self.state.visible_deleted_groups(),
            page_size=self.page_size,
            strict=self.strict,
            context="groups",
            path="directory/deletedItems/microsoft.graph.group",
            ordering=DELETED_ORDERING,
        )

    def get(self, request: Request, item_id: str) -> Response:
        check_options(request, {"$select"})
        group = self.state.visible_deleted_group(item_id)
        if group is None:
            raise _missing(item_id)
        return _directory_object(request, group)

    def restore(self, request: Request, item_id: str) -> Response:
        """200 + the group, as it was; 400 if a live group has taken its uniqueName."""
        if request.body.strip() not in (b"", b"{}"):
            raise bad_request("The action 'restore' takes no parameters.")
        with self.state.lock:
            group = self.state.current_deleted_group(item_id)
            if group is None:
                raise _missing(item_id)
            unique = group.get("uniqueName")
            if unique and self.state.current_by_unique_name(unique) is not None:
                raise unique_taken()
            restored = self.state.restore_group(item_id)
        assert restored is not None
        return _directory_object(request, restored)

    def purge(self, request: Request, item_id: str) -> Response:
        """204: gone for good. Groups: delegated Group.ReadWrite.All only."""
        request.require_delegated(permissions.DELETED_PURGE)
        if not self.state.purge_group(item_id):
            raise _missing(item_id)
        return no_content()


def _directory_object(request: Request, group: JsonDict) -> Response:
    select = parse_select(request.option("$select"), GROUP_PROPERTIES, "group")
    payload = {
        "@odata.context": f"{request.service_root}/$metadata#directoryObjects/$entity",
        "@odata.type": GROUP_TYPE,
        **project(group, select),
    }
    return json_response(200, payload)


def _missing(item_id: str) -> GraphError:
    return not_found(
        f"Resource '{item_id}' does not exist or one of its queried reference-property "
        "objects are not present."
    )
