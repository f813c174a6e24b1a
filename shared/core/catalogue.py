"""The scenario catalogue's document: parsed and validated into ``model.Catalogue``.

Microsoft's Autopilot tutorial asks for separate device groups per deployment scenario. The
catalogue is a JSON file shipped with the app (``shared/scenarios.json``; ``SCENARIO_FILE``
overrides it) so that admins change scenarios, patterns and names without changing code. It is
validated as a whole when parsed: a bad catalogue stops the app at start with the entry named.
Reading the file is the configuration's job (``shared.config.catalogue_file``); this module only
parses the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.core.errors import CatalogueError
from shared.core.model import Catalogue, Scenario
from shared.core.naming import PLACEHOLDERS, display_name

DEVICE_PREPARATION_GROUP = "Autopilot device preparation - {label}"

_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def parse_catalogue(document: Any, source: str = "<catalogue>") -> Catalogue:
    def fail(where: str, problem: str) -> CatalogueError:
        return CatalogueError(f"scenario catalogue {source}: {where}: {problem}")

    if not isinstance(document, Mapping):
        raise fail("top level", "must be a JSON object")
    if document.get("version") != 1 or isinstance(document.get("version"), bool):
        raise fail("version", "must be 1")
    unknown = set(document) - {"version", "defaultScenario", "allDevices", "scenarios"}
    if unknown:
        raise fail("top level", f"unknown field(s) {sorted(unknown)}")
    raw_scenarios = document.get("scenarios")
    if not isinstance(raw_scenarios, list) or not raw_scenarios:
        raise fail("scenarios", "must be a non-empty list")
    scenarios = tuple(_scenario(raw, index, fail) for index, raw in enumerate(raw_scenarios))
    keys = [s.key for s in scenarios]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise fail("scenarios", f"keys must be unique; repeated: {', '.join(map(repr, repeated))}")
    default = document.get("defaultScenario")
    if default is not None and default not in keys:
        raise fail("defaultScenario", f"{default!r} is not a scenario key (or null to ignore)")
    all_devices = document.get("allDevices", {})
    if not isinstance(all_devices, Mapping):
        raise fail("allDevices", "must be an object")
    unknown = set(all_devices) - {"displayName"}
    if unknown:
        raise fail("allDevices", f"unknown field(s) {sorted(unknown)}")
    all_name = all_devices.get("displayName", "Autopilot - All devices")
    _check_text(all_name, "allDevices.displayName", fail, placeholders=False)
    return Catalogue(scenarios, default, all_name, source)


def _scenario(raw: Any, index: int, fail: Any) -> Scenario:
    where = f"scenarios[{index}]"
    if not isinstance(raw, Mapping):
        raise fail(where, "must be an object")
    unknown = set(raw) - {
        "key",
        "label",
        "displayName",
        "tagPatterns",
        "purchaseOrderPatterns",
        "autopilotProfile",
        "enrollmentStatusPage",
        "devicePreparationPolicy",
        "devicePreparationGroup",
    }
    if unknown:
        raise fail(where, f"unknown field(s) {sorted(unknown)}")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise fail(f"{where}.key", "must be 1-40 lowercase letters, digits and '-'")
    where = f"scenario {key!r}"
    label = raw.get("label")
    _check_text(label, f"{where}.label", fail, placeholders=False)
    names = raw.get("displayName")
    if not isinstance(names, Mapping) or set(names) != {"tag", "purchaseOrder"}:
        raise fail(f"{where}.displayName", "must be an object with 'tag' and 'purchaseOrder'")
    for name in names.values():
        _check_text(name, f"{where}.displayName", fail, placeholders=True)
    policy = _reference(raw, "devicePreparationPolicy", where, fail)
    _check_coherent(raw, where, fail)
    group_name = raw.get("devicePreparationGroup", DEVICE_PREPARATION_GROUP)
    _check_text(group_name, f"{where}.devicePreparationGroup", fail, placeholders=False, label=True)
    return Scenario(
        key=key,
        label=str(label),
        tag_template=names["tag"],
        purchase_order_template=names["purchaseOrder"],
        tag_patterns=_patterns(raw.get("tagPatterns", []), f"{where}.tagPatterns", fail),
        purchase_order_patterns=_patterns(
            raw.get("purchaseOrderPatterns", []), f"{where}.purchaseOrderPatterns", fail
        ),
        autopilot_profile=_reference(raw, "autopilotProfile", where, fail),
        enrollment_status_page=_reference(raw, "enrollmentStatusPage", where, fail),
        device_preparation_policy=policy,
        device_preparation_name=display_name(group_name, "", str(label)),
    )


def _check_coherent(raw: Mapping[str, Any], where: str, fail: Any) -> None:
    """A device preparation scenario's devices take that path: no profile, no ESP beside it."""
    if "devicePreparationPolicy" not in raw:
        if "devicePreparationGroup" in raw:
            raise fail(f"{where}.devicePreparationGroup", "needs a devicePreparationPolicy")
        return
    for name, why in (
        (
            "autopilotProfile",
            "a device registered with an Autopilot deployment profile takes that path, so the "
            "device preparation policy would never apply to it",
        ),
        (
            "enrollmentStatusPage",
            "device preparation shows its own progress during setup, not an Enrollment Status Page",
        ),
    ):
        if name in raw:
            raise fail(
                where,
                f"names both a devicePreparationPolicy and an {name}: {why}; make them two "
                "scenarios",
            )


def _reference(raw: Mapping[str, Any], name: str, where: str, fail: Any) -> str | None:
    """An optional profile or ESP, by display name or id: only its form is checked here."""
    if name not in raw:
        return None
    value = raw[name]
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{where}.{name}", "must be a non-empty string (a display name or an id)")
    if any(not char.isprintable() for char in value):
        raise fail(f"{where}.{name}", "must not contain control characters")
    return value.strip()


def _check_text(
    value: Any, where: str, fail: Any, *, placeholders: bool, label: bool = False
) -> None:
    if not isinstance(value, str) or not value.strip():
        raise fail(where, "must be a non-empty string")
    used = _PLACEHOLDER.findall(value)
    if label and set(used) - {"label"}:
        raise fail(where, "takes {label} only: a scenario has one device preparation group")
    if not placeholders and used and not label:
        raise fail(where, "takes no placeholders")
    if placeholders:
        unknown = [name for name in used if name not in PLACEHOLDERS]
        if unknown:
            raise fail(where, f"unknown placeholder(s) {unknown}; use {{value}} and {{label}}")
        if "value" not in used:
            raise fail(where, "must contain {value}, or every group would get the same name")


def _patterns(raw: Any, where: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise fail(where, "must be a list of non-empty glob patterns")
    return tuple(raw)
