"""GET /deviceManagement/windowsAutopilotDeviceIdentities behaves as Intune documents it."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import device

from graph_emulator import Emulator
from graph_emulator.devices import DEVICE_PROPERTIES

PATH = "/deviceManagement/windowsAutopilotDeviceIdentities"


@pytest.fixture
def seeded(emulator: Emulator) -> Emulator:
    emulator.set_page_size(10)
    emulator.add_devices(
        [device(i, tag=["SALES-UD", "Sales-UD", "HR-SD", ""][i % 4]) for i in range(25)]
    )
    return emulator


def test_a_device_carries_every_v1_property_and_its_odata_type(
    seeded: Emulator, client: httpx.Client
) -> None:
    body = client.get(PATH).json()
    first = body["value"][0]
    assert first["@odata.type"] == "#microsoft.graph.windowsAutopilotDeviceIdentity"
    assert set(first) - {"@odata.type"} == set(DEVICE_PROPERTIES)
    assert (
        body["@odata.context"]
        == f"{seeded.base_url}/$metadata#deviceManagement/windowsAutopilotDeviceIdentities"
    )


def test_paging_follows_absolute_next_links_to_the_last_page(
    seeded: Emulator, client: httpx.Client
) -> None:
    url: str | None = PATH
    seen: list[str] = []
    pages = 0
    while url:
        body = client.get(url).json()
        pages += 1
        seen += [d["id"] for d in body["value"]]
        url = body.get("@odata.nextLink")
        if url:
            assert url.startswith(seeded.base_url + PATH + "?")
            assert "$skiptoken=" in url
    assert pages == 3
    assert seen == [d["id"] for d in seeded.devices()]


def test_intune_pages_hold_1000_devices_by_default(
    client: httpx.Client, emulator: Emulator
) -> None:
    emulator.add_devices([device(i) for i in range(1001)])
    body = client.get(PATH).json()
    assert len(body["value"]) == 1000
    assert "@odata.nextLink" in body


def test_top_sets_the_page_size_and_is_kept_in_the_next_link(
    seeded: Emulator, client: httpx.Client
) -> None:
    body = client.get(PATH, params={"$top": "4"}).json()
    assert len(body["value"]) == 4
    assert "%24top=4" in body["@odata.nextLink"] or "$top=4" in body["@odata.nextLink"]
    assert len(client.get(body["@odata.nextLink"]).json()["value"]) == 4


def test_select_returns_id_and_the_selected_properties(
    seeded: Emulator, client: httpx.Client
) -> None:
    body = client.get(PATH, params={"$select": "groupTag,serialNumber"}).json()
    assert set(body["value"][0]) <= {"@odata.type", "id", "groupTag", "serialNumber"}
    assert {"id", "groupTag", "serialNumber"} <= set(body["value"][0])
    assert body["@odata.context"].endswith(
        "windowsAutopilotDeviceIdentities(id,groupTag,serialNumber)"
    )
    follow = client.get(body["@odata.nextLink"]).json()
    assert "model" not in follow["value"][0]


def test_contains_and_startswith_filter_on_group_tag_ignore_case(
    seeded: Emulator, client: httpx.Client
) -> None:
    params = {"$filter": "startswith(groupTag,'sales')", "$top": "100"}
    tags = {d["groupTag"] for d in client.get(PATH, params=params).json()["value"]}
    assert tags == {"SALES-UD", "Sales-UD"}
    params = {"$filter": "contains(groupTag,'-SD') or contains(serialNumber,'SN000000')"}
    body = client.get(PATH, params=params).json()
    assert {d["groupTag"] for d in body["value"]} == {"HR-SD", "SALES-UD"}


def test_and_combines_device_filters(seeded: Emulator, client: httpx.Client) -> None:
    params = {"$filter": "startswith(groupTag,'HR') and contains(serialNumber,'02')"}
    body = client.get(PATH, params=params).json()
    assert [d["serialNumber"] for d in body["value"]] == ["SN000002", "SN000022"]


@pytest.mark.parametrize(
    "expression",
    ["groupTag eq 'SALES-UD'", "endswith(groupTag,'UD')", "contains(model,'x')", "groupTag eq"],
)
def test_unsupported_device_filters_answer_intunes_bad_request(
    seeded: Emulator, client: httpx.Client, expression: str
) -> None:
    response = client.get(PATH, params={"$filter": expression})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"].startswith(
        "An error has occurred - Operation ID (for customer support): "
        "00000000-0000-0000-0000-000000000000"
    )


def test_a_forged_skiptoken_is_a_bad_request(seeded: Emulator, client: httpx.Client) -> None:
    response = client.get(PATH, params={"$skiptoken": "not-a-token"})
    assert response.status_code == 400


def test_get_by_id_returns_one_device(seeded: Emulator, client: httpx.Client) -> None:
    wanted = seeded.devices()[3]["id"]
    assert client.get(f"{PATH}/{wanted}").json()["id"] == wanted
    assert client.get(f"{PATH}/00000000-0000-4000-8000-999999999999").status_code == 404
