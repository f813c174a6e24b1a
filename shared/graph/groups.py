"""Groups: the paged query, the lookups by key and by id, the upsert and the repair."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_abstractions.method import Method
from msgraph.generated.directory.deleted_items.graph_group.graph_group_request_builder import (
    GraphGroupRequestBuilder,
)
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.models.group import Group

from shared.core.errors import PermanentGraphError
from shared.core.model import DYNAMIC, GroupSnapshot, GroupSpec
from shared.core.permissions import GROUP_PERMISSION
from shared.graph.session import GraphSession, raw_request

GROUP_FIELDS = [
    "id",
    "displayName",
    "description",
    "uniqueName",
    "membershipRule",
    "membershipRuleProcessingState",
    "groupTypes",
    "mailNickname",
    "createdDateTime",
    "mailEnabled",
    "securityEnabled",
]
GROUP_PAGE_SIZE = 999  # Graph's largest page of groups (docs/graph-contract.md, row 7)


@dataclass(frozen=True)
class UpsertResult:
    created: bool  # False: the group already existed (made by an overlapping run or a replay)
    group: GroupSnapshot | None  # the created group; None when Graph answered 204


def snapshot(item: dict[str, Any]) -> GroupSnapshot:
    """A group as Graph's JSON shows it, reduced to what the planner reads."""
    return GroupSnapshot(
        deleted=item.get("deletedDateTime"),
        mail_enabled=item.get("mailEnabled"),
        security_enabled=item.get("securityEnabled"),
        id=str(item["id"]),
        display_name=item.get("displayName") or "",
        unique_name=item.get("uniqueName"),
        membership_rule=item.get("membershipRule"),
        processing_state=item.get("membershipRuleProcessingState"),
        group_types=tuple(item.get("groupTypes") or ()),
        description=item.get("description"),
        created=item.get("createdDateTime"),
    )


def create_body(spec: GroupSpec) -> dict[str, Any]:
    """The upsert's body: a dynamic security group with the spec's rule, processing on; or, for
    a spec without a rule (device preparation), an assigned security group. Its owner is added
    afterwards, never in this body: whether an upsert may bind owners is not documented."""
    body: dict[str, Any] = {
        "displayName": spec.display_name,
        "description": spec.description,
        "mailEnabled": False,
        "mailNickname": spec.mail_nickname,
        "securityEnabled": True,
        "groupTypes": [],
    }
    if spec.membership_rule is None:
        return body
    return {
        **body,
        "groupTypes": [DYNAMIC],
        "membershipRule": spec.membership_rule,
        "membershipRuleProcessingState": "On",
    }


def repair_body(spec: GroupSpec, current: GroupSnapshot) -> dict[str, Any]:
    """Put back the rule, the processing state and dynamic membership; nothing else."""
    group_types = list(current.group_types)
    if DYNAMIC not in group_types:
        group_types.append(DYNAMIC)
    return {
        "groupTypes": group_types,
        "membershipRule": spec.membership_rule,
        "membershipRuleProcessingState": "On",
    }


