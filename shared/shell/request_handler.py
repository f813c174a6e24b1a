"""One scenario request from a ticketing system: parse, observe, plan, apply, answer.

A request is a reconcile of one value. It observes what may be that value's group (see
``observe.observe_value``), lets the same planner as the timer decide with one wanted target whose
scenario is the one asked for, writes with the same apply, and only then turns the settled plan
entry into an answer (``core.answers``). The outcome of every message is one of:

- an answer returned for the output binding (created, exists, updated, rejected, or failed when
  Graph refused the request as such): the host then completes the message;
- ``RetryLater`` raised for a transient failure: the host redelivers the message. On its last
  delivery the ``failed`` answer is written first, straight to the result queue, because the host
  drops a failed invocation's output binding and then moves the message to the poison queue.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from shared.core import answers
from shared.core.answers import Answer, answer_for, assignments_view
from shared.core.errors import (
    PermanentGraphError,
    PermissionDeniedError,
    TransientError,
    TransientGraphError,
)
from shared.core.model import GroupSnapshot, IntuneView, Kind, Wanted, WantedGroup
from shared.core.naming import unique_name
from shared.core.plan import Action, Done, Outcome, Plan, PlanEntry
from shared.core.planner import plan_values
from shared.core.request_schema import InvalidRequest, ScenarioRequest, parse_request
from shared.graph.gateway import GraphGateway
from shared.shell.apply import apply_groups
from shared.shell.apply_assignments import apply_assignments
from shared.shell.memory import HandmadeGroups, QueryForms, RecentlyCreated
from shared.shell.observe import observe_deleted, observe_value
from shared.shell.observe_intune import observe_intune
from shared.shell.observe_preparation import observe_preparation
from shared.shell.run_log import log_answer, log_poisoned
from shared.storage.ledger import Ledger

log = logging.getLogger(__name__)


class RetryLater(TransientError):
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


@dataclass
class RequestContext:
    wanted: Wanted
    gateway: GraphGateway
    handmade: HandmadeGroups
    send_failed: Callable[[str], Awaitable[object]]
    recent: RecentlyCreated = field(default_factory=RecentlyCreated)
    ledger: Ledger | None = None  # the assignments' lock and history (AzureWebJobsStorage)
    query_forms: QueryForms = field(default_factory=QueryForms)
    applies: bool = True  # RUN_MODE=apply; in plan mode a request is answered, nothing written

    @property
    def mode(self) -> str:
        return "apply" if self.applies else "plan"


async def handle_message(body: bytes, delivery: Delivery, context: RequestContext) -> str:
    """The JSON answer for the output binding, or ``RetryLater`` for the host to redeliver."""
    try:
        request = parse_request(body)
    except InvalidRequest as invalid:
        rejected = Answer("rejected", errors=invalid.errors)
        return _answer(rejected, None, delivery, context, request_id=invalid.request_id)
    try:
        answer = await serve(request, delivery, context)
    except PermanentGraphError as error:
        if not isinstance(error, PermissionDeniedError):
            return _answer(answers.failed(str(error)), request, delivery, context)
        await _retry_later(request, delivery, context, error)
    except Exception as error:  # transient, a missing permission, or a defect: never silent
        if not isinstance(error, TransientError):
            log.exception("request %s: unexpected error", request.request_id)
        await _retry_later(request, delivery, context, error)
    return _answer(answer, request, delivery, context)


async def serve(request: ScenarioRequest, delivery: Delivery, context: RequestContext) -> Answer:
    """Observe, plan and apply the request's value; the answer says what came of it."""
    target = WantedGroup(request.kind, request.value, scenario=request.scenario)
    value_field = {Kind.TAG: "groupTag", Kind.PURCHASE_ORDER: "purchaseOrderId"}.get(
        request.kind, "scenario"
    )
    refused = _plan(target, [], context).entries[0]
    if refused.action is Action.SKIP:  # the catalogue or the rule syntax refuses it: no read
        return answer_for(refused, value_field=value_field)
    key = unique_name(request.kind, request.value)
    async with context.recent.lock(key):  # requests for one value take turns in this process
        now = dt.datetime.now(dt.UTC)
        intune = await _observe_intune(refused, context, now)
        for attempt in (1, 2):
            groups = await observe_value(
                context.gateway,
                request.kind,
                request.value,
                context.recent,
                context.handmade,
                context.query_forms,
            )
            if intune is not None and request.kind is Kind.DEVICE_PREPARATION:
                intune = await observe_preparation(context.gateway, intune, groups)
            plan = _plan(target, groups, context, intune)
            if plan.entries[0].action is Action.CREATE and attempt == 1:
                # Its group may be in the recycle bin, holding the key: restored, or reported.
                deleted = await observe_deleted(context.gateway, key)
                if deleted:
                    plan = _plan(target, groups, context, intune, deleted)
            if not context.applies:  # plan mode: what would be done, nothing written
                view = assignments_view(plan.assignments, plan_mode=True)
                return replace(
                    answers.planned(plan.entries[0], value_field=value_field), assignments=view
                )
            if plan.entries[0].action is Action.CREATE and attempt == 2:
                # The upsert found the key taken (204), and Graph's reads still do not show the
                # group an overlapping request or run made a moment ago.
                if not delivery.last:
                    raise TransientGraphError("the group exists but Graph does not show it yet")
                taken = replace(plan.entries[0], outcome=Outcome(Done.EXISTS))
                return answer_for(taken, value_field=value_field)
            [entry] = (await apply_groups(plan.entries, context.gateway)).entries
            if entry.outcome is not None and entry.outcome.error is not None:
                raise entry.outcome.error
            if entry.outcome is not None and entry.outcome.group is not None:
                context.recent.remember(key, entry.outcome.group)
            if entry.outcome is None or entry.outcome.done is not Done.EXISTS:
                answer = answer_for(entry, value_field=value_field)  # 204: observe again
                return await _with_assignments(answer, plan.settled((entry,)), intune, context, now)
    raise AssertionError("unreachable: the second attempt always answers")


