"""Root fields for the event streams (one typed `events` stream and entity streams), the event
log as a query, and the alert/log mutations.

Every stream accepts `after: <event id>` to resume. `events` can carry any event type, so it
needs `admin:system`; each entity stream needs the scope of the matching query.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import strawberry
from starlette.websockets import WebSocket

from axonql.errors import AuthenticationFailed
from axonql.models.event import Event as EventDocument
from axonql.schema import event_ids
from axonql.schema.context import Context, Info
from axonql.schema.direct_delivery import DirectStream, current_sink
from axonql.schema.event_history_types import DEFAULT_FIRST, EventConnection, events_page
from axonql.schema.pagination_types import EventOrder
from axonql.schema.permissions import mutation, query, subscription
from axonql.schema.subscription import Event, LogEntryInput, SystemAlertInput
from axonql.scopes import Scope
from axonql.services import validation as v
from axonql.services.events import emit
from axonql.services.loaders import Loaders
from axonql.subscriptions import realtime, types
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.hub import Subscriber
from axonql.subscriptions.log import parse_event_id

SLOW_CONSUMER_CLOSE_CODE = 4429

log = logging.getLogger("axonql.subscriptions")


def _close_slow_client(info: Info) -> Callable[[Subscriber], None] | None:
    """Closes the connection of a subscriber whose buffer overflowed, saying where to resume."""
    socket = info.context.request
    if not isinstance(socket, WebSocket):
        return None
    service = info.context.state.realtime

    async def close(reason: str) -> None:
        with contextlib.suppress(RuntimeError, OSError):  # already closing or gone
            await socket.close(code=SLOW_CONSUMER_CLOSE_CODE, reason=reason)

    def on_overflow(subscriber: Subscriber) -> None:
        reason = (
            f"subscriber too slow ({subscriber.capacity} buffered);"
            f" resume after {subscriber.last_id}"
        )
        log.info("closing a slow subscriber: %s", reason)
        service.spawn(close(reason[:123]))

    return on_overflow


async def _stream(
    info: Info, where: EventFilter, after: strawberry.ID | None
) -> AsyncIterator[Event]:
    """Checks `after` up front (so a bad one is an `error` message), then streams.

    Over a GraphQL WebSocket the stream delivers to its operation's socket itself
    (`direct_delivery`); anywhere else it yields.
    """
    resume = parse_event_id(str(after)) if after is not None else None
    service = info.context.state.realtime
    if resume is not None:
        await realtime.check_resumable(resume)
    source = service.follow(where, resume, on_overflow=_close_slow_client(info))
    events = _events(source, info.context, service)
    sink = current_sink()
    return DirectStream(events, sink) if sink is not None else events


async def _events(
    source: AsyncGenerator[EventDocument, None],
    context: Context,
    service: realtime.RealTime,
) -> AsyncGenerator[Event, None]:
    """Events until the source ends or the caller's access token runs out.

    One GraphQL object per event, shared by every subscriber of the instance it fans out to
    (the real-time service keeps the recent ones). Each event is executed with fresh loaders:
    the connection's context lives as long as the socket, and its loaders would otherwise
    keep serving the relations (`task { agent { name } }`) read for the first event.
    """
    principal = context.principal
    last = None
    try:
        async for event in source:
            if principal is not None and principal.expired():
                resume = f"; resubscribe with a fresh token and after: {last}" if last else ""
                raise AuthenticationFailed(f"access token expired{resume}")
            last = event.id
            event_ids.note(str(event.id))  # an SSE `next` is labelled with its event
            context.loaders = Loaders()
            yield service.shared(event, Event.from_document)
    finally:
        await source.aclose()


def _at_least(threshold: float, *keys: str) -> Callable[[dict[str, Any]], bool]:
    def test(payload: dict[str, Any]) -> bool:
        for key in keys:
            value = payload.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value) >= threshold
        return False

    return test


def _rank_at_least(enum: Any, minimum: Any, key: str) -> Callable[[dict[str, Any]], bool]:
    def test(payload: dict[str, Any]) -> bool:
        try:
            return bool(enum(str(payload.get(key, "")).lower()).rank >= minimum.rank)
        except ValueError:
            return False

    return test


@strawberry.type
class EventQuery:
    @query(
        Scope.ADMIN_SYSTEM,
        description="The event log, a page at a time (filters as the `events` subscription's).",
    )
    async def events(
        self,
        info: Info,
        types: list[types.EventType] | None = None,
        task_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        system_id: strawberry.ID | None = None,
        user_id: strawberry.ID | None = None,
        population_id: strawberry.ID | None = None,
        memory_id: strawberry.ID | None = None,
        first: int = DEFAULT_FIRST,
        after: strawberry.ID | None = None,
        order: EventOrder = EventOrder.NEWEST_FIRST,
    ) -> EventConnection:
        where = EventFilter.of(
            [t.value for t in types] if types is not None else None,
            task_id=task_id,
            agent_id=agent_id,
            system_id=system_id,
            user_id=user_id,
            population_id=population_id,
            memory_id=memory_id,
        )
        return await events_page(info, where, first, after, order)


@strawberry.type
class EventSubscription:
    @subscription(Scope.ADMIN_SYSTEM, description="Every event, filtered by type and subjects.")
    async def events(
        self,
        info: Info,
        types: list[types.EventType] | None = None,
        after: strawberry.ID | None = None,
        task_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        system_id: strawberry.ID | None = None,
        user_id: strawberry.ID | None = None,
        population_id: strawberry.ID | None = None,
        memory_id: strawberry.ID | None = None,
    ) -> AsyncIterator[Event]:
        where = EventFilter.of(
            [t.value for t in types] if types is not None else None,
            task_id=task_id,
            agent_id=agent_id,
            system_id=system_id,
            user_id=user_id,
            population_id=population_id,
            memory_id=memory_id,
        )
        return await _stream(info, where, after)

    @subscription(Scope.TASKS_READ, description="Task state changes and progress.")
    async def task_updated(
        self, info: Info, id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        return await _stream(info, EventFilter.of(types.TASK_TYPES, task_id=id), after)

    @subscription(Scope.AGENTS_READ, description="Agent status changes.")
    async def agent_updated(
        self, info: Info, id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        return await _stream(info, EventFilter.of(types.AGENT_TYPES, agent_id=id), after)

    @subscription(Scope.CONSCIOUSNESS_READ, description="Every change of a system.")
    async def system_updated(
        self, info: Info, id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        return await _stream(info, EventFilter.of(types.SYSTEM_TYPES, system_id=id), after)

    @subscription(Scope.USER_MANAGE, description="Every change of a user, learning included.")
    async def user_updated(
        self, info: Info, id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        return await _stream(info, EventFilter.of(types.USER_TYPES, user_id=id), after)

    @subscription(Scope.MEMORIES_READ, description="Every change of a memory, drift included.")
    async def memory_updated(
        self, info: Info, id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        return await _stream(info, EventFilter.of(types.MEMORY_TYPES, memory_id=id), after)

    @subscription(Scope.CONSCIOUSNESS_READ, description="Consciousness level changes.")
    async def consciousness_updated(
        self,
        info: Info,
        system_id: strawberry.ID | None = None,
        after: strawberry.ID | None = None,
    ) -> AsyncIterator[Event]:
        where = EventFilter.of(types.CONSCIOUSNESS_TYPES, system_id=system_id)
        return await _stream(info, where, after)

    @subscription(Scope.USER_MANAGE, description="Learning sessions, progress and assessments.")
    async def learning_progress(
        self, info: Info, user_id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        where = EventFilter.of(types.LEARNING_TYPES, user_id=user_id)
        return await _stream(info, where, after)

    @subscription(Scope.NEURAL_MONITOR, description="Population evolution cycles.")
    async def population_evolved(
        self, info: Info, id: strawberry.ID | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        where = EventFilter.of(types.POPULATION_TYPES, population_id=id)
        return await _stream(info, where, after)

    @subscription(Scope.MEMORIES_READ, description="Memory drift at or above `minLevel`.")
    async def memory_drift(
        self, info: Info, min_level: float | None = None, after: strawberry.ID | None = None
    ) -> AsyncIterator[Event]:
        test = None
        if min_level is not None:
            level = v.number_in("minLevel", min_level, 0.0, 1.0)
            test = _at_least(level, "drift_level", "drift_score", "level")
        return await _stream(info, EventFilter.of(types.MEMORY_DRIFT_TYPES, test), after)

    @subscription(Scope.CONSCIOUSNESS_READ, description="System alerts at or above a severity.")
    async def system_alerts(
        self,
        info: Info,
        min_severity: types.AlertSeverity | None = None,
        after: strawberry.ID | None = None,
    ) -> AsyncIterator[Event]:
        test = None
        if min_severity is not None:
            test = _rank_at_least(types.AlertSeverity, min_severity, "severity")
        return await _stream(info, EventFilter.of(types.ALERT_TYPES, test), after)

    @subscription(Scope.CONSCIOUSNESS_READ, description="Log entries at or above `level`.")
    async def log_entries(
        self,
        info: Info,
        level: types.LogLevel | None = None,
        task_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        after: strawberry.ID | None = None,
    ) -> AsyncIterator[Event]:
        test = _rank_at_least(types.LogLevel, level, "level") if level is not None else None
        where = EventFilter.of(types.LOG_TYPES, test, task_id=task_id, agent_id=agent_id)
        return await _stream(info, where, after)


@strawberry.type
class EventMutation:
    @mutation(Scope.ADMIN_SYSTEM, description="Raise a system alert (an SYSTEM_ALERT event).")
    async def raise_system_alert(self, info: Info, input: SystemAlertInput) -> Event:
        limit = info.context.settings.max_text_length
        payload = {
            "alert_type": v.text("alertType", input.alert_type, 100),
            "severity": input.severity.value,
            "component": v.text("component", input.component or "", 200, required=False) or None,
            "message": v.text("message", input.message, limit),
            "recommended_action": (
                v.text("recommendedAction", input.recommended_action or "", 200, required=False)
                or None
            ),
        }
        system_id = v.text("systemId", input.system_id, 100) if input.system_id else None
        event = await emit(types.EventType.SYSTEM_ALERT, payload, system_id=system_id)
        return Event.from_document(event)

    @mutation(Scope.ADMIN_SYSTEM, description="Write a log entry (a LOG_ENTRY event).")
    async def write_log_entry(self, info: Info, input: LogEntryInput) -> Event:
        limit = info.context.settings.max_text_length
        payload = {
            "level": input.level.value,
            "message": v.text("message", input.message, limit),
            "context": v.json_object("context", input.context),
        }
        task_id = v.text("taskId", input.task_id, 100) if input.task_id else None
        agent_id = v.text("agentId", input.agent_id, 100) if input.agent_id else None
        event = await emit(types.EventType.LOG_ENTRY, payload, task_id=task_id, agent_id=agent_id)
        return Event.from_document(event)