class GroupCalls(GraphSession):
    def group_pages(
        self, odata_filter: str, top: int = GROUP_PAGE_SIZE
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Groups matching a basic $filter, ``top`` a page, with the fields the planner reads."""
        builder = self._client.groups
        params = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
            filter=odata_filter, select=GROUP_FIELDS, top=top
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        return self._pages(first, builder, "list groups", GROUP_PERMISSION)

    async def find_group(self, unique_name: str) -> GroupSnapshot | None:
        """The group with this uniqueName, if Graph shows it yet (reads lag behind writes)."""
        quoted = unique_name.replace("'", "''")
        item = await self._first_item(self.group_pages(f"uniqueName eq '{quoted}'"))
        return snapshot(item) if item else None

    async def get_group(self, group_id: str) -> GroupSnapshot | None:
        """One group by id, or None if Graph does not show it (deleted, or not replicated yet)."""
        builder = self._client.groups.by_group_id(group_id)
        params = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
            select=GROUP_FIELDS
        )
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        item = await self._get_or_none(info, "read a group", GROUP_PERMISSION)
        return None if item is None else snapshot(item)

    async def upsert_group(self, spec: GroupSpec) -> UpsertResult:
        """Create the group on its uniqueName, or leave the one already there (never a second).

        ``PATCH /groups(uniqueName='…')`` with ``Prefer: create-if-missing``: 201 when created,
        204 when a group with that key exists. A replay after a timeout, or a run racing another,
        lands on the same key.
        """
        body = _group_model(create_body(spec))
        config: RequestConfiguration[Any] = RequestConfiguration(headers=HeadersCollection())
        config.headers.add("Prefer", "create-if-missing")
        builder = self._client.groups_with_unique_name(spec.unique_name)
        info = builder.to_patch_request_information(body, config)
        content = await self._send(info, "create a group", GROUP_PERMISSION)
        if not content:
            return UpsertResult(created=False, group=None)
        return UpsertResult(created=True, group=snapshot(json.loads(content)))

    async def patch_by_key(self, unique_name: str, changes: dict[str, Any]) -> str:
        """``PATCH /groups(uniqueName='…')`` without ``Prefer``: documented as an update only.

        "missing" when no group has the key (404, as documented), "updated" (204), or "created"
        (201: the service upserted without being asked). The doctor probes the route with it.
        """
        config: RequestConfiguration[Any] = RequestConfiguration(headers=HeadersCollection())
        builder = self._client.groups_with_unique_name(unique_name)
        info = builder.to_patch_request_information(_group_model(changes), config)
        try:
            content = await self._send(info, "update a group by its uniqueName", GROUP_PERMISSION)
        except PermanentGraphError as error:
            if error.status == 404:
                return "missing"
            raise
        return "created" if content else "updated"

    async def deleted_groups(self, odata_filter: str | None) -> list[GroupSnapshot]:
        """Groups in the directory's recycle bin matching a $filter (``deletedItems`` cast to
        group, which takes the group list's filter forms: docs/graph-contract.md, row 39)."""
        builder = self._client.directory.deleted_items.graph_group
        params = GraphGroupRequestBuilder.GraphGroupRequestBuilderGetQueryParameters(
            filter=odata_filter, select=[*GROUP_FIELDS, "deletedDateTime"], top=GROUP_PAGE_SIZE
        )
        first = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        found: list[GroupSnapshot] = []
        operation = "list deleted groups"
        async for page in self._pages(first, builder, operation, GROUP_PERMISSION):
            found.extend(snapshot(item) for item in page)
        return found

    async def restore_group(self, group_id: str) -> GroupSnapshot:
        """``POST /directory/deletedItems/{id}/restore``: the group back, with its id."""
        builder = self._client.directory.deleted_items.by_directory_object_id(group_id).restore
        content = await self._send(
            builder.to_post_request_information(), "restore a deleted group", GROUP_PERMISSION
        )
        return snapshot(json.loads(content))

    async def repair_group(self, group: GroupSnapshot, spec: GroupSpec) -> None:
        """``PATCH /groups/{id}`` with the spec's rule, processing on and dynamic membership; an
        assigned group made dynamic is made assigned again (its rule cleared, as null: the SDK's
        model would leave the null out)."""
        if spec.membership_rule is not None:
            await self.update_group(group.id, repair_body(spec, group))
            return
        body = {
            "groupTypes": [t for t in group.group_types if t != DYNAMIC],
            "membershipRule": None,
            "membershipRuleProcessingState": None,
        }
        info = raw_request(Method.PATCH, self._url(f"groups/{quote(group.id)}"), body)
        await self._send(info, "update a group", GROUP_PERMISSION)

    async def update_group(self, group_id: str, changes: dict[str, Any]) -> None:
        builder = self._client.groups.by_group_id(group_id)
        info = builder.to_patch_request_information(_group_model(changes))
        await self._send(info, "update a group", GROUP_PERMISSION)


_MODEL_FIELDS = {
    "displayName": "display_name",
    "description": "description",
    "mailEnabled": "mail_enabled",
    "mailNickname": "mail_nickname",
    "securityEnabled": "security_enabled",
    "groupTypes": "group_types",
    "membershipRule": "membership_rule",
    "membershipRuleProcessingState": "membership_rule_processing_state",
}


def _group_model(body: dict[str, Any]) -> Group:
    group = Group()
    for name, value in body.items():
        setattr(group, _MODEL_FIELDS[name], value)
    return group
