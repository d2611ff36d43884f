"""Leases on named jobs, so one instance among several runs a job such as the scheduler."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from axonql.models.base import Entity


class Lock(Entity):
    """A named lease: `owner` holds it until `expires_at`; `state` is the job's own bookmark."""

    id: str  # the job name, e.g. "scheduler"
    owner: str = ""
    expires_at: datetime | None = None
    state: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "locks"
