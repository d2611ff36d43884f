"""Root fields for learning: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.learning_types import (
    CreateUserContextResult,
    EndLearningSessionInput,
    LearningAdaptation,
    LearningPath,
    LearningSessionResult,
    ProgressUpdateResult,
    Recommendation,
    StartLearningSessionInput,
    UserContext,
    UserContextInput,
    UserProgressInput,
)
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import learning_sessions as sessions
from axonql.services import user_learning as logic


@strawberry.type
class LearningQuery:
    @query(Scope.USER_MANAGE, description="A user's learning context (USER_NOT_FOUND if none).")
    async def user_context(self, info: Info, user_id: strawberry.ID) -> UserContext:
        return UserContext.from_document(await logic.get_context(user_id))

    @query(Scope.USER_MANAGE, description="Unlocked modules ranked for the user, best first.")
    async def recommendations(
        self,
        info: Info,
        user_id: strawberry.ID,
        limit: int | None = 10,
        domain: str | None = None,
        difficulty: str | None = None,
    ) -> list[Recommendation]:
        ranked = await logic.recommendations(user_id, limit, domain, difficulty)
        return [Recommendation.from_ranked(r) for r in ranked]

    @query(Scope.USER_MANAGE, description="The user's modules in prerequisite order.")
    async def learning_path(self, info: Info, user_id: strawberry.ID) -> LearningPath:
        return LearningPath.from_plan(user_id, await logic.learning_path(user_id))


@strawberry.type
class LearningMutation:
    @mutation(Scope.USER_MANAGE, description="Creates (or updates) a user's learning context.")
    async def create_user_context(
        self, info: Info, user_id: strawberry.ID, input: UserContextInput
    ) -> CreateUserContextResult:
        done = await logic.create_context(
            user_id,
            logic.ContextDraft(
                skill_levels=input.skill_levels,
                learning_preferences=input.learning_preferences,
                goals=input.goals,
                consciousness_level=input.consciousness_level,
            ),
        )
        return CreateUserContextResult(
            user_id=strawberry.ID(done.user.id),
            context_created=done.created,
            initial_consciousness_level=done.user.learning.consciousness_level,
            recommended_starting_modules=done.starting_modules,
            context=UserContext.from_document(done.user),
        )

    @mutation(Scope.USER_MANAGE, description="Records progress; adapts skill and consciousness.")
    async def update_user_progress(
        self, info: Info, user_id: strawberry.ID, input: UserProgressInput
    ) -> ProgressUpdateResult:
        out = await logic.update_progress(
            user_id,
            logic.ProgressDraft(
                module_id=input.module_id,
                progress_percentage=input.progress_percentage,
                time_spent_seconds=input.time_spent_seconds,
                exercises_completed=input.exercises_completed,
                exercises_total=input.exercises_total,
                score=input.score,
                difficulty_rating=input.difficulty_rating,
                session_id=input.session_id,
            ),
        )
        return ProgressUpdateResult(
            progress_updated=True,
            user_id=strawberry.ID(out.user.id),
            module_id=out.module_id,
            domain=out.domain,
            new_skill_level=out.skill_level_label,
            skill_level=out.skill_level,
            skill_change=out.skill_change,
            module_completed=out.module_completed,
            consciousness_adaptation=LearningAdaptation(
                level_change=out.step.change,
                reason=out.step.reason,
                previous_level=out.step.previous,
                new_level=out.step.new,
            ),
            next_recommendations=out.next_recommendations,
            achievements_unlocked=[a.id for a in out.achievements],
            session_id=strawberry.ID(out.session_id) if out.session_id else None,
        )

    @mutation(Scope.USER_MANAGE, description="Starts a session (CONFLICT if one is active).")
    async def start_learning_session(
        self, info: Info, user_id: strawberry.ID, input: StartLearningSessionInput
    ) -> LearningSessionResult:
        doc = await sessions.start_session(
            user_id, input.module_id, input.learning_mode, input.consciousness_level
        )
        return LearningSessionResult.from_document(doc)

    @mutation(Scope.USER_MANAGE, description="Ends an active session (SESSION_NOT_ACTIVE if not).")
    async def end_learning_session(
        self,
        info: Info,
        user_id: strawberry.ID,
        session_id: strawberry.ID,
        input: EndLearningSessionInput | None = None,
    ) -> LearningSessionResult:
        data = input or EndLearningSessionInput()
        doc = await sessions.end_session(
            user_id,
            session_id,
            sessions.EndDraft(
                completion_status=data.completion_status,
                final_score=data.final_score,
                feedback=data.feedback,
            ),
        )
        return LearningSessionResult.from_document(doc)
