"""The chaos run: faults of every kind, replication lag, overlapping timer runs and a flood of
queue requests, through the local Functions host, Azurite and the Graph emulator.

It checks what the app promises (one group per key, canonical rules, every request answered
exactly once, failures in the poison queue, nothing lost) and returns the figures. The test
``test_chaos.py`` asserts on them; this module's command line prints them, so the figures in
``docs/guarantees.md`` can be produced again by anyone::

    python -m tests.resilience.chaos            # the CI profile
    python -m tests.resilience.chaos --long     # 20 timer runs, 1,000 requests, 50 tags, 5 s lag

Set ``CHAOS_REPORT=path.json`` to also write the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graph_emulator import FAULT_KINDS, Emulator, ManualClock
from local_runner import Azurite, InvocationOutcome
from shared.config.catalogue_file import SHIPPED_CATALOGUE
from shared.config.settings import Settings
from shared.core.model import Kind, fold
from shared.core.naming import unique_name
from shared.core.rules import ALL_DEVICES_RULE, build_rule, parse_target
from shared.shell.reconcile import run_reconcile
from tests.queue_app import QueueApp
from tests.resilience.checks import single_comparison

PERMISSIONS = [
    "DeviceManagementServiceConfig.ReadWrite.All",
    "Group.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",  # the device preparation policy
    "Application.Read.All",  # the Intune Provisioning Client, its group's owner
]
DEADLINE_SECONDS = 900.0  # a bound on waiting, never an expectation of speed
SUFFIXES = {
    "UD": "user-driven",
    "SD": "self-deploying",
    "HYB": "user-driven-hybrid",
    "PP": "pre-provisioning",
}


@dataclass(frozen=True)
class Profile:
    name: str
    tags: int
    requests: int
    timer_runs: int
    lag_seconds: float
    real_clock: bool  # False: a manual clock the run advances between its two phases
    fault_rate: float = 0.2
    seed: int = 7
    # Retry-After values for 429s, one per documented form: whole seconds, fractional seconds,
    # an HTTP-date (the emulator dates it 1-2 s ahead). Form names take the emulator's values.
    retry_after: tuple[str, ...] = ("seconds", "fractional", "http-date")


CI = Profile(
    "ci",
    tags=10,
    requests=100,
    timer_runs=4,
    lag_seconds=5.0,
    real_clock=False,
    retry_after=("0", "0.05", "http-date"),
)
LONG = Profile("long", tags=50, requests=1000, timer_runs=20, lag_seconds=5.0, real_clock=True)


def tag_names(count: int) -> list[str]:
    suffixes = list(SUFFIXES)
    return [f"CHAOS{i:02d}-{suffixes[i % len(suffixes)]}" for i in range(count)]


def request_for(index: int, tags: list[str]) -> dict[str, Any]:
    # One ticket in seven is for the device preparation scenario (seven is prime to the tag
    # counts, so every tag still gets its own tickets).
    if index % 7 == 6:
        return {
            "requestId": f"CHAOS-{index:05d}",
            "scenario": PREP_SCENARIO,
            "requestedBy": "chaos@contoso.example",
        }
    tag = tags[index % len(tags)]
    spelled = tag.lower() if index % 3 == 1 else tag  # the same tag, as people type it
    return {
        "requestId": f"CHAOS-{index:05d}",
        "scenario": SUFFIXES[tag.rsplit("-", 1)[1]],
        "groupTag": spelled,
        "requestedBy": "chaos@contoso.example",
    }


# The scenarios' targets: two scenarios share one ESP, so their writers meet at its lock; an
# admin's own assignment sits on it from the start; one scenario has a profile and no ESP.
TARGETS = {
    "user-driven": {"autopilotProfile": "Chaos UD", "enrollmentStatusPage": "Chaos ESP"},
    "self-deploying": {"autopilotProfile": "Chaos SD", "enrollmentStatusPage": "Chaos ESP"},
    "user-driven-hybrid": {"autopilotProfile": "Chaos HYB"},
}
ADMIN_GROUP = "Admin pilot"
# A device preparation scenario: one assigned group, owned by the Intune Provisioning Client,
# as its policy's target.
PREP_SCENARIO, PREP_POLICY = "chaos-prep", "Chaos prep"
PREP_KEY = unique_name(Kind.DEVICE_PREPARATION, PREP_SCENARIO)


def write_catalogue(folder: Path) -> Path:
    document = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    for scenario in document["scenarios"]:
        scenario.update(TARGETS.get(scenario["key"], {}))
    document["scenarios"].append(
        {
            "key": PREP_SCENARIO,
            "label": "Chaos, device preparation",
            "displayName": {"tag": "Chaos prep - {value}", "purchaseOrder": "Chaos prep - {value}"},
            "devicePreparationPolicy": PREP_POLICY,
        }
    )
    path = folder / "chaos-scenarios.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def seed_targets(emu: Emulator) -> dict[str, str]:
    """The profiles and the ESP the catalogue names (fresh ids: the ledger is keyed by them),
    and the admin's assignment on the ESP. Returns name -> id."""
    ids: dict[str, str] = {}
    for name in sorted({t["autopilotProfile"] for t in TARGETS.values()}):
        ids[name] = emu.add_autopilot_profile({"id": str(uuid.uuid4()), "displayName": name})["id"]
    admin = emu.add_group({"displayName": ADMIN_GROUP, "mailNickname": "adminpilot"})
    esp = emu.add_enrollment_configuration(
        {
            "id": f"{uuid.uuid4()}_Windows10EnrollmentCompletionPageConfiguration",
            "displayName": "Chaos ESP",
            "assignments": [admin["id"]],
        }
    )
    ids["Chaos ESP"], ids[ADMIN_GROUP] = esp["id"], admin["id"]
    policy = {"name": PREP_POLICY, "template": "devicePreparationUserDriven"}
    ids[PREP_POLICY] = emu.add_configuration_policy(policy)["id"]
    ids["Provisioning Client"] = emu.add_provisioning_client()["id"]
    return ids


