"""The emulator's Intune side, seeded and inspected in process: Autopilot deployment
profiles, enrollment configurations (the ESP) and configuration policies (Autopilot device
preparation), with their assignments and membership targets. A mixin of ``Emulator``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph_emulator.enrollment_configurations import RemovedAssignment
from graph_emulator.intune_assignments import TARGET_TYPES, seed_target
from graph_emulator.service import GraphService

JsonDict = dict[str, Any]


class IntuneSeeding:
    """Seeding (visible at once), an admin's changes (through the lag) and inspection."""

    _service: GraphService

    def groups(self) -> list[JsonDict]:
        """The true current state of every group (ignoring lag), every property."""
        return self._service.state.current_groups()

    def _new_id(self) -> str:
        raise NotImplementedError

    # --- Autopilot profiles and enrollment configurations ---

    def add_autopilot_profile(self, profile: JsonDict) -> JsonDict:
        """A deployment profile (``displayName`` at least) and its optional ``assignments``
        (group ids or displayNames, or target dicts), as if it had always existed."""
        body = dict(profile)
        entries = body.pop("assignments", None) or ()
        stored = self._service.profiles.add_profile(body, body.get("id") or self._new_id())
        groups = self.groups() if entries else []
        for entry in entries:
            self._service.profiles.add_assignment(stored["id"], seed_target(entry, groups))
        return stored

    def add_profile_assignment(
        self, profile_id: str, group: str | None = None, *, target_type: str = "group"
    ) -> JsonDict:
        """Seed one assignment: ``target_type`` group, exclusionGroup or allDevices (no group);
        ``group`` is an id or a displayName. Returns it as Graph lists it."""
        entry: JsonDict = {"@odata.type": TARGET_TYPES[target_type], "groupId": group}
        target = seed_target(entry, self.groups())
        return self._service.profiles.add_assignment(profile_id, target)

    def add_enrollment_configuration(self, configuration: JsonDict) -> JsonDict:
        """An enrollment configuration of any kind (``@odata.type`` a type or esp, limit,
        platformRestrictions, windowsHelloForBusiness; the ESP by default), with optional
        ``priority`` (next free) and ``assignments`` as for profiles."""
        body = dict(configuration)
        entries = body.pop("assignments", None) or ()
        stored = self._service.enrollment.add_configuration(
            body, "" if "id" in body else self._new_id()
        )
        groups = self.groups() if entries else []
        for entry in entries:
            self._service.enrollment.seed_assignment(stored["id"], seed_target(entry, groups))
        return stored

    def set_esp_assignments(self, config_id: str, targets: Iterable[str | JsonDict]) -> None:
        """An admin's own change: the list becomes ``targets`` (as for seeding) through the
        true state, so reads see it after the lag; logged as ``admin``, not as the app's."""
        groups = self.groups()
        resolved = [seed_target(entry, groups) for entry in targets]
        self._service.enrollment.set_assignments(config_id, resolved, "admin")

    # --- configuration policies (Autopilot device preparation) ---

    def add_configuration_policy(self, policy: JsonDict) -> JsonDict:
        """A settings catalog policy (``name`` at least); ``template`` is
        devicePreparationUserDriven, devicePreparationAutomatic, macOSEnrollment or
        settingsCatalog (the default); an optional ``membershipTarget`` (a group's id or
        displayName) is the target it has always had. Returns the stored policy."""
        body = dict(policy)
        target = body.pop("membershipTarget", None)
        policies = self._service.policies
        stored = policies.add_policy(body, body.get("id") or self._new_id())
        if target is not None:
            policies.targets.seed(stored["id"], self._group_id(target))
        return stored

    def configuration_policies(self) -> list[JsonDict]:
        return self._service.policies.policies()

    def set_membership_target(self, policy_id: str, group: str | None) -> None:
        """An admin points the policy at ``group`` (an id or displayName; None clears it)
        in the admin center: a write now through the true state, without the app's checks
        (an admin's group may be dynamic or ownerless); reads see it after the lag."""
        policy = self._service.policies.policy(policy_id)
        group_id = self._group_id(group) if group is not None else None
        self._service.policies.targets.commit(policy["id"], group_id)

    def membership_target(self, policy_id: str) -> str | None:
        """The policy's target group id in the true state (ignoring lag), or None."""
        policy = self._service.policies.policy(policy_id)
        return self._service.policies.targets.current(policy["id"])

    def membership_target_history(self, policy_id: str) -> list[str | None]:
        """Every target the policy has had, oldest first (its seeded one included)."""
        policy = self._service.policies.policy(policy_id)
        return self._service.policies.targets.history(policy["id"])

    def _group_id(self, group: str) -> str:
        target = seed_target(group, self.groups())
        assert target.group_id is not None
        return target.group_id

    # --- inspection ---

    def autopilot_profiles(self) -> list[JsonDict]:
        return self._service.profiles.profiles()

    def profile_assignments(self, profile_id: str) -> list[JsonDict]:
        """A profile's assignments in the true state (ignoring lag), as Graph lists them."""
        return self._service.profiles.assignments_of(profile_id)

    def groups_on_several_profiles(self) -> dict[str, list[str]]:
        """{group id: [profile ids]} for groups included by more than one profile (All
        devices counts under its virtual id); Intune would give their devices the oldest."""
        return self._service.profiles.groups_on_several_profiles()

    def duplicate_profile_assignments(self) -> list[tuple[str, str]]:
        """(profile id, group id) with more than one assignment row; empty by construction."""
        return self._service.profiles.duplicate_assignments()

    def enrollment_configurations(self) -> list[JsonDict]:
        return self._service.enrollment.configurations()

    def esp_assignments(self, config_id: str) -> list[JsonDict]:
        """An enrollment configuration's assignments in the true state (ignoring lag)."""
        return self._service.enrollment.assignments_of(config_id)

    @property
    def esp_assignments_removed(self) -> list[RemovedAssignment]:
        """Targets that ``assign`` requests over HTTP removed, each compared with the true
        state just before that request: what the app dropped (admin changes excluded)."""
        return [r for r in self._service.enrollment.removals() if r.source == "http"]

    def all_esp_assignment_removals(self) -> list[RemovedAssignment]:
        """Every removal, the admin's (``set_esp_assignments``) included, with its source."""
        return self._service.enrollment.removals()
