"""setEnrollmentTimeDeviceMembershipTarget and retrieve…: the documented result, every
validation code, what is left unchanged on failure, permissions, lag and the strict readings
(the owner seen through the lag, the 500 after commit, the metadata's status shape)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    DEVICE_PREP_WRITER,
    POLICIES,
    TOKEN_HEADERS,
    assert_graph_error,
    bearer,
    directory_object,
    membership_target,
    target_statuses,
)

from graph_emulator import Emulator, ManualClock

NOBODY = "00000000-0000-4000-8000-0000000000ff"
RULE = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:X"))'


def seed(emulator: Emulator) -> dict[str, Any]:
    emulator.set_permissions(DEVICE_PREP_WRITER)
    sp = emulator.add_provisioning_client()
    return {
        "sp": sp,
        "dp": emulator.add_configuration_policy(
            {"name": "Device preparation - User-driven", "template": "devicePreparationUserDriven"}
        ),
        "decoy": emulator.add_configuration_policy({"name": "Device preparation - User-driven"}),
        "good": emulator.add_group({"displayName": "DP devices", "owners": [sp["id"]]}),
        "other": emulator.add_group({"displayName": "DP devices 2", "owners": [sp["id"]]}),
    }


@pytest.fixture
def tenant(emulator: Emulator) -> dict[str, Any]:
    return seed(emulator)


@pytest.fixture
def strict(clock: ManualClock) -> Iterator[tuple[Emulator, httpx.Client, dict[str, Any]]]:
    with (
        Emulator(clock=clock, strict=True) as emulator,
        httpx.Client(base_url=emulator.beta_url, headers=TOKEN_HEADERS) as beta,
    ):
        yield emulator, beta, seed(emulator)


def set_target(beta: httpx.Client, policy: dict[str, Any], group_id: str) -> httpx.Response:
    url = f"{POLICIES}/{policy['id']}/setEnrollmentTimeDeviceMembershipTarget"
    return beta.post(url, json=membership_target(group_id))


def retrieve(beta: httpx.Client, policy: dict[str, Any]) -> httpx.Response:
    return beta.post(f"{POLICIES}/{policy['id']}/retrieveEnrollmentTimeDeviceMembershipTarget")


def test_a_valid_target_is_set_and_the_documented_result_comes_back(emulator, beta, tenant):
    answer = set_target(beta, tenant["dp"], tenant["good"]["id"])

    assert answer.status_code == 200
    body = answer.json()
    assert body["@odata.context"].endswith(
        "$metadata#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"
    )
    assert body["value"] == {
        "@odata.type": "#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult",
        "validationSucceeded": True,
        "enrollmentTimeDeviceMembershipTargetValidationStatuses": [
            {
                "@odata.type": "#microsoft.graph.enrollmentTimeDeviceMembershipTargetStatus",
                "targetId": tenant["good"]["id"],
                "validationSucceeded": True,
                "targetValidationErrorCode": "unknown",
            }
        ],
    }
    assert emulator.membership_target(tenant["dp"]["id"]) == tenant["good"]["id"]
    assert target_statuses(retrieve(beta, tenant["dp"])) == (
        True,
        [(tenant["good"]["id"], "unknown")],
    )


def test_the_history_keeps_every_target_the_policy_had_and_a_refused_set_adds_none(
    emulator, beta, tenant
):
    policy = tenant["dp"]["id"]
    emulator.set_membership_target(policy, tenant["good"]["id"])
    set_target(beta, tenant["dp"], make_case(emulator, tenant, "notStaticSecurityGroup"))
    emulator.set_membership_target(policy, None)

    assert emulator.membership_target_history(policy) == [None, tenant["good"]["id"], None]


def test_a_policy_without_a_target_retrieves_no_status(beta, tenant) -> None:
    assert target_statuses(retrieve(beta, tenant["dp"])) == (True, [])


def make_case(emulator: Emulator, tenant: dict[str, Any], case: str) -> str:
    """A group id that fails validation with ``case``."""
    sp = tenant["sp"]["id"]
    if case == "securityGroupNotFound":
        return NOBODY
    if case == "notSecurityGroup":
        group = {
            "displayName": "M365",
            "groupTypes": ["Unified"],
            "mailEnabled": True,
            "securityEnabled": False,
            "owners": [sp],
        }
        return str(emulator.add_group(group)["id"])
    if case == "notStaticSecurityGroup":
        return str(
            emulator.add_group({"displayName": "Dyn", "membershipRule": RULE, "owners": [sp]})["id"]
        )
    if case == "securityGroupNotInCallerScope":
        group = emulator.add_group(
            {"displayName": "Scoped", "owners": [sp]}, outside_caller_scope=True
        )
        return str(group["id"])
    assert case == "firstPartyAppNotAnOwner"
    return str(emulator.add_group({"displayName": "No owner"})["id"])


@pytest.mark.parametrize(
    "case",
    [
        "securityGroupNotFound",
        "notSecurityGroup",
        "notStaticSecurityGroup",
        "securityGroupNotInCallerScope",
        "firstPartyAppNotAnOwner",
    ],
)
def test_each_validation_failure_is_a_200_with_its_code_and_changes_nothing(
    emulator, beta, tenant, case
) -> None:
    assert set_target(beta, tenant["dp"], tenant["good"]["id"]).status_code == 200
    group_id = make_case(emulator, tenant, case)

    answer = set_target(beta, tenant["dp"], group_id)

    assert target_statuses(answer) == (False, [(group_id, case)])
    (status,) = answer.json()["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"]
    assert status["validationSucceeded"] is False
    assert emulator.membership_target(tenant["dp"]["id"]) == tenant["good"]["id"]


def test_a_tenant_without_the_provisioning_client_fails_as_not_an_owner(emulator, beta) -> None:
    emulator.set_permissions(DEVICE_PREP_WRITER)
    policy = emulator.add_configuration_policy(
        {"name": "DP", "template": "devicePreparationAutomatic"}
    )
    group = emulator.add_group({"displayName": "DP devices"})

    answer = set_target(beta, policy, group["id"])

    assert target_statuses(answer) == (False, [(group["id"], "firstPartyAppNotAnOwner")])


def test_retrieve_validates_the_target_again_after_an_admin_removed_the_owner(
    emulator, beta, tenant
) -> None:
    set_target(beta, tenant["dp"], tenant["good"]["id"])

    emulator.remove_owner(tenant["good"]["id"], tenant["sp"]["id"])

    assert target_statuses(retrieve(beta, tenant["dp"])) == (
        False,
        [(tenant["good"]["id"], "firstPartyAppNotAnOwner")],
    )


def test_retrieve_reports_a_deleted_target_as_not_found(emulator, beta, tenant) -> None:
    set_target(beta, tenant["dp"], tenant["good"]["id"])
    emulator.delete_group(tenant["good"]["id"])

    assert target_statuses(retrieve(beta, tenant["dp"]))[1] == [
        (tenant["good"]["id"], "securityGroupNotFound")
    ]


def test_an_owner_added_by_ref_satisfies_set_at_once_by_default(emulator, client, beta, tenant):
    group = emulator.add_group({"displayName": "new"})
    added = client.post(
        f"/groups/{group['id']}/owners/$ref",
        json={"@odata.id": directory_object(tenant["sp"]["id"])},
    )

    assert added.status_code == 204
    assert target_statuses(set_target(beta, tenant["dp"], group["id"]))[0] is True


@pytest.mark.parametrize(
    "body",
    [
        {"enrollmentTimeDeviceMembershipTargets": []},
        {
            "enrollmentTimeDeviceMembershipTargets": [
                {"targetType": "staticSecurityGroup", "targetId": NOBODY},
                {"targetType": "staticSecurityGroup", "targetId": NOBODY},
            ]
        },
        {
            "enrollmentTimeDeviceMembershipTargets": [
                {"targetType": "dynamicGroup", "targetId": NOBODY}
            ]
        },
        {"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup"}]},
        {
            "enrollmentTimeDeviceMembershipTargets": [
                {"targetType": "staticSecurityGroup", "targetId": NOBODY, "x": 1}
            ]
        },
        {"targets": []},
    ],
)
def test_a_body_of_another_shape_is_400(emulator, beta, tenant, body) -> None:
    url = f"{POLICIES}/{tenant['dp']['id']}/setEnrollmentTimeDeviceMembershipTarget"

    assert_graph_error(beta.post(url, json=body), 400, "BadRequest")
    assert emulator.membership_target(tenant["dp"]["id"]) is None


def test_the_documented_odata_type_on_a_target_is_accepted(emulator, beta, tenant) -> None:
    body = membership_target(tenant["good"]["id"])
    body["enrollmentTimeDeviceMembershipTargets"][0]["@odata.type"] = (
        "microsoft.graph.enrollmentTimeDeviceMembershipTarget"
    )
    url = f"{POLICIES}/{tenant['dp']['id']}/setEnrollmentTimeDeviceMembershipTarget"

    assert target_statuses(beta.post(url, json=body))[0] is True


def test_a_policy_that_is_not_device_preparation_takes_neither_action(beta, tenant) -> None:
    for answer in (
        set_target(beta, tenant["decoy"], tenant["good"]["id"]),
        retrieve(beta, tenant["decoy"]),
    ):
        error = assert_graph_error(answer, 400, "BadRequest")
        assert error["message"].startswith("An error has occurred - Operation ID")
    missing = beta.post(f"{POLICIES}/{NOBODY}/retrieveEnrollmentTimeDeviceMembershipTarget")
    assert_graph_error(missing, 404, "ResourceNotFound")


@pytest.mark.parametrize(
    ("roles", "setting", "retrieving"),
    [
        (["DeviceManagementConfiguration.ReadWrite.All"], 200, 200),
        (["DeviceManagementConfiguration.Read.All"], 403, 200),
        (["DeviceManagementServiceConfig.ReadWrite.All"], 403, 403),
    ],
)
def test_permissions_of_the_actions(emulator, tenant, roles, setting, retrieving) -> None:
    headers = bearer(emulator.app_token(roles))
    base = f"{emulator.beta_url}{POLICIES}/{tenant['dp']['id']}"

    set_answer = httpx.post(
        base + "/setEnrollmentTimeDeviceMembershipTarget",
        json=membership_target(tenant["good"]["id"]),
        headers=headers,
    )
    get_answer = httpx.post(base + "/retrieveEnrollmentTimeDeviceMembershipTarget", headers=headers)

    assert (set_answer.status_code, get_answer.status_code) == (setting, retrieving)


def test_retrieve_reads_the_target_through_the_lag(
    emulator: Emulator, clock: ManualClock, beta, tenant
) -> None:
    emulator.set_lag(5)
    clock.advance(10)
    set_target(beta, tenant["dp"], tenant["good"]["id"])

    before = target_statuses(retrieve(beta, tenant["dp"]))
    clock.advance(5)
    after = target_statuses(retrieve(beta, tenant["dp"]))

    assert before == (True, [])
    assert after == (True, [(tenant["good"]["id"], "unknown")])


def test_an_admin_pointing_the_policy_at_their_own_group_is_seen_after_the_lag(
    emulator: Emulator, clock: ManualClock, beta, tenant
) -> None:
    mine = emulator.add_group({"displayName": "Admin devices", "membershipRule": RULE})
    emulator.set_lag(5)
    clock.advance(10)

    emulator.set_membership_target(tenant["dp"]["id"], "Admin devices")  # no checks for an admin

    assert emulator.membership_target(tenant["dp"]["id"]) == mine["id"]
    assert target_statuses(retrieve(beta, tenant["dp"])) == (True, [])
    clock.advance(5)
    assert target_statuses(retrieve(beta, tenant["dp"])) == (
        False,
        [(mine["id"], "notStaticSecurityGroup")],
    )
    emulator.set_membership_target(tenant["dp"]["id"], None)
    assert emulator.membership_target(tenant["dp"]["id"]) is None


def test_a_504_after_commit_on_set_leaves_the_target_set(emulator, beta, tenant) -> None:
    emulator.faults.script("504-after-commit", method="POST", path="setEnrollmentTime")

    answer = set_target(beta, tenant["dp"], tenant["good"]["id"])

    assert answer.status_code == 504
    assert emulator.membership_target(tenant["dp"]["id"]) == tenant["good"]["id"]
    (record,) = emulator.requests
    assert (record.method, record.status, record.fault) == ("POST", 504, "504-after-commit")
    assert record.path.endswith("/setEnrollmentTimeDeviceMembershipTarget")


# --- the strict profile ---


def test_strict_needs_the_owner_to_be_visible_through_the_lag(strict, clock: ManualClock) -> None:
    emulator, beta, tenant = strict
    group = emulator.add_group({"displayName": "new"})
    emulator.set_lag(5)
    clock.advance(10)
    emulator.add_owner(group["id"], tenant["sp"]["id"])

    too_soon = set_target(beta, tenant["dp"], group["id"])
    clock.advance(5)
    later = set_target(beta, tenant["dp"], group["id"])

    assert too_soon.json()["value"]["validationSucceeded"] is False
    assert (
        too_soon.json()["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0][
            "targetValidationErrorCode"
        ]
        == "firstPartyAppNotAnOwner"
    )
    assert later.status_code == 500  # the change is committed, and answered 500 (below)
    assert emulator.membership_target(tenant["dp"]["id"]) == group["id"]


def test_strict_answers_500_after_committing_a_change_and_200_when_repeated(strict) -> None:
    emulator, beta, tenant = strict

    first = set_target(beta, tenant["dp"], tenant["good"]["id"])
    again = set_target(beta, tenant["dp"], tenant["good"]["id"])
    changed = set_target(beta, tenant["dp"], tenant["other"]["id"])

    error = assert_graph_error(first, 500, "InternalServerError")
    assert error["message"].startswith("An error has occurred - Operation ID")
    assert again.status_code == 200 and again.json()["value"]["validationSucceeded"] is True
    assert changed.status_code == 500
    assert emulator.membership_target(tenant["dp"]["id"]) == tenant["other"]["id"]


def test_strict_statuses_have_the_metadatas_shape(strict) -> None:
    emulator, beta, tenant = strict
    emulator.set_membership_target(tenant["dp"]["id"], tenant["good"]["id"])
    bad = emulator.add_group({"displayName": "no owner"})

    valid = retrieve(beta, tenant["dp"]).json()["value"]
    invalid = set_target(beta, tenant["dp"], bad["id"]).json()["value"]

    (ok,) = valid["enrollmentTimeDeviceMembershipTargetValidationStatuses"]
    (failed,) = invalid["enrollmentTimeDeviceMembershipTargetValidationStatuses"]
    assert set(ok) == {"@odata.type", "targetId", "targetValidationErrorCode"}
    assert ok["targetValidationErrorCode"] is None and valid["validationSucceeded"] is True
    assert failed["targetValidationErrorCode"] == "firstPartyAppNotAnOwner"
    assert invalid["validationSucceeded"] is False


def test_strict_refuses_a_mail_enabled_security_group(strict) -> None:
    emulator, beta, tenant = strict
    emulator.update_group(tenant["good"]["id"], {"mailEnabled": True}, validate=False)

    answer = set_target(beta, tenant["dp"], tenant["good"]["id"])

    (status,) = answer.json()["value"]["enrollmentTimeDeviceMembershipTargetValidationStatuses"]
    assert status["targetValidationErrorCode"] == "notSecurityGroup"


def test_by_default_a_mail_enabled_security_group_passes(emulator, beta, tenant) -> None:
    emulator.update_group(tenant["good"]["id"], {"mailEnabled": True}, validate=False)

    assert target_statuses(set_target(beta, tenant["dp"], tenant["good"]["id"]))[0] is True
