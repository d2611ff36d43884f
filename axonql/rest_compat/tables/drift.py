"""AI Personality Drift Simulation: paths under `/api/v1/…`, page/size headers."""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.converters import healthy
from axonql.rest_compat.envelopes import DRIFT
from axonql.rest_compat.route import Api, Field, Inputs, Pagination, Route, Shaper
from axonql.services.assessment_scales import SCALES

RUN = """
  simulation_id: simulationId status condition current_day: currentDay
  total_days: totalDays progress_percentage: progressPercentage
  active_personas: activePersonas events_processed: eventsProcessed
  assessments_completed: assessmentsCompleted start_time: startTime
  estimated_completion: estimatedCompletion is_running: isRunning is_paused: isPaused
"""

SCORES = "assessment_type: assessmentType mean std min max"

FILTER = {
    "simulationId": "query.simulation_id",
    "personaId": "query.persona_id",
    "startDate": "query.start_date",
    "endDate": "query.end_date",
}

FILTER_PARAMS = (
    Field("simulation_id"),
    Field("persona_id"),
    Field("start_date", description="ISO 8601"),
    Field("end_date", description="ISO 8601"),
    Field("page", "integer"),
    Field("size", "integer"),
)


def acknowledged(message: str) -> Shaper:
    """Start/stop/pause/resume answer with a message, the run's id, status (and condition)."""

    def shape(run: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
        out = {"message": message, "simulation_id": run["simulation_id"]}
        if "condition" in run:
            out["condition"] = run["condition"]
        out["status"] = run["status"]
        return out

    return shape


def by_type(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    """`[{assessment_type: phq9, mean: …}]` → `{"phq9": {"mean": …}}` as documented; every
    scale the simulation assesses is listed, with null figures before its first score."""
    found = {r["assessment_type"]: {k: r[k] for k in keys} for r in rows}
    return {name: found.get(name, dict.fromkeys(keys)) for name in SCALES} | found


def results(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    summary = {
        "baseline_assessments": by_type(data.pop("baseline"), ("mean", "std")),
        "final_assessments": by_type(data.pop("final"), ("mean", "std")),
        "drift_detected": data.pop("drift_detected"),
        "significant_changes": data.pop("significant_changes"),
    }
    return {**data, "results_summary": summary}


def score_summary(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    data["summary"] = by_type(data["summary"], ("mean", "std", "min", "max"))
    return data


def page_of(field_name: str) -> Pagination:
    return Pagination(
        "page_size",
        items=field_name,
        total="page_info.total_count",
        default_size=50,
        max_size=100,
    )


def _control(verb: str, mutation: str) -> Route:
    return Route(
        "POST",
        f"/api/v1/simulation/{verb}",
        summary=f"{verb.capitalize()} the current simulation",
        operation=f"mutation {{ run: {mutation} {{ simulation_id: simulationId status }} }}",
        result="run",
        shape=acknowledged(f"Simulation {verb}{'ped' if verb == 'stop' else 'd'} successfully"),
    )


def service_status(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The API's own health, its dependencies, and whether a simulation task is under way."""
    health = data["health"]
    runs = data["runs"]
    services = health["services"]
    return {
        "status": health["status"],
        "services": {
            "api": health["status"],
            **services,
            # The reference's dependencies, by what stands in for them here: the fan-out
            # backend for Redis; memory search runs in the database and model work in agents,
            # so no Qdrant or Ollama is used.
            "redis": services["cache"],
            "qdrant": "not_used",
            "ollama": "not_used",
        },
        "simulation": {
            "is_running": runs["queued"] + runs["running"] > 0,
            "is_paused": runs["paused"] > 0,
            # No simulation started yet: none are active.
            "active_personas": (data["current"] or {}).get("active_personas", 0),
            "total_events": data["events"]["page_info"]["total_count"],
        },
        "timestamp": health["timestamp"],
    }


def mechanistic_summary(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The summary nested as documented: attention, activation changes, circuits."""
    found = data.pop("summary")
    data["summary"] = {
        "attention_patterns": {
            "baseline": {"self_reference": found["baseline_self_reference"]},
            "current": {"self_reference": found["current_self_reference"]},
        },
        "activation_changes": {"significant_layers": found["significant_layers"]},
        "circuit_tracking": {
            "self_reference": found["self_reference"],
            "emotional": found["emotional"],
        },
    }
    return data


ROUTES = (
    Route(
        "GET",
        "/api/v1/health",
        summary="Health check",
        operation="query { health { status timestamp version } }",
        result="health",
        shape=healthy,
    ),
    Route(
        "GET",
        "/api/v1/status",
        summary="Detailed system status",
        operation="""
        query {
          health { status timestamp services { database cache queue } }
          runs: taskStatistics(filter: {type: "simulation"}) { queued running paused }
          current: currentSimulation { active_personas: activePersonas }
          events: simulationEvents(page: 1, size: 1) {
            page_info: pageInfo { total_count: totalCount }
          }
        }""",
        shape=service_status,
    ),
    Route(
        "POST",
        "/api/v1/simulation/start",
        summary="Start a new simulation",
        operation=f"""
        mutation Start($input: StartSimulationInput!) {{
          run: startSimulation(input: $input) {{ {RUN} }}
        }}""",
        variables={
            "input": {
                "configName": "body.config_name",
                "experimentalCondition": "body.experimental_condition",
                "durationDays": "body.duration_days",
                "stressEventFrequency": "body.stress_event_frequency",
                "neutralEventFrequency": "body.neutral_event_frequency",
            }
        },
        body=(
            Field("config_name"),
            Field("experimental_condition", description="CONTROL, STRESS or TRAUMA"),
            Field("duration_days", "integer"),
            Field("stress_event_frequency", "number"),
            Field("neutral_event_frequency", "number"),
        ),
        result="run",
        shape=acknowledged("Simulation started successfully"),
        example={
            "config_name": "experimental_design",
            "experimental_condition": "CONTROL",
            "duration_days": 30,
            "stress_event_frequency": 0.1,
            "neutral_event_frequency": 0.3,
        },
    ),
    _control("stop", "stopSimulation"),
    _control("pause", "pauseSimulation"),
    _control("resume", "resumeSimulation"),
    Route(
        "GET",
        "/api/v1/simulation/status",
        summary="Get current simulation status",
        operation=f"query {{ run: simulationStatus {{ {RUN} }} }}",
        result="run",
    ),
    Route(
        "GET",
        "/api/v1/simulation/results",
        summary="Get simulation results",
        operation=f"""
        query Results($id: ID) {{
          simulationResults(simulationId: $id) {{
            simulation_id: simulationId status total_personas: totalPersonas
            total_events: totalEvents total_assessments: totalAssessments
            completion_time: completionTime
            baseline: baselineAssessments {{ {SCORES} }}
            final: finalAssessments {{ {SCORES} }}
            drift_detected: driftDetected significant_changes: significantChanges
          }}
        }}""",
        variables={"id": "query.simulation_id"},
        params=(Field("simulation_id"),),
        result="simulationResults",
        shape=results,
    ),
    Route(
        "GET",
        "/api/v1/simulation/configs",
        summary="Get available simulation configurations",
        operation="""
        query {
          configurations: simulationConfigs {
            name description conditions duration_days: durationDays
            personas_per_condition: personasPerCondition
          }
        }""",
        params=(Field("page", "integer"), Field("size", "integer")),
        pagination=Pagination(
            "page_size", items="configurations", total="configurations", default_size=50
        ),
    ),
    Route(
        "GET",
        "/api/v1/data/assessments",
        summary="Get assessment results",
        operation="""
        query Assessments($filter: SimulationDataFilter, $page: Int, $size: Int) {
          page: simulationAssessments(filter: $filter, page: $page, size: $size) {
            assessments {
              id simulation_id: simulationId persona_id: personaId
              assessment_type: assessmentType score severity responses { question response score }
              timestamp
            }
            page_info: pageInfo { total_count: totalCount }
            summary { assessment_type: assessmentType mean std min max }
          }
        }""",
        variables={
            "filter": {**FILTER, "type": "query.assessment_type"},
            "page": "page.page",
            "size": "page.size",
        },
        params=(*FILTER_PARAMS, Field("assessment_type", description="phq9, gad7 or pss10")),
        result="page",
        pagination=page_of("assessments"),
        shape=score_summary,
    ),
    Route(
        "GET",
        "/api/v1/data/events",
        summary="Get simulation events",
        operation="""
        query Events($filter: SimulationDataFilter, $page: Int, $size: Int) {
          page: simulationEvents(filter: $filter, page: $page, size: $size) {
            events {
              id simulation_id: simulationId persona_id: personaId event_type: eventType
              title description intensity timestamp response mechanistic_data: mechanisticData
            }
            page_info: pageInfo { total_count: totalCount }
            summary {
              stress_events: stressEvents neutral_events: neutralEvents
              average_intensity: averageIntensity
            }
          }
        }""",
        variables={
            "filter": {**FILTER, "type": "query.event_type"},
            "page": "page.page",
            "size": "page.size",
        },
        params=(*FILTER_PARAMS, Field("event_type", description="stress or neutral")),
        result="page",
        pagination=page_of("events"),
    ),
    Route(
        "GET",
        "/api/v1/data/mechanistic",
        summary="Get mechanistic analysis data",
        operation="""
        query Mechanistic($filter: SimulationDataFilter, $page: Int, $size: Int) {
          page: mechanisticData(filter: $filter, page: $page, size: $size) {
            mechanistic_data: mechanisticData {
              id simulation_id: simulationId persona_id: personaId data_type: dataType
              timestamp attention_weights: attentionWeights
              self_reference_score: selfReferenceScore emotional_salience: emotionalSalience
            }
            page_info: pageInfo { total_count: totalCount }
            summary {
              baseline_self_reference: baselineSelfReference
              current_self_reference: currentSelfReference
              significant_layers: significantLayers self_reference: selfReference emotional
            }
          }
        }""",
        variables={
            "filter": {**FILTER, "type": "query.data_type"},
            "page": "page.page",
            "size": "page.size",
        },
        params=(*FILTER_PARAMS, Field("data_type", description="attention, activation, circuits")),
        result="page",
        pagination=page_of("mechanistic_data"),
        shape=mechanistic_summary,
    ),
    Route(
        "GET",
        "/api/v1/data/export",
        summary="Export data in various formats",
        operation="""
        query Export($format: String!, $dataType: String, $id: ID) {
          file: exportSimulationData(format: $format, dataType: $dataType, simulationId: $id) {
            filename content_type: contentType content_base64: contentBase64
          }
        }""",
        variables={
            "format": "query.format",
            "dataType": "query.data_type",
            "id": "query.simulation_id",
        },
        params=(
            Field("format", required=True, description="csv, json or parquet"),
            Field("simulation_id"),
            Field("data_type", description="assessments, events or mechanistic"),
        ),
        result="file",
        download=True,
        rate_group="export",
        example_query={"format": "json"},
    ),
)

API = Api(
    name="drift",
    title="AI Personality Drift Simulation",
    mount="",
    envelope=DRIFT,
    routes=ROUTES,
    rate_limits={"default": "100/minute", "export": "5/hour"},
)
