"""Autopilot device identities: the one read the inventory needs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.device_management.windows_autopilot_device_identities.windows_autopilot_device_identities_request_builder import (  # noqa: E501
    WindowsAutopilotDeviceIdentitiesRequestBuilder,
)

from shared.graph.session import GraphSession

DEVICE_FIELDS = ["id", "groupTag", "purchaseOrderIdentifier"]


class DeviceCalls(GraphSession):
    def device_pages(self, top: int | None = None) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Every Autopilot device identity (three fields), one page at a time."""
        builder = self._client.device_management.windows_autopilot_device_identities
        params = WindowsAutopilotDeviceIdentitiesRequestBuilder.WindowsAutopilotDeviceIdentitiesRequestBuilderGetQueryParameters(  # noqa: E501
            select=DEVICE_FIELDS, top=top
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        return self._pages(first, builder, "list Autopilot devices", self.intune_permission)
