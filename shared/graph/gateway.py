"""``GraphGateway``: what the app asks of Microsoft Graph, in the project's own types.

One class, one client, assembled from a module per resource family, so a call site needs only
the gateway and each family's requests live beside its types.
"""

from __future__ import annotations

from shared.graph.device_preparation import PreparationCalls
from shared.graph.devices import DeviceCalls
from shared.graph.groups import GroupCalls
from shared.graph.intune import IntuneCalls
from shared.graph.principals import PrincipalCalls


class GraphGateway(DeviceCalls, GroupCalls, IntuneCalls, PrincipalCalls, PreparationCalls):
    """The Graph boundary: failures leave it as ``shared.core.errors`` types only."""

    async def __aenter__(self) -> GraphGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
