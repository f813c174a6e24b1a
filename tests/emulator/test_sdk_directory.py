"""The real msgraph-sdk on the recycle bin (directory/deletedItems) and on group owners."""

from __future__ import annotations

from emulator_helpers import directory_object
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from msgraph.generated.directory.deleted_items.graph_group.graph_group_request_builder import (
    GraphGroupRequestBuilder,
)
from msgraph.generated.models.group import Group
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.service_principal import ServicePrincipal
from sdk_helpers import graph_client, no_retry, run

from graph_emulator import Emulator


def assigned_group(name: str, **extra: object) -> Group:
    return Group(
        display_name=name,
        mail_enabled=False,
        mail_nickname=name,
        security_enabled=True,
        group_types=[],
        additional_data=dict(extra),
    )


def test_sdk_lists_gets_and_restores_a_deleted_group(emulator: Emulator) -> None:
    group = emulator.add_group({"displayName": "apdp-ud", "uniqueName": "apdp-ud"})
    emulator.delete_group(group["id"])
    deleted = graph_client(emulator).directory.deleted_items
    query = GraphGroupRequestBuilder.GraphGroupRequestBuilderGetQueryParameters(
        filter="uniqueName eq 'apdp-ud'", select=["id", "displayName", "uniqueName"]
    )

    async def scenario() -> tuple[list[str | None], object, object]:
        config = RequestConfiguration(headers=HeadersCollection(), query_parameters=query)
        listed = await deleted.graph_group.get(config)
        one = await deleted.by_directory_object_id(group["id"]).get()
        restored = await deleted.by_directory_object_id(group["id"]).restore.post()
        return [g.unique_name for g in listed.value], one, restored

    names, one, restored = run(scenario())

    assert names == ["apdp-ud"]
    assert isinstance(one, Group) and one.deleted_date_time is not None
    assert isinstance(restored, Group) and restored.id == group["id"]
    assert [g["id"] for g in emulator.groups()] == [group["id"]]
    assert emulator.deleted_groups() == []


def test_sdk_adds_lists_and_removes_an_owner(emulator: Emulator) -> None:
    emulator.set_permissions(["Group.ReadWrite.All", "Application.Read.All"])
    sp = emulator.add_provisioning_client()
    groups = graph_client(emulator).groups

    async def scenario() -> tuple[list[object], list[object]]:
        created = await groups.post(assigned_group("apdp-ud"))
        assert created is not None and created.id is not None
        owners = groups.by_group_id(created.id).owners
        await owners.ref.post(ReferenceCreate(odata_id=directory_object(sp["id"])))
        listed = await owners.get()
        await owners.by_directory_object_id(sp["id"]).ref.delete(no_retry())
        after = await owners.get()
        return list(listed.value), list(after.value)

    listed, after = run(scenario())

    (owner,) = listed
    assert isinstance(owner, ServicePrincipal)
    assert (owner.id, owner.app_id) == (sp["id"], "f1346770-5b25-470b-88bd-d5744ab7952c")
    assert after == []


def test_sdk_creates_a_group_with_its_owner_bound(emulator: Emulator) -> None:
    sp = emulator.add_provisioning_client()
    bind = {"owners@odata.bind": [directory_object(sp["id"])]}

    created = run(graph_client(emulator).groups.post(assigned_group("apdp-ud", **bind)))

    assert created is not None and emulator.owners(str(created.id)) == [sp["id"]]
