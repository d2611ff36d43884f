"""The event as a GraphQL type, and the inputs of the alert and log mutations.

The streams that deliver events are root fields: `resolvers/event_fields.py`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from axonql.models.event import Event as EventDocument
from axonql.subscriptions import types

# Registered as GraphQL enums in place, so annotations can use the plain Python enums.
strawberry.enum(types.EventType, name="EventType")
strawberry.enum(types.AlertSeverity, name="AlertSeverity")
strawberry.enum(types.LogLevel, name="LogLevel")


@strawberry.type
class Event:
    """One entry of the event log; `id` is a resume point for `after`."""

    id: strawberry.ID
    type: str = strawberry.field(
        description="An EventType name; new producers may add types, so this is a String."
    )
    system_id: strawberry.ID | None
    task_id: strawberry.ID | None
    agent_id: strawberry.ID | None
    user_id: strawberry.ID | None
    population_id: strawberry.ID | None
    memory_id: strawberry.ID | None
    payload: JSON
    created_at: datetime

    @classmethod
    def from_document(cls, doc: EventDocument) -> Event:
        return cls(
            id=strawberry.ID(doc.id),
            type=doc.type,
            system_id=_id_or_none(doc.system_id),
            task_id=_id_or_none(doc.task_id),
            agent_id=_id_or_none(doc.agent_id),
            user_id=_id_or_none(doc.user_id),
            population_id=_id_or_none(doc.population_id),
            memory_id=_id_or_none(doc.memory_id),
            payload=JSON(doc.payload),
            created_at=doc.created_at,
        )


def _id_or_none(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value is not None else None


@strawberry.input
class SystemAlertInput:
    message: str
    severity: types.AlertSeverity
    alert_type: str = "generic"
    component: str | None = None
    recommended_action: str | None = None
    system_id: strawberry.ID | None = None


@strawberry.input
class LogEntryInput:
    message: str
    level: types.LogLevel = types.LogLevel.INFO
    task_id: strawberry.ID | None = None
    agent_id: strawberry.ID | None = None
    context: JSON | None = None
