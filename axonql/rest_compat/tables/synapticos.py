"""SynapticOS Consciousness System V2: mounted at `/api/v2`, bare bodies."""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.converters import fields, to_int
from axonql.rest_compat.envelopes import SYNAPTICOS
from axonql.rest_compat.route import Api, Field, Inputs, Route, Var
from axonql.rest_compat.tables.auth_endpoints import REFRESH


def consciousness_status(system: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The server's System in the documented status shape."""
    return {
        "consciousness_level": system["consciousness_level"],
        "system_health": system["status"].lower(),
        "active_components": system["active_components"],
        "uptime_seconds": int(system["uptime"]),
        "version": system["version"],
        "environment": system["environment"],
    }


def components(system: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {"components": system["components"]}


def recommendations(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {"recommendations": data["recommendations"], "learning_path": data["learning_path"]}


REPORTED_METRICS = ("decision_accuracy", "response_time", "adaptation_rate")


def population_overview(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Populations beside the system level and the intelligence score."""
    populations = data["populations"]
    for population in populations:
        # Figures clients report (fitness feedback); null until one does.
        reported = population["performance_metrics"] or {}
        population["performance_metrics"] = {**dict.fromkeys(REPORTED_METRICS), **reported}
    return {
        "populations": populations,
        "overall_consciousness_level": data["system"]["consciousness_level"],
        "system_intelligence_score": data["system_intelligence_score"],
    }


CONTEXT = """
  user_id: userId created_at: createdAt last_updated: lastUpdated
  skill_levels: skillLevels learning_preferences: learningPreferences goals
  current_consciousness_level: currentConsciousnessLevel total_time_spent: totalTimeSpent
  achievements
  current_session: currentSession {
    session_id: sessionId start_time: startTime current_module: currentModule progress
  }
"""

SESSION_RESULT = """
  session_id: sessionId session_started: sessionStarted session_ended: sessionEnded
  status
  adaptive_content: adaptiveContent {
    difficulty_level: difficultyLevel content_style: contentStyle
    estimated_duration: estimatedDuration
  }
  consciousness_adaptations: consciousnessAdaptations
  session_summary: sessionSummary {
    duration_seconds: durationSeconds modules_completed: modulesCompleted
    exercises_completed: exercisesCompleted average_score: averageScore
  }
  skill_updates: skillUpdates achievements_unlocked: achievementsUnlocked
"""

ROUTES = (
    Route(
        "GET",
        "/consciousness/status",
        summary="Get System Status",
        operation="""
        query ConsciousnessStatus {
          system {
            consciousness_level: consciousnessLevel status version environment uptime
            active_components: activeComponents
          }
        }""",
        result="system",
        shape=consciousness_status,
    ),
    Route(
        "GET",
        "/consciousness/metrics",
        summary="Get System Metrics",
        operation="""
        query ConsciousnessMetrics($start: DateTime, $end: DateTime, $component: String) {
          metrics: consciousnessMetrics(startTime: $start, endTime: $end, componentId: $component) {
            timestamp consciousness_level: consciousnessLevel
            event_processing_rate: eventProcessingRate
            neural_evolution_cycles: neuralEvolutionCycles active_users: activeUsers
          }
        }""",
        variables={
            "start": "query.start_time",
            "end": "query.end_time",
            "component": "query.component_id",
        },
        params=(
            Field("start_time", description="ISO 8601"),
            Field("end_time", description="ISO 8601"),
            Field("component_id"),
        ),
    ),
    Route(
        "GET",
        "/consciousness/components",
        summary="Get Component Status",
        operation="""
        query Components {
          system {
            components {
              component_id: componentId component_type: type state
              health_score: healthScore last_heartbeat: lastHeartbeat
              response_time_ms: responseTimeMs throughput error_rate: errorRate
            }
          }
        }""",
        result="system",
        shape=components,
    ),
    Route(
        "POST",
        "/users/{user_id}/context",
        summary="Create User Context",
        operation="""
        mutation CreateContext($userId: ID!, $input: UserContextInput!) {
          createUserContext(userId: $userId, input: $input) {
            user_id: userId context_created: contextCreated
            initial_consciousness_level: initialConsciousnessLevel
            recommended_starting_modules: recommendedStartingModules
          }
        }""",
        variables={
            "userId": "path.user_id",
            "input": {
                "skillLevels": "body.skill_levels",
                "learningPreferences": "body.learning_preferences",
                "goals": "body.goals",
                "consciousnessLevel": "body.consciousness_level",
            },
        },
        body=(
            Field("skill_levels", "object"),
            Field("learning_preferences", "object"),
            Field("goals", "array", items="string"),
            Field("consciousness_level", "number"),
        ),
        result="createUserContext",
        status=201,
        example={
            "skill_levels": {
                "python": "intermediate",
                "security": "beginner",
                "networking": "advanced",
            },
            "learning_preferences": {
                "pace": "normal",
                "difficulty": "adaptive",
                "visual_aids": True,
                "hands_on_preference": 0.8,
            },
            "goals": ["Complete Python certification", "Improve security awareness"],
        },
    ),
    Route(
        "GET",
        "/users/{user_id}/context",
        summary="Get User Context",
        operation=f"query Context($userId: ID!) {{ userContext(userId: $userId) {{ {CONTEXT} }} }}",
        variables={"userId": "path.user_id"},
        result="userContext",
    ),
    Route(
        "POST",
        "/users/{user_id}/progress",
        summary="Update User Progress",
        operation="""
        mutation Progress($userId: ID!, $input: UserProgressInput!) {
          updateUserProgress(userId: $userId, input: $input) {
            progress_updated: progressUpdated new_skill_level: newSkillLevel
            consciousness_adaptation: consciousnessAdaptation {
              level_change: levelChange reason
            }
            next_recommendations: nextRecommendations
          }
        }""",
        variables={
            "userId": "path.user_id",
            "input": {
                "moduleId": "body.module_id",
                "progressPercentage": "body.progress_percentage",
                "timeSpentSeconds": "body.time_spent_seconds",
                "exercisesCompleted": "body.exercises_completed",
                "exercisesTotal": "body.exercises_total",
                "score": "body.score",
                "difficultyRating": "body.difficulty_rating",
                "sessionId": "body.session_id",
            },
        },
        body=(
            Field("module_id", required=True),
            Field("progress_percentage", "number", required=True),
            Field("time_spent_seconds", "integer"),
            Field("exercises_completed", "integer"),
            Field("exercises_total", "integer"),
            Field("score", "number"),
            Field("difficulty_rating"),
            Field("session_id"),
        ),
        result="updateUserProgress",
        rate_group="progress",
        example={
            "module_id": "python_functions",
            "progress_percentage": 75.5,
            "time_spent_seconds": 1800,
            "exercises_completed": 8,
            "exercises_total": 12,
            "score": 0.85,
            "difficulty_rating": "appropriate",
        },
    ),
    Route(
        "GET",
        "/users/{user_id}/recommendations",
        summary="Get Learning Recommendations",
        operation="""
        query Recommendations($userId: ID!, $limit: Int!, $domain: String, $difficulty: String) {
          recommendations(userId: $userId, limit: $limit, domain: $domain,
                          difficulty: $difficulty) {
            module_id: moduleId title difficulty estimated_duration: estimatedDuration
            consciousness_optimized: consciousnessOptimized relevance_score: relevanceScore
            prerequisites learning_objectives: learningObjectives
          }
          learning_path: learningPath(userId: $userId) {
            current_position: currentPosition total_modules: totalModules
            estimated_completion: estimatedCompletion
          }
        }""",
        variables={
            "userId": "path.user_id",
            "limit": Var("query.limit", to_int, default=10),
            "domain": "query.domain",
            "difficulty": "query.difficulty",
        },
        params=(Field("domain"), Field("difficulty"), Field("limit", "integer")),
        shape=recommendations,
    ),
    Route(
        "POST",
        "/users/{user_id}/sessions",
        summary="Start Learning Session",
        operation=f"""
        mutation StartSession($userId: ID!, $input: StartLearningSessionInput!) {{
          startLearningSession(userId: $userId, input: $input) {{ {SESSION_RESULT} }}
        }}""",
        variables={
            "userId": "path.user_id",
            "input": {
                "moduleId": "body.module_id",
                "learningMode": "body.learning_mode",
                "consciousnessLevel": "body.consciousness_level",
            },
        },
        body=(
            Field("module_id", required=True),
            Field("learning_mode"),
            Field("consciousness_level", "number"),
        ),
        result="startLearningSession",
        status=201,
        example={
            "module_id": "python_advanced_functions",
            "learning_mode": "focused",
            "consciousness_level": 0.8,
        },
    ),
    Route(
        "POST",
        "/users/{user_id}/sessions/{session_id}/end",
        summary="End Learning Session",
        operation=f"""
        mutation EndSession($userId: ID!, $sessionId: ID!, $input: EndLearningSessionInput) {{
          endLearningSession(userId: $userId, sessionId: $sessionId, input: $input) {{
            {SESSION_RESULT}
          }}
        }}""",
        variables={
            "userId": "path.user_id",
            "sessionId": "path.session_id",
            "input": {
                "completionStatus": "body.completion_status",
                "finalScore": "body.final_score",
                "feedback": "body.feedback",
            },
        },
        body=(
            Field("completion_status"),
            Field("final_score", "number"),
            Field("feedback", "object"),
        ),
        result="endLearningSession",
        example={
            "completion_status": "completed",
            "final_score": 0.88,
            "feedback": {
                "difficulty": "appropriate",
                "engagement": "high",
                "content_quality": "excellent",
            },
        },
    ),
    Route(
        "POST",
        "/security/scenarios/generate",
        summary="Generate Security Scenario",
        operation="""
        mutation Generate($input: GenerateSecurityScenarioInput!) {
          generateSecurityScenario(input: $input) {
            scenario_id: scenarioId scenario_type: scenarioType title description difficulty
            content assessment_criteria: assessmentCriteria
            time_limit_seconds: timeLimitSeconds created_at: createdAt
          }
        }""",
        variables={
            "input": {
                "userId": "body.user_id",
                "scenarioType": "body.scenario_type",
                "difficulty": "body.difficulty",
                "context": "body.context",
            }
        },
        body=(
            Field("user_id", required=True),
            Field("scenario_type", required=True),
            Field("difficulty"),
            Field("context", "object"),
        ),
        result="generateSecurityScenario",
        status=201,
        example={
            "user_id": "user123",
            "scenario_type": "phishing",
            "difficulty": "intermediate",
            "context": {"user_role": "developer", "company_type": "tech_startup"},
        },
    ),
    Route(
        "POST",
        "/security/scenarios/{scenario_id}/assess",
        summary="Submit Security Assessment",
        operation="""
        mutation Assess($id: ID!, $input: SecurityAssessmentInput!) {
          submitSecurityAssessment(scenarioId: $id, input: $input) {
            assessment_id: assessmentId score
            feedback { overall strengths improvements }
            consciousness_adaptation: consciousnessAdaptation {
              difficulty_adjustment: difficultyAdjustment next_scenario_type: nextScenarioType
            }
            security_awareness_update: securityAwarenessUpdate {
              previous_level: previousLevel new_level: newLevel improvement
            }
          }
        }""",
        variables={
            "id": "path.scenario_id",
            "input": {
                "userId": "body.user_id",
                "assessment": Var(
                    "body.assessment",
                    fields(
                        threat_detected=None,
                        threat_type=None,
                        confidence=None,
                        indicators_identified=None,
                        recommended_action=None,
                        reasoning=None,
                    ),
                ),
                "timeTakenSeconds": "body.time_taken_seconds",
            },
        },
        body=(
            Field("user_id", required=True),
            Field("assessment", "object", required=True),
            Field("time_taken_seconds", "number"),
        ),
        result="submitSecurityAssessment",
        rate_group="assessments",
        example={
            "user_id": "user123",
            "assessment": {
                "threat_detected": True,
                "threat_type": "phishing",
                "confidence": 0.9,
                "indicators_identified": [
                    "suspicious_sender_domain",
                    "urgency_language",
                    "request_for_credentials",
                ],
                "recommended_action": "delete_and_report",
                "reasoning": "Multiple phishing indicators present",
            },
            "time_taken_seconds": 180,
        },
    ),
    Route(
        "POST",
        "/neural/populations/{population_id}/evolve",
        summary="Trigger Evolution Cycle",
        operation="""
        mutation Evolve($id: ID!, $input: EvolutionInput) {
          evolvePopulation(id: $id, input: $input) {
            evolution_triggered: evolutionTriggered evolution_id: evolutionId
            estimated_completion: completedAt expected_improvements: expectedImprovements
            generation best_fitness: bestFitness average_fitness: averageFitness
          }
        }""",
        variables={
            "id": "path.population_id",
            "input": {
                "fitnessFeedback": "body.fitness_feedback",
                "evolutionPressure": "body.evolution_pressure",
            },
        },
        body=(Field("fitness_feedback", "object"), Field("evolution_pressure", "number")),
        result="evolvePopulation",
        example={
            "fitness_feedback": {
                "user_satisfaction": 0.9,
                "task_completion": 0.85,
                "response_accuracy": 0.88,
            },
            "evolution_pressure": 0.3,
        },
    ),
    Route(
        "GET",
        "/neural/populations",
        summary="Get Population Statistics",
        operation="""
        query Populations {
          populations {
            population_id: id size specialization fitness_average: fitnessAverage
            diversity_index: diversityIndex generation evolution_cycles: evolutionCycles
            last_evolution: lastEvolution performance_metrics: performanceMetrics
          }
          system { consciousness_level: consciousnessLevel }
          system_intelligence_score: systemIntelligenceScore
        }""",
        shape=population_overview,
        rate_group="default",
    ),
    Route(
        "POST",
        "/auth/refresh",
        summary="Token Refresh",
        operation=REFRESH,
        variables={"refreshToken": "body.refresh_token"},
        body=(Field("refresh_token", required=True),),
        result="refreshToken",
        example={"refresh_token": "your_refresh_token"},
    ),
)

API = Api(
    name="synapticos",
    title="SynapticOS Consciousness System V2",
    mount="/api/v2",
    envelope=SYNAPTICOS,
    routes=ROUTES,
    rate_limits={
        "default": "1000/hour",
        "progress": "60/minute",
        "assessments": "10/hour",
    },
)
