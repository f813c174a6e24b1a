"""One scenario request from a ticketing system: validate, make sure the group exists, answer.

Uses the timer's core (``planner.group_spec``, ``GroupIndex``, ``drift_of``) so a request names,
keys and writes a group exactly as the reconcile would. The outcome of every message is one of:

- an answer returned for the output binding (created, exists, updated, rejected, or failed when
  Graph refused the request as such): the host then completes the message;
- ``RetryLater`` raised for a transient failure: the host redelivers the message. On its last
  delivery the ``failed`` answer is written first, straight to the result queue, because the host
  drops a failed invocation's output binding and then moves the message to the poison queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from shared.catalogue import Catalogue
from shared.errors import (
    PermanentGraphError,
    PermissionDeniedError,
    TransientGraphError,
)
from shared.graph import GraphGateway
from shared.model import GroupSnapshot, GroupSpec, repair_body
from shared.naming import fold
from shared.planner import KIND_WORDS, GroupIndex, drift_of, group_spec
from shared.reconcile import observe_groups
from shared.requests import (
    FieldError,
    InvalidRequest,
    ScenarioRequest,
    group_view,
    make_result,
    parse_request,
)
from shared.rules import Kind, UnsafeValueError, parse_target

log = logging.getLogger(__name__)

Result = dict[str, Any]


class RetryLater(Exception):
    """A transient failure: the host should deliver the message again."""


@dataclass(frozen=True)
class Delivery:
    message_id: str | None
    dequeue_count: int
    max_dequeue_count: int
    poison_queue: str

    @property
    def last(self) -> bool:
        return self.dequeue_count >= self.max_dequeue_count


class HandmadeGroups:
    """The tenant's dynamic groups, indexed for adoption, listed at most once a minute.

    Only hand-made groups are looked up here, and a hit is confirmed by a fresh read before it is
    used. Managed groups are always looked up fresh by their uniqueName.
    """

    def __init__(self, ttl_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._index: GroupIndex | None = None
        self._listed_at = 0.0
        self._lock: asyncio.Lock | None = None

    async def index(self, gateway: GraphGateway) -> GroupIndex:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._index is None or self.clock() - self._listed_at > self.ttl:
                self._index = GroupIndex(await observe_groups(gateway))
                self._listed_at = self.clock()
            return self._index


class RecentlyCreated:
    """Groups this process created, kept a few minutes, and a lock per key.

    Requests for one value in one batch take turns, so the second finds the first's group instead
    of sending a second upsert. And since Graph's reads lag behind its writes, a group this process
    has just created is answered from here when the lookup does not show it yet, instead of the
    message being retried until Graph catches up. Only what Graph returned on a 201 is kept.
    """

    def __init__(self, ttl_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._groups: dict[str, tuple[float, GroupSnapshot]] = {}

    def lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def get(self, key: str) -> GroupSnapshot | None:
        kept = self._groups.get(key)
        if kept is None or self.clock() - kept[0] > self.ttl:
            self._groups.pop(key, None)
            return None
        return kept[1]

    def remember(self, key: str, group: GroupSnapshot) -> None:
        self._groups[key] = (self.clock(), group)


@dataclass
class RequestContext:
    catalogue: Catalogue
    drift_policy: str
    gateway: GraphGateway
    handmade: HandmadeGroups
    send_failed: Callable[[str], Awaitable[object]]
    recent: RecentlyCreated = field(default_factory=RecentlyCreated)


async def handle_message(body: bytes, delivery: Delivery, context: RequestContext) -> str:
    """The JSON answer for the output binding, or ``RetryLater`` for the host to redeliver."""
    try:
        request = parse_request(body)
    except InvalidRequest as invalid:
        result = make_result(
            "rejected",
            request_id=invalid.request_id,
            message_id=delivery.message_id,
            errors=invalid.errors,
        )
        return _answer(result)
    try:
        result = await serve(request, delivery, context)
    except PermanentGraphError as error:
        if not isinstance(error, PermissionDeniedError):
            result = make_result(
                "failed",
                request=request,
                message_id=delivery.message_id,
                errors=[FieldError(None, str(error))],
            )
            return _answer(result)
        await _retry_later(request, delivery, context, error)
    except Exception as error:  # transient, a missing permission, or a defect: never silent
        if not isinstance(error, TransientGraphError):
            log.exception("request %s: unexpected error", request.request_id)
        await _retry_later(request, delivery, context, error)
    return _answer(result)


async def _retry_later(
    request: ScenarioRequest, delivery: Delivery, context: RequestContext, error: Exception
) -> NoReturn:
    """Hand the message back to the host; on its last delivery, answer ``failed`` first.

    A missing permission is retried too: once an admin grants it the request succeeds, and until
    then it ends in the poison queue instead of being lost. So is an unexpected error, so that
    even a defect gives the ticket an answer before the message goes to the poison queue.
    """
    if delivery.last:
        message = (
            f"{error}; gave up after {delivery.dequeue_count} deliveries; the request "
            f"is kept in the queue {delivery.poison_queue}"
        )
        failed = make_result(
            "failed",
            request=request,
            message_id=delivery.message_id,
            errors=[FieldError(None, message)],
        )
        await context.send_failed(_answer(failed))
    log.warning(
        "request %s: delivery %d of %d failed, to be retried: %s",
        request.request_id,
        delivery.dequeue_count,
        delivery.max_dequeue_count,
        error,
    )
    raise RetryLater(str(error)) from error


def _answer(result: Result) -> str:
    log.info(
        "request %s: %s%s (requested by %s)",
        result["requestId"],
        result["status"],
        f" {result['group']['displayName']!r}" if result["group"] else "",
        result["requestedBy"] or "unknown",
    )
    return json.dumps(result, ensure_ascii=False)


async def serve(request: ScenarioRequest, delivery: Delivery, context: RequestContext) -> Result:
    def result(status: str, **fields: Any) -> Result:
        return make_result(status, request=request, message_id=delivery.message_id, **fields)

    scenario = context.catalogue.get(request.scenario)
    if scenario is None:
        known = ", ".join(context.catalogue.keys())
        return result(
            "rejected",
            errors=[
                FieldError("scenario", f"unknown scenario {request.scenario!r}; known: {known}")
            ],
        )
    field = "groupTag" if request.kind is Kind.TAG else "purchaseOrderId"
    try:
        spec = group_spec(request.kind, request.value, scenario, context.catalogue)
    except UnsafeValueError as error:
        return result("rejected", errors=[FieldError(field, str(error))])

    async with context.recent.lock(spec.unique_name):
        return await _ensure(spec, request, delivery, context, result)


async def _ensure(
    spec: GroupSpec,
    request: ScenarioRequest,
    delivery: Delivery,
    context: RequestContext,
    result: Callable[..., Result],
) -> Result:
    """The group for ``spec`` exists once this returns: found, adopted, or created."""
    key = spec.unique_name
    existing = await context.gateway.find_group(key) or context.recent.get(key)
    if existing is not None:
        return await _existing(existing, spec, request, context, result)
    adopted = await _adoptable(spec, context)
    if adopted is not None:
        return result(
            "exists",
            group=group_view(adopted),
            warnings=[
                f"hand-made group {adopted.display_name!r} already targets this "
                f"{KIND_WORDS[spec.kind]}; it is used as is"
            ],
        )
    upsert = await context.gateway.upsert_group(spec)
    if upsert.created:
        if upsert.group is not None:
            context.recent.remember(key, upsert.group)
        return result("created", group=group_view(upsert.group, spec))
    # 204: a group with this key already existed (an overlapping request or run made it), but
    # the lookup above did not show it yet: Graph's reads lag behind its writes.
    shown = await context.gateway.find_group(key)
    if shown is not None:
        return await _existing(shown, spec, request, context, result)
    if not delivery.last:
        raise TransientGraphError("the group exists but Graph does not show it yet")
    return result(
        "exists",
        group=group_view(None, spec),
        warnings=["the group exists, but Graph did not show it yet: its id is unknown"],
    )


async def _existing(
    group: GroupSnapshot,
    spec: GroupSpec,
    request: ScenarioRequest,
    context: RequestContext,
    result: Callable[..., Result],
) -> Result:
    if group.scenario and group.scenario != request.scenario:
        message = (
            f"{KIND_WORDS[spec.kind]} {request.value!r} already has the group "
            f"{group.display_name!r} in scenario {group.scenario!r}; a value has one group"
        )
        return result("rejected", group=group_view(group), errors=[FieldError("scenario", message)])
    drift = drift_of(group, spec)
    if not drift:
        return result("exists", group=group_view(group))
    if context.drift_policy != "repair":
        return result(
            "exists",
            group=group_view(group),
            warnings=[f"drift: {problem} (DRIFT_POLICY=report)" for problem in drift],
        )
    await context.gateway.update_group(group.id, repair_body(spec, group))
    repaired = GroupSnapshot(
        group.id,
        group.display_name,
        group.unique_name,
        spec.membership_rule,
        "On",
        group.group_types,
        group.description,
    )
    return result(
        "updated",
        group=group_view(repaired),
        warnings=[f"repaired: {problem}" for problem in drift],
    )


async def _adoptable(spec: GroupSpec, context: RequestContext) -> GroupSnapshot | None:
    index = await context.handmade.index(context.gateway)
    for candidate in index.adoptable(spec.kind, spec.value):
        fresh = await context.gateway.get_group(candidate.id)
        target = parse_target(fresh.membership_rule) if fresh and fresh.dynamic else None
        if (
            target is not None
            and target.kind is spec.kind
            and fold(target.value) == fold(spec.value)
        ):
            return fresh
    return None
