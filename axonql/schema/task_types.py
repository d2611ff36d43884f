"""Task types and inputs (for the OCTOSPINE operations and the Relay connections)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.models.task import TaskPriority as TaskPriorityModel
from axonql.models.task import TaskStatus as TaskStatusModel
from axonql.schema.context import Info
from axonql.schema.entity_events import events_field
from axonql.schema.node import Node
from axonql.schema.pagination_types import SortDirection
from axonql.schema.permissions import field
from axonql.services import tasks as logic
from axonql.services.documentation import typical_durations

if TYPE_CHECKING:
    from axonql.schema.agent_types import Agent

TaskStatus = strawberry.enum(TaskStatusModel, name="TaskStatus")
TaskPriority = strawberry.enum(TaskPriorityModel, name="TaskPriority")


@strawberry.enum
class ScheduleType(Enum):
    INTERVAL = "interval"
    CRON = "cron"


@strawberry.type
class TaskSchedule:
    type: str
    value: str


@strawberry.type
class TaskStatistics:
    total_runs: int
    successful_runs: int
    failed_runs: int
    average_duration: float


@strawberry.type
class Task(Node):
    """A unit of work with a lifecycle."""

    id: strawberry.ID
    name: str
    description: str
    type: str
    status: TaskStatus  # type: ignore[valid-type]
    priority: TaskPriority  # type: ignore[valid-type]
    progress: int
    parameters: JSON
    required_capabilities: list[str]
    tags: list[str]
    schedule: TaskSchedule | None
    next_run: datetime | None
    last_run: datetime | None
    statistics: TaskStatistics
    result: JSON | None
    error: str | None
    attempts: int
    max_attempts: int
    agent_id: strawberry.ID | None
    system_id: strawberry.ID | None
    lease_expires_at: datetime | None
    parent_id: strawberry.ID | None = strawberry.field(
        description="The schedule or automation whose firing created this run."
    )
    scheduled_for: datetime | None
    queued_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    progress_details: JSON | None = strawberry.field(
        default=None,
        description="What the running agent last reported beside its progress "
        "(training: epoch and metrics).",
    )

    @field(
        description="Seconds the completed tasks of this type took on average; null without "
        "history."
    )
    async def typical_duration(self, info: Info) -> float | None:
        loader = info.context.loaders.custom("typical_duration", typical_durations)
        typical = await loader.load(self.type)
        return round(typical.total_seconds(), 3) if typical is not None else None

    @field(description="The agent running or last assigned this task.")
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("axonql.schema.agent_types")] | None:
        from axonql.schema.agent_types import Agent

        if self.agent_id is None:
            return None
        doc = await info.context.loaders.by_id(models.Agent).load(self.agent_id)
        return Agent.from_document(doc) if doc else None

    events = events_field(
        "task",
        "This task's events (what `taskUpdated(id)` streams), a page at a time.",
    )

    @classmethod
    def from_document(cls, doc: models.Task) -> Task:
        return cls(
            id=strawberry.ID(doc.id),
            name=doc.name,
            description=doc.description,
            type=doc.type,
            status=doc.status,
            priority=doc.priority,
            progress=doc.progress,
            parameters=JSON(doc.parameters),
            required_capabilities=doc.required_capabilities,
            tags=doc.tags,
            schedule=TaskSchedule(type=doc.schedule.type, value=doc.schedule.value)
            if doc.schedule
            else None,
            next_run=doc.next_run,
            last_run=doc.last_run,
            statistics=TaskStatistics(**doc.statistics.model_dump()),
            result=JSON(doc.result),
            error=doc.error,
            attempts=doc.attempts,
            max_attempts=doc.max_attempts,
            agent_id=strawberry.ID(doc.agent_id) if doc.agent_id else None,
            system_id=strawberry.ID(doc.system_id) if doc.system_id else None,
            lease_expires_at=doc.lease_expires_at,
            parent_id=strawberry.ID(doc.parent_id) if doc.parent_id else None,
            scheduled_for=doc.scheduled_for,
            queued_at=doc.queued_at,
            started_at=doc.started_at,
            completed_at=doc.completed_at,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
            progress_details=JSON(doc.progress_details) if doc.progress_details else None,
        )


@strawberry.input
class TaskFilter:
    """OCTOSPINE's TaskFilter (`status`, `limit`) plus what a frontend filters by."""

    status: TaskStatus | None = None  # type: ignore[valid-type]
    statuses: list[TaskStatus] | None = None  # type: ignore[valid-type]
    type: str | None = None
    priority: TaskPriority | None = None  # type: ignore[valid-type]
    agent_id: strawberry.ID | None = None
    system_id: strawberry.ID | None = None
    parent_id: strawberry.ID | None = None
    tags: list[str] | None = None
    capability: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    search: str | None = None
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.TaskFilterArgs:
        return logic.TaskFilterArgs(
            status=self.status,
            statuses=self.statuses,
            type=self.type,
            priority=self.priority,
            agent_id=self.agent_id,
            system_id=self.system_id,
            parent_id=self.parent_id,
            tags=self.tags,
            capability=self.capability,
            created_after=self.created_after,
            created_before=self.created_before,
            updated_after=self.updated_after,
            search=self.search,
        )


@strawberry.enum
class TaskSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    PRIORITY = strawberry.enum_value(
        "priority_rank",
        description="By priority; tasks of one priority newest first (DESC) or oldest first (ASC)",
    )
    PROGRESS = "progress"


@strawberry.input
class TaskSort:
    field: TaskSortField = TaskSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class ScheduleInput:
    type: ScheduleType
    value: str


@strawberry.input
class CreateTaskInput:
    name: str
    description: str | None = None
    type: str | None = "process"
    priority: TaskPriority | None = TaskPriorityModel.MEDIUM  # type: ignore[valid-type]
    parameters: JSON | None = None
    schedule: ScheduleInput | None = None
    required_capabilities: list[str] | None = None
    tags: list[str] | None = None
    system_id: strawberry.ID | None = None
    max_attempts: int | None = None


@strawberry.input
class UpdateTaskInput:
    name: str | None = None
    description: str | None = None
    type: str | None = None
    priority: TaskPriority | None = None  # type: ignore[valid-type]
    parameters: JSON | None = None
    schedule: ScheduleInput | None = None
    clear_schedule: bool = False
    required_capabilities: list[str] | None = None
    tags: list[str] | None = None
    max_attempts: int | None = None


def draft_from(data: CreateTaskInput | UpdateTaskInput) -> logic.TaskDraft:
    return logic.TaskDraft(
        name=data.name,
        description=data.description,
        type=data.type,
        priority=data.priority,
        parameters=data.parameters,
        schedule=(data.schedule.type.value, data.schedule.value) if data.schedule else None,
        clear_schedule=getattr(data, "clear_schedule", False),
        required_capabilities=data.required_capabilities,
        tags=data.tags,
        system_id=getattr(data, "system_id", None),
        max_attempts=data.max_attempts,
    )
