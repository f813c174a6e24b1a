"""``/deviceManagement/windowsAutopilotDeviceIdentities``: Intune's Autopilot device list.

Intune's list supports only a subset of ``$filter``: ``contains``/``startswith``
(graph_emulator/README.md, "What it emulates"); ``eq`` and anything else answer 400
``BadRequest`` with the "An error has occurred - Operation ID" message the list page
documents. Pages hold 1000 devices by default.

This is the endpoint benchmarks hammer, so each device's JSON is serialised once per
``$select`` and cached, and a filter's matches are cached per filter text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from graph_emulator.errors import GraphError
from graph_emulator.odata import BoolOp, Call, Expr, FilterSyntaxError, parse_filter
from graph_emulator.paging import decode_skiptoken, next_link, parse_select, parse_top
from graph_emulator.protocol import JSON_CONTENT_TYPE, Request, Response
from graph_emulator.state import TenantState

JsonDict = dict[str, Any]
ODATA_TYPE = "#microsoft.graph.windowsAutopilotDeviceIdentity"
DEVICE_PROPERTIES = [
    "id",
    "groupTag",
    "purchaseOrderIdentifier",
    "serialNumber",
    "productKey",
    "manufacturer",
    "model",
    "enrollmentState",
    "lastContactedDateTime",
    "addressableUserName",
    "userPrincipalName",
    "resourceName",
    "skuNumber",
    "systemFamily",
    "azureActiveDirectoryDeviceId",
    "managedDeviceId",
    "displayName",
]
ENROLLMENT_STATES = ("unknown", "enrolled", "pendingReset", "failed", "notContacted")
_FILTERABLE = {"groupTag", "serialNumber"}
_DEFAULTS: JsonDict = {
    **dict.fromkeys(DEVICE_PROPERTIES, ""),
    "enrollmentState": "notContacted",
    "lastContactedDateTime": "0001-01-01T00:00:00Z",
}
COLLECTION = "deviceManagement/windowsAutopilotDeviceIdentities"
# Strict only: Intune documents no $top maximum; its lists answer "a default limit of 1000
# items" (powershell-intune-samples #2; graph_emulator/README.md, "Strict profile"), so a
# stricter service may refuse more.
STRICT_MAX_TOP = 1000
_PAGING_OPTIONS = {"$select", "$top", "$skiptoken"}


def normalize_device(device: JsonDict) -> JsonDict:
    """Every v1.0 property present, in the documented order; unknown keys refused."""
    unknown = set(device) - set(DEVICE_PROPERTIES) - {"@odata.type"}
    if unknown:
        raise ValueError(f"unknown windowsAutopilotDeviceIdentity properties: {sorted(unknown)}")
    if not device.get("id"):
        raise ValueError("a device needs an id")
    return {name: device.get(name, _DEFAULTS[name]) for name in DEVICE_PROPERTIES}


def intune_error(request: Request) -> GraphError:
    """The error Intune answers to a filter it does not support.

    As graph_emulator/README.md, "What it emulates", gives it for the device list.
    """
    url = f"{request.service_root}{request.path}?{request.raw_query}"
    return GraphError(
        400,
        "BadRequest",
        "An error has occurred - Operation ID (for customer support): "
        f"00000000-0000-0000-0000-000000000000 - Activity ID: {request.request_id} - Url: {url}",
    )


def intune_page_size(request: Request, page_size: int, strict: bool) -> int:
    """The page size of an Intune list: ``$top`` if smaller than the service's own."""
    top = parse_top(request.option("$top"), STRICT_MAX_TOP if strict else None)
    return min(top, page_size) if top is not None else page_size


def check_intune_options(request: Request) -> None:
    """Intune lists other than the device list take only ``$select``, ``$top`` and the
    ``$skiptoken`` of their nextLinks; anything else gets Intune's generic error."""
    for key, _ in request.query:
        if key.startswith("$") and key not in _PAGING_OPTIONS:
            raise intune_error(request)


