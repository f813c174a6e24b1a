"""The private network switch (issue 20), both ways: which resources a deployment creates and what
their properties become, read from the template as the scan reads it (tests/unit/bicep.py).

- off (the default): no network resource, storage open as it always was;
- on: blob and queue private endpoints with their DNS zones, storage closed, the app integrated
  into a delegated subnet, no inbound private endpoint on the app;
- on with allowedIpRanges: storage still denies by default, its public endpoint on for the
  ranges only;
- on in an existing network, or with existing DNS zones: nothing created that already exists.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.bicep import (
    INFRA,
    bicep_text,
    deployed,
    params,
    resource_block,
    resources_of_type,
    variant_text,
)

OFF = {"vnetEnabled": False}
ON = {"vnetEnabled": True}
RANGES = "203.0.113.0/24, 198.51.100.7"
EXISTING_VNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network"
    "/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
)
HUB_ZONE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dns"
    "/providers/Microsoft.Network/privateDnsZones/privatelink.{}.core.windows.net"
)

NETWORK = {"appSubnetNsg", "privateEndpointSubnetNsg", "vnet"}
DNS = {"blobDnsZone", "queueDnsZone", "blobDnsLink", "queueDnsLink"}
ENDPOINTS = {"blobEndpoint", "queueEndpoint", "blobEndpointDns", "queueEndpointDns"}


def storage(values: dict[str, bool | str]) -> str:
    return resource_block("storage", variant_text(values))


def app(values: dict[str, bool | str]) -> str:
    return resource_block("functionApp", variant_text(values))


def test_the_switch_is_off_by_default():
    assert params()["vnetEnabled"] == ("bool", "false")


def test_with_the_switch_off_no_network_resource_is_created():
    assert not deployed(OFF) & (NETWORK | DNS | ENDPOINTS)
    assert {"storage", "functionApp", "settings"} <= deployed(OFF)


def test_with_the_switch_off_storage_stays_open_as_before_and_the_app_outside_any_network():
    account = storage(OFF)

    assert "publicNetworkAccess: 'Enabled'" in account
    assert "defaultAction: 'Allow'" in account and "bypass: 'AzureServices'" in account
    assert "ipRules: []" in account
    assert "virtualNetworkSubnetId: null" in app(OFF)
    assert "vnetRouteAllEnabled: vnetEnabled" in app(OFF)  # the parameter, false here


def test_with_the_switch_on_the_network_endpoints_and_dns_zones_are_created():
    assert deployed(ON) >= NETWORK | DNS | ENDPOINTS


def test_with_the_switch_on_storage_takes_no_public_traffic_and_no_bypass():
    account = storage(ON)

    assert "publicNetworkAccess: 'Disabled'" in account
    assert "defaultAction: 'Deny'" in account
    assert "bypass: 'None'" in account
    assert "ipRules: storageIpRules" in account
    assert "allowSharedKeyAccess: false" in account


def test_with_the_switch_on_blob_and_queue_have_private_endpoints_on_the_storage_account():
    text = variant_text(ON)
    for service in ("blob", "queue"):
        endpoint = resource_block(f"{service}Endpoint", text)
        assert f"groupIds: ['{service}']" in endpoint
        assert "privateLinkServiceId: storage.id" in endpoint
        assert "subnet: { id: privateEndpointSubnetId }" in endpoint
        group = resource_block(f"{service}EndpointDns", text)
        assert f"parent: {service}Endpoint" in group
        assert f"privateDnsZoneId: {service}DnsZoneId" in group
    assert sorted(re.findall(r"groupIds: \['(\w+)'\]", text)) == ["blob", "queue"]


def test_each_private_dns_zone_is_the_clouds_privatelink_zone_linked_to_the_network():
    text = bicep_text()

    for service in ("blob", "queue"):
        assert f"{service}: 'privatelink.{service}.${{environment().suffixes.storage}}'" in text
        zone = resource_block(f"{service}DnsZone")
        assert f"name: privateDnsZoneNames.{service}" in zone
        assert "location: 'global'" in zone
        link = resource_block(f"{service}DnsLink")
        assert f"parent: {service}DnsZone" in link
        assert "virtualNetwork: { id: vnetId }" in link
        assert "registrationEnabled: false" in link


def test_with_the_switch_on_the_app_is_integrated_into_a_subnet_delegated_to_flex():
    assert "virtualNetworkSubnetId: appSubnetId" in app(ON)
    assert "vnetRouteAllEnabled: vnetEnabled" in app(ON)
    assert "param vnetEnabled bool = true" in variant_text(ON)
    assert "var appSubnetId = '${vnetId}/subnets/${appSubnetName}'" in bicep_text()
    network = resource_block("vnet")
    app_subnet = network[network.index("name: appSubnetName") :]
    assert "serviceName: 'Microsoft.App/environments'" in app_subnet.split("name: privateEnd")[0]


def test_no_private_endpoint_points_at_the_app_itself():
    """A trigger-only app needs no inbound endpoint, and one beside VNet integration makes Flex
    deployments time out (Azure/azure-functions#2635)."""
    endpoints = resources_of_type("Microsoft.Network/privateEndpoints")

    assert endpoints == ["blobEndpoint", "queueEndpoint"]
    for endpoint in endpoints:
        assert "privateLinkServiceId: storage.id" in resource_block(endpoint)
    assert "'sites'" not in bicep_text()


def test_with_the_switch_on_only_the_apps_scm_deployments_stay_public():
    text = variant_text(ON)
    public = [
        name
        for name in re.findall(r"^resource (\w+) '", text, re.MULTILINE)
        if "publicNetworkAccess: 'Enabled'" in resource_block(name, text)
    ]

    assert public == ["functionApp"]
    site = resource_block("functionApp", text)
    assert "ipSecurityRestrictionsDefaultAction: 'Deny'" in site  # the main site refuses all
    assert "Azure/azure-functions#2635" in text  # the reason stands beside its skip


def test_allowed_ranges_reach_the_storage_firewall_even_with_the_switch_on():
    values = {**ON, "allowedIpRanges": RANGES}
    text = variant_text(values)
    account = resource_block("storage", text)

    assert "publicNetworkAccess: 'Enabled'" in account  # for the ranges only:
    assert "defaultAction: 'Deny'" in account and "bypass: 'None'" in account
    assert "ipRules: storageIpRules" in account
    assert "var allowedIpRangeList = split(allowedIpRanges, ',')" in text
    assert (
        "var storageIpRules = [for ipRange in allowedIpRangeList: "
        "{ value: trim(ipRange), action: 'Allow' }]"
    ) in text
    assert f"param allowedIpRanges string = '{RANGES}'" in text
    assert deployed(values) >= NETWORK | DNS | ENDPOINTS  # the app still uses the endpoints


def test_without_the_switch_allowed_ranges_change_nothing():
    account = storage({**OFF, "allowedIpRanges": RANGES})

    assert "defaultAction: 'Allow'" in account and "ipRules: []" in account


def test_an_existing_network_is_used_as_it_is_and_none_is_created():
    values = {**ON, "existingVnetId": EXISTING_VNET}
    text = variant_text(values)

    assert not deployed(values) & NETWORK  # no network, no NSGs: the landing zone owns them
    assert deployed(values) >= DNS | ENDPOINTS  # zones created and linked to that network
    assert "var vnetId = existingVnetId" in text
    assert f"param existingVnetId string = '{EXISTING_VNET}'" in text
    assert "var privateEndpointSubnetId = '${vnetId}/subnets/${privateEndpointSubnetName}'" in text


def test_existing_private_dns_zones_are_used_instead_of_new_ones():
    values = {
        **ON,
        "existingVnetId": EXISTING_VNET,
        "blobPrivateDnsZoneId": HUB_ZONE.format("blob"),
        "queuePrivateDnsZoneId": HUB_ZONE.format("queue"),
    }
    text = variant_text(values)

    assert not deployed(values) & (NETWORK | DNS)
    assert deployed(values) >= ENDPOINTS
    assert "var blobDnsZoneId = blobPrivateDnsZoneId" in text
    assert "var queueDnsZoneId = queuePrivateDnsZoneId" in text


def test_the_address_spaces_are_parameters():
    network = resource_block("vnet")

    assert "addressSpace: { addressPrefixes: [vnetAddressPrefix] }" in network
    assert "addressPrefix: appSubnetPrefix" in network
    assert "addressPrefix: privateEndpointSubnetPrefix" in network
    for prefix in ("vnetAddressPrefix", "appSubnetPrefix", "privateEndpointSubnetPrefix"):
        assert params()[prefix][0] == "string" and params()[prefix][1], prefix


def nsg_rules(name: str) -> list[dict[str, str]]:
    """Each security rule of an NSG as its property → value text."""
    block = resource_block(name)
    rules = []
    for chunk in block.split("name: '")[1:]:
        rule = dict(re.findall(r"\n\s+(\w+): ([^\n]+)", chunk))
        rule["name"] = chunk.split("'")[0]
        rules.append(rule)
    return rules


def test_the_app_subnet_lets_the_app_reach_the_storage_endpoints():
    [rule] = nsg_rules("appSubnetNsg")

    assert rule["direction"] == "'Outbound'" and rule["access"] == "'Allow'"
    assert rule["sourceAddressPrefix"] == "appSubnetPrefix"
    assert rule["destinationAddressPrefix"] == "privateEndpointSubnetPrefix"
    assert rule["destinationPortRange"] == "'443'"


def test_the_endpoint_subnet_takes_https_from_the_network_and_nothing_else():
    allow, deny = nsg_rules("privateEndpointSubnetNsg")

    assert allow["direction"] == deny["direction"] == "'Inbound'"
    assert allow["access"] == "'Allow'" and allow["sourceAddressPrefix"] == "'VirtualNetwork'"
    assert allow["destinationPortRange"] == "'443'"
    assert deny["access"] == "'Deny'" and deny["sourceAddressPrefix"] == "'*'"
    assert int(allow["priority"]) < int(deny["priority"])
    # NSGs apply to private endpoints only with network policies on for their subnet.
    assert "privateEndpointNetworkPolicies: 'Enabled'" in resource_block("vnet")


def test_each_created_subnet_has_its_nsg():
    network = resource_block("vnet")

    assert "networkSecurityGroup: { id: appSubnetNsg.id }" in network
    assert "networkSecurityGroup: { id: privateEndpointSubnetNsg.id }" in network


def test_the_host_starts_only_once_its_storage_is_reachable_through_the_endpoints():
    depends = resource_block("settings").split("dependsOn: [")[1]

    for name in ("blobEndpointDns", "queueEndpointDns", "blobDnsLink", "queueDnsLink"):
        assert f"\n    {name}\n" in depends, name
    assert "vnet" in resource_block("functionApp").split("dependsOn: [")[1]


@pytest.mark.parametrize(("variant", "enabled"), [("vnet-off", False), ("vnet-on", True)])
def test_the_scan_has_a_parameters_file_for_each_side_of_the_switch(variant: str, enabled: bool):
    data = json.loads((INFRA / "scan" / f"{variant}.parameters.json").read_text(encoding="utf-8"))

    assert data["parameters"]["vnetEnabled"]["value"] is enabled
    assert data["parameters"]["allowedIpRanges"]["value"] == ""


def doc() -> str:
    return (INFRA.parent / "docs" / "private-networking.md").read_text(encoding="utf-8")


def test_every_command_in_the_networking_page_has_a_bash_and_a_powershell_form():
    blocks = re.findall(r"^ *```(\w*)\n(.*?)^ *```$", doc(), re.MULTILINE | re.DOTALL)
    shells = [shell for shell, _ in blocks]

    assert shells and shells == ["bash", "powershell"] * (len(shells) // 2)
    for (_, bash), (_, powershell) in zip(blocks[::2], blocks[1::2], strict=True):
        commands = [line.split()[:3] for line in bash.splitlines() if line.strip()]
        ps_commands = [line.split()[:3] for line in powershell.splitlines() if line.strip()]
        assert len(commands) == len(ps_commands), bash  # the same steps, line for line


def test_the_networking_page_names_the_traps_the_switch_and_what_was_not_tried():
    page = doc()

    for words in (
        "Azure/azure-functions#2635",
        "azure-functions-host#10620",
        "MicrosoftDocs/azure-docs#97473",
        "azd env set VNET_ENABLED true",
        "vnetEnabled=true",
        "allowedIpRanges",
        "python -m shared doctor",
        "Not verified",
    ):
        assert words in page, words
