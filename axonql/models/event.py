"""The persisted event log: every state change worth watching, in commit order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import Field

from axonql.models.base import Entity, utcnow

EVENT_ID_PREFIX = "evt_"
SUBJECT_FIELDS = ("system_id", "task_id", "agent_id", "user_id", "population_id", "memory_id")


def event_id(seq: int) -> str:
    """`evt_000000000042`: zero-padded so ids sort like their sequence numbers."""
    return f"{EVENT_ID_PREFIX}{seq:012d}"


class Event(Entity):
    """One event: type, the ids it concerns, a payload; `seq` is its place in commit order."""

    seq: int
    type: str
    system_id: str | None = None
    task_id: str | None = None
    agent_id: str | None = None
    user_id: str | None = None
    population_id: str | None = None
    memory_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    # The subjects as they stood when the event committed (`task`, `agent` …: stored
    # documents), read once in its transaction so no reader has to fetch them again.
    snapshots: dict[str, dict[str, Any]] = Field(default_factory=dict)
    expires_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "events"
        indexes = [
            pymongo.IndexModel("seq", unique=True),
            pymongo.IndexModel([("type", 1), ("seq", 1)]),
            pymongo.IndexModel([("task_id", 1), ("seq", 1)]),
            pymongo.IndexModel([("agent_id", 1), ("seq", 1)]),
            pymongo.IndexModel([("system_id", 1), ("seq", 1)]),
            pymongo.IndexModel([("user_id", 1), ("seq", 1)]),
            pymongo.IndexModel([("population_id", 1), ("seq", 1)]),
            pymongo.IndexModel([("memory_id", 1), ("seq", 1)]),
            pymongo.IndexModel("expires_at", expireAfterSeconds=0),
            # the scheduler's event triggers read the events of the last tick by time
            pymongo.IndexModel("created_at"),
        ]
