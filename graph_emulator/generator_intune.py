"""The Intune side of a generated tenant: Autopilot profiles, ESPs, and an admin's assignment.

Every generated tenant has an Autopilot profile and an ESP meant for the user-driven
scenario, another pair that belongs to no scenario, the default ESP, a limit configuration,
and an admin's own assignment of the static "Pilot devices" group to the user-driven ESP,
which the app must keep when it adds its groups (``assign`` replaces the whole list).
``scenario_profiles`` adds a pair for each other scenario of ``shared/scenarios.json``.

:func:`device_preparation_side` adds Autopilot device preparation: the policy
"Device preparation - User-driven" (no target yet), two decoys the app must not take (a
settings catalog policy of the same name, and macOS's enrollment policy, which has the same
technology and template family), and the Intune Provisioning Client service principal.
"""

from __future__ import annotations

import random
from typing import Any

from graph_emulator.enrollment_model import ESP, LIMIT, default_id_prefix
from graph_emulator.principals_model import provisioning_client
from graph_emulator.seeds import EPOCH_DAYS, day_stamp, random_guid
from graph_emulator.tenant import DEFAULT_TENANT_ID

JsonDict = dict[str, Any]

# (profile, profile kind, ESP, device name template): user-driven first, then no scenario.
PAIRS = [
    ("User-driven Entra join", "azureAD", "ESP - User-driven", "UD-%SERIAL%"),
    ("Lab test profile", "azureAD", "ESP - Lab test", "LAB-%RAND:5%"),
]
SCENARIO_PAIRS = [
    ("Hybrid Entra join", "activeDirectory", "ESP - Hybrid join", ""),
    ("Self-deploying", "azureAD", "ESP - Self-deploying", "KIOSK-%RAND:6%"),
    ("Pre-provisioning", "azureAD", "ESP - Pre-provisioning", "PP-%SERIAL%"),
]


def intune_side(
    rng: random.Random, pilot_id: str, scenario_profiles: bool
) -> tuple[list[JsonDict], list[JsonDict]]:
    """(autopilotProfiles, enrollmentConfigurations) in the tenant file format."""
    pairs = PAIRS + (SCENARIO_PAIRS if scenario_profiles else [])
    profiles = [_profile(name, kind, template, rng) for name, kind, _esp, template in pairs]
    prefix = default_id_prefix(DEFAULT_TENANT_ID)
    configurations: list[JsonDict] = [
        {
            "@odata.type": ESP,
            "id": f"{prefix}_DefaultWindows10EnrollmentCompletionPageConfiguration",
            "displayName": "All users and all devices",
            "description": "This is the default enrollment status screen configuration applied "
            "with the lowest priority to all users and all devices regardless of group "
            "membership.",
            "priority": 0,
        }
    ]
    for priority, (_name, _kind, esp, _template) in enumerate(pairs, start=1):
        configurations.append(
            {
                "@odata.type": ESP,
                "id": f"{random_guid(rng)}_Windows10EnrollmentCompletionPageConfiguration",
                "displayName": esp,
                "priority": priority,
                "showInstallationProgress": True,
                "assignments": [pilot_id] if priority == 1 else [],
            }
        )
    configurations.append(
        {
            "@odata.type": LIMIT,
            "id": f"{random_guid(rng)}_Limit",
            "displayName": "Ten devices per user",
            "priority": 1,
            "limit": 10,
        }
    )
    return profiles, configurations


def _profile(name: str, kind: str, template: str, rng: random.Random) -> JsonDict:
    created = day_stamp(EPOCH_DAYS - rng.randrange(900))
    return {
        "@odata.type": f"#microsoft.graph.{kind}WindowsAutopilotDeploymentProfile",
        "id": random_guid(rng),
        "displayName": name,
        "description": f"Autopilot profile: {name}",
        "createdDateTime": created,
        "lastModifiedDateTime": created,
        "deviceNameTemplate": template,
    }


DEVICE_PREPARATION_POLICY = "Device preparation - User-driven"


def device_preparation_side(
    rng: random.Random, with_client: bool
) -> tuple[list[JsonDict], list[JsonDict]]:
    """(configurationPolicies, servicePrincipals) in the tenant file format. The client's
    id is drawn either way, so leaving it out changes nothing else."""
    created = day_stamp(EPOCH_DAYS - rng.randrange(300))
    policies: list[JsonDict] = [
        {
            "id": random_guid(rng),
            "name": DEVICE_PREPARATION_POLICY,
            "description": "Autopilot device preparation, user-driven, Entra join",
            "template": "devicePreparationUserDriven",
            "settingCount": 7,
            "createdDateTime": created,
            "lastModifiedDateTime": created,
        },
        {
            "id": random_guid(rng),
            "name": DEVICE_PREPARATION_POLICY,
            "description": "Settings catalog: an admin's policy that only shares the name",
            "template": "settingsCatalog",
            "settingCount": 3,
            "createdDateTime": created,
            "lastModifiedDateTime": created,
        },
        {
            "id": random_guid(rng),
            "name": "macOS automated device enrollment",
            "template": "macOSEnrollment",
            "settingCount": 28,
            "creationSource": f"DepTokenId_{random_guid(rng)}",
            "createdDateTime": created,
            "lastModifiedDateTime": created,
        },
    ]
    client = provisioning_client(random_guid(rng))
    return policies, [client] if with_client else []
