"""Synthetic tenants of any size, deterministic for a seed.

A generated tenant holds what a real one throws at the app: tagged and untagged devices,
tags that differ only in letter case, purchase order ids, groups an admin made by hand in
the spellings admins really write (after the forms memdocs ``enrollment-autopilot.md`` and
the Entra rule reference publish), groups with the same display name, unrelated static and
dynamic groups, and a few hostile tags (a double quote, a backtick, a control character, a
600-character tag). Its Intune side (``generator_intune``) holds Autopilot profiles and ESPs,
and an admin's own assignment the app must keep.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from typing import Any

from graph_emulator.generator_intune import device_preparation_side, intune_side
from graph_emulator.permissions import DEFAULT_GRANTED
from graph_emulator.seeds import EPOCH_DAYS, day_stamp, random_guid
from graph_emulator.tenant import DEFAULT_TENANT_ID

JsonDict = dict[str, Any]

# Scenario suffixes: -UD user-driven, -HYB hybrid join, -SD/-KIOSK/-SELFDEPLOY
# self-deploying, -PP/-PREPROV pre-provisioning.
CORE_TAGS = ["SALES-UD", "HR-SD", "KIOSK-SELFDEPLOY", "FIN-HYB", "LAB-PREPROV", "IT-PP"]
CASE_TWINS = ["Sales-UD", "Fin-Hyb"]  # SALES-UD and FIN-HYB but for letter case
HOSTILE_TAGS = [
    'QA-"QUOTED"-UD',
    "DEV-`TICK-UD",
    "CTRL-\x07-UD",
    "LONG-" + "X" * 595,
]
_DEPARTMENTS = [
    "SALES",
    "HR",
    "FIN",
    "IT",
    "LAB",
    "OPS",
    "MKT",
    "LEGAL",
    "ENG",
    "RND",
    "SUPPORT",
    "WH",
    "RETAIL",
    "EXEC",
    "DEV",
    "QA",
    "CALL",
    "FIELD",
    "SCHOOL",
    "CLINIC",
    "PLANT",
    "STORE",
    "TRAIN",
    "SEC",
    "PROC",
]
_SCENARIOS = ["UD", "HYB", "SD", "KIOSK", "PP", "SELFDEPLOY", "PREPROV"]
_SITES = [
    "NYC",
    "LON",
    "PAR",
    "BER",
    "SYD",
    "TOK",
    "SEA",
    "DAL",
    "MUC",
    "AMS",
    "SIN",
    "SAO",
    "TOR",
    "DUB",
    "MAD",
    "MIL",
    "ZRH",
    "OSL",
    "HEL",
    "WAW",
]
_HARDWARE = [
    ("Dell Inc.", "Latitude 7440", "Latitude", "5CD"),
    ("HP", "HP EliteBook 840 G10", "EliteBook", "5CG"),
    ("LENOVO", "21HD003AUS", "ThinkPad T14 Gen 4", "PF"),
    ("Microsoft Corporation", "Surface Laptop 5", "Surface", "0F"),
    ("Dell Inc.", "OptiPlex 7010", "OptiPlex", "7D"),
]
_NO_ID = "00000000-0000-0000-0000-000000000000"
_RULE_SPELLINGS = [
    '(device.devicePhysicalIDs -any (_ -eq "[OrderId]:{tag}"))',
    '(device.devicePhysicalIds -any (_ -eq "[OrderID]:{tag}"))',
    'device.devicePhysicalIDs -any _ -eq "[OrderId]:{tag}"',
    'device.devicePhysicalIds -any _ -eq "[OrderID]:{tag}"',
    '(device.devicePhysicalIds -any (_ -eq "[OrderID]:{lower}"))',
]
_NAME_STYLES = ["Autopilot - {tag}", "AP-{tag}", "{tag} devices", "Intune Autopilot {tag}"]


def tag_catalogue(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct tags: the core, case twins, hostile ones, then site-dept-scenario."""
    head = CORE_TAGS + CASE_TWINS + HOSTILE_TAGS
    tags = head[:count]
    combos = [f"{d}-{s}" for d, s in itertools.product(_DEPARTMENTS, _SCENARIOS)]
    combos += [
        f"{site}-{d}-{s}" for site, d, s in itertools.product(_SITES, _DEPARTMENTS, _SCENARIOS)
    ]
    rng.shuffle(combos)
    taken = set(tags)
    for combo in combos:
        if len(tags) >= count:
            break
        if combo not in taken:
            tags.append(combo)
            taken.add(combo)
    number = 1
    while len(tags) < count:
        tags.append(f"BATCH{number:05d}-UD")
        number += 1
    return tags


