"""Agents: workers and registered nodes that advertise capabilities and take tasks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from axonql.ids import new_id
from axonql.models.base import Entity


class AgentStatus(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"
    BUSY = "busy"
    OFFLINE = "offline"


class AgentConfiguration(BaseModel):
    max_concurrent_tasks: int = 5
    timeout: int = 300
    retry_attempts: int = 3


class AgentStatistics(BaseModel):
    total_tasks_completed: int = 0
    successful_tasks: int = 0
    failed_tasks: int = 0
    average_task_duration: float = 0.0
    uptime: float = 0.0


class Agent(Entity):
    """A worker: status, capabilities, configuration, statistics and heartbeat."""

    id: str = Field(default_factory=lambda: new_id("agent"))
    name: str
    type: str = "worker"
    status: AgentStatus = AgentStatus.ACTIVE
    capabilities: list[str] = Field(default_factory=list)
    configuration: AgentConfiguration = Field(default_factory=AgentConfiguration)
    statistics: AgentStatistics = Field(default_factory=AgentStatistics)
    last_heartbeat: datetime | None = None
    system_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "agents"
        indexes = [
            [("_id", 1), ("created_at", 1)],  # id ranges: samples of values (value_order)
            [("name", 1), ("created_at", 1)],  # sorted by value (value_order)
            # (filter, created_at): a filter's newest-first windows read only its
            # matches, and the field still leads an index
            [("type", 1), ("created_at", 1)],
            [("status", 1), ("created_at", 1)],
            [("capabilities", 1), ("created_at", 1)],
            [("system_id", 1), ("created_at", 1)],
            [("tags", 1), ("created_at", 1)],
            "last_heartbeat",
            "created_at",
            "updated_at",
        ]
