"""``/groups``: list, get, create, update, upsert by uniqueName and delete.

What Graph does for each is in docs/graph-contract.md, rows 7-14 (a delete: row 41).

Reads go through the replication lag (``TenantState.visible_*``); writes take the state
lock and work on the true current state, which makes the upsert atomic on uniqueName
when requests race. ``owners@odata.bind`` sets a new group's owners (``group_owners.py``);
a delete moves the group to the recycle bin (``deleted_items.py``), which frees its
uniqueName, or under ``strict`` keeps it reserved (the README's strict table).
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph_emulator import permissions
from graph_emulator.errors import GraphError, bad_request, not_found
from graph_emulator.group_listing import list_groups
from graph_emulator.group_model import GROUP_PROPERTIES, apply_update, create_group
from graph_emulator.group_owners import FindPrincipal, OwnerLists, bound_owners
from graph_emulator.paging import parse_select, project
from graph_emulator.protocol import Request, Response, json_response, no_content
from graph_emulator.routes import Router
from graph_emulator.seeds import random_guid
from graph_emulator.state import TenantState
from graph_emulator.strict import check_group

JsonDict = dict[str, Any]
_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"


_OWNERS_BIND = "owners@odata.bind"


class GroupEndpoints:
    def __init__(
        self,
        state: TenantState,
        page_size: int = 100,
        seed: int = 0,
        strict: bool = False,
        *,
        owners: OwnerLists | None = None,
        find: FindPrincipal = lambda _id: None,
    ) -> None:
        self.state = state
        self.page_size = page_size
        self.strict = strict
        self.owners = owners or OwnerLists(state)
        self.find = find
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()

    def register(self, router: Router) -> None:
        unique = r"/groups/?\(uniqueName=(?P<literal>.*)\)"
        router.add("GET", r"/groups", self.list, permissions.GROUP_READ)
        router.add("POST", r"/groups", self.create, permissions.GROUP_CREATE)
        router.add("GET", unique, self.get_by_unique_name, permissions.GROUP_READ)
        router.add("PATCH", unique, self.upsert, None)
        router.add("GET", r"/groups/(?P<group_id>[^/()]+)", self.get, permissions.GROUP_READ)
        router.add("PATCH", r"/groups/(?P<group_id>[^/()]+)", self.update, permissions.GROUP_WRITE)
        router.add("DELETE", r"/groups/(?P<group_id>[^/()]+)", self.delete, permissions.GROUP_WRITE)

    def new_id(self) -> str:
        with self._rng_lock:
            return random_guid(self._rng)

    # --- reads ---

    def list(self, request: Request) -> Response:
        groups = self.state.visible_groups()
        return list_groups(
            request,
            groups,
            page_size=self.page_size,
            strict=self.strict,
            context="groups",
            path="groups",
        )

    def get(self, request: Request, group_id: str) -> Response:
        group = self.state.visible_group(_check_id(group_id))
        if group is None:
            raise _missing(group_id)
        return self._entity(request, group, 200)

    def get_by_unique_name(self, request: Request, literal: str) -> Response:
        name = parse_key_literal(literal)
        group = self.state.visible_group_by_unique_name(name)
        if group is None:
            raise _missing(f"groups(uniqueName='{name}')")
        return self._entity(request, group, 200)

    # --- writes ---

    def create(self, request: Request) -> Response:
        body = request.json()
        with self.state.lock:
            unique = body.get("uniqueName")
            if isinstance(unique, str):
                self._check_unique_free(unique)
            group = self._checked(create_group(body, self.new_id(), _now()))
            owners = bound_owners(body, self.find)
            stored = self.state.put_group(group)
            self.owners.commit(stored["id"], owners)
        return self._entity(request, stored, 201, location=True)

    def update(self, request: Request, group_id: str) -> Response:
        body = request.json()
        with self.state.lock:
            existing = self.state.current_group(_check_id(group_id))
            if existing is None:
                raise _missing(group_id)
            updated = self._checked(apply_update(existing, body))
            unique = updated.get("uniqueName")
            if unique and not existing.get("uniqueName"):
                self._check_unique_free(unique)
            added = bound_owners(body, self.find)
            self.state.put_group(updated)
            self._add_owners(existing["id"], added)
        return no_content()

    def upsert(self, request: Request, literal: str) -> Response:
        """PATCH /groups(uniqueName='x'): 201 created, 204 updated, 404 without the Prefer."""
        name = parse_key_literal(literal)
        prefer = {p.strip().lower() for p in request.headers.get("prefer", "").split(",")}
        body = request.json()
        given = body.pop("uniqueName", None)
        if given is not None and (
            not isinstance(given, str) or given.casefold() != name.casefold()
        ):
            raise bad_request("The uniqueName in the body differs from the one in the URL.")
        if self.strict and _OWNERS_BIND in body:
            # Strict: nothing documents whether an upsert can set the owner (README table).
            raise bad_request(f"Property '{_OWNERS_BIND}' is not supported in an upsert.")
        with self.state.lock:
            existing = self.state.current_by_unique_name(name)
            if existing is None:
                if "create-if-missing" not in prefer:
                    raise _missing(f"groups(uniqueName='{name}')")
                # Strict: the live v1.0 page asks Group.ReadWrite.All (docs/graph-contract.md,
                # row 12).
                request.require(
                    permissions.GROUP_WRITE if self.strict else permissions.GROUP_CREATE
                )
                self._check_unique_free(name)
                group = create_group({**body, "uniqueName": name}, self.new_id(), _now())
                owners = bound_owners(body, self.find)
                stored = self.state.put_group(self._checked(group))
                self.owners.commit(stored["id"], owners)
                created = True
            else:
                request.require(permissions.GROUP_WRITE)
                updated = self._checked(apply_update(existing, body))
                added = bound_owners(body, self.find)
                self.state.put_group(updated)
                self._add_owners(existing["id"], added)
                created = False
        if created:
            return self._entity(request, stored, 201, location=True)
        return no_content()

    def delete(self, request: Request, group_id: str) -> Response:
        """204; the group goes to the recycle bin (``directory/deletedItems``)."""
        if not self.state.delete_group(_check_id(group_id), _now()):
            raise _missing(group_id)
        return no_content()

    def _check_unique_free(self, name: str) -> None:
        """400 if a live group holds ``name``; under strict, a deleted one too."""
        taken = self.state.current_by_unique_name(name) is not None
        if taken or (self.strict and self.state.deleted_by_unique_name(name) is not None):
            raise unique_taken()

    def _add_owners(self, group_id: str, added: Sequence[str]) -> None:
        """``owners@odata.bind`` on an existing group adds the owners it lacks (a choice:
        nothing documents binding owners on an update; README "What it emulates")."""
        current = self.owners.current(group_id)
        missing = [o for o in added if o not in current]
        if missing:
            self.owners.commit(group_id, (*current, *missing))

    def _checked(self, group: JsonDict) -> JsonDict:
        return check_group(group) if self.strict else group

    def _entity(
        self, request: Request, group: JsonDict, status: int, location: bool = False
    ) -> Response:
        select = parse_select(request.option("$select"), GROUP_PROPERTIES, "group")
        payload = {"@odata.context": f"{request.service_root}/$metadata#groups/$entity"}
        payload.update(project(group, select))
        headers = {"Location": f"{request.service_root}/groups/{group['id']}"} if location else None
        return json_response(status, payload, headers)


def parse_key_literal(literal: str) -> str:
    """An OData string key such as ``'it''s'`` (already percent-decoded) -> ``it's``."""
    if len(literal) < 2 or literal[0] != "'" or literal[-1] != "'":
        raise GraphError(400, "BadRequest", f"Bad key literal {literal!r}: expected 'value'.")
    inner = literal[1:-1]
    if "'" in inner.replace("''", ""):
        raise GraphError(400, "BadRequest", f"Bad key literal {literal!r}: quotes must be doubled.")
    value = inner.replace("''", "'")
    if not value:
        raise bad_request("Invalid value specified for property 'uniqueName' of resource 'Group'.")
    return value


def _check_id(group_id: str) -> str:
    if not re.fullmatch(_GUID, group_id):
        raise bad_request(f"Invalid object identifier '{group_id}'.")
    return group_id


def _missing(what: str) -> GraphError:
    return not_found(
        f"Resource '{what}' does not exist or one of its queried reference-property objects "
        "are not present."
    )


def unique_taken() -> GraphError:
    return bad_request("Another object with the same value for property uniqueName already exists.")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
