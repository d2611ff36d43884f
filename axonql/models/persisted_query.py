"""Queries registered through automatic persisted queries, shared by every instance."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pydantic import Field

from axonql.models.base import Entity, utcnow


class PersistedQuery(Entity):
    """One query text under its SHA-256; dropped at `expires_at` (a client re-registers)."""

    id: str  # the query's sha256, lowercase hex
    query: str
    expires_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "persisted_queries"
        indexes = [pymongo.IndexModel("expires_at", expireAfterSeconds=0)]
