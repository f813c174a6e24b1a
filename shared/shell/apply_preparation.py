"""A device preparation policy's target, set to the app's group and read back.

The Intune Provisioning Client must own the group first (its owner entry is written before the
policy's, in the same run). Graph answers a refused target with a 200 and a validation code,
reported by name. Right after the app added the owner (and so for a group it made in the same
run), ``firstPartyAppNotAnOwner`` and ``securityGroupNotFound`` are Graph not showing the new
owner or group to Intune yet: deferred to the next run, which finds them. A 500 (reported for
this action, and possibly after it committed) is read back before it counts as failed.
"""

from __future__ import annotations

from collections.abc import Collection

from shared.core.errors import PermanentGraphError, TransientGraphError
from shared.core.plan import Done, Outcome
from shared.graph.gateway import GraphGateway

OWNER_NOT_SHOWN_YET = Outcome(
    Done.DEFERRED,
    retry=True,
    note="the owner was added moments ago and Intune does not see it yet; the next run",
)
GROUP_NOT_SHOWN_YET = Outcome(
    Done.DEFERRED,
    retry=True,
    note="the group was made moments ago and Graph does not show it yet; the next run",
)
OWNER_NOT_WRITTEN = Outcome(
    Done.DEFERRED,
    retry=True,
    note="the Provisioning Client is not the group's owner yet (that write did not succeed)",
)
# What Intune says of a group it cannot see yet, or whose new owner it cannot see yet.
NOT_SHOWN_YET = {"firstPartyAppNotAnOwner", "securityGroupNotFound"}


async def set_target(
    gateway: GraphGateway,
    policy_id: str,
    pending: list[tuple[int, str]],
    owners_added: Collection[str],
) -> dict[int, Outcome]:
    """Point the policy at each pending group (one, a scenario's), read back what it holds."""
    done: dict[int, Outcome] = {}
    for index, group_id in pending:
        try:
            status = await gateway.set_policy_target(policy_id, group_id)
        except TransientGraphError as error:
            back = await gateway.policy_target(policy_id)
            done[index] = (
                Outcome(Done.ASSIGNED) if group_id in back.groups else Outcome.failed(error)
            )
            continue
        if status.failed:
            codes = set(status.failed.values())
            if group_id in owners_added and codes <= NOT_SHOWN_YET:
                not_found = "securityGroupNotFound" in codes
                done[index] = GROUP_NOT_SHOWN_YET if not_found else OWNER_NOT_SHOWN_YET
                continue
            refused = PermanentGraphError(
                f"set a device preparation policy's group: Graph refused it: {status.said()}",
                status=200,
                code=",".join(sorted(codes)),
            )
            done[index] = Outcome.failed(refused)
            continue
        back = await gateway.policy_target(policy_id)
        done[index] = Outcome(Done.ASSIGNED, shown=group_id in back.groups)
    return done
