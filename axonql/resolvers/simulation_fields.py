"""Root fields for simulation: arguments in, one service call, a schema type out."""

from __future__ import annotations

import base64

import strawberry

from axonql.models import simulation as m
from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.schema.simulation_types import (
    AssessmentPage,
    ClinicalAssessment,
    EventTotals,
    ExportFile,
    MechanisticData,
    MechanisticPage,
    MechanisticTotals,
    PageMeta,
    PersonaEvent,
    PersonaEventPage,
    RecordAssessmentInput,
    RecordEventInput,
    RecordMechanisticInput,
    ScoreSummary,
    SimulationConfiguration,
    SimulationDataFilter,
    SimulationResults,
    SimulationRun,
    StartSimulationInput,
)
from axonql.scopes import Scope
from axonql.services import simulation_data as data
from axonql.services import simulation_runs as sim


@strawberry.type
class SimulationQuery:
    @query(Scope.CONSCIOUSNESS_READ)
    async def simulation_configs(self, info: Info) -> list[SimulationConfiguration]:
        return [SimulationConfiguration.from_document(c) for c in await sim.configs()]

    @query(Scope.CONSCIOUSNESS_READ, description="The current (or newest) simulation run.")
    async def simulation_status(self, info: Info) -> SimulationRun:
        return SimulationRun.from_progress(await sim.status())

    @query(Scope.CONSCIOUSNESS_READ, description="`simulationStatus`, or null before the first.")
    async def current_simulation(self, info: Info) -> SimulationRun | None:
        found = await sim.status_if_any()
        return SimulationRun.from_progress(found) if found is not None else None

    @query(Scope.CONSCIOUSNESS_READ)
    async def simulation_results(
        self, info: Info, simulation_id: strawberry.ID | None = None
    ) -> SimulationResults:
        r = await sim.results(simulation_id)
        return SimulationResults(
            simulation_id=strawberry.ID(r.simulation.id),
            status=r.simulation.status,
            total_personas=r.total_personas,
            total_events=r.total_events,
            total_assessments=r.total_assessments,
            completion_time=r.completion_time,
            baseline_assessments=[ScoreSummary.of(k, s) for k, s in r.baseline.items()],
            final_assessments=[ScoreSummary.of(k, s) for k, s in r.final.items()],
            drift_detected=r.drift_detected,
            significant_changes=r.significant_changes,
        )

    @query(Scope.CONSCIOUSNESS_READ)
    async def simulation_assessments(
        self,
        info: Info,
        filter: SimulationDataFilter | None = None,
        page: int | None = None,
        size: int | None = None,
    ) -> AssessmentPage:
        found, summary = await data.assessments(
            (filter or SimulationDataFilter()).to_filter(), page, size
        )
        return AssessmentPage(
            assessments=[ClinicalAssessment.from_document(d) for d in found.items],
            page_info=PageMeta.of(found),
            summary=[ScoreSummary.of(k, s) for k, s in summary.items()],
        )

    @query(Scope.CONSCIOUSNESS_READ)
    async def simulation_events(
        self,
        info: Info,
        filter: SimulationDataFilter | None = None,
        page: int | None = None,
        size: int | None = None,
    ) -> PersonaEventPage:
        found, summary = await data.events(
            (filter or SimulationDataFilter()).to_filter(), page, size
        )
        return PersonaEventPage(
            events=[PersonaEvent.from_document(d) for d in found.items],
            page_info=PageMeta.of(found),
            summary=EventTotals(
                stress_events=summary.stress_events,
                neutral_events=summary.neutral_events,
                average_intensity=summary.average_intensity,
            ),
        )

    @query(Scope.CONSCIOUSNESS_READ)
    async def mechanistic_data(
        self,
        info: Info,
        filter: SimulationDataFilter | None = None,
        page: int | None = None,
        size: int | None = None,
    ) -> MechanisticPage:
        found, summary = await data.mechanistic(
            (filter or SimulationDataFilter()).to_filter(), page, size
        )
        return MechanisticPage(
            mechanistic_data=[MechanisticData.from_document(d) for d in found.items],
            page_info=PageMeta.of(found),
            summary=MechanisticTotals(
                baseline_self_reference=summary.baseline_self_reference,
                current_self_reference=summary.current_self_reference,
                significant_layers=summary.significant_layers,
                self_reference=summary.self_reference,
                emotional=summary.emotional,
            ),
        )

    @query(Scope.CONSCIOUSNESS_READ, description="Recorded data as CSV, JSON or Parquet.")
    async def export_simulation_data(
        self,
        info: Info,
        format: str,
        data_type: str | None = None,
        simulation_id: strawberry.ID | None = None,
    ) -> ExportFile:
        exported = await data.export(format, data_type, simulation_id)
        return ExportFile(
            filename=exported.filename,
            content_type=exported.content_type,
            rows=exported.rows,
            content_base64=base64.b64encode(exported.content).decode(),
        )


