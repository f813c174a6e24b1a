"""The in-process API: start an emulator on loopback, seed it, script faults, inspect it.

Other packages' tests code against these names; keep them stable.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from graph_emulator.clock import Clock, monotonic_clock
from graph_emulator.devices import normalize_device
from graph_emulator.emulator_admin import DirectoryAdmin
from graph_emulator.emulator_intune import IntuneSeeding
from graph_emulator.enrollment_model import default_configurations
from graph_emulator.faults import Faults
from graph_emulator.seeds import random_guid
from graph_emulator.server import EmulatorHTTPServer
from graph_emulator.service import GraphService, RequestRecord
from graph_emulator.service_principals import ServicePrincipalEndpoints
from graph_emulator.state import TenantState
from graph_emulator.tenant import empty_tenant, load_tenant, seed_group

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


class Emulator(IntuneSeeding, DirectoryAdmin):
    """A Microsoft Graph emulator serving over real HTTP on 127.0.0.1.

    Its Intune seeding and inspection are in ``emulator_intune.py``, an admin's changes to
    the directory and the test tokens in ``emulator_admin.py``.

    ``strict`` answers as the stricter Graph of the README's "Strict profile" table.
    ``latency_seconds`` holds every request that long before it is answered, each in its
    connection's own thread, so concurrent requests wait concurrently; ``sleep`` is how it
    waits (tests inject one, as they inject ``clock``).
    """

    def __init__(
        self,
        tenant: JsonDict | str | Path | None = None,
        page_size: int = 1000,
        lag_seconds: float = 0.0,
        clock: Clock | None = None,
        seed: int = 0,
        *,
        group_page_size: int = 100,
        intune_page_size: int = 100,
        strict: bool = False,
        latency_seconds: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        data = _tenant_data(tenant)
        self.clock: Clock = clock or monotonic_clock
        self.faults = Faults()
        self._state = TenantState(
            data.get("tenantId") or empty_tenant()["tenantId"],
            data["grantedPermissions"],
            self.clock,
            lag_seconds,
        )
        self._principals = ServicePrincipalEndpoints(
            data.get("servicePrincipals"), data.get("appRoleAssignments") or ()
        )
        self._service = GraphService(
            self._state,
            self.faults,
            self.clock,
            page_size,
            group_page_size,
            seed,
            self._principals,
            intune_page_size=intune_page_size,
            strict=strict,
            sleep=sleep,
        )
        self.faults.set_latency(latency_seconds)
        self._seed_ids = random.Random(seed ^ 0x5EED)
        self._host = host
        self._port = port
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_devices(data["devices"])
        for group in data["groups"]:
            self.add_group(group)
        for profile in data.get("autopilotProfiles") or ():
            self.add_autopilot_profile(profile)
        configurations = data.get("enrollmentConfigurations") or []
        listed = {str(c.get("id", "")).lower() for c in configurations}
        for default in default_configurations(self._state.tenant_id):
            if default["id"].lower() not in listed:
                self.add_enrollment_configuration(default)
        for configuration in configurations:
            self.add_enrollment_configuration(configuration)
        for policy in data.get("configurationPolicies") or ():
            self.add_configuration_policy(policy)

    # --- lifecycle ---

    def start(self, port: int | None = None) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        address = (self._host, self._port if port is None else port)
        self._server = EmulatorHTTPServer(address, self._service)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() may wait for the loop
            name="graph-emulator",
            daemon=True,
        )
        self._thread.start()
        log.info("Graph emulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The v1.0 service root, e.g. ``http://127.0.0.1:PORT/v1.0``."""
        return f"http://{self._host}:{self.port}/v1.0"

    @property
    def beta_url(self) -> str:
        """The beta service root (Autopilot deployment profiles live only there)."""
        return f"http://{self._host}:{self.port}/beta"

    # --- seeding (visible at once, no lag) ---

    def add_devices(self, devices: Iterable[JsonDict]) -> None:
        self._state.add_devices(normalize_device(d) for d in devices)

    def add_group(
        self, group: JsonDict, *, validate: bool = True, outside_caller_scope: bool = False
    ) -> JsonDict:
        """Store a group as if it had always existed; returns the full stored group.

        Two keys are the emulator's own: ``owners`` (service principals by id, appId or
        displayName, owners since always) and ``outsideCallerScope`` (as the keyword: the
        group is outside the app's Intune RBAC scope)."""
        body = dict(group)
        owners = [self._principal_id(o) for o in body.pop("owners", None) or ()]
        outside = bool(body.pop("outsideCallerScope", False)) or outside_caller_scope
        with self._state.lock:
            full = seed_group(body, self._new_id(), validate=validate)
            unique = full.get("uniqueName")
            if unique and self._state.current_by_unique_name(unique) is not None:
                raise ValueError(f"uniqueName {unique!r} is already taken")
            stored = self._state.put_group(full, seeded=True)
            self._service.owners.seed(stored["id"], owners)
            if outside:
                self._service.policies.targets.set_outside_scope(stored["id"])
            return stored

    def _principal_id(self, name: str) -> str:
        for sp in self._principals.service_principals():
            if name.lower() in (sp["id"].lower(), sp["appId"].lower()) or name == sp["displayName"]:
                return str(sp["id"])
        raise ValueError(f"owner {name!r}: no service principal with that id, appId or name")

    def add_service_principal(self, service_principal: JsonDict) -> JsonDict:
        """A service principal (a managed identity unless it has appRoles); returns it whole."""
        return self._principals.add_service_principal(service_principal)

    def add_app_role_assignment(self, assignment: JsonDict) -> JsonDict:
        """An existing assignment: ``{"principalId", "resourceId", "appRoleId"}``."""
        return self._principals.add_assignment(assignment)

    # --- inspection ---

    def service_principals(self) -> list[JsonDict]:
        return self._principals.service_principals()

    def app_role_assignments(self) -> list[JsonDict]:
        return self._principals.assignments()

    def groups(self) -> list[JsonDict]:
        """The true current state of every group (ignoring lag), every property."""
        return self._state.current_groups()

    def devices(self) -> list[JsonDict]:
        with self._state.lock:
            return [dict(d) for d in self._state.devices]

    @property
    def tenant_id(self) -> str:
        return self._state.tenant_id

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log."""
        return self._service.records

    def clear_requests(self) -> None:
        self._service.clear_records()

    # --- settings ---

    def set_permissions(self, permissions: Iterable[str]) -> None:
        self._state.set_permissions(permissions)

    def set_lag(self, seconds: float) -> None:
        self._state.set_lag(seconds)

    def set_page_size(self, size: int) -> None:
        """Devices per page (Intune's default is 1000)."""
        self._service.devices.page_size = size

    def set_intune_page_size(self, size: int) -> None:
        """Profiles, enrollment configurations, configuration policies and their assignments
        per page (default 100)."""
        service = self._service
        service.profiles.page_size = service.enrollment.page_size = size
        service.policies.page_size = size

    @property
    def strict(self) -> bool:
        """True when answering as the strict profile (README, "Strict profile")."""
        return self._service.strict

    def _new_id(self) -> str:
        return random_guid(self._seed_ids)


def _tenant_data(tenant: JsonDict | str | Path | None) -> JsonDict:
    if tenant is None:
        return empty_tenant()
    if isinstance(tenant, dict):
        return {**empty_tenant(), **tenant}
    return load_tenant(tenant)
