"""``/beta/deviceManagement/configurationPolicies``: settings catalog policies, beta only.

An Autopilot device preparation policy is one of these, with ``technologies`` "enrollment"
and a ``templateReference`` of family ``enrollmentConfiguration`` (docs/graph-contract.md,
row 44). So are other enrollment policies (Apple's automated device enrollment for macOS has
the same technology and family, captured responses show), and an ordinary settings catalog
policy may carry the same ``name``: only the template id tells a device preparation policy
apart. Template ids come from captured responses and peers' code,
not from Microsoft's pages: user-driven ``80d33118-b7b4-40d8-b15f-81be745e053f_1``, automatic
``a6157a7f-aa00-42d9-ac82-7d2479f545db_1``. Their display names here are placeholders.

Microsoft's list page documents no query options. The Intune admin center filters with
``technologies has 'enrollment'`` and ``templateReference/templateFamily eq '…'``: the
default profile accepts those forms (``has``/``eq`` on ``technologies`` and ``platforms``,
``eq`` on the two template fields, joined by ``and``); the strict one refuses any ``$filter``.
Policies are seeded, never created over HTTP; their membership targets live in
``membership_targets.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from graph_emulator import permissions
from graph_emulator.devices import intune_error, intune_page_size
from graph_emulator.errors import GraphError
from graph_emulator.group_owners import OwnerLists
from graph_emulator.membership_targets import MembershipTargets
from graph_emulator.odata import BoolOp, Compare, Expr, FilterSyntaxError, parse_filter
from graph_emulator.paging import page_response, parse_select, project
from graph_emulator.protocol import Request, Response, json_response
from graph_emulator.routes import Router
from graph_emulator.service_principals import ServicePrincipalEndpoints
from graph_emulator.state import TenantState
from graph_emulator.tenant import SEED_TIME

JsonDict = dict[str, Any]
Predicate = Callable[[JsonDict], bool]

POLICY_TYPE = "#microsoft.graph.deviceManagementConfigurationPolicy"
COLLECTION = "deviceManagement/configurationPolicies"
USER_DRIVEN_TEMPLATE = "80d33118-b7b4-40d8-b15f-81be745e053f_1"
AUTOMATIC_TEMPLATE = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1"
DEVICE_PREPARATION_BASES = {t.split("_")[0] for t in (USER_DRIVEN_TEMPLATE, AUTOMATIC_TEMPLATE)}
ENROLLMENT_FAMILY = "enrollmentConfiguration"


def _template(template_id: str, family: str, name: str | None) -> JsonDict:
    return {
        "templateId": template_id,
        "templateFamily": family,
        "templateDisplayName": name,
        "templateDisplayVersion": "Version 1" if name else None,
    }


# Seeding shorthands: (technologies, platforms, templateReference).
TEMPLATES: dict[str, tuple[str, str, JsonDict]] = {
    "devicePreparationUserDriven": (
        "enrollment",
        "windows10",
        _template(USER_DRIVEN_TEMPLATE, ENROLLMENT_FAMILY, "Windows Autopilot device preparation"),
    ),
    "devicePreparationAutomatic": (
        "enrollment",
        "windows10",
        _template(AUTOMATIC_TEMPLATE, ENROLLMENT_FAMILY, "Windows Autopilot device preparation"),
    ),
    "macOSEnrollment": (
        "enrollment",
        "macOS",
        _template(
            "2e29557d-70fc-405a-8082-d1e5b6be2b8c_1",
            ENROLLMENT_FAMILY,
            "Apple macOS Device Enrollment Policy",
        ),
    ),
    "settingsCatalog": ("mdm", "windows10", _template("", "none", None)),
}
POLICY_PROPERTIES = (
    "id",
    "name",
    "description",
    "platforms",
    "technologies",
    "createdDateTime",
    "lastModifiedDateTime",
    "settingCount",
    "creationSource",
    "roleScopeTagIds",
    "isAssigned",
    "disableEntraGroupPolicyAssignment",
    "templateReference",
    "priorityMetaData",
)
_OPTIONS = {"$select", "$top", "$skiptoken", "$filter"}
_FLAGS = {"technologies", "platforms"}  # flags enums: "mdm,microsoftSense"
_TEMPLATE_FIELDS = {"templatereference/templatefamily", "templatereference/templateid"}


def seed_policy(partial: JsonDict, policy_id: str) -> JsonDict:
    """A full policy from a partial one (``name`` at least); ``template`` picks a shorthand
    of :data:`TEMPLATES` (default ``settingsCatalog``), other properties override it."""
    body = dict(partial)
    if not body.get("name"):
        raise ValueError("a configuration policy needs a name")
    kind = body.pop("template", "settingsCatalog")
    if kind not in TEMPLATES:
        raise ValueError(f"unknown configuration policy template {kind!r}")
    technologies, platforms, reference = TEMPLATES[kind]
    policy: JsonDict = {
        "@odata.type": POLICY_TYPE,
        "id": policy_id,
        "name": None,
        "description": "",
        "platforms": platforms,
        "technologies": technologies,
        "createdDateTime": SEED_TIME,
        "lastModifiedDateTime": SEED_TIME,
        "settingCount": 0,
        "creationSource": None,
        "roleScopeTagIds": ["0"],
        "isAssigned": False,
        "disableEntraGroupPolicyAssignment": False,
        "templateReference": copy.deepcopy(reference),
        "priorityMetaData": None,
    }
    policy.update({k: v for k, v in body.items() if k != "@odata.type"})
    unknown = set(policy) - {"@odata.type", *POLICY_PROPERTIES}
    if unknown:
        raise ValueError(f"unknown configuration policy properties: {sorted(unknown)}")
    return policy


def is_device_preparation(policy: JsonDict) -> bool:
    template = str((policy.get("templateReference") or {}).get("templateId") or "")
    return template.split("_")[0].lower() in DEVICE_PREPARATION_BASES


class ConfigurationPolicyEndpoints:
    """Seeded policies, their list and get, and the two membership target actions."""

    def __init__(
        self,
        state: TenantState,
        owners: OwnerLists,
        principals: ServicePrincipalEndpoints,
        page_size: int = 100,
        strict: bool = False,
    ) -> None:
        self.state = state
        self.page_size = page_size
        self.strict = strict
        self._policies: dict[str, JsonDict] = {}
        self.targets = MembershipTargets(state, owners, principals, strict)

    def register(self, router: Router) -> None:
        base = r"/deviceManagement/configurationPolicies"
        item = base + r"/(?P<policy_id>[^/()]+)"
        read = permissions.CONFIGURATION_READ
        router.add("GET", base, self.list, read)
        router.add("GET", item, self.get, read)
        action = item + r"/(?:microsoft\.graph\.)?"
        router.add(
            "POST",
            action + "setEnrollmentTimeDeviceMembershipTarget",
            self.set_target,
            permissions.CONFIGURATION_WRITE,
        )
        router.add(
            "POST", action + "retrieveEnrollmentTimeDeviceMembershipTarget", self.get_target, read
        )

    # --- seeding and inspection ---

    def add_policy(self, partial: JsonDict, policy_id: str) -> JsonDict:
        policy = seed_policy(partial, policy_id)
        with self.state.lock:
            if policy["id"].lower() in self._policies:
                raise ValueError(f"configuration policy id {policy['id']!r} is already taken")
            self._policies[policy["id"].lower()] = policy
            self.targets.add_policy(policy["id"])
        return copy.deepcopy(policy)

    def policies(self) -> list[JsonDict]:
        with self.state.lock:
            return copy.deepcopy(list(self._policies.values()))

    def policy(self, policy_id: str) -> JsonDict:
        with self.state.lock:
            policy = self._policies.get(policy_id.lower())
        if policy is None:
            raise GraphError(
                404,
                "ResourceNotFound",
                f"No deviceManagementConfigurationPolicy with id '{policy_id}'.",
            )
        return policy

    # --- reads ---

    def list(self, request: Request) -> Response:
        self._check_options(request)
        select = parse_select(request.option("$select"), POLICY_PROPERTIES, _TYPE_NAME)
        size = intune_page_size(request, self.page_size, self.strict)
        items = self.policies()
        text = request.option("$filter")
        if text is not None:
            if self.strict:
                raise intune_error(request)  # strict: no $filter on this list (README table)
            predicate = _compile_filter(text, request)
            items = [p for p in items if predicate(p)]
        return page_response(request, items, size, select, COLLECTION, COLLECTION)

    def get(self, request: Request, policy_id: str) -> Response:
        self._check_options(request, allowed={"$select"})
        select = parse_select(request.option("$select"), POLICY_PROPERTIES, _TYPE_NAME)
        policy = self.policy(policy_id)
        context = f"{request.service_root}/$metadata#{COLLECTION}/$entity"
        return json_response(200, {"@odata.context": context, **project(policy, select)})

    # --- the actions ---

    def set_target(self, request: Request, policy_id: str) -> Response:
        policy = self._device_preparation(request, policy_id)
        return self.targets.set_target(request, policy["id"])

    def get_target(self, request: Request, policy_id: str) -> Response:
        policy = self._device_preparation(request, policy_id)
        if request.body.strip() not in (b"", b"{}"):
            raise GraphError(400, "BadRequest", "Do not supply a request body for this action.")
        return self.targets.retrieve(request, policy["id"])

    def _device_preparation(self, request: Request, policy_id: str) -> JsonDict:
        """The policy; Intune's 400 if it is not a device preparation policy (a choice:
        Microsoft documents no answer for other policies)."""
        policy = self.policy(policy_id)
        if not is_device_preparation(policy):
            raise intune_error(request)
        return policy

    def _check_options(self, request: Request, allowed: set[str] = _OPTIONS) -> None:
        for key, _ in request.query:
            if key.startswith("$") and key not in allowed:
                raise intune_error(request)


_TYPE_NAME = "deviceManagementConfigurationPolicy"


def _compile_filter(text: str, request: Request) -> Predicate:
    try:
        expr = parse_filter(text)
    except FilterSyntaxError:
        raise intune_error(request) from None
    return _compile(expr, request)


def _compile(expr: Expr, request: Request) -> Predicate:
    if isinstance(expr, BoolOp) and expr.op == "and":
        left, right = _compile(expr.left, request), _compile(expr.right, request)
        return lambda p: left(p) and right(p)
    if not isinstance(expr, Compare) or not isinstance(expr.value, str):
        raise intune_error(request)
    prop, wanted = expr.prop.lower(), expr.value.casefold()
    if prop in {f.lower() for f in _FLAGS} and expr.op in ("has", "eq"):
        name = next(f for f in _FLAGS if f.lower() == prop)
        if expr.op == "eq":
            return lambda p: str(p.get(name) or "").casefold() == wanted
        return lambda p: wanted in _flags(p.get(name))
    if prop in _TEMPLATE_FIELDS and expr.op == "eq":
        field = "templateFamily" if prop.endswith("templatefamily") else "templateId"
        return lambda p: (
            str((p.get("templateReference") or {}).get(field) or "").casefold() == (wanted)
        )
    raise intune_error(request)


def _flags(value: object) -> set[str]:
    return {part.strip().casefold() for part in str(value or "").split(",") if part.strip()}
