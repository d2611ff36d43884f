"""Security scenarios and assessments on stored data (SynapticOS).

A scenario belongs to the user it was generated for; only that user's assessment counts. The
first valid submission wins (claimed atomically on the scenario, backed by a unique index):
a second one is ASSESSMENT_ALREADY_SUBMITTED, one after the time limit
SECURITY_SCENARIO_EXPIRED (410: the scenario can never be answered again). Validation and
these checks happen before anything is written.

A scenario generated with a client-chosen seed is *practice*: the same seed replays it, so its
answer key (shown after any assessment) can be known in advance. It is scored like any other
but does not move the user's security awareness; server-seeded scenarios do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from axonql import models
from axonql.errors import (
    AssessmentAlreadySubmitted,
    SecurityScenarioExpired,
    ValidationError,
)
from axonql.ids import new_id
from axonql.models.base import utcnow
from axonql.services import learning as rules
from axonql.services import security_training as training
from axonql.services import validation as v
from axonql.services.events import Change, atomically, emit
from axonql.services.lookup import fetch
from axonql.services.scenario_templates import TEMPLATES
from axonql.services.user_learning import announce_achievements, get_user, mutate_learning

MAX_SEED = 2**31 - 1
MAX_REASONING = 5000
MAX_LISTED = 200
DEFAULT_LISTED = 50
SECURITY_DOMAIN = "security"


@dataclass
class ScenarioRequest:
    user_id: str
    scenario_type: str
    difficulty: str | None = None
    context: Any = None
    seed: int | None = None


async def generate_scenario(req: ScenarioRequest) -> models.SecurityScenario:
    template, difficulty = training.resolve_type(
        v.text("scenarioType", req.scenario_type, 100), req.difficulty
    )
    context = v.json_object("context", req.context)
    practice = req.seed is not None
    seed = v.int_in("seed", req.seed, 0, MAX_SEED) if req.seed is not None else None
    await get_user(req.user_id)
    if seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    made = training.generate(template, difficulty, seed, context)
    now = utcnow()
    scenario = models.SecurityScenario(
        user_id=req.user_id,
        scenario_type=template.type,
        difficulty=difficulty,
        title=template.title,
        description=template.description,
        content=made.content,
        assessment_criteria=list(template.criteria),
        time_limit_seconds=made.time_limit_seconds,
        expires_at=now + timedelta(seconds=made.time_limit_seconds),
        seed=seed,
        practice=practice,
        context=context,
        is_threat=made.is_threat,
        threat_type=template.type if made.is_threat else "none",
        indicators=made.indicators,
        best_action=template.best_action,
        acceptable_actions=list(template.acceptable_actions),
        created_at=now,
    )

    async def write(unit: Change) -> None:
        await scenario.insert(session=unit.session)
        await emit(
            "SECURITY_SCENARIO_GENERATED",
            {"user_id": req.user_id, "scenario_id": scenario.id, "scenario_type": template.type,
             "difficulty": difficulty},
            user_id=req.user_id,
        )  # fmt: skip

    await atomically(write)
    return scenario


async def get_scenario(scenario_id: str) -> models.SecurityScenario:
    return await fetch(models.SecurityScenario, scenario_id, "security scenario", key="scenario_id")


def scenario_status(scenario: models.SecurityScenario, now: datetime | None = None) -> str:
    """open | assessed | expired (an open scenario past its time limit)."""
    if scenario.status == "open" and (now or utcnow()) > scenario.expires_at:
        return "expired"
    return scenario.status


@dataclass
class AssessmentRequest:
    user_id: str
    answer: training.Answer
    time_taken_seconds: float | None = None


def _check_answer(answer: training.Answer) -> training.Answer:
    return training.Answer(
        threat_detected=answer.threat_detected,
        threat_type=v.text("assessment.threatType", answer.threat_type, 100, required=False)
        if answer.threat_type is not None
        else None,
        confidence=v.number_in("assessment.confidence", answer.confidence, 0.0, 1.0)
        if answer.confidence is not None
        else None,
        indicators_identified=v.strings(
            "assessment.indicatorsIdentified", answer.indicators_identified
        ),
        recommended_action=v.text(
            "assessment.recommendedAction", answer.recommended_action, 100, required=False
        )
        if answer.recommended_action is not None
        else None,
        reasoning=v.text("assessment.reasoning", answer.reasoning, MAX_REASONING, required=False)
        if answer.reasoning is not None
        else None,
    )


async def submit_assessment(scenario_id: str, req: AssessmentRequest) -> models.SecurityAssessment:
    answer = _check_answer(req.answer)
    if req.time_taken_seconds is not None:
        v.number_in("timeTakenSeconds", req.time_taken_seconds, 0.0, 86_400.0)
    scenario = await get_scenario(scenario_id)
    await get_user(req.user_id)
    if req.user_id != scenario.user_id:
        raise ValidationError(
            f"scenario {scenario_id} was generated for another user", field="userId"
        )
    if scenario.status != "open":
        raise _already(scenario)
    now = utcnow()
    if now > scenario.expires_at:
        raise SecurityScenarioExpired(
            f"security scenario {scenario_id} expired at {scenario.expires_at.isoformat()}",
            details={
                "scenario_id": scenario_id,
                "expired_at": scenario.expires_at.isoformat(),
                "time_limit_seconds": scenario.time_limit_seconds,
            },
        )
    template = TEMPLATES[scenario.scenario_type]
    scored = training.score(template, _truth(scenario), answer)
    adaptation = training.adapt(scenario.scenario_type, scenario.difficulty, scored.score)
    assessment_id = new_id("assessment")
    claimed = await models.SecurityScenario.get_pymongo_collection().update_one(
        {"_id": scenario_id, "status": "open"},
        {"$set": {"status": "assessed", "assessment_id": assessment_id, "updated_at": now}},
    )
    if claimed.matched_count != 1:
        raise _already(await get_scenario(scenario_id))

    async def change(user: models.User) -> tuple[float, float, list[Any]]:
        ctx = user.learning
        baseline = dict(ctx.skill_levels)
        previous = ctx.skill_levels.get(SECURITY_DOMAIN, 0.0)
        if not scenario.practice:
            ctx.skill_levels[SECURITY_DOMAIN] = training.awareness(previous, scored.score)
        unlocked = rules.unlock_achievements(ctx, now, baseline)
        return previous, ctx.skill_levels.get(SECURITY_DOMAIN, previous), unlocked

    try:
        _, (previous, new, unlocked) = await mutate_learning(
            req.user_id, change, need_context=False
        )
    except BaseException:  # nothing else was written: give the scenario back
        await models.SecurityScenario.get_pymongo_collection().update_one(
            {"_id": scenario_id, "assessment_id": assessment_id},
            {"$set": {"status": "open", "assessment_id": None}},
        )
        raise
    assessment = models.SecurityAssessment(
        id=assessment_id,
        scenario_id=scenario_id,
        user_id=req.user_id,
        answer={
            "threat_detected": answer.threat_detected,
            "threat_type": answer.threat_type,
            "confidence": answer.confidence,
            "indicators_identified": answer.indicators_identified,
            "recommended_action": answer.recommended_action,
            "reasoning": answer.reasoning,
        },
        time_taken_seconds=req.time_taken_seconds,
        elapsed_seconds=round((now - scenario.created_at).total_seconds(), 3),
        score=scored.score,
        breakdown=scored.breakdown,
        feedback={
            "overall": scored.overall,
            "strengths": scored.strengths,
            "improvements": scored.improvements,
        },
        indicator_feedback=scored.indicator_feedback,
        adaptation={
            "difficulty_adjustment": adaptation.difficulty_adjustment,
            "next_scenario_type": adaptation.next_scenario_type,
        },
        awareness={
            "previous_level": previous,
            "new_level": new,
            "improvement": round(new - previous, 4),
        },
        achievements_unlocked=[rule.id for rule in unlocked],
    )

    async def write(unit: Change) -> None:
        await assessment.insert(session=unit.session)
        await emit(
            "SECURITY_ASSESSMENT",
            {"user_id": req.user_id, "scenario_id": scenario_id, "assessment_id": assessment_id,
             "score": scored.score, "scenario_type": scenario.scenario_type},
            user_id=req.user_id,
        )  # fmt: skip

    try:
        await atomically(write)
    except DuplicateKeyError:
        raise _already(scenario) from None
    await announce_achievements(req.user_id, unlocked)
    return assessment


def _already(scenario: models.SecurityScenario) -> AssessmentAlreadySubmitted:
    return AssessmentAlreadySubmitted(
        f"an assessment was already submitted for scenario {scenario.id}",
        details={"scenario_id": scenario.id, "assessment_id": scenario.assessment_id},
    )


def _truth(scenario: models.SecurityScenario) -> training.Truth:
    return training.Truth(
        is_threat=scenario.is_threat,
        threat_type=scenario.threat_type,
        indicators=scenario.indicators,
        best_action=scenario.best_action,
        acceptable_actions=scenario.acceptable_actions,
    )


def answer_key(scenario: models.SecurityScenario) -> training.Truth:
    """The ground truth as revealed after an answer: without a threat, proceed and do nothing."""
    truth = _truth(scenario)
    if not truth.is_threat:
        truth.best_action = "no_action"
        truth.acceptable_actions = ["proceed"]
    return truth


async def list_assessments(
    user_id: str | None, scenario_id: str | None, limit: int | None = DEFAULT_LISTED
) -> list[models.SecurityAssessment]:
    """Assessments, newest first; no limit given means the default count."""
    size = v.int_in("limit", DEFAULT_LISTED if limit is None else limit, 1, MAX_LISTED)
    query: dict[str, Any] = {}
    if user_id is not None:
        query["user_id"] = user_id
    if scenario_id is not None:
        query["scenario_id"] = scenario_id
    return (
        await models.SecurityAssessment.find(query)
        .sort("-created_at", "-_id")
        .limit(size)
        .to_list()
    )
