"""The real msgraph-sdk talks to the emulator as it would to Graph."""

from __future__ import annotations

import pytest
from emulator_helpers import device
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.group import Group
from sdk_helpers import graph_client, no_retry, run

from graph_emulator import Emulator


def group_body(tag: str) -> Group:
    return Group(
        display_name=f"Autopilot {tag}",
        mail_enabled=False,
        mail_nickname=f"ap-{tag.lower()}",
        security_enabled=True,
        group_types=["DynamicMembership"],
        membership_rule=f'(device.devicePhysicalIds -any (_ -eq "[OrderID]:{tag}"))',
        membership_rule_processing_state="On",
    )


def test_sdk_lists_devices_across_pages(emulator: Emulator) -> None:
    # Small pages: the SDK spends ~5 ms deserialising each device (Entity's field map).
    emulator.set_page_size(10)
    emulator.add_devices([device(i, tag="SALES-UD") for i in range(25)])
    identities = graph_client(emulator).device_management.windows_autopilot_device_identities

    async def list_all() -> list[str]:
        page = await identities.get()
        tags = [d.group_tag for d in page.value]
        while page.odata_next_link:
            page = await identities.with_url(page.odata_next_link).get()
            tags += [d.group_tag for d in page.value]
        return tags

    assert run(list_all()) == ["SALES-UD"] * 25
    assert len(emulator.requests) == 3


def test_sdk_lists_groups_with_a_filter(emulator: Emulator) -> None:
    emulator.add_group({"displayName": "Autopilot SALES-UD"})
    emulator.add_group({"displayName": "Other"})
    query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
        filter="displayName eq 'Autopilot SALES-UD'", select=["id", "displayName"]
    )
    config = RequestConfiguration(headers=HeadersCollection(), query_parameters=query)
    result = run(graph_client(emulator).groups.get(config))
    assert [g.display_name for g in result.value] == ["Autopilot SALES-UD"]


def test_sdk_upsert_creates_then_updates(emulator: Emulator) -> None:
    client = graph_client(emulator)

    async def upsert_twice() -> list[Group | None]:
        builder = client.groups_with_unique_name("tag-sales-ud")
        config = no_retry(Prefer="create-if-missing")
        return [await builder.patch(group_body("SALES-UD"), config) for _ in range(2)]

    created, updated = run(upsert_twice())
    assert created is not None and created.unique_name == "tag-sales-ud"
    assert updated is None  # 204 No Content
    assert [r.status for r in emulator.requests] == [201, 204]
    assert len(emulator.groups()) == 1


def test_sdk_sees_a_raw_429_without_retries(emulator: Emulator) -> None:
    emulator.faults.script("429", retry_after="2.128")
    with pytest.raises(APIError) as raised:
        run(graph_client(emulator).groups.get(no_retry()))
    assert raised.value.response_status_code == 429
    assert raised.value.response_headers["retry-after"] == "2.128"


def test_sdk_retry_handler_retries_a_429(emulator: Emulator) -> None:
    emulator.faults.script("429", retry_after="1")
    result = run(graph_client(emulator).groups.get())
    assert result.value == []
    assert [r.status for r in emulator.requests] == [429, 200]


def test_sdk_replaying_a_post_after_a_504_makes_a_duplicate(emulator: Emulator) -> None:
    emulator.faults.script("504-after-commit", method="POST", retry_after="1")
    created = run(graph_client(emulator).groups.post(group_body("SALES-UD")))
    assert created is not None
    assert [r.status for r in emulator.requests] == [504, 201]
    assert len(emulator.groups()) == 2


def test_sdk_sees_a_raw_504_without_retries(emulator: Emulator) -> None:
    emulator.faults.script("504-after-commit", method="POST")
    with pytest.raises(APIError) as raised:
        run(graph_client(emulator).groups.post(group_body("SALES-UD"), no_retry()))
    assert raised.value.response_status_code == 504
    assert len(emulator.groups()) == 1
