"""Each validation code Graph gives for a device preparation policy's target, and what the app
reports for it: the code by name, what it means, whether a later run may fix it."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from graph_emulator import Emulator
from shared.core.wording import outcome_text
from shared.graph.gateway import GraphGateway
from shared.shell.apply_preparation import set_target
from tests.builders import settings_for
from tests.dp_tenant import PERMISSIONS, POLICY

DYNAMIC_RULE = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:X"))'


@pytest.fixture
def policy(emulator: Emulator) -> str:
    emulator.set_permissions(PERMISSIONS)
    return emulator.add_configuration_policy(
        {"name": POLICY, "template": "devicePreparationUserDriven"}
    )["id"]


def assigned_group(emu: Emulator, name: str, *, owned: bool = True, **extra: object) -> str:
    group = emu.add_group({"displayName": name, "mailNickname": name.lower(), **extra})
    client = emu.add_provisioning_client()["id"] if owned else None
    if client:
        emu.add_owner(group["id"], client)
    return str(group["id"])


def set_it(emu: Emulator, policy: str, group: str, owners_added: frozenset[str] = frozenset()):
    async def run():
        async with GraphGateway.from_settings(settings_for(emu)) as gateway:
            return await set_target(gateway, policy, [(0, group)], owners_added)

    return asyncio.run(run())[0]


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        pytest.param(
            lambda emu: str(uuid.uuid4()),
            "securityGroupNotFound",
            "does not exist",
            id="no such group",
        ),
        pytest.param(
            lambda emu: assigned_group(
                emu, "M365", groupTypes=["Unified"], mailEnabled=True, securityEnabled=False
            ),
            "notSecurityGroup",
            "not a security group",
            id="a Microsoft 365 group",
        ),
        pytest.param(
            lambda emu: assigned_group(emu, "Dynamic", membershipRule=DYNAMIC_RULE),
            "notStaticSecurityGroup",
            "dynamic",
            id="a dynamic group",
        ),
        pytest.param(
            lambda emu: assigned_group(emu, "Ownerless", owned=False),
            "firstPartyAppNotAnOwner",
            "not the group's owner",
            id="no owner",
        ),
        pytest.param(
            lambda emu: _outside_scope(emu),
            "securityGroupNotInCallerScope",
            "scope",
            id="outside the caller's scope",
        ),
    ],
)
def test_each_refusal_is_reported_by_its_code_and_meaning_and_nothing_is_set(
    emulator, policy, make, code, words
):
    group = make(emulator)

    outcome = set_it(emulator, policy, group)

    text = outcome_text(outcome)
    assert outcome.done.value == "failed" and not outcome.retry
    assert code in text and words in text
    assert emulator.membership_target(policy) is None


def _outside_scope(emu: Emulator) -> str:
    group = assigned_group(emu, "Elsewhere")
    emu.set_outside_caller_scope(group)
    return group


def test_no_owner_right_after_the_app_added_it_is_deferred_to_the_next_run(emulator, policy):
    group = assigned_group(emulator, "Fresh", owned=False)

    outcome = set_it(emulator, policy, group, owners_added=frozenset({group}))

    assert outcome.done.value == "deferred" and outcome.retry
    assert "next run" in outcome_text(outcome)


def test_a_valid_group_is_set_and_read_back(emulator, policy):
    group = assigned_group(emulator, "Good")

    outcome = set_it(emulator, policy, group)

    assert (outcome.done.value, outcome.shown) == ("assigned", True)
    assert emulator.membership_target(policy) == group


def test_a_group_intune_cannot_find_right_after_the_app_owned_it_is_deferred(emulator, policy):
    group = str(uuid.uuid4())  # as Intune sees a group made moments ago

    outcome = set_it(emulator, policy, group, owners_added=frozenset({group}))

    assert outcome.done.value == "deferred" and outcome.retry
    assert "the group was made moments ago" in outcome_text(outcome)
    assert emulator.membership_target(policy) is None


def test_adding_the_owner_twice_counts_the_second_as_already_done(emulator, policy):
    group = assigned_group(emulator, "Replayed", owned=False)
    client = emulator.add_provisioning_client()["id"]

    async def add_twice() -> tuple[bool, bool]:
        async with GraphGateway.from_settings(settings_for(emulator)) as gateway:
            return await gateway.add_owner(group, client), await gateway.add_owner(group, client)

    assert asyncio.run(add_twice()) == (True, False)
    assert emulator.owners(group) == [client]
