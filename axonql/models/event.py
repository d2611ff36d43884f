"""The persisted event log: every state change worth watching, in commit order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import Field

from axonql.ids import new_id
from axonql.models.base import Entity, utcnow


class Event(Entity):
    """One event: type, the ids it concerns, a payload."""

    id: str = Field(default_factory=lambda: new_id("evt"))
    type: str
    system_id: str | None = None
    task_id: str | None = None
    agent_id: str | None = None
    user_id: str | None = None
    population_id: str | None = None
    memory_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    expires_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "events"
        indexes = [
            "type",
            "task_id",
            "agent_id",
            "system_id",
            "user_id",
            "population_id",
            "memory_id",
            "created_at",
            pymongo.IndexModel("expires_at", expireAfterSeconds=0),
        ]
