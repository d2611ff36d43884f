"""Root fields for security: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.schema.security_types import (
    GenerateSecurityScenarioInput,
    SecurityAnswerInput,
    SecurityAssessment,
    SecurityAssessmentInput,
    SecurityScenario,
)
from axonql.scopes import Scope
from axonql.services import security_assessments as logic
from axonql.services import security_training as training


def _answer(a: SecurityAnswerInput) -> training.Answer:
    return training.Answer(
        threat_detected=a.threat_detected,
        threat_type=a.threat_type,
        confidence=a.confidence,
        indicators_identified=a.indicators_identified or [],
        recommended_action=a.recommended_action,
        reasoning=a.reasoning,
    )


@strawberry.type
class SecurityQuery:
    @query(Scope.SECURITY_ASSESS, description="A generated scenario (never its ground truth).")
    async def security_scenario(self, info: Info, id: strawberry.ID) -> SecurityScenario:
        return SecurityScenario.from_document(await logic.get_scenario(id))

    @query(Scope.SECURITY_ASSESS, description="Assessments, newest first.")
    async def security_assessments(
        self,
        info: Info,
        user_id: strawberry.ID | None = None,
        scenario_id: strawberry.ID | None = None,
        limit: int | None = 50,
    ) -> list[SecurityAssessment]:
        docs = await logic.list_assessments(user_id, scenario_id, limit)
        return [SecurityAssessment.from_document(d) for d in docs]


@strawberry.type
class SecurityMutation:
    @mutation(Scope.SECURITY_ASSESS, description="Generates a scenario from a template.")
    async def generate_security_scenario(
        self, info: Info, input: GenerateSecurityScenarioInput
    ) -> SecurityScenario:
        doc = await logic.generate_scenario(
            logic.ScenarioRequest(
                user_id=input.user_id,
                scenario_type=input.scenario_type,
                difficulty=input.difficulty,
                context=input.context,
                seed=input.seed,
            )
        )
        return SecurityScenario.from_document(doc)

    @mutation(Scope.SECURITY_ASSESS, description="Scores an answer against the scenario.")
    async def submit_security_assessment(
        self, info: Info, scenario_id: strawberry.ID, input: SecurityAssessmentInput
    ) -> SecurityAssessment:
        doc = await logic.submit_assessment(
            scenario_id,
            logic.AssessmentRequest(
                user_id=input.user_id,
                answer=_answer(input.assessment),
                time_taken_seconds=input.time_taken_seconds,
            ),
        )
        return SecurityAssessment.from_document(doc)
