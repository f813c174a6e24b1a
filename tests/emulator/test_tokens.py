"""App-only and delegated tokens: their roles or scopes decide the 403s, not the tenant's
grants; the development token and anything that is not a JWT keep the grants' rule."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from emulator_helpers import assert_graph_error, bearer, device

from graph_emulator import Emulator

DEVICES = "/deviceManagement/windowsAutopilotDeviceIdentities"


def claims_of(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")

    def decode(part: str) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        )
        return decoded

    return decode(header), decode(payload), signature


def get(emulator: Emulator, path: str, token: str) -> httpx.Response:
    return httpx.get(emulator.base_url + path, headers=bearer(token))


def test_an_app_token_is_an_unsigned_jwt_with_roles_appid_and_oid(emulator: Emulator) -> None:
    token = emulator.app_token(roles=["Group.Read.All"], appid="app-1", oid="oid-1")

    header, claims, signature = claims_of(token)

    assert header == {"typ": "JWT", "alg": "none"} and signature == ""
    assert claims["roles"] == ["Group.Read.All"]
    assert (claims["appid"], claims["oid"], claims["idtyp"]) == ("app-1", "oid-1", "app")
    assert claims["tid"] == emulator.tenant_id and claims["aud"] == "https://graph.microsoft.com"
    assert "scp" not in claims


def test_a_delegated_token_carries_space_separated_scopes_and_the_user(emulator) -> None:
    token = emulator.delegated_token(
        scopes=["DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All"],
        upn="ada@contoso.com",
        oid="oid-2",
    )

    _, claims, _ = claims_of(token)

    assert claims["scp"] == "DeviceManagementServiceConfig.Read.All Group.ReadWrite.All"
    assert (claims["upn"], claims["oid"], claims["idtyp"]) == ("ada@contoso.com", "oid-2", "user")
    assert "roles" not in claims


def test_an_app_tokens_roles_decide_whatever_the_tenant_granted(emulator) -> None:
    emulator.set_permissions(["DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All"])
    emulator.add_devices([device(1, "SALES-UD")])
    devices_only = emulator.app_token(roles=["DeviceManagementServiceConfig.Read.All"])

    assert get(emulator, DEVICES, devices_only).status_code == 200
    error = assert_graph_error(
        get(emulator, "/groups", devices_only), 403, "Authorization_RequestDenied"
    )
    assert error["message"] == "Insufficient privileges to complete the operation."


def test_an_app_token_may_hold_a_role_the_grants_lack(emulator) -> None:
    emulator.set_permissions([])

    assert get(emulator, "/groups", emulator.app_token(roles=["Group.Read.All"])).status_code == 200
    assert_graph_error(get(emulator, "/groups", "test-token"), 403, "Authorization_RequestDenied")


@pytest.mark.parametrize(
    ("scopes", "groups", "devices"),
    [
        ("DeviceManagementServiceConfig.Read.All Group.ReadWrite.All", 200, 200),
        ("Group.Read.All", 200, 403),
        ("DeviceManagementServiceConfig.Read.All", 403, 200),
        ("", 403, 403),
    ],
)
def test_a_delegated_tokens_scopes_decide(emulator, scopes, groups, devices) -> None:
    emulator.set_permissions(["DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All"])
    token = emulator.delegated_token(scopes=scopes.split())

    assert get(emulator, "/groups", token).status_code == groups
    assert get(emulator, DEVICES, token).status_code == devices


@pytest.mark.parametrize(
    "token",
    [
        "test-token",
        "local-development-token",
        "eyJ0eXAi.SECRET-GRAPH-TOKEN-7f3a9c.sig",  # JWT-looking, but its parts are not JSON
        "a.b.c",
    ],
)
def test_a_token_that_is_not_a_jwt_keeps_the_tenants_grants(emulator, token) -> None:
    emulator.set_permissions(["Group.Read.All"])

    assert get(emulator, "/groups", token).status_code == 200
    assert_graph_error(get(emulator, DEVICES, token), 403, "Authorization_RequestDenied")


def test_a_jwt_with_neither_roles_nor_scopes_may_do_nothing(emulator) -> None:
    emulator.set_permissions(["Group.Read.All"])
    token = emulator.app_token(roles=[])

    assert_graph_error(get(emulator, "/groups", token), 403, "Authorization_RequestDenied")


def test_a_token_for_another_audience_is_refused_with_401(emulator) -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    token = f"{part({'alg': 'RS256'})}.{part({'aud': 'api://other', 'roles': ['Group.Read.All']})}."

    error = assert_graph_error(get(emulator, "/groups", token), 401, "InvalidAuthenticationToken")
    assert error["message"] == "Access token validation failure. Invalid audience."


def test_a_token_checks_upserts_that_create_as_the_grants_did(emulator) -> None:
    body = {"displayName": "x", "mailEnabled": False, "mailNickname": "x", "securityEnabled": True}
    url = emulator.base_url + "/groups(uniqueName='x')"
    headers = {"Prefer": "create-if-missing"}

    reader = httpx.patch(
        url, json=body, headers={**headers, **bearer(emulator.app_token(["Group.Read.All"]))}
    )
    creator = httpx.patch(
        url, json=body, headers={**headers, **bearer(emulator.app_token(["Group.Create"]))}
    )

    assert_graph_error(reader, 403, "Authorization_RequestDenied")
    assert creator.status_code == 201
