"""A device preparation policy's enrollment-time device membership target, and its checks.

``POST …/setEnrollmentTimeDeviceMembershipTarget`` names the static security group that
Intune adds each enrolling device to; ``POST …/retrieveEnrollmentTimeDeviceMembershipTarget``
reads it back. Both answer 200 with an ``enrollmentTimeDeviceMembershipTargetResult`` wrapped
in ``value`` (contrib beta pages ``intune-deviceconfigv2-devicemanagementconfigurationpolicy-
{set,retrieve}enrollmenttimedevicemembershiptarget.md``). "The set/get … API validates the
device membership targets": a failed validation is still a 200, ``validationSucceeded``
false and a code per target (``enrollmentTimeDeviceMembershipTargetValidationErrorCode``),
and ``set…`` then leaves the target as it was. "Failures other than validation will result
in 500" (the result's resource page).

The docs show ``validationSucceeded`` on each target's status and "unknown" as the code of a
valid target; the beta metadata's ``enrollmentTimeDeviceMembershipTargetStatus`` has only
``targetId`` and ``targetValidationErrorCode``, and its enum no "unknown". The default
profile answers as the docs; the strict one as the metadata (no per-target flag, a null code).

Each policy's target is versioned (``versions.py``): ``retrieve…`` reads it as it was ``lag``
seconds ago, ``set…`` acts on the true one. The group and its owners are checked in the true
state, or under strict as Intune sees them through the lag.
"""

from __future__ import annotations

from typing import Any

from graph_emulator.devices import intune_error
from graph_emulator.errors import GraphError
from graph_emulator.group_owners import OwnerLists
from graph_emulator.protocol import Request, Response, json_response
from graph_emulator.service_principals import PROVISIONING_CLIENT_APP_ID, ServicePrincipalEndpoints
from graph_emulator.state import TenantState
from graph_emulator.versions import History

JsonDict = dict[str, Any]

RESULT_TYPE = "#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"
STATUS_TYPE = "#microsoft.graph.enrollmentTimeDeviceMembershipTargetStatus"
TARGET_TYPE = "microsoft.graph.enrollmentTimeDeviceMembershipTarget"
STATIC_GROUP = "staticSecurityGroup"
PARAMETER = "enrollmentTimeDeviceMembershipTargets"
# The validation codes, in the order they are checked.
NOT_FOUND = "securityGroupNotFound"
NOT_SECURITY = "notSecurityGroup"
NOT_STATIC = "notStaticSecurityGroup"
NOT_IN_SCOPE = "securityGroupNotInCallerScope"
NOT_OWNER = "firstPartyAppNotAnOwner"


