"""Learning types and root fields: seed 000's user context, progress, sessions, recommendations.

Each seed-000 path maps onto one operation: `POST /users/{id}/context` → `createUserContext`,
`GET …/context` → `userContext`, `POST …/progress` → `updateUserProgress`, `GET
…/recommendations` → `recommendations` + `learningPath` (one document), `POST …/sessions` →
`startLearningSession`, `POST …/sessions/{sid}/end` → `endLearningSession`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.schema.context import Info
from axonql.schema.permissions import field, mutation, query
from axonql.scopes import Scope
from axonql.services import learning as rules
from axonql.services import learning_sessions as sessions
from axonql.services import user_learning as logic
from axonql.services.module_catalog import (
    ACHIEVEMENT_RULES,
    AchievementRule,
    mastery_achievement,
    skill_label,
)


@strawberry.type
class LearnerSkill:
    """One skill: its stored value in 0..1 and the seed's label for it."""

    domain: str
    level: float
    label: str


@strawberry.type
class Achievement:
    id: str
    title: str
    description: str
    unlocked_at: datetime | None

    @classmethod
    def from_rule(cls, rule: AchievementRule, unlocked_at: datetime | None) -> Achievement:
        return cls(
            id=rule.id, title=rule.title, description=rule.description, unlocked_at=unlocked_at
        )


def _achievement(achievement_id: str, unlocked_at: datetime | None) -> Achievement:
    rule = ACHIEVEMENT_RULES.get(achievement_id)
    if rule is None:
        rule = mastery_achievement(achievement_id.removesuffix("_master"))
    return Achievement.from_rule(rule, unlocked_at)


@strawberry.type
class LearningSessionState:
    """Seed 000's `current_session`."""

    session_id: strawberry.ID
    start_time: datetime
    current_module: str | None
    progress: float


@strawberry.type
class UserContext:
    """Seed 000's UserContextState."""

    user_id: strawberry.ID
    created_at: datetime
    last_updated: datetime
    skill_levels: JSON = strawberry.field(description="domain → seed label (`intermediate`)")
    skills: list[LearnerSkill]
    learning_preferences: JSON
    goals: list[str]
    current_consciousness_level: float
    total_time_spent: int = strawberry.field(description="seconds")
    achievements: list[str]
    achievement_details: list[Achievement]
    completed_modules: list[str]
    module_progress: JSON = strawberry.field(description="module id → fraction done (0..1)")
    session_id: strawberry.Private[str | None]

    @field(description="The active learning session, if any.")
    async def current_session(self, info: Info) -> LearningSessionState | None:
        if self.session_id is None:
            return None
        doc = await info.context.loaders.by_id(models.LearningSession).load(self.session_id)
        if doc is None or doc.status != "active":
            return None
        return LearningSessionState(
            session_id=strawberry.ID(doc.id),
            start_time=doc.started_at,
            current_module=doc.module_id,
            progress=doc.progress,
        )

    @classmethod
    def from_document(cls, user: models.User) -> UserContext:
        ctx = user.learning
        created = ctx.created_at or user.created_at
        return cls(
            user_id=strawberry.ID(user.id),
            created_at=created,
            last_updated=ctx.updated_at or created,
            skill_levels=JSON({d: skill_label(x) for d, x in ctx.skill_levels.items()}),
            skills=[
                LearnerSkill(domain=d, level=x, label=skill_label(x))
                for d, x in sorted(ctx.skill_levels.items())
            ],
            learning_preferences=JSON(ctx.preferences),
            goals=ctx.goals,
            current_consciousness_level=ctx.consciousness_level,
            total_time_spent=round(ctx.time_spent),
            achievements=ctx.achievements,
            achievement_details=[
                _achievement(a, ctx.achievement_unlocked_at.get(a)) for a in ctx.achievements
            ],
            completed_modules=ctx.completed_modules,
            module_progress=JSON(ctx.module_progress),
            session_id=ctx.current_session_id,
        )


@strawberry.type
class CreateUserContextResult:
    user_id: strawberry.ID
    context_created: bool = strawberry.field(description="False when the context existed")
    initial_consciousness_level: float
    recommended_starting_modules: list[str]
    context: UserContext


@strawberry.type
class LearningAdaptation:
    """How a progress report moved the consciousness level (and why)."""

    level_change: float
    reason: str
    previous_level: float
    new_level: float


@strawberry.type
class ProgressUpdateResult:
    progress_updated: bool
    user_id: strawberry.ID
    module_id: str
    domain: str
    new_skill_level: str = strawberry.field(description="seed label of the domain skill")
    skill_level: float
    skill_change: float
    module_completed: bool
    consciousness_adaptation: LearningAdaptation
    next_recommendations: list[str]
    achievements_unlocked: list[str]
    session_id: strawberry.ID | None


