"""What a group is and which states of it Graph accepts (docs/graph-contract.md, rows 22-23).

``create_group`` builds a full group from a POST (or upsert) body, ``apply_update``
merges a PATCH body into an existing group, and both end in ``validate_group``, which
checks the *resulting* state, as the directory does.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from graph_emulator.errors import GraphError, bad_request
from graph_emulator.rules import Node, RuleSyntaxError, comparisons, parse_rule

JsonDict = dict[str, Any]

GROUP_PROPERTIES = [
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "creationOptions",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "theme",
    "uniqueName",
    "visibility",
    "onPremisesProvisioningErrors",
    "serviceProvisioningErrors",
]

_UPDATABLE = {
    "description": (str, type(None)),
    "displayName": (str,),
    "groupTypes": (list,),
    "mailEnabled": (bool,),
    "mailNickname": (str,),
    "securityEnabled": (bool,),
    "visibility": (str, type(None)),
    "membershipRule": (str, type(None)),
    "membershipRuleProcessingState": (str, type(None)),
    "classification": (str, type(None)),
    "preferredDataLocation": (str, type(None)),
    "preferredLanguage": (str, type(None)),
    "theme": (str, type(None)),
    "uniqueName": (str, type(None)),
}
_CREATABLE = {**_UPDATABLE, "isAssignableToRole": (bool, type(None))}
_REQUIRED = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")
_BINDS = ("owners@odata.bind", "members@odata.bind")
_NICKNAME_FORBIDDEN = set('@()\\[]";:<>, ')
_GROUP_TYPES = {"unified": "Unified", "dynamicmembership": "DynamicMembership"}
_VISIBILITY = {"public": "Public", "private": "Private", "hiddenmembership": "HiddenMembership"}
_PROCESSING = {"on": "On", "paused": "Paused"}
MAX_DISPLAY_NAME = 256
MAX_NICKNAME = 64


def invalid_property(prop: str) -> GraphError:
    return bad_request(f"Invalid value specified for property '{prop}' of resource 'Group'.")


def _check_body(body: JsonDict, allowed: dict[str, tuple[type, ...]]) -> JsonDict:
    """Keep the writable properties of ``body``; refuse unknown, read-only and mistyped ones."""
    changes: JsonDict = {}
    relationships = 0
    for key, value in body.items():
        if key == "@odata.type":
            if value != "#microsoft.graph.group":
                raise bad_request(f"Invalid @odata.type '{value}' for a group.")
        elif key in _BINDS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad_request(f"Invalid value for '{key}': expected a list of URLs.")
            relationships += len(value)
        elif key in allowed:
            if not isinstance(value, allowed[key]):
                raise invalid_property(key)
            changes[key] = value
        elif key in GROUP_PROPERTIES:
            raise bad_request(f"Property '{key}' is read-only and cannot be set.")
        else:
            raise GraphError(
                400,
                "BadRequest",
                f"Property '{key}' does not exist on type 'microsoft.graph.group'. Make sure to "
                "only use property names that are defined by the type or mark the type as "
                "open type.",
            )
    if relationships > 20:
        raise bad_request("A maximum of 20 owners and members can be added when creating a group.")
    return changes


def create_group(body: JsonDict, group_id: str, now_iso: str) -> JsonDict:
    """A new group from a POST/upsert body, validated, with server-set properties."""
    changes = _check_body(body, _CREATABLE)
    for prop in _REQUIRED:
        if changes.get(prop) is None:
            raise bad_request(f"Property '{prop}' is required when creating a group.")
    group: JsonDict = dict.fromkeys(GROUP_PROPERTIES)
    group.update(
        id=group_id,
        createdDateTime=now_iso,
        renewedDateTime=now_iso,
        creationOptions=[],
        groupTypes=[],
        proxyAddresses=[],
        resourceBehaviorOptions=[],
        resourceProvisioningOptions=[],
        onPremisesProvisioningErrors=[],
        serviceProvisioningErrors=[],
        securityIdentifier=security_identifier(group_id),
    )
    group.update(changes)
    return validate_group(group)


def apply_update(existing: JsonDict, body: JsonDict) -> JsonDict:
    """``existing`` with a PATCH body applied, validated; ``existing`` is not modified."""
    changes = _check_body(body, _UPDATABLE)
    old_unique = existing.get("uniqueName")
    new_unique = changes.get("uniqueName", old_unique)
    if old_unique and (new_unique or "") != old_unique:
        raise bad_request("Property 'uniqueName' is immutable once set.")
    group = copy.deepcopy(existing)
    group.update(changes)
    if "DynamicMembership" not in (group.get("groupTypes") or []) and not changes.get(
        "membershipRule"
    ):
        # Turning a dynamic group static drops its rule, as the portal does.
        group["membershipRule"] = None
        group["membershipRuleProcessingState"] = None
    return validate_group(group)


def validate_group(group: JsonDict) -> JsonDict:
    """Check the whole state; fill derived defaults; raise 400 Request_BadRequest if invalid."""
    name = group.get("displayName")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_DISPLAY_NAME:
        raise invalid_property("displayName")
    _check_nickname(group.get("mailNickname"))
    types = _canonical_types(group.get("groupTypes") or [])
    group["groupTypes"] = types
    unified = "Unified" in types
    if unified and not group.get("mailEnabled"):
        raise bad_request("A Microsoft 365 group (Unified) must be mail-enabled.")
    if not unified and group.get("mailEnabled"):
        raise bad_request(
            "Only security groups or Microsoft 365 groups can be created or updated: "
            "mail-enabled security groups and distribution groups are not supported."
        )
    if not unified and not group.get("securityEnabled"):
        raise bad_request("A group that is not a Microsoft 365 group must be security-enabled.")
    if group.get("visibility") is not None:
        visibility = _VISIBILITY.get(str(group["visibility"]).lower())
        if visibility is None:
            raise invalid_property("visibility")
        group["visibility"] = visibility
    _check_membership(group, types, unified)
    unique = group.get("uniqueName")
    if unique is not None and (not unique.strip() or len(unique) > 256):
        raise invalid_property("uniqueName")
    return group


def _check_nickname(nickname: object) -> None:
    if not isinstance(nickname, str) or not 1 <= len(nickname) <= MAX_NICKNAME:
        raise invalid_property("mailNickname")
    for ch in nickname:
        # ASCII 0-127 minus the listed characters; control characters are refused too.
        if ord(ch) > 127 or ord(ch) < 32 or ord(ch) == 127 or ch in _NICKNAME_FORBIDDEN:
            raise invalid_property("mailNickname")


def _canonical_types(types: list[Any]) -> list[str]:
    canonical: list[str] = []
    for value in types:
        known = _GROUP_TYPES.get(value.lower()) if isinstance(value, str) else None
        if known is None or known in canonical:
            raise invalid_property("groupTypes")
        canonical.append(known)
    return canonical


def _check_membership(group: JsonDict, types: list[str], unified: bool) -> None:
    dynamic = "DynamicMembership" in types
    rule = group.get("membershipRule")
    state = group.get("membershipRuleProcessingState")
    if not dynamic:
        if rule:
            raise bad_request(
                "The membershipRule can only be set on a group whose groupTypes contain "
                "'DynamicMembership'."
            )
        if state is not None:
            raise invalid_property("membershipRuleProcessingState")
        group["membershipRule"] = None
        return
    if not rule:
        raise bad_request("A group with 'DynamicMembership' in groupTypes needs a membershipRule.")
    if group.get("isAssignableToRole"):
        raise bad_request("A group that is assignable to roles cannot have dynamic membership.")
    canonical_state = _PROCESSING.get(str(state or "On").lower())
    if canonical_state is None:
        raise invalid_property("membershipRuleProcessingState")
    group["membershipRuleProcessingState"] = canonical_state
    try:
        node = parse_rule(rule)
    except RuleSyntaxError as exc:
        raise bad_request(f"Dynamic membership rule validation error: {exc}.") from None
    if unified and _first_object(node) == "device":
        raise bad_request(
            "Dynamic membership rule validation error: Microsoft 365 groups can only have "
            "user rules."
        )


def _first_object(node: Node) -> str:
    for condition in comparisons(node):
        return condition.property.split(".", 1)[0]
    return ""


def security_identifier(group_id: str) -> str:
    """Entra's S-1-12-1 form: the GUID's bytes read as four little-endian integers."""
    raw = uuid.UUID(group_id).bytes_le
    parts = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, 16, 4)]
    return "S-1-12-1-" + "-".join(str(p) for p in parts)
