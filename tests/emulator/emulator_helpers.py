"""Helpers for the emulator's tests (a module of its own: `conftest` is ambiguous once
tests/conftest.py exists, since both are imported under that name)."""

from __future__ import annotations

from typing import Any

TOKEN_HEADERS = {"Authorization": "Bearer test-token"}


def device(number: int, tag: str = "", **extra: Any) -> dict[str, Any]:
    """A small Autopilot device for seeding."""
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "serialNumber": f"SN{number:06d}",
        "groupTag": tag,
        **extra,
    }


def dynamic_group_body(name: str, rule: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": name,
        "mailEnabled": False,
        "mailNickname": name.replace(" ", "-")[:64],
        "securityEnabled": True,
        "groupTypes": ["DynamicMembership"],
        "membershipRule": rule or f'(device.devicePhysicalIds -any (_ -eq "[OrderID]:{name}"))',
        "membershipRuleProcessingState": "On",
    }
    body.update(extra)
    return body
