"""Beta configuration policies: the device preparation policy and the decoys beside it, the
list's $select and $filter (default) and its refusal of $filter (strict), and seeding."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import (
    POLICIES,
    TOKEN_HEADERS,
    all_pages,
    assert_graph_error,
    bearer,
)

from graph_emulator import Emulator

NAME = "Device preparation - User-driven"
USER_DRIVEN = "80d33118-b7b4-40d8-b15f-81be745e053f_1"
READER = ["DeviceManagementConfiguration.Read.All"]


@pytest.fixture
def policies(emulator: Emulator) -> dict[str, Any]:
    emulator.set_permissions(READER)
    return {
        "dp": emulator.add_configuration_policy(
            {"name": NAME, "template": "devicePreparationUserDriven"}
        ),
        "decoy": emulator.add_configuration_policy({"name": NAME, "settingCount": 3}),
        "mac": emulator.add_configuration_policy(
            {"name": "macOS ADE", "template": "macOSEnrollment"}
        ),
        "auto": emulator.add_configuration_policy(
            {"name": "Device preparation - Automatic", "template": "devicePreparationAutomatic"}
        ),
    }


def names(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [p["id"] for p in answer.json()["value"]]


def test_policies_are_listed_with_their_technologies_and_template(emulator, beta, policies):
    body = beta.get(POLICIES).json()

    assert (
        body["@odata.context"]
        == f"{emulator.beta_url}/$metadata#deviceManagement/configurationPolicies"
    )
    dp, decoy, mac, _ = body["value"]
    assert dp["@odata.type"] == "#microsoft.graph.deviceManagementConfigurationPolicy"
    assert (dp["name"], dp["technologies"], dp["platforms"]) == (NAME, "enrollment", "windows10")
    assert dp["templateReference"]["templateId"] == USER_DRIVEN
    assert dp["templateReference"]["templateFamily"] == "enrollmentConfiguration"
    assert (decoy["name"], decoy["technologies"]) == (NAME, "mdm")
    assert decoy["templateReference"]["templateFamily"] == "none"
    assert (mac["technologies"], mac["platforms"]) == ("enrollment", "macOS")
    assert mac["templateReference"]["templateFamily"] == "enrollmentConfiguration"
    for name in ("createdDateTime", "lastModifiedDateTime", "settingCount", "roleScopeTagIds"):
        assert name in dp


def test_the_admin_centers_select_is_honoured(beta, policies) -> None:
    chosen = "id,name,description,platforms,technologies,templateReference,createdDateTime,"
    chosen += "lastModifiedDateTime,settingCount,roleScopeTagIds"

    (first, *_) = beta.get(POLICIES, params={"$select": chosen}).json()["value"]
    unknown = beta.get(POLICIES, params={"$select": "displayName"})

    assert set(first) == {"@odata.type", *chosen.split(",")}
    assert_graph_error(unknown, 400, "BadRequest")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("technologies has 'enrollment'", ["dp", "mac", "auto"]),
        ("templateReference/templateFamily eq 'enrollmentConfiguration'", ["dp", "mac", "auto"]),
        (f"TemplateReference/templateId eq '{USER_DRIVEN}'", ["dp"]),
        ("(technologies has 'enrollment') and (platforms eq 'windows10')", ["dp", "auto"]),
        ("technologies has 'mdm'", ["decoy"]),
    ],
)
def test_the_default_profile_takes_the_admin_centers_filters(beta, policies, text, found):
    answer = beta.get(POLICIES, params={"$filter": text})

    assert names(answer) == [policies[key]["id"] for key in found]


@pytest.mark.parametrize(
    "query",
    [
        {"$filter": f"name eq '{NAME}'"},
        {"$filter": "technologies has 'enrollment' or technologies has 'mdm'"},
        {"$filter": "startswith(name,'Device')"},
        {"$filter": "technologies has"},
        {"$orderby": "name"},
        {"$expand": "settings"},
    ],
)
def test_other_query_options_get_intunes_error(beta, policies, query) -> None:
    error = assert_graph_error(beta.get(POLICIES, params=query), 400, "BadRequest")
    assert error["message"].startswith("An error has occurred - Operation ID")


def test_the_strict_profile_refuses_any_filter_so_the_app_filters_itself(clock) -> None:
    with (
        Emulator(clock=clock, strict=True) as emulator,
        httpx.Client(base_url=emulator.beta_url, headers=TOKEN_HEADERS) as beta,
    ):
        emulator.set_permissions(READER)
        emulator.add_configuration_policy({"name": NAME, "template": "devicePreparationUserDriven"})
        refused = beta.get(POLICIES, params={"$filter": "technologies has 'enrollment'"})
        listed = beta.get(POLICIES)

    assert_graph_error(refused, 400, "BadRequest")
    assert [p["name"] for p in listed.json()["value"]] == [NAME]


def test_policies_are_paged(emulator, beta) -> None:
    emulator.set_permissions(READER)
    made = [emulator.add_configuration_policy({"name": f"P{n}"})["id"] for n in range(5)]
    emulator.set_intune_page_size(2)

    first = beta.get(POLICIES).json()

    assert len(first["value"]) == 2 and "$skiptoken=" in first["@odata.nextLink"]
    assert [p["id"] for p in all_pages(beta, POLICIES)] == made


def test_one_policy_is_read_by_id_and_an_unknown_one_is_404(beta, policies) -> None:
    found = beta.get(f"{POLICIES}/{policies['dp']['id']}", params={"$select": "name"})
    missing = beta.get(f"{POLICIES}/00000000-0000-4000-8000-0000000000ff")

    assert found.json()["name"] == NAME
    assert found.json()["@odata.context"].endswith("configurationPolicies/$entity")
    assert_graph_error(missing, 404, "ResourceNotFound")


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        (["DeviceManagementConfiguration.Read.All"], 200),
        (["DeviceManagementConfiguration.ReadWrite.All"], 200),
        (["DeviceManagementServiceConfig.ReadWrite.All"], 403),
    ],
)
def test_reading_policies_needs_device_management_configuration(emulator, policies, roles, status):
    token = emulator.app_token(roles)

    answer = httpx.get(emulator.beta_url + POLICIES, headers=bearer(token))

    assert answer.status_code == status


def test_version_one_has_no_configuration_policies(client, policies) -> None:
    assert_graph_error(client.get(POLICIES), 400, "BadRequest")


def test_a_tenant_file_seeds_policies_with_a_target_by_display_name() -> None:
    tenant = {
        "groups": [{"displayName": "DP devices"}],
        "configurationPolicies": [
            {
                "name": NAME,
                "template": "devicePreparationUserDriven",
                "membershipTarget": "DP devices",
            }
        ],
    }

    emulator = Emulator(tenant=tenant)

    (policy,) = emulator.configuration_policies()
    (group,) = emulator.groups()
    assert emulator.membership_target(policy["id"]) == group["id"]
    with pytest.raises(ValueError, match="unknown configuration policy template"):
        emulator.add_configuration_policy({"name": "x", "template": "nope"})
    with pytest.raises(ValueError, match="needs a name"):
        emulator.add_configuration_policy({"template": "settingsCatalog"})