@strawberry.type
class SimulationMutation:
    @mutation(Scope.CONSCIOUSNESS_WRITE, description="Queue a run for a drift_simulation agent.")
    async def start_simulation(self, info: Info, input: StartSimulationInput) -> SimulationRun:
        started = await sim.start(
            info.context.settings,
            sim.StartRequest(
                config_name=input.config_name,
                condition=input.experimental_condition,
                duration_days=input.duration_days,
                stress_event_frequency=input.stress_event_frequency,
                neutral_event_frequency=input.neutral_event_frequency,
            ),
        )
        return SimulationRun.from_progress(started)

    @mutation(Scope.CONSCIOUSNESS_WRITE)
    async def stop_simulation(self, info: Info) -> SimulationRun:
        return SimulationRun.from_progress(await sim.control(info.context.settings, "stop"))

    @mutation(Scope.CONSCIOUSNESS_WRITE)
    async def pause_simulation(self, info: Info) -> SimulationRun:
        return SimulationRun.from_progress(await sim.control(info.context.settings, "pause"))

    @mutation(Scope.CONSCIOUSNESS_WRITE)
    async def resume_simulation(self, info: Info) -> SimulationRun:
        return SimulationRun.from_progress(await sim.control(info.context.settings, "resume"))

    @mutation(Scope.TASKS_WRITE, description="An agent reports a persona's event.")
    async def record_simulation_event(self, info: Info, input: RecordEventInput) -> PersonaEvent:
        doc = await sim.record_event(
            input.simulation_id,
            input.persona_id,
            input.event_type,
            input.title,
            day=input.day,
            intensity=input.intensity,
            description=input.description,
            response=input.response,
            mechanistic_data=input.mechanistic_data,  # type: ignore[arg-type]
        )
        return PersonaEvent.from_document(doc)

    @mutation(Scope.TASKS_WRITE, description="An agent reports a PHQ-9/GAD-7/PSS-10 result.")
    async def record_assessment(
        self, info: Info, input: RecordAssessmentInput
    ) -> ClinicalAssessment:
        doc = await sim.record_assessment(
            input.simulation_id,
            input.persona_id,
            input.assessment_type,
            input.score,
            day=input.day,
            responses=[
                m.AssessmentItem(question=r.question, response=r.response, score=r.score)
                for r in input.responses or []
            ],
        )
        return ClinicalAssessment.from_document(doc)

    @mutation(Scope.TASKS_WRITE, description="An agent reports interpretability data.")
    async def record_mechanistic_data(
        self, info: Info, input: RecordMechanisticInput
    ) -> MechanisticData:
        doc = await sim.record_mechanistic(
            input.simulation_id,
            input.persona_id,
            input.data_type,
            attention_weights=input.attention_weights,  # type: ignore[arg-type]
            activation_changes=input.activation_changes,  # type: ignore[arg-type]
            self_reference_score=input.self_reference_score,
            emotional_salience=input.emotional_salience,
        )
        return MechanisticData.from_document(doc)
