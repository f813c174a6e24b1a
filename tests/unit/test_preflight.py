"""The doctor's pure part: a token's claims read without trusting it, its roles against those the
app needs, the checklist's exit codes, and a time budget that keeps the doctor under a minute."""

from __future__ import annotations

import base64
import json

import pytest

from shared.config.catalogue_file import load_catalogue
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
from shared.shell import doctor

REQUIRED_ROLES = required_roles(load_catalogue())  # the shipped catalogue's


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


def test_with_graph_unreachable_the_timeouts_add_up_to_less_than_a_minute():
    # The token, one Graph request (later ones are skipped once Graph did not answer) and one
    # queue (likewise) are all that can each wait a whole timeout.
    assert 3 * doctor.CHECK_TIMEOUT < 60


def test_the_doctor_asks_for_the_permissions_the_settings_need_in_one_place():
    from shared.config.settings import Settings

    assert doctor.needed_roles(Settings.from_env({})) == REQUIRED_ROLES


class UpsertRoute:
    """A gateway whose PATCH on a key answers as given."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.keys: list[str] = []

    async def patch_by_key(self, unique_name: str, changes: dict[str, str]) -> str:
        self.keys.append(unique_name)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def probe_upsert_route(answer: str | Exception) -> tuple[Check, list[str]]:
    import asyncio

    from shared.config.settings import Settings

    gateway = UpsertRoute(answer)
    check, answered = asyncio.run(
        doctor._attempt(
            doctor.UPSERT_CHECK,
            doctor._upsert_route(gateway),  # type: ignore[arg-type]
            1.0,
            Settings.from_env({}),
        )
    )
    assert answered
    return check, gateway.keys


def test_the_upsert_probe_passes_on_404_for_a_key_never_used():
    check, [key] = probe_upsert_route("missing")
    assert check.ok and "answered 404" in check.detail
    assert key.startswith(doctor.PROBE_PREFIX) and key in check.detail
    assert probe_upsert_route("missing")[1] != [key]  # a new random key each time


def test_a_403_to_the_upsert_probe_names_group_readwrite_all():
    from shared.core.errors import PermissionDeniedError

    check, _ = probe_upsert_route(PermissionDeniedError("Group.ReadWrite.All", "update a group"))
    assert not check.ok and "lacks Group.ReadWrite.All" in check.detail
    assert "grant-permissions" in check.fix


@pytest.mark.parametrize(("answer", "said"), [("created", "201"), ("updated", "204")])
def test_a_2xx_to_the_upsert_probe_is_reported_as_graph_differing_from_its_documentation(
    answer, said
):
    check, [key] = probe_upsert_route(answer)
    assert not check.ok and said in check.detail and "documentation says 404" in check.detail
    assert key in check.fix
