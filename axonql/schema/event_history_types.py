"""The event log as a Relay connection: the root `events` query and each entity's `events`.

A cursor is an event id, so the newest cursor of an oldest-first read is also the `after:` of
a subscription that continues live from there. There is no `totalCount`: counting the log is a
scan (see `services/event_history.py` for how a page is read).
"""

from __future__ import annotations

import strawberry

from axonql.errors import AuthorizationDenied, ValidationError
from axonql.schema.context import Info
from axonql.schema.pagination_types import EventOrder, PageInfo
from axonql.schema.subject_types import SUBJECT_SCOPES
from axonql.schema.subscription import Event
from axonql.services import event_history
from axonql.subscriptions import types
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.log import parse_event_id

DEFAULT_FIRST = 20

ENTITY_STREAMS: dict[str, tuple[str, frozenset[str]]] = {
    "task": ("task_id", types.TASK_TYPES),
    "agent": ("agent_id", types.AGENT_TYPES),
    "system": ("system_id", types.SYSTEM_TYPES),
    "user": ("user_id", types.USER_TYPES),
    "population": ("population_id", types.POPULATION_TYPES),
    "memory": ("memory_id", types.MEMORY_TYPES),
}
"""Entity → (subject field, event types of its stream): what its `events` and its
subscription (`taskUpdated(id)` …) deliver."""


@strawberry.type
class EventEdge:
    node: Event
    cursor: strawberry.ID


@strawberry.type
class EventConnection:
    """A page of the event log; each cursor is an event id (a subscription's `after`)."""

    edges: list[EventEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Event]:
        return [edge.node for edge in self.edges]


async def events_page(
    info: Info, where: EventFilter, first: int, after: strawberry.ID | None, order: EventOrder
) -> EventConnection:
    """One page of the events matching `where` (arguments checked as the streams check them)."""
    limit = info.context.settings.max_page_size
    if not 0 <= first <= limit:
        raise ValidationError(
            f"first must be between 0 and {limit}", field="first", details={"max": limit}
        )
    cursor = parse_event_id(str(after)) if after is not None else None
    newest = order is EventOrder.NEWEST_FIRST
    page = await event_history.page(where, first, cursor, newest_first=newest)
    edges = [EventEdge(node=node, cursor=node.id) for node in map(Event.from_document, page.events)]
    return EventConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=cursor is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def entity_events(
    info: Info,
    entity: str,
    subject: str,
    first: int,
    after: strawberry.ID | None,
    order: EventOrder,
) -> EventConnection:
    """An entity's stream as a page, for callers with the scope its subscription needs."""
    scope = SUBJECT_SCOPES[entity]
    principal = info.context.require_principal()
    if not principal.has(scope):
        raise AuthorizationDenied(
            f"events of a {entity} require the scope {scope}", details={"required_scope": scope}
        )
    field, kinds = ENTITY_STREAMS[entity]
    where = EventFilter(types=kinds, subjects={field: subject})
    return await events_page(info, where, first, after, order)
