"""Agent types and inputs."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.models.agent import AgentStatus as AgentStatusModel
from axonql.schema.context import Info
from axonql.schema.entity_events import events_field
from axonql.schema.node import Node
from axonql.schema.pagination_types import SortDirection
from axonql.schema.permissions import field
from axonql.services import agents as logic

if TYPE_CHECKING:
    from axonql.schema.task_types import Task

AgentStatus = strawberry.enum(AgentStatusModel, name="AgentStatus")


@strawberry.type
class AgentConfiguration:
    max_concurrent_tasks: int
    timeout: int
    retry_attempts: int


@strawberry.type
class AgentStatistics:
    total_tasks_completed: int
    successful_tasks: int
    failed_tasks: int
    average_task_duration: float
    uptime: float


@strawberry.type
class Agent(Node):
    """A worker that advertises capabilities and takes tasks."""

    id: strawberry.ID
    name: str
    type: str
    status: AgentStatus  # type: ignore[valid-type]
    capabilities: list[str]
    configuration: AgentConfiguration
    statistics: AgentStatistics
    last_heartbeat: datetime | None
    system_id: strawberry.ID | None
    tags: list[str]
    metadata: JSON
    created_at: datetime
    updated_at: datetime

    @field(description="Tasks this agent is running or has paused.")
    async def current_tasks(
        self, info: Info
    ) -> list[Annotated[Task, strawberry.lazy("axonql.schema.task_types")]]:
        from axonql.schema.task_types import Task

        docs = await logic.current_tasks(info.context.loaders, str(self.id))
        return [Task.from_document(d) for d in docs]

    events = events_field(
        "agent",
        "This agent's events (what `agentUpdated(id)` streams), a page at a time.",
    )

    @classmethod
    def from_document(cls, doc: models.Agent) -> Agent:
        return cls(
            id=strawberry.ID(doc.id),
            name=doc.name,
            type=doc.type,
            status=doc.status,
            capabilities=doc.capabilities,
            configuration=AgentConfiguration(**doc.configuration.model_dump()),
            statistics=AgentStatistics(**doc.statistics.model_dump()),
            last_heartbeat=doc.last_heartbeat,
            system_id=strawberry.ID(doc.system_id) if doc.system_id else None,
            tags=doc.tags,
            metadata=JSON(doc.metadata),
            created_at=doc.created_at,
            updated_at=doc.updated_at,
        )


@strawberry.input
class AgentFilter:
    status: AgentStatus | None = None  # type: ignore[valid-type]
    type: str | None = None
    capability: str | None = None
    system_id: strawberry.ID | None = None
    tags: list[str] | None = None
    heartbeat_after: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.AgentFilterArgs:
        return logic.AgentFilterArgs(
            status=self.status,
            type=self.type,
            capability=self.capability,
            system_id=self.system_id,
            tags=self.tags,
            heartbeat_after=self.heartbeat_after,
            created_after=self.created_after,
            created_before=self.created_before,
            search=self.search,
        )


@strawberry.enum
class AgentSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"


@strawberry.input
class AgentSort:
    field: AgentSortField = AgentSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class AgentConfigurationInput:
    max_concurrent_tasks: int | None = None
    timeout: int | None = None
    retry_attempts: int | None = None


@strawberry.input
class CreateAgentInput:
    name: str
    type: str | None = "worker"
    capabilities: list[str] | None = None
    configuration: AgentConfigurationInput | None = None
    system_id: strawberry.ID | None = None
    tags: list[str] | None = None
    metadata: JSON | None = None


@strawberry.input
class UpdateAgentInput:
    name: str | None = None
    type: str | None = None
    status: AgentStatus | None = None  # type: ignore[valid-type]
    capabilities: list[str] | None = None
    configuration: AgentConfigurationInput | None = None
    tags: list[str] | None = None
    metadata: JSON | None = None


def draft_from(data: CreateAgentInput | UpdateAgentInput) -> logic.AgentDraft:
    config = data.configuration or AgentConfigurationInput()
    return logic.AgentDraft(
        name=data.name,
        type=data.type,
        status=getattr(data, "status", None),
        capabilities=data.capabilities,
        max_concurrent_tasks=config.max_concurrent_tasks,
        timeout=config.timeout,
        retry_attempts=config.retry_attempts,
        system_id=getattr(data, "system_id", None),
        tags=data.tags,
        metadata=data.metadata,
    )