def run(profile: Profile, azurite: Azurite) -> dict[str, Any]:
    """Run the chaos profile; return its figures and the problems found (empty when all held)."""
    started = time.monotonic()
    tags = tag_names(profile.tags)
    clock = None if profile.real_clock else ManualClock()
    devices = [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "serialNumber": f"SN{i:06d}",
            "groupTag": tags[i % len(tags)] if (i % len(tags)) % 2 == 0 else "",
        }
        for i in range(profile.tags * 3)
    ]
    tenant = {"grantedPermissions": PERMISSIONS, "devices": devices, "groups": []}
    with (
        Emulator(tenant=tenant, lag_seconds=profile.lag_seconds, clock=clock) as emu,
        tempfile.TemporaryDirectory() as folder,
    ):
        ids = seed_targets(emu)
        env = {"MAX_NEW_GROUPS_PER_RUN": "500", "SCENARIO_FILE": str(write_catalogue(Path(folder)))}
        with QueueApp.start(azurite.connection_string, emu.base_url, **env) as app:
            emu.faults.set_rate(
                profile.fault_rate, kinds=FAULT_KINDS, seed=profile.seed, latency_seconds=0.05
            )
            documents = [request_for(i, tags) for i in range(profile.requests)]
            outcomes: list[InvocationOutcome] = []
            timers: list[InvocationOutcome] = []
            half_requests, half_timers = profile.requests // 2, profile.timer_runs // 2
            phases = [
                (documents[:half_requests], half_timers),
                (documents[half_requests:], profile.timer_runs - half_timers),
            ]
            with _serving(app, outcomes):
                for number, (batch, timer_runs) in enumerate(phases):
                    if number and clock is not None:
                        clock.advance(profile.lag_seconds)  # phase 1's writes become readable
                    _phase(app, batch, timer_runs, timers)
            injected = emu.faults.counts()
            emu.faults.clear()
            if clock is not None:
                clock.advance(profile.lag_seconds)
            settings = Settings.from_env(
                {
                    "GRAPH_BASE_URL": emu.base_url,
                    "GRAPH_RETRY_DELAY_SECONDS": "0",
                    "AzureWebJobsStorage": azurite.connection_string,
                    **env,
                }
            )
            leftover = _converged_plan(settings, deadline=profile.lag_seconds + 60)
            assignments_left = _converged_assignments(settings, clock, profile.lag_seconds)
            results, poison = app.results(), app.poison()
            pending = sum(app.host.pending().values())
            return _figures(
                profile,
                tags,
                documents,
                outcomes,
                timers,
                results,
                poison,
                pending,
                emu,
                injected,
                leftover,
                _assignment_figures(emu, ids, results, assignments_left),
                time.monotonic() - started,
            )


