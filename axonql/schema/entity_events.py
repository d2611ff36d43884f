"""The `events` field each entity type has: its stream (what its subscription delivers) as a
page of the log (`event_history_types.entity_events`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from axonql.schema.context import Info
from axonql.schema.pagination_types import EventOrder
from axonql.schema.permissions import field

if TYPE_CHECKING:
    from axonql.schema.event_history_types import EventConnection


def events_field(entity: str, description: str) -> Any:
    """The `events(first, after, order)` field of `entity`'s type (`"task"`, `"agent"` …)."""

    async def events(
        root: Any,
        info: Info,
        first: int = 20,
        after: strawberry.ID | None = None,
        order: EventOrder = EventOrder.NEWEST_FIRST,
    ) -> Annotated[EventConnection, strawberry.lazy("axonql.schema.event_history_types")]:
        from axonql.schema.event_history_types import entity_events

        return await entity_events(info, entity, str(root.id), first, after, order)

    return field(reads_caller="scopes", resolver=events, description=description)
