"""Learning sessions (SynapticOS): start with an adapted plan, end with a summary.

Only one session is active per user: a second start is a CONFLICT naming the active one (the
seed documents 409 and no implicit ending). Ending an ended session is SESSION_NOT_ACTIVE.
The session is stored before the context points at it and removed if that fails, so racing
starts leave exactly one active session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axonql import models
from axonql.errors import Conflict, NotFound, SessionNotActive, ValidationError
from axonql.models.base import utcnow
from axonql.models.user import LearningContext
from axonql.services import learning as rules
from axonql.services import validation as v
from axonql.services.events import emit
from axonql.services.module_catalog import AchievementRule, skill_label
from axonql.services.user_learning import (
    active_session,
    announce_achievements,
    get_context,
    mutate_learning,
)


async def start_session(
    user_id: str, module_id: str, mode: str = "focused", consciousness: float | None = None
) -> models.LearningSession:
    module = rules.check_module(module_id)
    rules.check_mode(mode)
    level = v.consciousness_level(consciousness) if consciousness is not None else None
    user = await get_context(user_id)
    plan = rules.plan_session(user.learning, module, mode, level)
    session = models.LearningSession(
        user_id=user_id,
        module_id=module.id,
        started_at=utcnow(),
        learning_mode=mode,
        consciousness_level=level,
        progress=user.learning.module_progress.get(module.id, 0.0),
        exercises_total=module.exercises,
        adaptive_content={
            "difficulty_level": plan.difficulty_level,
            "content_style": plan.content_style,
            "estimated_duration": plan.estimated_duration,
        },
        consciousness_adaptations=plan.adaptations,
    )
    # stored before the context points at it, so a competing start sees it as active
    await session.insert()

    async def change(user: models.User) -> None:
        ctx = user.learning
        if ctx.current_session_id:
            active = await models.LearningSession.get(ctx.current_session_id)
            if active is not None and active.status == "active":
                raise Conflict(
                    f"learning session {active.id} is still active; end it first",
                    details={"active_session_id": active.id},
                )
        ctx.current_session_id = session.id

    try:
        await mutate_learning(user_id, change)
    except BaseException:
        await session.delete()
        raise
    await emit(
        "LEARNING_SESSION_START",
        {"user_id": user_id, "session_id": session.id, "module_id": module.id, "mode": mode},
        user_id=user_id,
    )
    return session


@dataclass
class EndDraft:
    completion_status: str = "completed"
    final_score: float | None = None
    feedback: Any = None  # JSON as sent; validated to an object


async def end_session(user_id: str, session_id: str, draft: EndDraft) -> models.LearningSession:
    if draft.completion_status not in rules.COMPLETION_STATUSES:
        raise ValidationError(
            f"completionStatus must be one of {', '.join(rules.COMPLETION_STATUSES)}",
            field="completionStatus",
        )
    if draft.final_score is not None:
        v.number_in("finalScore", draft.final_score, 0.0, 1.0)
    feedback = v.json_object("feedback", draft.feedback)
    await get_context(user_id)
    session = await active_session(user_id, session_id)
    ended_at = utcnow()
    claimed = await models.LearningSession.get_pymongo_collection().update_one(
        {"_id": session_id, "status": "active"},
        {"$set": {"status": "ended", "ended_at": ended_at}},
    )
    if claimed.matched_count != 1:
        raise SessionNotActive(
            f"learning session {session_id} is not active", details={"session_id": session_id}
        )
    session = await _active_or_ended(session_id)
    module = rules.check_module(session.module_id or "")
    duration = max(0.0, (ended_at - session.started_at).total_seconds())
    scores = [*session.scores, *([draft.final_score] if draft.final_score is not None else [])]
    finished = draft.completion_status == "completed"

    async def change(user: models.User) -> tuple[bool, list[AchievementRule]]:
        ctx = user.learning
        baseline = dict(ctx.skill_levels)
        if ctx.current_session_id == session_id:
            ctx.current_session_id = None
        ctx.time_spent += max(0.0, duration - session.time_reported)
        newly = finished and rules.complete_module(ctx, module.id)
        if draft.final_score is not None:
            rules.apply_skill(ctx, module.domain, rules.skill_delta(draft.final_score))
        rules.step_consciousness(ctx)
        unlocked = rules.unlock_achievements(
            ctx, ended_at, baseline, mastered=rules.mastered(module.id, finished, draft.final_score)
        )
        return newly, unlocked

    try:
        user, (newly, unlocked) = await mutate_learning(user_id, change)
    except BaseException:  # the context is unchanged: the session stays active
        await models.LearningSession.get_pymongo_collection().update_one(
            {"_id": session_id, "status": "ended", "completion_status": None},
            {"$set": {"status": "active", "ended_at": None}},
        )
        raise
    session.status = "ended"
    session.ended_at = ended_at
    session.duration_seconds = round(duration, 3)
    session.completion_status = draft.completion_status
    session.final_score = draft.final_score
    session.feedback = feedback
    session.scores = scores
    if finished:
        session.progress = 1.0
        session.exercises_completed = session.exercises_completed or module.exercises
    session.summary = {
        "duration_seconds": round(duration),
        "modules_completed": int(finished),
        "exercises_completed": session.exercises_completed,
        "average_score": round(sum(scores) / len(scores), 4) if scores else None,
    }
    session.skill_updates = {module.domain: skill_label(user.learning.skill_levels[module.domain])}
    session.achievements_unlocked = [rule.id for rule in unlocked]
    await session.save()
    await emit(
        "LEARNING_SESSION_END",
        {"user_id": user_id, "session_id": session_id, **session.summary},
        user_id=user_id,
    )
    if newly:
        await emit(
            "MODULE_COMPLETED", {"user_id": user_id, "module_id": module.id}, user_id=user_id
        )
    await announce_achievements(user_id, unlocked)
    return session


async def _active_or_ended(session_id: str) -> models.LearningSession:
    session = await models.LearningSession.get(session_id)
    if session is None:
        raise NotFound(f"learning session {session_id} not found")
    return session


async def current_session(ctx: LearningContext) -> models.LearningSession | None:
    """The active session the context points at, if it is still active."""
    if not ctx.current_session_id:
        return None
    session = await models.LearningSession.get(ctx.current_session_id)
    return session if session is not None and session.status == "active" else None