@contextlib.contextmanager
def _serving(app: QueueApp, outcomes: list[InvocationOutcome]) -> Iterator[None]:
    """The host listening on the request queue, as in Azure, until the block ends."""
    stop = threading.Event()
    listener = threading.Thread(
        target=app.host.serve, args=(stop, outcomes.append), name="host-serve", daemon=True
    )
    listener.start()
    try:
        yield
    finally:
        stop.set()
        listener.join(timeout=DEADLINE_SECONDS)


def _phase(
    app: QueueApp,
    batch: list[dict[str, Any]],
    timer_runs: int,
    timers: list[InvocationOutcome],
) -> None:
    """Send the requests while ``timer_runs`` timer invocations overlap the queue's processing;
    return once the request queue is empty (bounded) and every timer run has ended."""
    threads = [
        threading.Thread(target=lambda: timers.append(app.host.fire_timer()), name=f"timer-{i}")
        for i in range(timer_runs)
    ]
    for document in batch[: len(batch) // 2]:
        app.send(document)
    for thread in threads:
        thread.start()
    for document in batch[len(batch) // 2 :]:
        app.send(document)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while sum(app.host.pending().values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _converged_plan(settings: Settings, deadline: float) -> dict[str, int]:
    """With the faults off, plan until Graph shows every write (bounded); what is left to do."""
    end = time.monotonic() + deadline
    while True:
        report = asyncio.run(run_reconcile(settings, apply=False))
        totals = report.totals()
        left = {
            "create": totals["create"],
            "repair": totals["repair"],
            "drift": totals["drift"],
            "error": int(report.error is not None),
        }
        if not any(left.values()) or time.monotonic() >= end:
            return left
        time.sleep(0.2)


def _converged_assignments(
    settings: Settings, clock: ManualClock | None, lag_seconds: float
) -> dict[str, int]:
    """The next timer tick, faults off, then what a plan still finds to assign. A run may leave a
    group's assignments for the next one (its id unknown while Graph's reads lag: deferred)."""
    asyncio.run(run_reconcile(settings, apply=True))
    if clock is not None:
        clock.advance(lag_seconds)
    else:
        time.sleep(lag_seconds)
    totals = asyncio.run(run_reconcile(settings, apply=False)).assignment_totals()
    return {action: totals[action] for action in ("assign", "repair", "drift", "skip", "failed")}


def _assignment_figures(
    emu: Emulator,
    ids: dict[str, str],
    results: list[dict[str, Any]],
    left: dict[str, int],
) -> dict[str, Any]:
    esp = [a["target"].get("groupId") for a in emu.esp_assignments(ids["Chaos ESP"])]
    statuses: Counter[str] = Counter(
        a["status"] for r in results for a in (r.get("assignments") or {}).values()
    )
    return {
        "espWrites": sum(r.path.endswith("/assign") for r in emu.requests),
        "profilePosts": sum(
            r.method == "POST" and r.path.endswith("/assignments") for r in emu.requests
        ),
        "removedByAnEspWrite": len(emu.esp_assignments_removed),
        "duplicateProfileAssignments": len(emu.duplicate_profile_assignments()),
        "groupsOnSeveralProfiles": len(emu.groups_on_several_profiles()),
        "adminAssignmentKept": ids[ADMIN_GROUP] in esp,
        "espAssignments": len(esp),
        "requestStatuses": dict(sorted(statuses.items())),
        "leftAfterNextRun": left,
        "devicePreparation": _preparation_figures(emu, ids),
    }


def _preparation_figures(emu: Emulator, ids: dict[str, str]) -> dict[str, Any]:
    """The device preparation scenario's group, its owners, and every target its policy had."""
    groups = [g for g in emu.groups() if (g.get("uniqueName") or "") == PREP_KEY]
    group = groups[0] if len(groups) == 1 else {}
    history = emu.membership_target_history(ids[PREP_POLICY])
    return {
        "groups": len(groups),
        "assigned": bool(group)
        and "DynamicMembership" not in (group.get("groupTypes") or [])
        and bool(group.get("securityEnabled"))
        and not group.get("mailEnabled"),
        "ownedByTheClient": bool(group) and ids["Provisioning Client"] in emu.owners(group["id"]),
        "target": emu.membership_target(ids[PREP_POLICY]),
        "targetIsItsGroup": bool(group) and emu.membership_target(ids[PREP_POLICY]) == group["id"],
        "otherTargetsEver": sorted({t for t in history if t and t != group.get("id")}),
        "ownerWrites": sum(r.path.endswith("/owners/$ref") for r in emu.requests),
        "targetWrites": sum(
            r.path.endswith("setEnrollmentTimeDeviceMembershipTarget") for r in emu.requests
        ),
    }


def _figures(
    profile: Profile,
    tags: list[str],
    documents: list[dict[str, Any]],
    outcomes: list[InvocationOutcome],
    timers: list[InvocationOutcome],
    results: list[dict[str, Any]],
    poison: list[bytes],
    pending: int,
    emu: Emulator,
    injected: dict[str, int],
    leftover: dict[str, int],
    assignments: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    problems: list[str] = []
    if assignments["removedByAnEspWrite"]:
        problems.append(f"ESP writes removed {emu.esp_assignments_removed[:5]}")
    if assignments["duplicateProfileAssignments"] or assignments["groupsOnSeveralProfiles"]:
        problems.append(f"profile assignments duplicated or doubled: {assignments}")
    if not assignments["adminAssignmentKept"]:
        problems.append("the admin's own ESP assignment is gone")
    # Nobody takes anything off or assigns anything elsewhere in this run: an answer saying so
    # is not true (found once: an earlier write beside a lost one read as "taken off").
    untrue = {s: n for s, n in assignments["requestStatuses"].items() if s in ("drift", "conflict")}
    if untrue:
        problems.append(f"answers report assignments nobody changed: {untrue}")
    prep = assignments["devicePreparation"]
    if not (prep["groups"] == 1 and prep["assigned"] and prep["ownedByTheClient"]):
        problems.append(f"the device preparation group is not one, assigned and owned: {prep}")
    if not prep["targetIsItsGroup"] or prep["otherTargetsEver"]:
        problems.append(f"the device preparation policy pointed elsewhere: {prep}")
    if any(assignments["leftAfterNextRun"].values()):
        problems.append(f"assignments left after the next run: {assignments['leftAfterNextRun']}")
    sent_ids = [d["requestId"] for d in documents]
    answered = Counter(r["requestId"] for r in results)
    twice = sorted(i for i, n in answered.items() if n > 1)
    lost = sorted(set(sent_ids) - set(answered))
    strange = sorted(set(answered) - set(sent_ids))
    if twice:
        problems.append(f"answered more than once: {twice[:10]}")
    if lost:
        problems.append(f"never answered: {lost[:10]}")
    if strange:
        problems.append(f"answers to unknown requests: {strange[:10]}")
    if pending:
        problems.append(f"{pending} messages left on the request queue")

    failed_ids = sorted(r["requestId"] for r in results if r["status"] == "failed")
    poison_ids = sorted(json.loads(body)["requestId"] for body in poison)
    if failed_ids != poison_ids:
        problems.append(f"failed answers {failed_ids[:10]} != poison copies {poison_ids[:10]}")
    for result in results:
        if result["status"] == "failed" and "poison" not in result["errors"][0]["message"]:
            problems.append(f"{result['requestId']} failed without a retry: {result['errors']}")
        if result["status"] == "rejected":
            problems.append(f"{result['requestId']} rejected: {result['errors']}")

    groups = emu.groups()
    keys = Counter((g.get("uniqueName") or "").casefold() for g in groups)
    duplicate_keys = sorted(k for k, n in keys.items() if n > 1)
    targets: Counter[tuple[str, str]] = Counter()
    non_canonical = []
    for group in groups:
        if group["displayName"] == ADMIN_GROUP:  # the admin's static group on the ESP
            continue
        if group.get("uniqueName") == PREP_KEY:  # assigned, no rule: checked on its own
            continue
        rule = group.get("membershipRule") or ""
        target = parse_target(rule)
        if target is None:
            non_canonical.append(rule)
            continue
        targets[(target.kind.value, fold(target.value))] += 1
        canonical = (
            ALL_DEVICES_RULE
            if target.kind is Kind.ALL_DEVICES
            else build_rule(target.kind, target.value)
        )
        if rule != canonical:
            non_canonical.append(rule)
        elif target.kind is not Kind.ALL_DEVICES:
            single_comparison(rule)
    duplicate_targets = sorted(t for t, n in targets.items() if n > 1)
    if duplicate_keys or duplicate_targets:
        problems.append(f"duplicate groups: keys {duplicate_keys}, targets {duplicate_targets}")
    if non_canonical:
        problems.append(f"rules not canonical: {non_canonical[:5]}")
    by_key = {(g.get("uniqueName") or ""): g["id"] for g in groups}
    for tag in tags:
        if unique_name(Kind.TAG, tag) not in by_key:
            problems.append(f"no group for {tag}")
    for result in results:
        group = result.get("group") or {}
        if group.get("id") and by_key.get(group["uniqueName"]) != group["id"]:
            problems.append(f"{result['requestId']} names a group that is not its key's")
    if any(leftover.values()):
        problems.append(f"a clean plan after the run still has work: {leftover}")

    invocations = Counter(o.status for o in outcomes)
    return {
        "profile": asdict(profile),
        "faultsInjected": dict(sorted(injected.items())),
        "faultsTotal": sum(injected.values()),
        "graphRequests": len(emu.requests),
        "timerRuns": {
            "ok": sum(t.status == "succeeded" for t in timers),
            "failed": sum(t.status != "succeeded" for t in timers),
        },
        "timerErrors": sorted({(t.error or "")[:300] for t in timers if t.status != "succeeded"}),
        "requests": len(documents),
        "invocations": dict(sorted(invocations.items())),
        "results": dict(sorted(Counter(r["status"] for r in results).items())),
        "answeredOnce": sum(1 for n in answered.values() if n == 1),
        "poison": len(poison),
        "lost": len(lost),
        "groups": len(groups),
        "duplicateGroups": len(duplicate_keys) + len(duplicate_targets),
        "nonCanonicalRules": len(non_canonical),
        "cleanPlanAfterRun": leftover,
        "assignments": assignments,
        "seconds": round(seconds, 1),
        "problems": problems,
    }


def describe(figures: dict[str, Any]) -> str:
    p = figures["profile"]
    lines = [
        f"chaos ({p['name']}): {p['timer_runs']} overlapping timer runs, {figures['requests']} "
        f"requests over {p['tags']} tags, {p['fault_rate']:.0%} faults, "
        f"{p['lag_seconds']:g} s replication lag ({'real' if p['real_clock'] else 'manual'} clock)",
        f"  faults injected: {figures['faultsTotal']} {figures['faultsInjected']} "
        f"in {figures['graphRequests']} Graph requests",
        f"  timer runs: {figures['timerRuns']}; queue invocations: {figures['invocations']}",
        f"  results: {figures['results']}; answered exactly once: {figures['answeredOnce']}"
        f"/{figures['requests']}; poison: {figures['poison']}; lost: {figures['lost']}",
        f"  groups: {figures['groups']}; duplicates: {figures['duplicateGroups']}; "
        f"rules not canonical: {figures['nonCanonicalRules']}; "
        f"clean plan afterwards: {figures['cleanPlanAfterRun']}",
        "  assignments: {espWrites} ESP writes and {profilePosts} profile POSTs; removed by an "
        "ESP write: {removedByAnEspWrite}; duplicated: {duplicateProfileAssignments}; groups on "
        "several profiles: {groupsOnSeveralProfiles}; admin's kept: {adminAssignmentKept}; "
        "request statuses: {requestStatuses}; left after the next run: {leftAfterNextRun}".format(
            **figures["assignments"]
        ),
        "  device preparation: {groups} group, assigned: {assigned}, owned by the Provisioning "
        "Client: {ownedByTheClient}, the policy's target is it: {targetIsItsGroup}, other "
        "targets ever: {otherTargetsEver}; {ownerWrites} owner and {targetWrites} target "
        "writes".format(**figures["assignments"]["devicePreparation"]),
        f"  problems: {figures['problems'] or 'none'}  ({figures['seconds']} s)",
    ]
    return "\n".join(lines)


def report(figures: dict[str, Any]) -> None:
    print(describe(figures))
    path = os.environ.get("CHAOS_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.resilience.chaos")
    parser.add_argument("--long", action="store_true", help="the long profile")
    args = parser.parse_args(argv)
    with Azurite() as azurite:
        figures = run(LONG if args.long else CI, azurite)
    report(figures)
    return 1 if figures["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
