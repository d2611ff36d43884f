"""Learning types and inputs: SynapticOS's user context, progress, sessions, recommendations.

Each SynapticOS path maps onto one operation: `POST /users/{id}/context` → `createUserContext`,
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
from axonql.schema.permissions import field
from axonql.services import learning as rules
from axonql.services.module_catalog import AchievementRule, achievement_rule, skill_label


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


@strawberry.type
class LearningSessionState:
    """SynapticOS's `current_session`."""

    session_id: strawberry.ID
    start_time: datetime
    current_module: str | None
    progress: float


@strawberry.type
class UserContext:
    """SynapticOS's UserContextState."""

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
                Achievement.from_rule(achievement_rule(a), ctx.achievement_unlocked_at.get(a))
                for a in ctx.achievements
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
    """A session as start and end report it (SynapticOS)."""

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
