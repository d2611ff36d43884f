"""Users: accounts (password hash, scopes), learning context, sessions; tokens and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import BaseModel, Field

from axonql.ids import new_id
from axonql.models.base import Entity


class LearningContext(BaseModel):
    """SynapticOS's user context: skills, preferences, goals and progress."""

    skill_levels: dict[str, float] = Field(default_factory=dict)
    preferences: dict[str, Any] = Field(default_factory=dict)
    goals: list[str] = Field(default_factory=list)
    consciousness_level: float = 0.5
    time_spent: float = 0.0
    achievements: list[str] = Field(default_factory=list)
    current_session_id: str | None = None
    created_at: datetime | None = None  # None until a context is created (SynapticOS)
    updated_at: datetime | None = None
    achievement_unlocked_at: dict[str, datetime] = Field(default_factory=dict)
    completed_modules: list[str] = Field(default_factory=list)
    module_progress: dict[str, float] = Field(default_factory=dict)
    revision: int = 0  # optimistic concurrency: every learning write bumps it


class User(Entity):
    """An account; `id` may be chosen by the client (`user123`)."""

    id: str = Field(default_factory=lambda: new_id("user"))
    username: str
    email: str | None = None
    password_hash: str | None = None
    scopes: list[str] = Field(default_factory=list)
    is_active: bool = True
    learning: LearningContext = Field(default_factory=LearningContext)
    tags: list[str] = Field(default_factory=list)
    # Access tokens carry the version they were issued under; bumping it (password, scopes,
    # deactivation) ends every access token issued before, without waiting for `exp`.
    token_version: int = 0

    class Settings:
        name = "users"
        indexes = [
            [("_id", 1), ("created_at", 1)],  # id ranges: samples of values (value_order)
            pymongo.IndexModel("username", unique=True),
            "email",
            # (filter, created_at): a filter's newest-first windows read only its
            # matches, and the field still leads an index
            [("scopes", 1), ("created_at", 1)],
            [("is_active", 1), ("created_at", 1)],
            [("tags", 1), ("created_at", 1)],
            "created_at",
            "updated_at",
        ]


class LearningSession(Entity):
    """One learning session of one user; at most one is active at a time."""

    id: str = Field(default_factory=lambda: new_id("session"))
    user_id: str
    status: str = "active"
    module_id: str | None = None
    started_at: datetime
    ended_at: datetime | None = None
    duration_seconds: float = 0.0
    data: dict[str, Any] = Field(default_factory=dict)
    learning_mode: str = "focused"
    consciousness_level: float | None = None
    progress: float = 0.0
    exercises_completed: int = 0
    exercises_total: int = 0
    scores: list[float] = Field(default_factory=list)
    time_reported: float = 0.0  # seconds already added to the context by progress updates
    adaptive_content: dict[str, Any] = Field(default_factory=dict)
    consciousness_adaptations: list[str] = Field(default_factory=list)
    completion_status: str | None = None
    final_score: float | None = None
    feedback: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, Any] = Field(default_factory=dict)
    skill_updates: dict[str, str] = Field(default_factory=dict)
    achievements_unlocked: list[str] = Field(default_factory=list)

    class Settings:
        name = "learning_sessions"
        indexes = [[("user_id", 1), ("started_at", -1)], "status"]


class RefreshToken(Entity):
    """A stored refresh token (by hash). Rotation revokes it; reuse revokes its family."""

    id: str
    user_id: str
    family: str
    expires_at: datetime
    revoked_at: datetime | None = None

    class Settings:
        name = "refresh_tokens"
        indexes = [
            "user_id",
            "family",
            pymongo.IndexModel("expires_at", expireAfterSeconds=0),
        ]


class RevokedSession(Entity):
    """A refresh-token family that was revoked: access tokens issued in it stop working.

    Kept only as long as such an access token could still be unexpired.
    """

    id: str  # the family
    user_id: str
    expires_at: datetime

    class Settings:
        name = "revoked_sessions"
        indexes = [pymongo.IndexModel("expires_at", expireAfterSeconds=0)]


class ApiKey(Entity):
    """An API key (stored hashed) for an agent or a user."""

    id: str = Field(default_factory=lambda: new_id("key"))
    name: str = ""
    secret_hash: str
    scopes: list[str] = Field(default_factory=list)
    agent_id: str | None = None
    user_id: str | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    class Settings:
        name = "api_keys"
        indexes = ["agent_id", "user_id"]
