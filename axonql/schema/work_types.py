"""Root fields for agents at work: register, heartbeat, claim, report, finish, control, submit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from axonql.schema.agent_types import Agent
from axonql.services import work as logic


@strawberry.type
class AgentRegistration:
    """A registered agent and its API key; the key is shown this once only."""

    agent: Agent
    api_key: str


@strawberry.type
class StatusCount:
    status: str
    count: int


@strawberry.type
class TaskStatisticsSummary:
    """How the queue is doing."""

    total: int
    by_status: list[StatusCount]
    created: int
    queued: int
    running: int
    paused: int
    completed: int
    failed: int
    cancelled: int
    average_duration_seconds: float
    success_rate: float | None
    oldest_queued_seconds: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskStatisticsSummary:
        by = data["by_status"]
        return cls(
            total=data["total"],
            by_status=[StatusCount(status=k, count=n) for k, n in by.items()],
            created=by["created"],
            queued=by["queued"],
            running=by["running"],
            paused=by["paused"],
            completed=by["completed"],
            failed=by["failed"],
            cancelled=by["cancelled"],
            average_duration_seconds=data["average_duration"],
            success_rate=data["success_rate"],
            oldest_queued_seconds=data["oldest_queued_seconds"],
        )


@strawberry.type
class AgentStatisticsSummary:
    """How the workforce is doing."""

    total: int
    online: int
    by_status: list[StatusCount]
    tasks_completed: int
    tasks_failed: int
    tasks_finished: int
    average_task_duration_seconds: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentStatisticsSummary:
        return cls(
            total=data["total"],
            online=data["online"],
            by_status=[StatusCount(status=k, count=n) for k, n in data["by_status"].items()],
            tasks_completed=data["tasks_completed"],
            tasks_failed=data["tasks_failed"],
            tasks_finished=data["tasks_finished"],
            average_task_duration_seconds=data["average_task_duration"],
        )


@strawberry.type
class ScheduleEntry:
    """One schedule: a scheduled task, or one schedule trigger of an automation."""

    task_id: strawberry.ID
    name: str
    is_automation: bool
    kind: str
    value: str
    next_run: datetime | None
    last_run: datetime | None
    total_runs: int

    @classmethod
    def from_schedule(cls, found: logic.Schedule) -> ScheduleEntry:
        task = found.task
        return cls(
            task_id=strawberry.ID(task.id),
            name=task.name,
            is_automation=task.is_automation,
            kind=found.kind,
            value=found.value,
            next_run=found.next_run,
            last_run=task.last_run,
            total_runs=task.statistics.total_runs,
        )
