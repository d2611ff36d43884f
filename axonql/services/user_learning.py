"""Learning on stored users: contexts, progress, recommendations (SynapticOS).

Creating a context for an unknown user id creates that user (no password, no scopes): the
seed's `POST /users/user123/context` answers `context_created: true` for a fresh id. Creating
it again updates it (skills and preferences merged, goals replaced) and answers
`context_created: false`. Every other operation needs a context (created here, or skills,
preferences or goals given with the account): USER_NOT_FOUND otherwise. Sessions:
`learning_sessions.py`.

Every input is validated before anything is written; the learning context is written with a
revision check so concurrent updates are retried, never lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pymongo.errors import DuplicateKeyError

from axonql import models
from axonql.errors import Conflict, NotFound, SessionNotActive, UserNotFound, ValidationError
from axonql.models.base import utcnow
from axonql.models.user import LearningContext
from axonql.services import learning as rules
from axonql.services import validation as v
from axonql.services.events import emit
from axonql.services.lookup import fetch
from axonql.services.module_catalog import (
    DIFFICULTIES,
    DOMAINS,
    AchievementRule,
    skill_label,
    skill_value,
)

T = TypeVar("T")
MAX_RETRIES = 10
RETRY_PAUSE = 0.005
MAX_SKILLS = 50
MAX_SESSION_SECONDS = 7 * 24 * 3600
DEFAULT_RECOMMENDATIONS = 10


async def get_user(user_id: str) -> models.User:
    return await fetch(models.User, user_id, "user", error=UserNotFound, key="user_id")


async def get_context(user_id: str) -> models.User:
    """The user, when it has a learning context (seed: USER_NOT_FOUND otherwise)."""
    user = await get_user(user_id)
    if not has_context(user.learning):
        raise UserNotFound(
            f"user context for {user_id} does not exist", details={"user_id": user_id}
        )
    return user


def has_context(ctx: LearningContext) -> bool:
    """Created here, or given skills, preferences or goals when the account was made."""
    return ctx.created_at is not None or bool(ctx.skill_levels or ctx.preferences or ctx.goals)


async def _commit(user: models.User, revision: int) -> bool:
    """Writes the learning context if nobody else did since `revision` was read."""
    now = utcnow()
    user.learning.revision = revision + 1
    user.learning.updated_at = now
    current: Any = revision if revision else {"$in": [0, None]}
    result = await models.User.get_pymongo_collection().update_one(
        {"_id": user.id, "learning.revision": current},
        {"$set": {"learning": user.learning.model_dump(), "updated_at": now}},
    )
    return result.matched_count == 1


async def mutate_learning(
    user_id: str, change: Callable[[models.User], Awaitable[T]], *, need_context: bool = True
) -> tuple[models.User, T]:
    """Applies `change` to a fresh copy of the context and stores it, retrying on races."""
    for attempt in range(MAX_RETRIES):
        if attempt:
            await asyncio.sleep(RETRY_PAUSE * attempt)  # let the competing writer finish
        user = await (get_context(user_id) if need_context else get_user(user_id))
        revision = user.learning.revision
        result = await change(user)
        if await _commit(user, revision):
            return user, result
    raise Conflict("the learning context changed concurrently; retry", details={"user_id": user_id})


async def announce_achievements(user_id: str, unlocked: list[AchievementRule]) -> None:
    for rule in unlocked:
        await emit(
            "ACHIEVEMENT_UNLOCKED",
            {"user_id": user_id, "achievement": rule.id, "title": rule.title},
            user_id=user_id,
        )


# --- context --------------------------------------------------------------------------------


@dataclass
class ContextDraft:
    skill_levels: Any = None  # JSON as sent; validated to an object
    learning_preferences: Any = None
    goals: list[str] | None = None
    consciousness_level: float | None = None


def _check_skills(raw: Any) -> dict[str, float]:
    skills = v.json_object("skillLevels", raw)
    if len(skills) > MAX_SKILLS:
        raise ValidationError(
            f"skillLevels has more than {MAX_SKILLS} entries", field="skillLevels"
        )
    return {
        v.client_id("skillLevels", name).lower(): skill_value(f"skillLevels.{name}", value)
        for name, value in skills.items()
    }


def _check_preferences(raw: Any) -> dict[str, Any]:
    prefs = v.json_object("learningPreferences", raw)
    pace = prefs.get("pace")
    if pace is not None and pace not in rules.PACE_SECONDS_PER_DAY:
        raise ValidationError(
            f"learningPreferences.pace must be one of {', '.join(rules.PACE_SECONDS_PER_DAY)}",
            field="learningPreferences.pace",
        )
    hands_on = prefs.get("hands_on_preference")
    if hands_on is not None and (
        not isinstance(hands_on, int | float)
        or isinstance(hands_on, bool)
        or not 0.0 <= hands_on <= 1.0
    ):
        raise ValidationError(
            "learningPreferences.hands_on_preference must be a number in 0..1",
            field="learningPreferences.hands_on_preference",
        )
    return prefs


@dataclass
class ContextCreated:
    user: models.User
    created: bool
    starting_modules: list[str]


async def _ensure_user(user_id: str) -> None:
    """Creates the account a context is for (SynapticOS: the client names the user)."""
    if await models.User.get(user_id) is not None:
        return
    if await models.User.find_one(models.User.username == user_id) is not None:
        raise Conflict(
            f"username {user_id} belongs to another user; create the context under that id",
            details={"user_id": user_id},
        )
    try:
        await models.User(id=user_id, username=user_id).insert()
    except DuplicateKeyError:
        if await models.User.get(user_id) is None:  # the username was taken meanwhile
            raise Conflict(f"username {user_id} is taken", details={"user_id": user_id}) from None


async def create_context(user_id: str, draft: ContextDraft) -> ContextCreated:
    uid = v.client_id("userId", user_id)
    skills = _check_skills(draft.skill_levels) if draft.skill_levels is not None else {}
    prefs = (
        _check_preferences(draft.learning_preferences)
        if draft.learning_preferences is not None
        else {}
    )
    goals = v.strings("goals", draft.goals, 300) if draft.goals is not None else None
    level = (
        v.consciousness_level(draft.consciousness_level)
        if draft.consciousness_level is not None
        else None
    )
    await _ensure_user(uid)

    async def change(user: models.User) -> bool:
        ctx = user.learning
        created = not has_context(ctx)
        if ctx.created_at is None:
            ctx.created_at = user.created_at if not created else utcnow()
        ctx.skill_levels.update(skills)
        ctx.preferences.update(prefs)
        if goals is not None:
            ctx.goals = goals
        if level is not None:
            ctx.consciousness_level = level
        elif created:
            ctx.consciousness_level = rules.initial_consciousness(ctx)
        return created

    user, created = await mutate_learning(uid, change, need_context=False)
    await emit(
        "USER_CONTEXT_CREATED" if created else "USER_CONTEXT_UPDATED",
        {"user_id": uid, "consciousness_level": user.learning.consciousness_level},
        user_id=uid,
    )
    return ContextCreated(user, created, rules.starting_modules(user.learning))


# --- progress -------------------------------------------------------------------------------


@dataclass
class ProgressDraft:
    module_id: str
    progress_percentage: float
    time_spent_seconds: int = 0
    exercises_completed: int | None = None
    exercises_total: int | None = None
    score: float | None = None
    difficulty_rating: str | None = None
    session_id: str | None = None


@dataclass
class ProgressOutcome:
    user: models.User
    module_id: str
    domain: str
    skill_level: float
    skill_change: float
    step: rules.ConsciousnessStep
    module_completed: bool
    achievements: list[AchievementRule]
    next_recommendations: list[str]
    session_id: str | None

    @property
    def skill_level_label(self) -> str:
        return skill_label(self.skill_level)


def _check_progress(d: ProgressDraft) -> None:
    rules.check_module(d.module_id)
    v.number_in("progressPercentage", d.progress_percentage, 0.0, 100.0)
    v.int_in("timeSpentSeconds", d.time_spent_seconds, 0, MAX_SESSION_SECONDS)
    if d.exercises_total is not None:
        v.int_in("exercisesTotal", d.exercises_total, 0, 10_000)
    if d.exercises_completed is not None:
        v.int_in("exercisesCompleted", d.exercises_completed, 0, d.exercises_total or 10_000)
    if d.score is not None:
        v.number_in("score", d.score, 0.0, 1.0)
    if d.difficulty_rating is not None and d.difficulty_rating not in rules.RATING_NUDGE:
        raise ValidationError(
            f"difficultyRating must be one of {', '.join(rules.RATING_NUDGE)}",
            field="difficultyRating",
        )


async def active_session(user_id: str, session_id: str) -> models.LearningSession:
    session = await models.LearningSession.get(session_id)
    if session is None or session.user_id != user_id:
        raise NotFound(
            f"learning session {session_id} not found", details={"session_id": session_id}
        )
    if session.status != "active":
        raise SessionNotActive(
            f"learning session {session_id} is not active",
            details={"session_id": session_id, "status": session.status},
        )
    return session


async def update_progress(user_id: str, draft: ProgressDraft) -> ProgressOutcome:
    _check_progress(draft)
    user = await get_context(user_id)
    module = rules.check_module(draft.module_id)
    session: models.LearningSession | None = None
    if draft.session_id is not None:
        session = await active_session(user_id, draft.session_id)
    elif user.learning.current_session_id:
        current = await models.LearningSession.get(user.learning.current_session_id)
        if current and current.status == "active" and current.module_id == module.id:
            session = current
    p = rules.performance(
        draft.score, draft.exercises_completed, draft.exercises_total, draft.progress_percentage
    )
    fraction = draft.progress_percentage / 100

    async def change(user: models.User) -> tuple[float, bool, list[AchievementRule], Any]:
        ctx = user.learning
        baseline = dict(ctx.skill_levels)
        before = ctx.skill_levels.get(module.domain, 0.0)
        after = rules.apply_skill(ctx, module.domain, rules.skill_delta(p, draft.difficulty_rating))
        ctx.time_spent += draft.time_spent_seconds
        ctx.module_progress[module.id] = max(ctx.module_progress.get(module.id, 0.0), fraction)
        completed = fraction >= 1.0 and rules.complete_module(ctx, module.id)
        step = rules.step_consciousness(ctx)
        unlocked = rules.unlock_achievements(
            ctx, utcnow(), baseline, mastered=rules.mastered(module.id, completed, draft.score)
        )
        return round(after - before, 4), completed, unlocked, step

    user, (skill_change, completed, unlocked, step) = await mutate_learning(user_id, change)
    if session is not None:
        await _record_in_session(session.id, draft)
    await emit(
        "LEARNING_PROGRESS",
        {
            "user_id": user_id,
            "session_id": session.id if session else None,
            "module_id": module.id,
            "progress": round(fraction, 4),
            "time_spent": draft.time_spent_seconds,
            "current_exercise": draft.exercises_completed,
            "total_exercises": draft.exercises_total,
            "score": draft.score,
            "skill_level": user.learning.skill_levels[module.domain],
            "consciousness_level": user.learning.consciousness_level,
        },
        user_id=user_id,
    )
    if completed:
        await emit(
            "MODULE_COMPLETED", {"user_id": user_id, "module_id": module.id}, user_id=user_id
        )
    await announce_achievements(user_id, unlocked)
    ranked = rules.recommend(user.learning, limit=4, prefer_domain=module.domain)
    nxt = [r for r in ranked if r.module.id != module.id][:3]  # next: not the one just studied
    return ProgressOutcome(
        user=user,
        module_id=module.id,
        domain=module.domain,
        skill_level=user.learning.skill_levels[module.domain],
        skill_change=skill_change,
        step=step,
        module_completed=completed,
        achievements=unlocked,
        next_recommendations=[r.module.id for r in nxt],
        session_id=session.id if session else None,
    )


async def _record_in_session(session_id: str, d: ProgressDraft) -> None:
    update: dict[str, Any] = {
        "$set": {"progress": round(d.progress_percentage / 100, 4), "updated_at": utcnow()},
        "$inc": {"time_reported": d.time_spent_seconds},
    }
    if d.exercises_completed is not None:
        update["$max"] = {"exercises_completed": d.exercises_completed}
    if d.exercises_total is not None:
        update["$set"]["exercises_total"] = d.exercises_total
    if d.score is not None:
        update["$push"] = {"scores": d.score}
    await models.LearningSession.get_pymongo_collection().update_one(
        {"_id": session_id, "status": "active"}, update
    )


# --- recommendations ------------------------------------------------------------------------


async def recommendations(
    user_id: str,
    limit: int | None = DEFAULT_RECOMMENDATIONS,
    domain: str | None = None,
    difficulty: str | None = None,
) -> list[rules.Ranked]:
    """Unlocked modules ranked for the user; no limit given means the default count."""
    size = v.int_in("limit", DEFAULT_RECOMMENDATIONS if limit is None else limit, 1, 100)
    if domain is not None and domain not in DOMAINS:
        raise ValidationError(f"domain must be one of {', '.join(DOMAINS)}", field="domain")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise ValidationError(
            f"difficulty must be one of {', '.join(DIFFICULTIES)}", field="difficulty"
        )
    user = await get_context(user_id)
    return rules.recommend(user.learning, limit=size, domain=domain, difficulty=difficulty)


async def learning_path(user_id: str) -> rules.LearningPlan:
    user = await get_context(user_id)
    return rules.learning_path(user.learning, utcnow())
