"""A tenant with an Autopilot device preparation policy, its decoys, the Intune Provisioning
Client, and a catalogue whose scenario names the policy: for the device preparation tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_emulator import Emulator
from shared.config.settings import Settings
from shared.core.model import Kind
from shared.core.naming import unique_name
from tests.builders import settings_for

POLICY = "Device preparation - Sales"
SCENARIO = "sales-prep"
KEY = unique_name(Kind.DEVICE_PREPARATION, SCENARIO)
PERMISSIONS = [
    "DeviceManagementServiceConfig.Read.All",
    "Group.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "Application.Read.All",
]


@dataclass
class PrepTenant:
    emulator: Emulator
    storage: str
    catalogue: Path
    policy_id: str
    client_id: str | None  # the Provisioning Client's object id (None: the tenant lacks it)

    def env(self, **extra: str) -> dict[str, str]:
        return {"AzureWebJobsStorage": self.storage, "SCENARIO_FILE": str(self.catalogue), **extra}

    def settings(self, **extra: str) -> Settings:
        return settings_for(self.emulator, **self.env(**extra))

    def group(self) -> dict[str, Any] | None:
        return next((g for g in self.emulator.groups() if g.get("uniqueName") == KEY), None)

    def target(self) -> str | None:
        return self.emulator.membership_target(self.policy_id)


def catalogue_document(**scenario: Any) -> dict[str, Any]:
    shipped = Path(__file__).resolve().parent.parent / "shared" / "scenarios.json"
    document: dict[str, Any] = json.loads(shipped.read_text(encoding="utf-8"))
    document["scenarios"].append(
        {
            "key": SCENARIO,
            "label": "Sales, device preparation",
            "displayName": {"tag": "Prep - {value}", "purchaseOrder": "Prep - PO {value}"},
            "devicePreparationPolicy": POLICY,
            **scenario,
        }
    )
    return document


def make_prep_tenant(
    emulator: Emulator, storage: str, folder: Path, *, client: bool = True
) -> PrepTenant:
    catalogue = folder / f"prep-{uuid.uuid4().hex[:8]}.json"
    catalogue.write_text(json.dumps(catalogue_document()), encoding="utf-8")
    emulator.set_permissions(PERMISSIONS)
    # Fresh ids for the targets: the assignment ledger, in the one Azurite, is keyed by them.
    policy = emulator.add_configuration_policy(
        {"id": str(uuid.uuid4()), "name": POLICY, "template": "devicePreparationUserDriven"}
    )
    # Decoys the app must not take: the same name in the settings catalog, and macOS's.
    emulator.add_configuration_policy({"name": POLICY, "template": "settingsCatalog"})
    emulator.add_configuration_policy({"name": POLICY, "template": "macOSEnrollment"})
    # A fresh id (a generated tenant is made without its own client, as a tenant holds one).
    client_id = emulator.add_provisioning_client(sp_id=str(uuid.uuid4()))["id"] if client else None
    return PrepTenant(emulator, storage, catalogue, policy["id"], client_id)