def generate_tenant(
    devices: int,
    tags: int,
    seed: int = 0,
    *,
    scenario_profiles: bool = False,
    provisioning_client: bool = True,
) -> JsonDict:
    """A tenant dict (the tenant file format) with ``devices`` devices and ``tags`` tags;
    ``scenario_profiles`` adds a profile and an ESP for each scenario besides user-driven;
    ``provisioning_client=False`` leaves out the Intune Provisioning Client service principal
    (a tenant where device preparation was never set up)."""
    if devices < 0 or tags < 0:
        raise ValueError("devices and tags cannot be negative")
    rng = random.Random(seed)
    catalogue = tag_catalogue(tags, rng)
    identities = _devices(devices, catalogue, rng)
    groups = _groups(catalogue, rng)
    # Drawn last, so the devices and groups of a seed stay what they were before.
    pilot = _group(rng, "Pilot devices", description="Hand-picked devices, added by an admin")
    groups.append(pilot)
    profiles, configurations = intune_side(rng, pilot["id"], scenario_profiles)
    policies, principals = device_preparation_side(rng, provisioning_client)
    return {
        "tenantId": DEFAULT_TENANT_ID,
        "grantedPermissions": list(DEFAULT_GRANTED),
        "devices": identities,
        "groups": groups,
        "autopilotProfiles": profiles,
        "enrollmentConfigurations": configurations,
        "configurationPolicies": policies,
        "servicePrincipals": principals,
    }


def _devices(count: int, tags: list[str], rng: random.Random) -> list[JsonDict]:
    weights = list(itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(tags))))
    # The first order is the one Microsoft's purchase-order example rule names.
    orders = ["76222342342"] + [str(rng.randrange(10**10, 10**11)) for _ in range(count // 500)]
    out: list[JsonDict] = []
    for index in range(count):
        if index < len(tags):
            tag = tags[index]  # every tag has at least one device
        elif not tags or rng.random() < 0.15:
            tag = ""
        else:
            tag = tags[bisect(weights, rng.random() * weights[-1])]
        maker, model, family, prefix = _HARDWARE[index % len(_HARDWARE)]
        enrolled = rng.random() < 0.7
        day = EPOCH_DAYS + rng.randrange(400)
        out.append(
            {
                "id": random_guid(rng),
                "groupTag": tag,
                "purchaseOrderIdentifier": rng.choice(orders) if rng.random() < 0.3 else "",
                "serialNumber": f"{prefix}{_base36(index * 7919 + rng.randrange(7919)).zfill(8)}",
                "productKey": "",
                "manufacturer": maker,
                "model": model,
                "enrollmentState": "enrolled" if enrolled else "notContacted",
                "lastContactedDateTime": day_stamp(day) if enrolled else "0001-01-01T00:00:00Z",
                "addressableUserName": "",
                "userPrincipalName": "",
                "resourceName": "",
                "skuNumber": "",
                "systemFamily": family,
                "azureActiveDirectoryDeviceId": random_guid(rng),
                "managedDeviceId": random_guid(rng) if enrolled else _NO_ID,
                "displayName": "",
            }
        )
    return out


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _group(rng: random.Random, name: str, rule: str | None = None, **extra: Any) -> JsonDict:
    """A security group, dynamic if it has a rule; ``extra`` overrides any property."""
    group: JsonDict = {
        "id": random_guid(rng),
        "displayName": name,
        "description": extra.pop("description", None),
        "mailEnabled": False,
        "mailNickname": f"{rng.getrandbits(32):08x}-{rng.choice('abcdef0123456789')}",
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"] if rule else [],
        "membershipRule": rule,
        "membershipRuleProcessingState": "On" if rule else None,
        "createdDateTime": day_stamp(EPOCH_DAYS - rng.randrange(900)),
    }
    group.update(extra)
    return group


def _groups(tags: list[str], rng: random.Random) -> list[JsonDict]:
    groups: list[JsonDict] = []

    def add(name: str, rule: str | None = None, **extra: Any) -> JsonDict:
        groups.append(_group(rng, name, rule, **extra))
        return groups[-1]

    add("All Autopilot devices", 'device.devicePhysicalIDs -any _ -startsWith "[ZTDid]"')
    ordinary = [t for t in tags if t not in HOSTILE_TAGS]
    handmade = ordinary[: max(min(3, len(ordinary)), len(ordinary) // 10)]
    for number, tag in enumerate(handmade):
        spelling = _RULE_SPELLINGS[number % len(_RULE_SPELLINGS)]
        rule = spelling.format(tag=tag, lower=tag.lower())
        add(_NAME_STYLES[number % len(_NAME_STYLES)].format(tag=tag), rule)
    if handmade:
        # Graph does not keep display names unique: a static group shares a hand-made one's.
        add(groups[1]["displayName"], None, description="Old static copy, do not use")
    if len(tags) >= 6:
        add("Autopilot (old ZTDID rule)", '(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))')
        add(
            "PO 76222342342 laptops",
            '(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342"))',
        )
    add("All Staff", None, description="Everyone, assigned by HR")
    add("Sales users", 'user.department -eq "Sales"')
    add(
        "Windows MDM devices",
        '(device.deviceOSType -eq "Windows") -and (device.managementType -eq "MDM")',
    )
    add(
        "Marketing Team",
        None,
        mailEnabled=True,
        securityEnabled=False,
        groupTypes=["Unified"],
        mailNickname="marketing-team",
        visibility="Private",
    )
    for number in range(len(tags) // 20):
        add(f"Project {number:04d} team", None)
    return groups
