"""User types and inputs; the password hash never leaves the server."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.models.user import LearningContext as LearningContextModel
from axonql.schema.context import Info
from axonql.schema.entity_events import events_field
from axonql.schema.node import Node
from axonql.schema.pagination_types import SortDirection, list_window
from axonql.schema.permissions import field
from axonql.services import user_management as logic

if TYPE_CHECKING:
    pass


@strawberry.type
class LearningContext:
    """SynapticOS's user context: skills, preferences, goals and progress."""

    skill_levels: JSON
    preferences: JSON
    goals: list[str]
    consciousness_level: float
    time_spent: float
    achievements: list[str]
    current_session_id: strawberry.ID | None

    @classmethod
    def from_model(cls, ctx: LearningContextModel) -> LearningContext:
        return cls(
            skill_levels=JSON(ctx.skill_levels),
            preferences=JSON(ctx.preferences),
            goals=ctx.goals,
            consciousness_level=ctx.consciousness_level,
            time_spent=ctx.time_spent,
            achievements=ctx.achievements,
            current_session_id=strawberry.ID(ctx.current_session_id)
            if ctx.current_session_id
            else None,
        )


@strawberry.type
class UserSession(Node):
    """One learning session of a user."""

    id: strawberry.ID
    status: str
    module_id: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float

    @classmethod
    def from_document(cls, doc: models.LearningSession) -> UserSession:
        return cls(
            id=strawberry.ID(doc.id),
            status=doc.status,
            module_id=doc.module_id,
            started_at=doc.started_at,
            ended_at=doc.ended_at,
            duration_seconds=doc.duration_seconds,
        )


@strawberry.type
class User(Node):
    """An account and its learning context."""

    id: strawberry.ID
    username: str
    email: str | None
    scopes: list[str]
    is_active: bool
    tags: list[str]
    learning_context: LearningContext
    created_at: datetime
    updated_at: datetime

    @field(description="Learning sessions, newest first.")
    async def sessions(
        self, info: Info, status: str | None = None, limit: int = 20
    ) -> list[UserSession]:
        size, _ = list_window(info, limit, 0)
        docs = await logic.recent_sessions(info.context.loaders, str(self.id), status, size)
        return [UserSession.from_document(d) for d in docs]

    events = events_field(
        "user",
        "This user's events (what `userUpdated(id)` streams), a page at a time.",
    )

    @classmethod
    def from_document(cls, doc: models.User) -> User:
        return cls(
            id=strawberry.ID(doc.id),
            username=doc.username,
            email=doc.email,
            scopes=doc.scopes,
            is_active=doc.is_active,
            tags=doc.tags,
            learning_context=LearningContext.from_model(doc.learning),
            created_at=doc.created_at,
            updated_at=doc.updated_at,
        )


@strawberry.input
class UserFilter:
    active: bool | None = None
    scope: str | None = None
    tag: str | None = None
    search: str | None = strawberry.field(default=None, description="Part of the username.")
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.UserFilterArgs:
        return logic.UserFilterArgs(
            active=self.active,
            scope=self.scope,
            tag=self.tag,
            search=self.search,
            created_after=self.created_after,
            created_before=self.created_before,
        )


@strawberry.enum
class UserSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    USERNAME = "username"


@strawberry.input
class UserSort:
    field: UserSortField = UserSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class LearningContextInput:
    skill_levels: JSON | None = strawberry.field(
        default=None, description="Skill name → level between 0 and 1."
    )
    preferences: JSON | None = None
    goals: list[str] | None = None
    consciousness_level: float | None = None
    time_spent: float | None = None
    achievements: list[str] | None = None

    def to_draft(self) -> logic.LearningDraft:
        return logic.LearningDraft(
            skill_levels=self.skill_levels,
            preferences=self.preferences,
            goals=self.goals,
            consciousness_level=self.consciousness_level,
            time_spent=self.time_spent,
            achievements=self.achievements,
        )


@strawberry.input
class CreateUserInput:
    username: str
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Choose the id (`user123`); generated when absent."
    )
    email: str | None = None
    password: str | None = strawberry.field(
        default=None, description="Without a password the user cannot log in."
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description="Granting scopes requires admin:system."
    )
    is_active: bool | None = True
    tags: list[str] | None = None
    learning_context: LearningContextInput | None = None


@strawberry.input
class UpdateUserInput:
    username: str | None = None
    email: str | None = strawberry.field(default=None, description="Empty string clears it.")
    password: str | None = None
    scopes: list[str] | None = None
    is_active: bool | None = None
    tags: list[str] | None = None
    learning_context: LearningContextInput | None = None


def draft_from(data: CreateUserInput | UpdateUserInput) -> logic.UserDraft:
    return logic.UserDraft(
        username=data.username,
        email=data.email,
        password=data.password,
        scopes=data.scopes,
        is_active=data.is_active,
        tags=data.tags,
        learning=data.learning_context.to_draft() if data.learning_context else None,
    )
