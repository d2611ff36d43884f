"""OCTOSPINE's automations: tasks with triggers and ordered steps, fired by the scheduler."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.schema.node import Node
from axonql.schema.task_types import TaskPriority, TaskStatistics
from axonql.services import automations as logic
from axonql.services.tasks import TaskDraft


@strawberry.enum
class AutomationStatus(Enum):
    ACTIVE = "active"
    PAUSED = "paused"


@strawberry.enum
class AutomationTriggerType(Enum):
    SCHEDULE = "schedule"
    INTERVAL = "interval"
    EVENT = "event"


@strawberry.type
class AutomationTrigger:
    type: AutomationTriggerType
    value: str
    next_trigger: datetime | None


@strawberry.type
class AutomationStep:
    name: str
    type: str
    parameters: JSON


@strawberry.type
class Automation(Node):
    """An automation; `successRate` is successful ÷ total runs (null before the first)."""

    id: strawberry.ID
    name: str
    description: str
    type: str
    status: AutomationStatus
    enabled: bool
    triggers: list[AutomationTrigger]
    steps: list[AutomationStep]
    success_rate: float | None
    last_run: datetime | None
    next_run: datetime | None
    statistics: TaskStatistics
    tags: list[str]
    system_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, doc: models.Task) -> Automation:
        return cls(
            id=strawberry.ID(doc.id),
            name=doc.name,
            description=doc.description,
            type=doc.type,
            status=AutomationStatus.ACTIVE if doc.enabled else AutomationStatus.PAUSED,
            enabled=doc.enabled,
            triggers=[
                AutomationTrigger(
                    type=AutomationTriggerType(t.type),
                    value=t.value,
                    next_trigger=t.next_trigger if doc.enabled else None,
                )
                for t in doc.triggers
                if t.type in {m.value for m in AutomationTriggerType}
            ],
            steps=[
                AutomationStep(name=s.name, type=s.type, parameters=JSON(s.parameters))
                for s in doc.steps
            ],
            success_rate=logic.success_rate(doc),
            last_run=doc.last_run,
            next_run=doc.next_run if doc.enabled else None,
            statistics=TaskStatistics(**doc.statistics.model_dump()),
            tags=doc.tags,
            system_id=strawberry.ID(doc.system_id) if doc.system_id else None,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
        )


@strawberry.input
class AutomationFilter:
    status: AutomationStatus | None = None
    type: str | None = None
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.AutomationFilterArgs:
        enabled = None if self.status is None else self.status is AutomationStatus.ACTIVE
        return logic.AutomationFilterArgs(enabled=enabled, type=self.type)


@strawberry.input
class AutomationTriggerInput:
    type: AutomationTriggerType
    value: str


@strawberry.input
class AutomationStepInput:
    name: str
    type: str
    parameters: JSON | None = None


@strawberry.input
class CreateAutomationInput:
    name: str
    description: str | None = None
    type: str | None = None
    priority: TaskPriority | None = None  # type: ignore[valid-type]
    triggers: list[AutomationTriggerInput]
    steps: list[AutomationStepInput]
    enabled: bool | None = True
    required_capabilities: list[str] | None = None
    tags: list[str] | None = None
    system_id: strawberry.ID | None = None


@strawberry.input
class UpdateAutomationInput:
    name: str | None = None
    description: str | None = None
    type: str | None = None
    priority: TaskPriority | None = None  # type: ignore[valid-type]
    triggers: list[AutomationTriggerInput] | None = None
    steps: list[AutomationStepInput] | None = None
    enabled: bool | None = None
    required_capabilities: list[str] | None = None
    tags: list[str] | None = None


def draft_from(data: CreateAutomationInput | UpdateAutomationInput) -> logic.AutomationDraft:
    return logic.AutomationDraft(
        task=TaskDraft(
            name=data.name,
            description=data.description,
            type=data.type,
            priority=data.priority,
            required_capabilities=data.required_capabilities,
            tags=data.tags,
            system_id=getattr(data, "system_id", None),
        ),
        triggers=None
        if data.triggers is None
        else [logic.TriggerDraft(t.type.value, t.value) for t in data.triggers],
        steps=None
        if data.steps is None
        else [logic.StepDraft(s.name, s.type, s.parameters) for s in data.steps],
        enabled=data.enabled,
    )
