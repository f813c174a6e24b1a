"""``/v1.0/deviceManagement/deviceEnrollmentConfigurations``: the ESP and its neighbours.

Enrollment Status Pages (``windows10EnrollmentCompletionPageConfiguration``) are listed with
the other enrollment configurations (limits, platform restrictions, Windows Hello), and every
tenant has a default of each kind at priority 0 that applies to everyone and is not assigned
(docs/graph-contract.md, row 33). ``POST …/{id}/assign`` replaces the whole assignment list
(row 34), so a client that posts only its own group removes an admin's: the emulator records
every removal with where the write came from, for tests that must prove the app never does
that.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from graph_emulator import permissions
from graph_emulator.devices import check_intune_options, intune_page_size
from graph_emulator.enrollment_model import (
    BASE_PROPERTIES,
    ESP,
    KINDS,
    SHORT_NAMES,
    seed_configuration,
)
from graph_emulator.errors import GraphError, invalid_request
from graph_emulator.intune_assignments import (
    ALL_DEVICES,
    ALL_USERS,
    EXCLUSION,
    GROUP,
    AssignmentChange,
    AssignmentLists,
    Target,
    assignment_id,
    parse_target,
)
from graph_emulator.paging import page_response, parse_select, project
from graph_emulator.protocol import Request, Response, json_response, no_content
from graph_emulator.routes import Router
from graph_emulator.state import TenantState

JsonDict = dict[str, Any]

ASSIGNMENT_TYPE = "#microsoft.graph.enrollmentConfigurationAssignment"
ENROLLMENT_TARGETS = (GROUP, EXCLUSION, ALL_DEVICES, ALL_USERS)
COLLECTION = "deviceManagement/deviceEnrollmentConfigurations"
ASSIGNMENT_PROPERTIES = ("id", "target")


@dataclass(frozen=True)
class RemovedAssignment:
    """A target an ``assign`` dropped from a configuration, compared with just before it."""

    config_id: str
    target: JsonDict
    time: float
    source: str  # "http" (a request: the app) or "admin" (Emulator.set_esp_assignments)


def assignment_json(config_id: str, target: Target) -> JsonDict:
    return {
        "@odata.type": ASSIGNMENT_TYPE,
        "id": assignment_id(config_id, target),
        "target": target.to_json(),
    }


class EnrollmentConfigurationEndpoints:
    """Seeded configurations, their assignment lists (lagged for reads), and the v1.0 routes."""

    def __init__(self, state: TenantState, page_size: int = 100, strict: bool = False) -> None:
        self.state = state
        self.page_size = page_size
        self.strict = strict
        self.assignments = AssignmentLists(state)
        self._configs: dict[str, JsonDict] = {}

    def register(self, router: Router) -> None:
        base = r"/deviceManagement/deviceEnrollmentConfigurations"
        item = base + r"/(?P<config_id>[^/()]+)"
        read, write = permissions.ENROLLMENT_READ, permissions.ENROLLMENT_WRITE
        router.add("GET", base, self.list, read)
        router.add("GET", item, self.get, read)
        router.add("GET", item + "/assignments", self.list_assignments, read)
        router.add("POST", item + "/assign", self.assign, write)

    # --- seeding and inspection (the true state) ---

    def add_configuration(self, partial: JsonDict, unique: str) -> JsonDict:
        """Seed a configuration; without a ``priority`` it gets the next free one of its type."""
        with self.state.lock:
            partial = dict(partial)
            given = partial.get("@odata.type", ESP)
            odata_type = SHORT_NAMES.get(given, given)
            taken = {
                c["priority"] for c in self._configs.values() if c["@odata.type"] == odata_type
            }
            if partial.get("priority") is None:
                partial["priority"] = max(taken | {0}) + 1
            config = seed_configuration(partial, unique)
            if config["priority"] in taken:
                raise ValueError(f"{config['id']}: priority {config['priority']} is taken")
            self.assignments.add_owner(config["id"])
            self._configs[config["id"].lower()] = config
        return copy.deepcopy(config)

    def configurations(self) -> list[JsonDict]:
        with self.state.lock:
            return copy.deepcopy(list(self._configs.values()))

    def assignments_of(self, config_id: str) -> list[JsonDict]:
        config = self._config(config_id)
        return [assignment_json(config["id"], t) for t in self.assignments.current(config_id)]

    def set_assignments(self, config_id: str, targets: list[Target], source: str) -> None:
        """A write through the true state (reads see it after the lag), logged as ``source``."""
        with self.state.lock:
            config = self._config(config_id)
            if config["priority"] == 0:
                raise ValueError(f"{config['id']} is a default configuration: it is not assigned")
            self.assignments.commit(config["id"], _collapse(targets), source)

    def seed_assignment(self, config_id: str, target: Target) -> None:
        self.assignments.seed(self._config(config_id)["id"], target)

    def removals(self) -> list[RemovedAssignment]:
        return [r for change in self.assignments.changes() for r in _removals(change)]

    # --- reads ---

    def list(self, request: Request) -> Response:
        check_intune_options(request)
        select = parse_select(request.option("$select"), BASE_PROPERTIES, _TYPE_NAME)
        size = intune_page_size(request, self.page_size, self.strict)
        items = self.configurations()
        return page_response(request, items, size, select, COLLECTION, COLLECTION)

    def get(self, request: Request, config_id: str) -> Response:
        check_intune_options(request)
        config = self._config(config_id)
        own = KINDS[config["@odata.type"]][3]
        select = parse_select(request.option("$select"), [*BASE_PROPERTIES, *own], _TYPE_NAME)
        context = f"{request.service_root}/$metadata#{COLLECTION}/$entity"
        return json_response(200, {"@odata.context": context, **project(config, select)})

    def list_assignments(self, request: Request, config_id: str) -> Response:
        check_intune_options(request)
        select = parse_select(request.option("$select"), ASSIGNMENT_PROPERTIES, _TYPE_NAME)
        cid = self._config(config_id)["id"]
        items = [assignment_json(cid, t) for t in self.assignments.visible(cid)]
        size = intune_page_size(request, self.page_size, self.strict)
        path = f"{COLLECTION}/{cid}/assignments"
        return page_response(
            request, items, size, select, f"{COLLECTION}('{cid}')/assignments", path
        )

    # --- the write ---

    def assign(self, request: Request, config_id: str) -> Response:
        """POST …/{id}/assign: 204; the list becomes exactly the body's (replace semantics)."""
        body = request.json()
        for key in body:
            if key != "enrollmentConfigurationAssignments":
                raise invalid_request(f"'{key}' is not a parameter of the action 'assign'.")
        items = body.get("enrollmentConfigurationAssignments")
        if not isinstance(items, list):
            raise invalid_request(
                "The parameter 'enrollmentConfigurationAssignments' is required and must be a list."
            )
        with self.state.lock:
            config = self._config(config_id)
            if config["priority"] == 0:
                raise invalid_request(
                    f"The default configuration '{config['id']}' applies to all users and all "
                    "devices and cannot be assigned."
                )
            targets = [self._parse_item(item) for item in items]
            self.assignments.commit(config["id"], _collapse(targets), "http")
        return no_content()

    def _parse_item(self, item: object) -> Target:
        if not isinstance(item, dict):
            raise invalid_request("Each enrollmentConfigurationAssignment must be an object.")
        if item.get("@odata.type", ASSIGNMENT_TYPE) != ASSIGNMENT_TYPE:
            raise invalid_request(f"Invalid @odata.type '{item['@odata.type']}' for an assignment.")
        for key in item:
            if key not in ("@odata.type", "id", "target"):
                raise invalid_request(
                    f"Property '{key}' does not exist on type "
                    "'microsoft.graph.enrollmentConfigurationAssignment'."
                )
        return parse_target(
            item.get("target"), ENROLLMENT_TARGETS, self._group_known, "enrollment configuration"
        )

    def _group_known(self, group_id: str) -> bool:
        """Strict: Intune knows a group only once Entra's replication has reached it."""
        if self.strict:
            return self.state.visible_group(group_id) is not None
        return self.state.current_group(group_id) is not None

    def _config(self, config_id: str) -> JsonDict:
        with self.state.lock:
            config = self._configs.get(config_id.lower())
        if config is None:
            raise GraphError(
                404, "ResourceNotFound", f"No deviceEnrollmentConfiguration with id '{config_id}'."
            )
        return config


_TYPE_NAME = "deviceEnrollmentConfiguration"


def _collapse(targets: list[Target]) -> tuple[Target, ...]:
    """One assignment per target type and group, in first-seen order."""
    return tuple(dict.fromkeys(targets))


def _removals(change: AssignmentChange) -> list[RemovedAssignment]:
    return [
        RemovedAssignment(change.owner_id, t.to_json(), change.time, change.source)
        for t in change.removed
    ]
