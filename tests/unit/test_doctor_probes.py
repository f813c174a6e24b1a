"""The doctor's own rules, without Graph: a time budget that keeps it under a minute, the
permissions it asks for, and how it reads the upsert probe's answers."""

from __future__ import annotations

import asyncio

import pytest

from shared.cli import doctor
from shared.config.catalogue_file import load_catalogue
from shared.config.settings import Settings
from shared.core.errors import PermissionDeniedError
from shared.core.permissions import required_roles
from shared.core.preflight import Check

REQUIRED_ROLES = required_roles(load_catalogue())  # the shipped catalogue's


def test_with_graph_unreachable_the_timeouts_add_up_to_less_than_a_minute():
    # The token, one Graph request (later ones are skipped once Graph did not answer) and one
    # queue (likewise) are all that can each wait a whole timeout.
    assert 3 * doctor.CHECK_TIMEOUT < 60


def test_the_doctor_asks_for_the_permissions_the_settings_need_in_one_place():
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
