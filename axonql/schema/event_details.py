"""`Event.details`: one GraphQL type per kind of event, read from its payload.

Clients select with fragments (`details { ... on TaskStateChanged { from to } }`) and get
types for code generation; `payload: JSON` stays for compatibility. A field name has one type
across the union, so fragments on several kinds need no aliases. A kind without a type of its
own is `OtherEvent` (its `payload` says the rest). Built from the stored payload alone: no reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from axonql.schema.agent_types import AgentStatus
from axonql.schema.task_types import TaskStatus
from axonql.subscriptions.types import EventType

E = TypeVar("E")


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return str(value) if value is not None else None


def _number(payload: dict[str, Any], key: str) -> float | None:
    value = payload.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _whole(payload: dict[str, Any], key: str) -> int | None:
    value = _number(payload, key)
    return int(value) if value is not None else None


_SCHEMA_NAMES = {"learning": "learningContext"}  # stored under another name than the schema's


def _names(payload: dict[str, Any], key: str) -> list[str]:
    """Stored field names as the schema spells them (`max_attempts` → `maxAttempts`)."""
    value = payload.get(key)
    if not isinstance(value, list):
        return []
    return [_SCHEMA_NAMES.get(str(item), to_camel_case(str(item))) for item in value]


def _member(enum: type[E], value: Any) -> E | None:
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        return None


@strawberry.type
class TaskStateChanged:
    """A task created, changed, moved along its lifecycle, or deleted."""

    change: str = strawberry.field(
        description="created, updated, deleted, claimed, scheduled, or a lifecycle step."
    )
    from_: TaskStatus | None = strawberry.field(name="from")  # type: ignore[valid-type]
    to: TaskStatus | None  # type: ignore[valid-type]
    attempts: int | None
    fields: list[str] = strawberry.field(description="The task fields this change set.")


@strawberry.type
class TaskProgress:
    """An agent's progress report on a running task."""

    progress: int
    message: str | None


@strawberry.type
class AgentStatusChanged:
    """An agent created, changed (status, heartbeat, settings), or deleted."""

    change: str
    previous_status: AgentStatus | None  # type: ignore[valid-type]
    status: AgentStatus | None  # type: ignore[valid-type]
    fields: list[str]


@strawberry.type
class ConsciousnessChanged:
    """A system's consciousness level or awareness state changed."""

    previous: float | None
    level: float | None
    awareness_state: str | None


@strawberry.type
class MemoryDrifted:
    """A memory's drift crossed the alert level."""

    drift_score: float | None
    previous: float | None
    repair_recommended: bool
    suggested_method: str | None


@strawberry.type
class EntityChanged:
    """A system, user, population or memory created, changed, linked, or deleted."""

    change: str
    fields: list[str] = strawberry.field(description="The fields this change set.")


@strawberry.type
class PopulationEvolved:
    """One evolution cycle of a population finished."""

    evolution_id: str | None
    generation: int | None
    best_fitness: float | None
    average_fitness: float | None
    diversity: float | None


@strawberry.type
class LearningActivity:
    """A learning session started, progressed or ended; a module or achievement reached."""

    session_id: str | None
    module_id: str | None
    completion: float | None = strawberry.field(description="Progress through the module, 0–1.")
    score: float | None
    achievement: str | None


@strawberry.type
class SystemAlertRaised:
    """A system alert."""

    severity: str | None
    message: str | None
    alert_type: str | None
    component: str | None
    recommended_action: str | None


@strawberry.type
class LogEntryWritten:
    """A log entry."""

    log_level: str | None
    message: str | None
    context: JSON | None


@strawberry.type
class OtherEvent:
    """A kind of event without details of its own: read `payload`."""

    type: str


EventDetails = Annotated[
    TaskStateChanged
    | TaskProgress
    | AgentStatusChanged
    | ConsciousnessChanged
    | MemoryDrifted
    | EntityChanged
    | PopulationEvolved
    | LearningActivity
    | SystemAlertRaised
    | LogEntryWritten
    | OtherEvent,
    strawberry.union("EventDetails"),
]


def _task_state(p: dict[str, Any]) -> TaskStateChanged:
    return TaskStateChanged(
        change=str(p.get("change") or "updated"),
        from_=_member(TaskStatus, p.get("previous")),
        to=_member(TaskStatus, p.get("status")),
        attempts=_whole(p, "attempts"),
        fields=_names(p, "fields"),
    )


