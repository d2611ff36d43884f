"""The event as a GraphQL type, and the inputs of the alert and log mutations.

The streams that deliver events are root fields: `resolvers/event_fields.py`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from axonql.models.event import Event as EventDocument
from axonql.schema import subject_types
from axonql.schema.context import Info
from axonql.schema.event_details import EventDetails, details_of
from axonql.schema.permissions import field
from axonql.schema.subject_types import SUBJECT_SCOPES
from axonql.subscriptions import types

if TYPE_CHECKING:
    from axonql.schema.agent_types import Agent
    from axonql.schema.memory_types import Memory
    from axonql.schema.population_types import Population
    from axonql.schema.system_types import System
    from axonql.schema.task_types import Task
    from axonql.schema.user_types import User

_TASKS = "axonql.schema.task_types"
_AGENTS = "axonql.schema.agent_types"
_SYSTEMS = "axonql.schema.system_types"
_USERS = "axonql.schema.user_types"
_POPULATIONS = "axonql.schema.population_types"
_MEMORIES = "axonql.schema.memory_types"

# Registered as GraphQL enums in place, so annotations can use the plain Python enums.
strawberry.enum(types.EventType, name="EventType")
strawberry.enum(types.AlertSeverity, name="AlertSeverity")
strawberry.enum(types.LogLevel, name="LogLevel")


@strawberry.type
class Event:
    """One entry of the event log; `id` is a resume point for `after`.

    `task`, `agent` … are the subjects as they stood when the event committed, stored with
    it (`subscriptions.snapshots`): a replay shows each state in turn, and no subscriber makes
    the database read them again. Null when the event has no such subject, the subject did not
    exist at commit (deleted), or the caller may not read its type.
    """

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
    snapshots: strawberry.Private[dict[str, dict[str, Any]]] = dataclasses.field(
        default_factory=dict
    )
    typed: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    def _subject(self, info: Info, name: str) -> Any:
        """The snapshot `name` as its GraphQL type, built once per event (events are shared
        by every subscriber), or None (see the class docstring)."""
        principal = info.context.principal
        if principal is None or not principal.has(SUBJECT_SCOPES[name]):
            return None
        if name not in self.typed:
            self.typed[name] = subject_types.typed(name, self.snapshots.get(name))
        return self.typed[name]

    @field(description="What happened, typed by the kind of event (`payload` untyped).")
    def details(self) -> EventDetails:
        payload = self.payload if isinstance(self.payload, dict) else {}
        return cast(EventDetails, details_of(self.type, payload))

    @field(reads_caller="scopes", description="The task as it stood at this event.")
    def task(self, info: Info) -> Annotated[Task, strawberry.lazy(_TASKS)] | None:
        return cast("Task | None", self._subject(info, "task"))

    @field(reads_caller="scopes", description="The agent as it stood at this event.")
    def agent(self, info: Info) -> Annotated[Agent, strawberry.lazy(_AGENTS)] | None:
        return cast("Agent | None", self._subject(info, "agent"))

    @field(reads_caller="scopes", description="The system as it stood at this event.")
    def system(self, info: Info) -> Annotated[System, strawberry.lazy(_SYSTEMS)] | None:
        return cast("System | None", self._subject(info, "system"))

    @field(reads_caller="scopes", description="The user as it stood at this event.")
    def user(self, info: Info) -> Annotated[User, strawberry.lazy(_USERS)] | None:
        return cast("User | None", self._subject(info, "user"))

    @field(reads_caller="scopes", description="The population as it stood at this event.")
    def population(self, info: Info) -> Annotated[Population, strawberry.lazy(_POPULATIONS)] | None:
        return cast("Population | None", self._subject(info, "population"))

    @field(reads_caller="scopes", description="The memory as it stood at this event.")
    def memory(self, info: Info) -> Annotated[Memory, strawberry.lazy(_MEMORIES)] | None:
        return cast("Memory | None", self._subject(info, "memory"))

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
            snapshots=doc.snapshots,
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
