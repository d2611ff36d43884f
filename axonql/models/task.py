"""Tasks: units of work with a lifecycle, a schedule and (for automations) triggers and steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import pymongo
from beanie import Document
from pydantic import BaseModel, Field

from axonql.ids import new_id
from axonql.models.base import Entity


class TaskStatus(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


PRIORITY_RANK = {
    TaskPriority.LOW: 0,
    TaskPriority.MEDIUM: 1,
    TaskPriority.HIGH: 2,
    TaskPriority.CRITICAL: 3,
}


class Schedule(BaseModel):
    """Run every `value` seconds (`interval`) or on a cron expression (`cron`)."""

    type: str
    value: str


class Trigger(BaseModel):
    """What starts an automation: a schedule (cron) or a matching event type."""

    type: str
    value: str
    next_trigger: datetime | None = None


class Step(BaseModel):
    """One ordered step of an automation."""

    name: str
    type: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class TaskStatistics(BaseModel):
    """Runs of this task (and, for a schedule or automation, of every run it created)."""

    total_runs: int = 0
    successful_runs: int = 0
    failed_runs: int = 0
    average_duration: float = 0.0


class Task(Entity):
    """A unit of work; automations are tasks with `is_automation` and triggers/steps.

    A task with a schedule (or an automation) is a template: each firing creates a run, a
    queued task with `parent_id` and a unique `run_key`, so a firing is never stored twice.
    """

    id: str = Field(default_factory=lambda: new_id("task"))
    name: str
    description: str = ""
    type: str = "process"
    status: TaskStatus = TaskStatus.CREATED
    priority: TaskPriority = TaskPriority.MEDIUM
    priority_rank: int = 1
    parameters: dict[str, Any] = Field(default_factory=dict)
    required_capabilities: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    schedule: Schedule | None = None
    next_run: datetime | None = None
    last_run: datetime | None = None
    progress: int = 0
    statistics: TaskStatistics = Field(default_factory=TaskStatistics)
    result: dict[str, Any] | None = None
    error: str | None = None
    agent_id: str | None = None
    system_id: str | None = None
    lease_expires_at: datetime | None = None
    attempts: int = 0
    max_attempts: int = 3
    started_at: datetime | None = None
    completed_at: datetime | None = None
    is_automation: bool = False
    enabled: bool = True
    triggers: list[Trigger] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    parent_id: str | None = None
    run_key: str | None = None
    scheduled_for: datetime | None = None
    queued_at: datetime | None = None
    # What the running agent last reported beside its progress (epoch, metrics …).
    progress_details: dict[str, Any] | None = None

    class Settings:
        name = "tasks"
        indexes = [
            [("_id", 1), ("created_at", 1)],  # id ranges: samples of values (value_order)
            [("name", 1), ("created_at", 1)],  # sorted by value (value_order)
            "status",
            "type",
            "priority",
            [("progress", 1), ("created_at", 1)],  # sorted by value (value_order)
            # An agent's tasks, and its active ones (`queue.active_count`, each claim): one
            # range of this index, however many tasks run elsewhere or it ran before.
            [("agent_id", 1), ("status", 1)],
            "system_id",
            "tags",
            "required_capabilities",
            "created_at",
            "updated_at",
            "next_run",
            "lease_expires_at",
            "is_automation",
            "parent_id",
            pymongo.IndexModel(
                "run_key",
                name="run_key_unique",
                unique=True,
                partialFilterExpression={"run_key": {"$type": "string"}},
            ),
            [("priority_rank", pymongo.DESCENDING), ("created_at", pymongo.ASCENDING)],
            [
                ("status", pymongo.ASCENDING),
                ("priority_rank", pymongo.DESCENDING),
                ("created_at", pymongo.ASCENDING),
            ],
            # Lists read in `created_at` windows (services/pagination.windows); these serve
            # the filters lists offer by equality, so a window reads only the matches.
            [("is_automation", 1), ("status", 1), ("created_at", 1)],
            [("is_automation", 1), ("type", 1), ("created_at", 1)],
            [("is_automation", 1), ("status", 1), ("type", 1), ("created_at", 1)],
            [("is_automation", 1), ("agent_id", 1), ("created_at", 1)],
            # An agent's tasks in every other order (value_order's ranges and levels, the
            # `updated_at` windows): each read holds only the agent's tasks, however few of
            # the collection's they are.
            [("is_automation", 1), ("agent_id", 1), ("name", 1), ("created_at", 1), ("_id", 1)],
            [("is_automation", 1), ("agent_id", 1), ("progress", 1), ("created_at", 1), ("_id", 1)],
            [("is_automation", 1), ("agent_id", 1), ("priority", 1), ("created_at", 1), ("_id", 1)],
            [("is_automation", 1), ("agent_id", 1), ("updated_at", 1), ("_id", 1)],
            [("is_automation", 1), ("agent_id", 1), ("status", 1), ("created_at", 1)],
            [("is_automation", 1), ("system_id", 1), ("created_at", 1)],
            [("is_automation", 1), ("required_capabilities", 1), ("created_at", 1)],
            [("is_automation", 1), ("parent_id", 1), ("created_at", 1)],
            [("is_automation", 1), ("priority", 1), ("created_at", 1)],
            [("is_automation", 1), ("tags", 1), ("created_at", 1)],  # one tag (`all_of`)
        ]


class TaskName(Document):
    """The three-character pieces of one task's name (`text_grams`), kept beside the task from
    its events (`services/name_pieces`): a search reads the tasks holding its rarest piece from
    this index, and no write of the task itself (progress, a claim) has more index entries to
    rewrite."""

    id: str  # type: ignore[assignment]  # the task's id
    is_automation: bool = False
    created_at: datetime
    name_grams: list[str] = Field(default_factory=list)

    class Settings:
        name = "task_names"
        indexes = [[("is_automation", 1), ("name_grams", 1), ("created_at", 1)]]
