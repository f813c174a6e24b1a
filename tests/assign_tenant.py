"""A tenant with Autopilot profiles and ESPs, and a catalogue that names them, for the tests.

Shared by the assignment, least-privilege, chaos and floor tests. Profile and ESP ids are fresh
for each tenant: the assignment ledger lives in the session's one Azurite, keyed by target id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_emulator import Emulator
from shared.config.settings import Settings
from tests.builders import settings_for

UD_PROFILE = "Test user-driven profile"
KIOSK_PROFILE = "Test kiosk profile"
UD_ESP = "Test ESP - user-driven"
PILOT_GROUP = "Pilot devices"  # a static group an admin assigned to the ESP by hand


@dataclass
class AssignTenant:
    emulator: Emulator
    storage: str  # the Azurite connection string
    catalogue: Path
    ids: dict[str, str] = field(default_factory=dict)  # name -> profile or ESP id
    pilot_group: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        return {"AzureWebJobsStorage": self.storage, "SCENARIO_FILE": str(self.catalogue), **extra}

    def settings(self, **extra: str) -> Settings:
        return settings_for(self.emulator, **self.env(**extra))

    def profile_groups(self, name: str = UD_PROFILE) -> list[str]:
        return [
            a["target"]["groupId"]
            for a in self.emulator.profile_assignments(self.ids[name])
            if a["target"].get("groupId")
        ]

    def esp_groups(self, name: str = UD_ESP) -> list[str]:
        return [
            a["target"]["groupId"]
            for a in self.emulator.esp_assignments(self.ids[name])
            if a["target"].get("groupId")
        ]


def catalogue_document(**user_driven: str) -> dict[str, Any]:
    """The shipped catalogue's scenarios, user-driven and self-deploying naming targets."""
    shipped = Path(__file__).resolve().parent.parent / "shared" / "scenarios.json"
    document: dict[str, Any] = json.loads(shipped.read_text(encoding="utf-8"))
    for scenario in document["scenarios"]:
        if scenario["key"] == "user-driven":
            scenario.update(
                {"autopilotProfile": UD_PROFILE, "enrollmentStatusPage": UD_ESP, **user_driven}
            )
        if scenario["key"] == "self-deploying":
            scenario["autopilotProfile"] = KIOSK_PROFILE
    return document


def make_tenant(emulator: Emulator, storage: str, folder: Path, **user_driven: str) -> AssignTenant:
    catalogue = folder / f"scenarios-{uuid.uuid4().hex[:8]}.json"
    catalogue.write_text(json.dumps(catalogue_document(**user_driven)), encoding="utf-8")
    tenant = AssignTenant(emulator, storage, catalogue)
    emulator.set_permissions(["DeviceManagementServiceConfig.ReadWrite.All", "Group.ReadWrite.All"])
    for name in (UD_PROFILE, KIOSK_PROFILE):
        profile = emulator.add_autopilot_profile({"id": str(uuid.uuid4()), "displayName": name})
        tenant.ids[name] = profile["id"]
    pilot = emulator.add_group({"displayName": PILOT_GROUP, "mailNickname": "pilot"})
    tenant.pilot_group = pilot["id"]
    esp = emulator.add_enrollment_configuration(
        {
            "id": f"{uuid.uuid4()}_Windows10EnrollmentCompletionPageConfiguration",
            "displayName": UD_ESP,
            "assignments": [pilot["id"]],
        }
    )
    tenant.ids[UD_ESP] = esp["id"]
    return tenant
