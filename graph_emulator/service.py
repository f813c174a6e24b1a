"""The request pipeline, independent of sockets: faults, authentication, routing, the log.

Order matters and mirrors Graph's front door: injected faults (throttling, outages) come
first, then the bearer token, then routing and the handler's permission check. Faults
that act "after commit" let the handler run and then replace or swallow its answer.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

from graph_emulator.autopilot_profiles import AutopilotProfileEndpoints
from graph_emulator.clock import Clock
from graph_emulator.configuration_policies import ConfigurationPolicyEndpoints
from graph_emulator.deleted_items import DeletedItemEndpoints
from graph_emulator.devices import DeviceCatalog
from graph_emulator.enrollment_configurations import EnrollmentConfigurationEndpoints
from graph_emulator.errors import GraphError, error_body
from graph_emulator.faults import Fault, Faults
from graph_emulator.group_owners import OwnerEndpoints, OwnerLists
from graph_emulator.groups import GroupEndpoints
from graph_emulator.permissions import AUTOPILOT_READ
from graph_emulator.protocol import Request, Response
from graph_emulator.routes import Router
from graph_emulator.service_principals import ServicePrincipalEndpoints
from graph_emulator.state import TenantState
from graph_emulator.tokens import Caller, caller_of

log = logging.getLogger(__name__)

V1 = "/v1.0"
BETA = "/beta"
_WRITES = {"POST", "PATCH", "PUT", "DELETE"}
_FAULT_ERRORS = {
    "429": (429, "TooManyRequests", "Too many requests. Retry after the time in Retry-After."),
    "503": (503, "serviceNotAvailable", "The service is temporarily unavailable. Retry later."),
    "504-after-commit": (504, "GatewayTimeout", "The gateway did not receive a timely response."),
}


@dataclass(frozen=True)
class RequestRecord:
    """One request as received. ``status`` 0 means no answer was sent (dropped)."""

    method: str
    path: str
    query: str
    status: int
    fault: str | None
    time: float


class GraphService:
    """Turns one HTTP request into one response (or ``None``: drop the connection)."""

    def __init__(
        self,
        state: TenantState,
        faults: Faults,
        clock: Clock,
        page_size: int = 1000,
        group_page_size: int = 100,
        seed: int = 0,
        service_principals: ServicePrincipalEndpoints | None = None,
        *,
        intune_page_size: int = 100,
        strict: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state
        self.faults = faults
        self.clock = clock
        self.strict = strict
        self._sleep = sleep
        self.routers = {V1: Router(), BETA: Router()}
        self.devices = DeviceCatalog(state, page_size, strict)
        self.service_principals = service_principals or ServicePrincipalEndpoints()
        find = self.service_principals.find
        self.owners = OwnerLists(state)
        self.groups = GroupEndpoints(
            state, group_page_size, seed, strict, owners=self.owners, find=find
        )
        self.owner_routes = OwnerEndpoints(state, self.owners, find, group_page_size, strict)
        self.deleted = DeletedItemEndpoints(state, group_page_size, strict)
        self.profiles = AutopilotProfileEndpoints(state, intune_page_size, strict)
        self.enrollment = EnrollmentConfigurationEndpoints(state, intune_page_size, strict)
        self.policies = ConfigurationPolicyEndpoints(
            state, self.owners, self.service_principals, intune_page_size, strict
        )
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._register()

    def _register(self) -> None:
        """The routing tables, one per API version: each endpoint family registers its own
        routes. Beta serves only what v1.0 lacks and the app needs."""
        v1 = self.routers[V1]
        base = r"/deviceManagement/windowsAutopilotDeviceIdentities"
        v1.add("GET", base, self.devices.list_devices, AUTOPILOT_READ)
        v1.add("GET", base + r"/(?P<device_id>[^/]+)", self.devices.get_device, AUTOPILOT_READ)
        self.groups.register(v1)
        self.owner_routes.register(v1)
        self.deleted.register(v1)
        self.service_principals.register(v1)
        self.enrollment.register(v1)
        self.profiles.register(self.routers[BETA])
        self.policies.register(self.routers[BETA])

    # --- inspection ---

    @property
    def records(self) -> list[RequestRecord]:
        with self._records_lock:
            return list(self._records)

    def clear_records(self) -> None:
        with self._records_lock:
            self._records.clear()

    # --- the pipeline ---

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, host: str
    ) -> Response | None:
        arrived = self.clock()
        raw_path, _, raw_query = target.partition("?")
        path = unquote(raw_path)
        request_id = str(uuid.uuid4())
        fault = self.faults.decide(method, path)
        delay = self.faults.base_latency + (
            fault.seconds if fault and fault.kind == "latency" else 0
        )
        if delay > 0:
            self._sleep(delay)  # in this connection's own thread: other requests go on
        if fault is not None and fault.gate is not None:
            fault.gate.wait()  # a held request: then dropped, as "drop" is
        response = self._respond(
            method, path, raw_path, raw_query, headers, body, host, request_id, fault
        )
        if response is not None:
            response.headers.setdefault("request-id", request_id)
            response.headers.setdefault(
                "client-request-id", headers.get("client-request-id", request_id)
            )
        status = 0 if response is None else response.status
        record = RequestRecord(
            method, path, unquote_plus(raw_query), status, fault.kind if fault else None, arrived
        )
        with self._records_lock:
            self._records.append(record)
        log.debug("%s %s -> %s (fault %s)", method, target, status, record.fault)
        return response

    def _respond(
        self,
        method: str,
        path: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        host: str,
        request_id: str,
        fault: Fault | None,
    ) -> Response | None:
        client_id = headers.get("client-request-id")
        kind = fault.kind if fault else None
        is_write = method in _WRITES
        if kind in ("drop", "hold") or (kind == "drop-after-commit" and not is_write):
            return None
        if kind in ("429", "503") or (kind == "504-after-commit" and not is_write):
            assert fault is not None
            return _fault_response(fault, request_id, client_id)
        try:
            request, router = self._parse(
                method, path, raw_path, raw_query, headers, body, host, request_id
            )
            response = router.dispatch(request)
        except GraphError as error:
            response = render_error(error, request_id, client_id)
        if kind == "drop-after-commit":
            return None
        if kind == "504-after-commit":
            assert fault is not None
            return _fault_response(fault, request_id, client_id)
        return response

    def _parse(
        self,
        method: str,
        path: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        host: str,
        request_id: str,
    ) -> tuple[Request, Router]:
        caller = _authenticate(headers, self.state.permissions)
        version = next((v for v in self.routers if path == v or path.startswith(v + "/")), None)
        if version is None:
            segment = path.strip("/").split("/")[0]
            raise GraphError(400, "BadRequest", f"Invalid version: {segment}")
        query = [_decode_pair(part) for part in raw_query.split("&") if part]
        request = Request(
            method=method,
            path=path[len(version) :] or "/",
            raw_path=raw_path,
            query=query,
            raw_query=raw_query,
            headers=headers,
            body=body,
            service_root=f"http://{host}{version}",
            request_id=request_id,
            permissions=caller.permissions,
            caller=caller,
        )
        return request, self.routers[version]


def _decode_pair(part: str) -> tuple[str, str]:
    key, _, value = part.partition("=")
    return unquote_plus(key), unquote_plus(value)


def _authenticate(headers: dict[str, str], granted: frozenset[str]) -> Caller:
    """The caller behind the bearer token (``tokens.py``); 401 without one."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
            {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
        )
    return caller_of(token.strip(), granted)


def render_error(error: GraphError, request_id: str, client_request_id: str | None) -> Response:
    body = error_body(error.code, error.message, request_id, client_request_id)
    headers = {"Content-Type": "application/json", **error.headers}
    return Response(error.status, body, headers)


def _fault_response(fault: Fault, request_id: str, client_request_id: str | None) -> Response:
    status, code, message = _FAULT_ERRORS[fault.kind]
    extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    return render_error(GraphError(status, code, message, extra), request_id, client_request_id)
