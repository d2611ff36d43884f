"""Security-training types and inputs (SynapticOS).

`POST /security/scenarios/generate` → `generateSecurityScenario`; `POST
/security/scenarios/{id}/assess` → `submitSecurityAssessment`. A scenario's ground truth
(planted indicators, expected answer) has no field here: it shows only in an assessment's
`indicatorFeedback` and `answerKey`, after the answer is in.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.schema.context import Info
from axonql.schema.node import Node
from axonql.schema.permissions import field
from axonql.services import security_assessments as logic


@strawberry.type
class AssessmentFeedback:
    overall: str
    strengths: list[str]
    improvements: list[str]


@strawberry.type
class IndicatorFeedback:
    """One planted indicator (present) or one named that was not there."""

    indicator: str
    criterion: str | None
    present: bool
    identified: bool
    correct: bool
    explanation: str


@strawberry.type
class ScoreBreakdown:
    """The parts of the score, each in 0..1 (weights: services/security_training.py)."""

    detection: float
    indicators: float
    precision: float
    recall: float
    threat_type: float
    action: float
    calibration: float


@strawberry.type
class ScenarioAdaptation:
    difficulty_adjustment: str
    next_scenario_type: str


@strawberry.type
class SecurityAwarenessUpdate:
    previous_level: float
    new_level: float
    improvement: float


@strawberry.type
class AnswerKey:
    """The scenario's ground truth, revealed with its assessment."""

    threat_present: bool
    threat_type: str
    indicators: list[str]
    recommended_action: str
    acceptable_actions: list[str]


@strawberry.type
class SecurityAssessment(Node):
    id: strawberry.ID
    assessment_id: strawberry.ID
    scenario_id: strawberry.ID
    user_id: strawberry.ID
    score: float
    score_breakdown: ScoreBreakdown
    feedback: AssessmentFeedback
    indicator_feedback: list[IndicatorFeedback]
    consciousness_adaptation: ScenarioAdaptation
    security_awareness_update: SecurityAwarenessUpdate
    achievements_unlocked: list[str]
    answer: JSON
    time_taken_seconds: float | None
    elapsed_seconds: float = strawberry.field(description="server time from generation to answer")
    created_at: datetime

    @field(description="The ground truth of the assessed scenario.")
    async def answer_key(self, info: Info) -> AnswerKey | None:
        doc = await info.context.loaders.by_id(models.SecurityScenario).load(self.scenario_id)
        if doc is None:
            return None
        truth = logic.answer_key(doc)
        return AnswerKey(
            threat_present=truth.is_threat,
            threat_type=truth.threat_type,
            indicators=truth.indicators,
            recommended_action=truth.best_action,
            acceptable_actions=truth.acceptable_actions,
        )

    @classmethod
    def from_document(cls, doc: models.SecurityAssessment) -> SecurityAssessment:
        b = doc.breakdown
        return cls(
            id=strawberry.ID(doc.id),
            assessment_id=strawberry.ID(doc.id),
            scenario_id=strawberry.ID(doc.scenario_id),
            user_id=strawberry.ID(doc.user_id),
            score=doc.score,
            score_breakdown=ScoreBreakdown(
                detection=b["detection"],
                indicators=b["indicators"],
                precision=b["precision"],
                recall=b["recall"],
                threat_type=b["threat_type"],
                action=b["action"],
                calibration=b["calibration"],
            ),
            feedback=AssessmentFeedback(
                overall=doc.feedback["overall"],
                strengths=doc.feedback["strengths"],
                improvements=doc.feedback["improvements"],
            ),
            indicator_feedback=[IndicatorFeedback(**f) for f in doc.indicator_feedback],
            consciousness_adaptation=ScenarioAdaptation(**doc.adaptation),
            security_awareness_update=SecurityAwarenessUpdate(**doc.awareness),
            achievements_unlocked=doc.achievements_unlocked,
            answer=JSON(doc.answer),
            time_taken_seconds=doc.time_taken_seconds,
            elapsed_seconds=doc.elapsed_seconds,
            created_at=doc.created_at,
        )


@strawberry.type
class SecurityScenario(Node):
    """SynapticOS's SecurityScenario, without its ground truth."""

    id: strawberry.ID
    scenario_id: strawberry.ID
    user_id: strawberry.ID
    scenario_type: str
    title: str
    description: str
    difficulty: str
    content: JSON
    assessment_criteria: list[str]
    time_limit_seconds: int
    created_at: datetime
    expires_at: datetime
    status: str = strawberry.field(description="open | assessed | expired")
    practice: bool = strawberry.field(
        description="generated from a client-chosen seed: replayable, so it leaves security "
        "awareness unchanged"
    )
    assessment_id: strawberry.ID | None

    @field(description="The assessment, once submitted.")
    async def assessment(self, info: Info) -> SecurityAssessment | None:
        if self.assessment_id is None:
            return None
        doc = await info.context.loaders.by_id(models.SecurityAssessment).load(self.assessment_id)
        return SecurityAssessment.from_document(doc) if doc else None

    @classmethod
    def from_document(cls, doc: models.SecurityScenario) -> SecurityScenario:
        return cls(
            id=strawberry.ID(doc.id),
            scenario_id=strawberry.ID(doc.id),
            user_id=strawberry.ID(doc.user_id),
            scenario_type=doc.scenario_type,
            title=doc.title,
            description=doc.description,
            difficulty=doc.difficulty,
            content=JSON(doc.content),
            assessment_criteria=doc.assessment_criteria,
            time_limit_seconds=doc.time_limit_seconds,
            created_at=doc.created_at,
            expires_at=doc.expires_at,
            status=logic.scenario_status(doc),
            practice=doc.practice,
            assessment_id=strawberry.ID(doc.assessment_id) if doc.assessment_id else None,
        )


@strawberry.input
class GenerateSecurityScenarioInput:
    user_id: strawberry.ID
    scenario_type: str = strawberry.field(
        description="phishing | social_engineering | malware | network_intrusion, optionally "
        "prefixed by a difficulty (advanced_phishing)"
    )
    difficulty: str | None = strawberry.field(
        default=None, description="beginner | intermediate (default) | advanced"
    )
    context: JSON | None = None
    seed: int | None = strawberry.field(default=None, description="same seed, same scenario")


@strawberry.input
class SecurityAnswerInput:
    threat_detected: bool | None = None
    threat_type: str | None = None
    confidence: float | None = None
    indicators_identified: list[str] | None = None
    recommended_action: str | None = None
    reasoning: str | None = None


@strawberry.input
class SecurityAssessmentInput:
    user_id: strawberry.ID
    assessment: SecurityAnswerInput
    time_taken_seconds: float | None = None
