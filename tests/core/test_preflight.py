"""The doctor's pure part: a token's claims read without trusting it, its roles against those the
app needs, and the checklist's exit codes."""

from __future__ import annotations

import base64
import json

import pytest

from shared.core.permissions import required_roles
from shared.core.preflight import (
    NOT_CHECKED,
    Check,
    Checklist,
    broader_held,
    missing_roles,
    roles_claim,
    token_claims,
)
from tests.builders import shipped_catalogue

REQUIRED_ROLES = required_roles(shipped_catalogue())


def jwt(payload: bytes) -> str:
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{encoded}.c2ln"


def test_a_jwts_claims_are_read_from_its_base64url_payload_whatever_its_padding():
    for roles in (["Group.ReadWrite.All"], ["a"], ["ab"], ["abc"]):  # each padding length
        claims = token_claims(jwt(json.dumps({"roles": roles, "oid": "x"}).encode()))
        assert claims == {"roles": roles, "oid": "x"}
        assert roles_claim(claims) == roles


@pytest.mark.parametrize(
    "token",
    ["local-development-token", "a.b", "a.!!!.c", jwt(b"not json"), jwt(b"[1, 2]")],
    ids=["not a jwt", "two parts", "not base64", "not json", "not an object"],
)
def test_a_token_that_is_not_a_jwt_has_no_claims(token):
    assert token_claims(token) is None
    assert roles_claim(token_claims(token)) is None


def test_a_users_token_has_no_roles_claim():
    assert roles_claim({"scp": "Group.ReadWrite.All", "upn": "admin@contoso.example"}) is None


def test_missing_roles_are_those_neither_held_nor_granted_by_a_broader_one():
    assert missing_roles([], REQUIRED_ROLES) == list(REQUIRED_ROLES)
    assert missing_roles(REQUIRED_ROLES, REQUIRED_ROLES) == []
    assert missing_roles(["Group.Read.All", "Group.Create"], ["Group.ReadWrite.All"]) == [
        "Group.ReadWrite.All"
    ]
    broader = ["DeviceManagementServiceConfig.ReadWrite.All", "Directory.ReadWrite.All"]
    assert missing_roles(broader, REQUIRED_ROLES) == []
    assert broader_held(broader, REQUIRED_ROLES) == broader


def test_the_exit_code_is_0_when_all_passed_1_when_a_check_failed_2_when_the_settings_did():
    passed = Check("settings", True, "fine")
    assert Checklist([passed, Check("x", True, "ok")]).exit_code == 0
    assert Checklist([passed, Check("x", False, "no", "fix it")]).exit_code == 1
    assert Checklist([Check("settings", False, "bad"), Check("x", False, "no")]).exit_code == 2


def test_the_checklist_shows_a_mark_per_check_a_fix_per_failure_and_what_it_cannot_check():
    text = Checklist(
        [Check("a", True, "fine", "unused"), Check("b", False, "broken", "mend")]
    ).render()

    assert "✓ a: fine\n✗ b: broken\n    fix: mend\n" in text
    assert "unused" not in text
    assert all(item in text for item in NOT_CHECKED)
    assert text.endswith("1 of 2 checks passed.\n")