def _plan(
    target: WantedGroup,
    groups: list[GroupSnapshot],
    context: RequestContext,
    intune: IntuneView | None = None,
    deleted: list[GroupSnapshot] | None = None,
) -> Plan:
    return plan_values([target], groups, context.wanted, intune=intune, deleted=deleted or ())


async def _observe_intune(
    entry: PlanEntry, context: RequestContext, now: dt.datetime
) -> IntuneView | None:
    """The profiles and ESP the request's scenario names, if it names any."""
    scenario = context.wanted.catalogue.get(entry.scenario or "")
    if scenario is None or not scenario.targets(entry.kind):
        return None
    catalogue = context.wanted.catalogue
    return await observe_intune(
        context.gateway, context.ledger, catalogue, now, {scenario.key}, context.query_forms
    )


async def _with_assignments(
    answer: Answer, plan: Plan, intune: IntuneView | None, context: RequestContext, now: dt.datetime
) -> Answer:
    """The group's assignments, written before the answer; a transient failure or a missing
    permission hands the message back like any other (the group is found next time)."""
    if intune is None or not plan.assignments:
        return answer
    done = await apply_assignments(
        plan.assignments, plan.entries, context.gateway, context.ledger, intune, now
    )
    for entry in done.entries:
        error = entry.outcome.error if entry.outcome else None
        if isinstance(error, TransientError | PermissionDeniedError):
            raise error
    return replace(answer, assignments=assignments_view(done.entries))


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
        await context.send_failed(_answer(answers.failed(message), request, delivery, context))
        log_poisoned(
            log,
            request.request_id,
            delivery.message_id,
            delivery.dequeue_count,
            delivery.poison_queue,
            error,
        )
    log.warning(
        "request %s: delivery %d of %d failed, to be retried: %s",
        request.request_id,
        delivery.dequeue_count,
        delivery.max_dequeue_count,
        error,
    )
    raise RetryLater(str(error)) from error


def _answer(
    answer: Answer,
    request: ScenarioRequest | None,
    delivery: Delivery,
    context: RequestContext,
    *,
    request_id: str | None = None,
) -> str:
    """The result document for the answer, logged and serialised."""
    result: dict[str, Any] = answers.make_result(
        answer,
        request=request,
        request_id=request_id,
        message_id=delivery.message_id,
        mode=context.mode,
        processed_at=dt.datetime.now(dt.UTC),
    )
    log_answer(log, result, context.mode)
    return json.dumps(result, ensure_ascii=False)
