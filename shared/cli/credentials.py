"""Who the terminal commands sign in as, and what a failed sign-in tells the admin.

``cli`` (the default): the Azure CLI's ``az login``. Its own app registration has no delegated
device-management permissions in most tenants, so ``plan``, ``apply`` and the doctor cannot read
the Autopilot devices with it; ``device-code`` and ``browser`` sign the admin in through an app
registration of the tenant's own that has them (``--client-id`` or ``SIGNIN_CLIENT_ID``, tenant
``--tenant-id`` or ``AZURE_TENANT_ID``); ``environment`` is an app registration with a
certificate or secret, through the variables azure-identity's EnvironmentCredential reads.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from azure.core.credentials import TokenCredential

from shared.core.errors import SettingsError

KINDS = ("cli", "device-code", "browser", "environment")
DESCRIPTIONS = {
    "cli": "the Azure CLI (az login)",
    "device-code": "a device code sign-in through the app registration {client}",
    "browser": "a browser sign-in through the app registration {client}",
    "environment": "the app registration in AZURE_CLIENT_ID with AZURE_CLIENT_CERTIFICATE_PATH "
    "or AZURE_CLIENT_SECRET (EnvironmentCredential)",
    "development": "the emulator's development token (a loopback Graph)",
}


@dataclass(frozen=True)
class SignIn:
    kind: str
    client_id: str | None = None
    tenant_id: str | None = None

    def describe(self) -> str:
        return DESCRIPTIONS[self.kind].format(client=self.client_id)


def choose(kind: str | None, client_id: str | None, tenant_id: str | None) -> SignIn:
    """The sign-in the options and the environment ask for; ``None`` kind is ``cli``."""
    kind = kind or "cli"
    client_id = client_id or os.environ.get("SIGNIN_CLIENT_ID") or None
    tenant_id = tenant_id or os.environ.get("AZURE_TENANT_ID") or None
    if kind in ("device-code", "browser") and not client_id:
        raise SettingsError(
            "--client-id",
            f"--credential {kind} signs in through an app registration of your tenant: name its "
            "application (client) id with --client-id or SIGNIN_CLIENT_ID (docs/getting-started.md#"
            "sign-in-from-a-terminal)",
        )
    return SignIn(kind, client_id, tenant_id)


def credential(sign_in: SignIn) -> TokenCredential:
    """The azure-identity credential for a sign-in (imported only when it is used)."""
    from azure import identity

    if sign_in.kind == "device-code":
        return identity.DeviceCodeCredential(
            client_id=str(sign_in.client_id),
            tenant_id=sign_in.tenant_id or "organizations",
            prompt_callback=_prompt,
        )
    if sign_in.kind == "browser":
        return identity.InteractiveBrowserCredential(
            client_id=str(sign_in.client_id), tenant_id=sign_in.tenant_id or "organizations"
        )
    if sign_in.kind == "environment":
        return identity.EnvironmentCredential()
    return identity.AzureCliCredential(tenant_id=sign_in.tenant_id or "")


def _prompt(verification_uri: str, user_code: str, expires_on: object) -> None:
    """The device code's instructions, on stderr: stdout may be a JSON document."""
    sys.stderr.write(f"To sign in, open {verification_uri} and enter the code {user_code}\n")