def _task_progress(p: dict[str, Any]) -> TaskProgress:
    return TaskProgress(progress=_whole(p, "progress") or 0, message=_text(p, "message"))


def _agent(p: dict[str, Any]) -> AgentStatusChanged:
    return AgentStatusChanged(
        change=str(p.get("change") or "updated"),
        previous_status=_member(AgentStatus, p.get("previous")),
        status=_member(AgentStatus, p.get("status")),
        fields=_names(p, "fields"),
    )


def _consciousness(p: dict[str, Any]) -> ConsciousnessChanged:
    return ConsciousnessChanged(
        previous=_number(p, "previous_level"),
        level=_number(p, "consciousness_level"),
        awareness_state=_text(p, "awareness_state"),
    )


def _drift(p: dict[str, Any]) -> MemoryDrifted:
    return MemoryDrifted(
        drift_score=_number(p, "drift_level"),
        previous=_number(p, "previous"),
        repair_recommended=bool(p.get("repair_recommended", False)),
        suggested_method=_text(p, "suggested_method"),
    )


def _entity(p: dict[str, Any]) -> EntityChanged:
    return EntityChanged(change=str(p.get("change") or "updated"), fields=_names(p, "fields"))


def _stored(p: dict[str, Any]) -> EntityChanged:
    return EntityChanged(change="created", fields=_names(p, "fields"))


def _evolved(p: dict[str, Any]) -> PopulationEvolved:
    return PopulationEvolved(
        evolution_id=_text(p, "evolution_id"),
        generation=_whole(p, "generation"),
        best_fitness=_number(p, "best_fitness"),
        average_fitness=_number(p, "average_fitness"),
        diversity=_number(p, "diversity"),
    )


def _learning(p: dict[str, Any]) -> LearningActivity:
    return LearningActivity(
        session_id=_text(p, "session_id"),
        module_id=_text(p, "module_id"),
        completion=_number(p, "progress"),
        score=_number(p, "score") if "score" in p else _number(p, "final_score"),
        achievement=_text(p, "achievement"),
    )


def _alert(p: dict[str, Any]) -> SystemAlertRaised:
    return SystemAlertRaised(
        severity=_text(p, "severity"),
        message=_text(p, "message"),
        alert_type=_text(p, "alert_type"),
        component=_text(p, "component"),
        recommended_action=_text(p, "recommended_action"),
    )


def _log(p: dict[str, Any]) -> LogEntryWritten:
    context = p.get("context")
    return LogEntryWritten(
        log_level=_text(p, "level"),
        message=_text(p, "message"),
        context=JSON(context) if isinstance(context, dict) else None,
    )


_BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    EventType.TASK_STATE_CHANGED: _task_state,
    EventType.TASK_PROGRESS: _task_progress,
    EventType.AGENT_STATUS: _agent,
    EventType.CONSCIOUSNESS_UPDATE: _consciousness,
    EventType.MEMORY_DRIFT: _drift,
    EventType.SYSTEM_STATE_CHANGED: _entity,
    EventType.SYSTEM_UPDATED: _entity,
    EventType.USER_UPDATED: _entity,
    EventType.USER_CONTEXT_CREATED: _stored,
    EventType.USER_CONTEXT_UPDATED: _entity,
    EventType.POPULATION_UPDATED: _entity,
    EventType.MEMORY_STORED: _stored,
    EventType.MEMORY_UPDATED: _entity,
    EventType.NEURAL_EVOLUTION_COMPLETE: _evolved,
    EventType.LEARNING_PROGRESS: _learning,
    EventType.LEARNING_SESSION_START: _learning,
    EventType.LEARNING_SESSION_END: _learning,
    EventType.MODULE_COMPLETED: _learning,
    EventType.ACHIEVEMENT_UNLOCKED: _learning,
    EventType.SKILL_ASSESSMENT: _learning,
    EventType.SYSTEM_ALERT: _alert,
    EventType.LOG_ENTRY: _log,
}


def details_of(event_type: str, payload: dict[str, Any]) -> Any:
    """The typed details of an event of `event_type` with `payload`."""
    build = _BUILDERS.get(event_type)
    return build(payload) if build is not None else OtherEvent(type=event_type)