@strawberry.type
class Recommendation:
    module_id: str
    title: str
    domain: str
    difficulty: str
    estimated_duration: int = strawberry.field(description="seconds")
    consciousness_optimized: bool
    relevance_score: float
    prerequisites: list[str]
    learning_objectives: list[str]

    @classmethod
    def from_ranked(cls, r: rules.Ranked) -> Recommendation:
        m = r.module
        return cls(
            module_id=m.id,
            title=m.title,
            domain=m.domain,
            difficulty=m.difficulty,
            estimated_duration=m.estimated_duration,
            consciousness_optimized=r.consciousness_optimized,
            relevance_score=r.relevance,
            prerequisites=list(m.prerequisites),
            learning_objectives=list(m.learning_objectives),
        )


@strawberry.type
class LearningPathStep:
    position: int
    module_id: str
    title: str
    domain: str
    difficulty: str
    estimated_duration: int
    prerequisites: list[str]
    status: str = strawberry.field(description="completed | known | available | locked")


@strawberry.type
class LearningPath:
    user_id: strawberry.ID
    current_position: int
    total_modules: int
    remaining_seconds: int
    estimated_completion: datetime
    steps: list[LearningPathStep]

    @classmethod
    def from_plan(cls, user_id: str, plan: rules.LearningPlan) -> LearningPath:
        return cls(
            user_id=strawberry.ID(user_id),
            current_position=plan.current_position,
            total_modules=len(plan.steps),
            remaining_seconds=plan.remaining_seconds,
            estimated_completion=plan.estimated_completion,
            steps=[
                LearningPathStep(
                    position=s.position,
                    module_id=s.module.id,
                    title=s.module.title,
                    domain=s.module.domain,
                    difficulty=s.module.difficulty,
                    estimated_duration=s.module.estimated_duration,
                    prerequisites=list(s.module.prerequisites),
                    status=s.status,
                )
                for s in plan.steps
            ],
        )


@strawberry.type
class AdaptiveContent:
    difficulty_level: str
    content_style: str
    estimated_duration: int


@strawberry.type
class LearningSessionSummary:
    duration_seconds: int
    modules_completed: int
    exercises_completed: int
    average_score: float | None


@strawberry.type
class LearningSessionResult:
    """A session as start and end report it (seed 000)."""

    session_id: strawberry.ID
    user_id: strawberry.ID
    module_id: str | None
    status: str
    session_started: bool
    session_ended: bool
    start_time: datetime
    end_time: datetime | None
    learning_mode: str
    progress: float
    adaptive_content: AdaptiveContent
    consciousness_adaptations: list[str]
    completion_status: str | None
    session_summary: LearningSessionSummary | None
    skill_updates: JSON = strawberry.field(description="domain → seed label after the session")
    achievements_unlocked: list[str]

    @classmethod
    def from_document(cls, doc: models.LearningSession) -> LearningSessionResult:
        content = doc.adaptive_content
        summary = doc.summary
        return cls(
            session_id=strawberry.ID(doc.id),
            user_id=strawberry.ID(doc.user_id),
            module_id=doc.module_id,
            status=doc.status,
            session_started=True,
            session_ended=doc.status != "active",
            start_time=doc.started_at,
            end_time=doc.ended_at,
            learning_mode=doc.learning_mode,
            progress=doc.progress,
            adaptive_content=AdaptiveContent(
                difficulty_level=str(content.get("difficulty_level", "")),
                content_style=str(content.get("content_style", "")),
                estimated_duration=int(content.get("estimated_duration", 0)),
            ),
            consciousness_adaptations=doc.consciousness_adaptations,
            completion_status=doc.completion_status,
            session_summary=LearningSessionSummary(**summary) if summary else None,
            skill_updates=JSON(doc.skill_updates),
            achievements_unlocked=doc.achievements_unlocked,
        )


@strawberry.input
class UserContextInput:
    skill_levels: JSON | None = strawberry.field(
        default=None, description="domain → label (beginner…expert) or number in 0..1"
    )
    learning_preferences: JSON | None = None
    goals: list[str] | None = None
    consciousness_level: float | None = None


@strawberry.input
class UserProgressInput:
    module_id: str
    progress_percentage: float
    time_spent_seconds: int = 0
    exercises_completed: int | None = None
    exercises_total: int | None = None
    score: float | None = None
    difficulty_rating: str | None = None
    session_id: strawberry.ID | None = None


@strawberry.input
class StartLearningSessionInput:
    module_id: str
    learning_mode: str = "focused"
    consciousness_level: float | None = None


@strawberry.input
class EndLearningSessionInput:
    completion_status: str = "completed"
    final_score: float | None = None
    feedback: JSON | None = None


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
        size = 10 if limit is None else limit
        ranked = await logic.recommendations(user_id, size, domain, difficulty)
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
            new_skill_level=skill_label(out.skill_level),
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
