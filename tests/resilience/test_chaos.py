"""The chaos run (see chaos.py): under faults of every kind, replication lag and overlapping
runs, exactly one group per key, canonical rules, every request answered exactly once, failures
kept in the poison queue, nothing lost; and no profile or ESP assignment lost (not even for a
moment), duplicated, or doubled onto a second profile; the device preparation scenario's one
assigned group owned by the Intune Provisioning Client, and its policy never pointed elsewhere.
``pytest --long`` runs the full numbers.
"""

from __future__ import annotations

import pytest

from tests.resilience import chaos


@pytest.mark.slow
def test_chaos_loses_nothing_and_duplicates_nothing(azurite, long_profile):
    figures = chaos.run(chaos.LONG if long_profile else chaos.CI, azurite)
    chaos.report(figures)

    assert figures["problems"] == []
    assert figures["lost"] == 0 and figures["duplicateGroups"] == 0
    assert figures["answeredOnce"] == figures["requests"]
    assert figures["poison"] == figures["results"].get("failed", 0)
    injected = figures["faultsInjected"]
    assert set(injected) == set(chaos.FAULT_KINDS), injected  # every kind was really injected
    assignments = figures["assignments"]
    assert assignments["removedByAnEspWrite"] == 0  # not even for a moment
    assert assignments["duplicateProfileAssignments"] == 0
    assert assignments["groupsOnSeveralProfiles"] == 0
    assert assignments["adminAssignmentKept"]
    assert assignments["espWrites"] > 0 and assignments["profilePosts"] > 0  # writers did meet
    prep = assignments["devicePreparation"]  # one assigned group, owned, the only target ever
    assert prep["groups"] == 1 and prep["assigned"] and prep["ownedByTheClient"]
    assert prep["targetIsItsGroup"] and prep["otherTargetsEver"] == []
    assert prep["ownerWrites"] > 0 and prep["targetWrites"] > 0
