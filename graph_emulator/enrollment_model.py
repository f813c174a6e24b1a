"""What an enrollment configuration is: the four kinds the app meets, their defaults.

Every tenant has a default of each kind at priority 0 (``<guid>_Default…`` ids) that applies
to everyone and is not assigned; others have priority 1 and up, unique within their kind
(docs/graph-contract.md, row 33; graph_emulator/README.md, "What it emulates").
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from graph_emulator.tenant import SEED_TIME

JsonDict = dict[str, Any]

ESP = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration"
LIMIT = "#microsoft.graph.deviceEnrollmentLimitConfiguration"
RESTRICTIONS = "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"
HELLO = "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration"
BASE_PROPERTIES = (
    "id",
    "displayName",
    "description",
    "priority",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
)
_RESTRICTION = {
    "platformBlocked": False,
    "personalDeviceEnrollmentBlocked": False,
    "osMinimumVersion": None,
    "osMaximumVersion": None,
}
# type -> (short name, id suffix, the default's displayName, the type's own properties)
KINDS: dict[str, tuple[str, str, str, JsonDict]] = {
    ESP: (
        "esp",
        "Windows10EnrollmentCompletionPageConfiguration",
        "All users and all devices",
        {
            "showInstallationProgress": False,
            "blockDeviceSetupRetryByUser": False,
            "allowDeviceResetOnInstallFailure": False,
            "allowLogCollectionOnInstallFailure": False,
            "customErrorMessage": "Setup could not be completed. Please try again or contact "
            "your support person for help.",
            "installProgressTimeoutInMinutes": 60,
            "allowDeviceUseOnInstallFailure": False,
        },
    ),
    LIMIT: ("limit", "Limit", "All users", {"limit": 5}),
    RESTRICTIONS: (
        "platformRestrictions",
        "PlatformRestrictions",
        "All users",
        {
            f"{name}Restriction": dict(_RESTRICTION)
            for name in ("ios", "windows", "windowsMobile", "android", "macOS")
        },
    ),
    HELLO: (
        "windowsHelloForBusiness",
        "WindowsHelloForBusiness",
        "All users",
        {
            "state": "notConfigured",
            "pinMinimumLength": 6,
            "pinMaximumLength": 127,
            "securityDeviceRequired": False,
            "unlockWithBiometricsEnabled": True,
            "remotePassportEnabled": True,
        },
    ),
}
SHORT_NAMES = {short: odata_type for odata_type, (short, *_rest) in KINDS.items()}


def default_id_prefix(tenant_id: str) -> str:
    """The GUID Intune puts before ``_Default…`` ids; any stable one per tenant will do."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"intune-account:{tenant_id}"))


def default_configurations(tenant_id: str) -> list[JsonDict]:
    """Every tenant's four defaults, at priority 0, in the order Intune lists them."""
    prefix = default_id_prefix(tenant_id)
    defaults = []
    for odata_type in (LIMIT, RESTRICTIONS, HELLO, ESP):
        _short, suffix, name, _own = KINDS[odata_type]
        defaults.append(
            {
                "@odata.type": odata_type,
                "id": f"{prefix}_Default{suffix}",
                "displayName": name,
                "description": "This is the default configuration applied with the lowest "
                "priority to all users and all devices regardless of group membership.",
                "priority": 0,
            }
        )
    return defaults


def seed_configuration(partial: JsonDict, unique: str) -> JsonDict:
    """A full configuration from a partial one (``displayName`` and ``priority`` at least);
    ``@odata.type`` is a type name or a short one (esp, limit, ...), the ESP by default."""
    given = partial.get("@odata.type", ESP)
    odata_type = SHORT_NAMES.get(given, given)
    if odata_type not in KINDS:
        raise ValueError(f"unknown enrollment configuration type {given!r}")
    _short, suffix, _name, own = KINDS[odata_type]
    config: JsonDict = {
        "@odata.type": odata_type,
        "id": f"{unique}_{suffix}",
        "displayName": None,
        "description": "",
        "priority": None,
        "createdDateTime": SEED_TIME,
        "lastModifiedDateTime": SEED_TIME,
        "version": 1,
        **copy.deepcopy(own),
    }
    config.update({k: v for k, v in partial.items() if k != "@odata.type"})
    unknown = set(config) - {"@odata.type", *BASE_PROPERTIES, *own}
    if unknown:
        raise ValueError(f"unknown enrollment configuration properties: {sorted(unknown)}")
    if not config["displayName"]:
        raise ValueError("an enrollment configuration needs a displayName")
    priority = config["priority"]
    if not isinstance(priority, int) or priority < 0:
        raise ValueError(f"{config['id']}: priority must be an integer of 0 or more")
    if (priority == 0) != ("_Default" in config["id"]):
        raise ValueError(f"{config['id']}: priority 0 is for the _Default… configurations only")
    return config