class DeviceCatalog:
    """Serves the device list from ``state.devices`` with per-select and per-filter caches."""

    def __init__(self, state: TenantState, page_size: int, strict: bool = False) -> None:
        self.state = state
        self.page_size = page_size
        self.strict = strict
        self._lock = threading.Lock()
        self._json: dict[tuple[str, ...] | None, list[bytes | None]] = {}
        self._matches: dict[str, tuple[int, list[int]]] = {}
        self._version = -1

    def list_devices(self, request: Request) -> Response:
        select = parse_select(
            request.option("$select"), DEVICE_PROPERTIES, "windowsAutopilotDeviceIdentity"
        )
        for option in ("$orderby", "$search", "$expand", "$skip"):
            if request.option(option) is not None:
                raise intune_error(request)
        size = intune_page_size(request, self.page_size, self.strict)
        token = request.option("$skiptoken")
        offset = decode_skiptoken(token) if token is not None else 0
        indexes = self._matching(request)
        total = len(indexes) if indexes is not None else len(self.state.devices)
        page: Sequence[int] = (
            indexes[offset : offset + size]
            if indexes is not None
            else range(offset, min(offset + size, total))
        )
        chunks = self._serialized(select, page)
        context = f"{request.service_root}/$metadata#{COLLECTION}"
        if select is not None:
            context += f"({','.join(select)})"
        head: dict[str, object] = {"@odata.context": context}
        if request.option("$count") == "true" and offset == 0:
            head["@odata.count"] = total
        if offset + size < total:
            head["@odata.nextLink"] = next_link(
                f"{request.service_root}/{COLLECTION}", request.query, offset + size
            )
        body = json.dumps(head)[:-1].encode() + b',"value":[' + b",".join(chunks) + b"]}"
        return Response(200, body, {"Content-Type": JSON_CONTENT_TYPE})

    def get_device(self, request: Request, device_id: str) -> Response:
        for device in self.state.devices:
            if device["id"].lower() == device_id.lower():
                payload = {
                    "@odata.context": f"{request.service_root}/$metadata#{COLLECTION}/$entity",
                    "@odata.type": ODATA_TYPE,
                    **device,
                }
                return Response(
                    200, json.dumps(payload).encode(), {"Content-Type": JSON_CONTENT_TYPE}
                )
        raise GraphError(
            404, "ResourceNotFound", f"No windowsAutopilotDeviceIdentity with id '{device_id}'."
        )

    def _refresh(self) -> None:
        if self._version != self.state.device_version:
            self._json.clear()
            self._matches.clear()
            self._version = self.state.device_version

    def _serialized(self, select: tuple[str, ...] | None, page: Sequence[int]) -> list[bytes]:
        devices = self.state.devices
        with self._lock:
            self._refresh()
            cache = self._json.setdefault(select, [])
            if len(cache) < len(devices):
                cache.extend([None] * (len(devices) - len(cache)))
            out: list[bytes] = []
            for index in page:
                chunk = cache[index]
                if chunk is None:
                    device = devices[index]
                    names = select if select is not None else DEVICE_PROPERTIES
                    item = {"@odata.type": ODATA_TYPE, **{n: device[n] for n in names}}
                    chunk = cache[index] = json.dumps(item).encode()
                out.append(chunk)
            return out

    def _matching(self, request: Request) -> list[int] | None:
        text = request.option("$filter")
        if text is None:
            return None
        with self._lock:
            self._refresh()
            cached = self._matches.get(text)
        if cached is not None:
            return cached[1]
        try:
            expr = parse_filter(text)
        except FilterSyntaxError:
            raise intune_error(request) from None
        predicate = _compile(expr, request)
        matches = [i for i, d in enumerate(self.state.devices) if predicate(d)]
        with self._lock:
            if len(self._matches) > 64:
                self._matches.clear()
            self._matches[text] = (self._version, matches)
        return matches


def _compile(expr: Expr, request: Request) -> Any:
    if isinstance(expr, BoolOp):
        left, right = _compile(expr.left, request), _compile(expr.right, request)
        if expr.op == "and":
            return lambda d: left(d) and right(d)
        return lambda d: left(d) or right(d)
    if isinstance(expr, Call) and expr.func in ("contains", "startswith"):
        if expr.prop not in _FILTERABLE or not isinstance(expr.value, str):
            raise intune_error(request)
        prop, wanted = expr.prop, expr.value.casefold()
        if expr.func == "contains":
            return lambda d: wanted in (d.get(prop) or "").casefold()
        return lambda d: (d.get(prop) or "").casefold().startswith(wanted)
    raise intune_error(request)