class MembershipTargets:
    """Targets per policy, the groups outside the caller's RBAC scope, and the two actions."""

    def __init__(
        self,
        state: TenantState,
        owners: OwnerLists,
        principals: ServicePrincipalEndpoints,
        strict: bool = False,
    ) -> None:
        self.state = state
        self.owners = owners
        self.principals = principals
        self.strict = strict
        self._targets: dict[str, History[tuple[str, ...]]] = {}
        self._outside_scope: set[str] = set()

    # --- seeding and inspection (the true state) ---

    def add_policy(self, policy_id: str) -> None:
        with self.state.lock:
            history: History[tuple[str, ...]] = History()
            history.reset(())
            self._targets[policy_id.lower()] = history

    def seed(self, policy_id: str, group_id: str | None) -> None:
        """A target the policy has always had."""
        with self.state.lock:
            self._targets[policy_id.lower()].reset((group_id.lower(),) if group_id else ())

    def commit(self, policy_id: str, group_id: str | None) -> bool:
        """Point the policy at ``group_id`` now (reads see it after the lag); True if changed."""
        targets = (group_id.lower(),) if group_id else ()
        with self.state.lock:
            history = self._targets[policy_id.lower()]
            if history.current == targets:
                return False
            history.commit(self.state.clock(), targets)
            return True

    def current(self, policy_id: str) -> str | None:
        with self.state.lock:
            targets = self._targets[policy_id.lower()].current or ()
        return targets[0] if targets else None

    def history(self, policy_id: str) -> list[str | None]:
        with self.state.lock:
            versions = self._targets[policy_id.lower()].versions
            return [targets[0] if targets else None for _, targets in versions]

    def set_outside_scope(self, group_id: str, outside: bool = True) -> None:
        """Mark a group as outside the caller's Intune RBAC scope (scope tags are not
        otherwise modelled): ``securityGroupNotInCallerScope``."""
        with self.state.lock:
            (self._outside_scope.add if outside else self._outside_scope.discard)(group_id.lower())

    # --- the actions ---

    def set_target(self, request: Request, policy_id: str) -> Response:
        group_id = _parse_body(request.json())
        with self.state.lock:
            code = self.validate(group_id)
            changed = code is None and self.commit(policy_id, group_id)
        if changed and self.strict:
            # Strict: the 500 reported for set… in 2025 (README table), after the commit.
            error = intune_error(request)
            raise GraphError(500, "InternalServerError", error.message)
        return self._result(request, [(group_id, code)])

    def retrieve(self, request: Request, policy_id: str) -> Response:
        cutoff = self.state.read_cutoff()
        with self.state.lock:
            targets = self._targets[policy_id.lower()].visible(cutoff) or ()
            statuses = [(target, self.validate(target)) for target in targets]
        return self._result(request, statuses)

    def validate(self, group_id: str) -> str | None:
        """The validation error code for ``group_id`` as a target, or None if valid."""
        view = self.state.visible_group if self.strict else self.state.current_group
        group = view(group_id)
        if group is None:
            return NOT_FOUND
        if not group.get("securityEnabled") or (self.strict and group.get("mailEnabled")):
            return NOT_SECURITY
        if "DynamicMembership" in (group.get("groupTypes") or []):
            return NOT_STATIC
        if group_id.lower() in self._outside_scope:
            return NOT_IN_SCOPE
        client = self.principals.by_app_id(PROVISIONING_CLIENT_APP_ID)
        owners = self.owners.visible if self.strict else self.owners.current
        if client is None or client["id"].lower() not in owners(group_id):
            return NOT_OWNER
        return None

    def _result(self, request: Request, statuses: list[tuple[str, str | None]]) -> Response:
        items: list[JsonDict] = []
        for target_id, code in statuses:
            status: JsonDict = {"@odata.type": STATUS_TYPE, "targetId": target_id}
            if self.strict:
                status["targetValidationErrorCode"] = code
            else:
                status["validationSucceeded"] = code is None
                status["targetValidationErrorCode"] = code or "unknown"
            items.append(status)
        result = {
            "@odata.type": RESULT_TYPE,
            "validationSucceeded": all(code is None for _, code in statuses),
            "enrollmentTimeDeviceMembershipTargetValidationStatuses": items,
        }
        context = f"{request.service_root}/$metadata#{RESULT_TYPE.removeprefix('#')}"
        return json_response(200, {"@odata.context": context, "value": result})


def _parse_body(body: JsonDict) -> str:
    """The one target's group id; 400 ``BadRequest`` for any other shape."""
    for key in body:
        if key != PARAMETER:
            raise _invalid(f"'{key}' is not a parameter of the action.")
    targets = body.get(PARAMETER)
    if not isinstance(targets, list) or len(targets) != 1:
        raise _invalid(f"The parameter '{PARAMETER}' must be a list of exactly one target.")
    (target,) = targets
    if not isinstance(target, dict):
        raise _invalid("Each enrollmentTimeDeviceMembershipTarget must be an object.")
    for key in target:
        if key not in ("@odata.type", "targetType", "targetId"):
            raise _invalid(f"Property '{key}' does not exist on type '{TARGET_TYPE}'.")
    if str(target.get("@odata.type", TARGET_TYPE)).removeprefix("#") != TARGET_TYPE:
        raise _invalid(f"Invalid @odata.type '{target['@odata.type']}' for a target.")
    if target.get("targetType") != STATIC_GROUP:
        raise _invalid(
            f"The value '{target.get('targetType')}' is not valid for property 'targetType': "
            f"the only supported target type is '{STATIC_GROUP}'."
        )
    target_id = target.get("targetId")
    if not isinstance(target_id, str) or not target_id:
        raise _invalid("Property 'targetId' is required and must be a string.")
    return target_id


def _invalid(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)
