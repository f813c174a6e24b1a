"""The app's Graph requests per reconcile equal their lower bound (the CI part of ``make bench``).

Pages of devices + pages of the groups the app must see + groups written, counted in the
emulator's request log; the bound is computed from the tenant (``bench.floors``), not from the
app. No timings are asserted here: those are measured by ``python -m bench``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bench.floors import lower_bound
from graph_emulator import Emulator, generate_tenant
from shared.shell.reconcile import run_reconcile
from shared.shell.report import Report
from tests.conftest import settings_for

DEVICES, TAGS, PAGE_SIZE = 1000, 50, 100


@pytest.fixture
def tenant() -> Iterator[Emulator]:
    with Emulator(generate_tenant(DEVICES, TAGS, seed=3), page_size=PAGE_SIZE) as emu:
        yield emu


def reconcile(emu: Emulator) -> Report:
    emu.clear_requests()
    report = asyncio.run(run_reconcile(settings_for(emu), apply=True))
    assert report.ok, report.summary()
    return report


def test_a_first_run_sends_exactly_the_lower_bound_of_requests(tenant):
    before = tenant.groups()

    report = reconcile(tenant)

    floor = lower_bound(DEVICES, PAGE_SIZE, before, tenant.groups())
    assert floor.device_pages == 10 and floor.writes > 40  # several pages, many creates
    assert len(tenant.requests) == floor.total
    assert report.graph_requests == floor.total


def test_a_steady_state_run_sends_only_the_pages(tenant):
    reconcile(tenant)
    settled = tenant.groups()

    report = reconcile(tenant)

    floor = lower_bound(DEVICES, PAGE_SIZE, settled, tenant.groups())
    assert floor.writes == 0
    assert len(tenant.requests) == floor.total == floor.device_pages + floor.group_pages
    assert report.graph_requests == floor.total
