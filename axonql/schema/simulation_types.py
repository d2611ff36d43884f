"""Drift-simulation types and inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from axonql.models import simulation as m
from axonql.schema.node import Node
from axonql.services import simulation_data as data
from axonql.services import simulation_runs as sim


@strawberry.type
class SimulationConfiguration:
    name: str
    description: str
    conditions: list[str]
    duration_days: int
    personas_per_condition: int

    @classmethod
    def from_document(cls, doc: m.SimulationConfig) -> SimulationConfiguration:
        return cls(
            name=doc.id,
            description=doc.description,
            conditions=doc.conditions,
            duration_days=doc.duration_days,
            personas_per_condition=doc.personas_per_condition,
        )


@strawberry.type
class SimulationRun:
    """A run and how far it got (the drift simulation's simulation status)."""

    simulation_id: strawberry.ID
    config_name: str
    condition: str
    status: str
    current_day: int
    total_days: int
    progress_percentage: float
    active_personas: int
    events_processed: int
    assessments_completed: int
    start_time: datetime
    estimated_completion: datetime | None
    task_id: strawberry.ID | None

    @strawberry.field
    def is_running(self) -> bool:
        return self.status == "running"

    @strawberry.field
    def is_paused(self) -> bool:
        return self.status == "paused"

    @classmethod
    def from_progress(cls, p: sim.Progress) -> SimulationRun:
        s = p.simulation
        return cls(
            simulation_id=strawberry.ID(s.id),
            config_name=s.config_name,
            condition=s.condition,
            status=s.status,
            current_day=p.current_day,
            total_days=s.duration_days,
            progress_percentage=p.progress_percentage,
            active_personas=p.active_personas,
            events_processed=p.events_processed,
            assessments_completed=p.assessments_completed,
            start_time=s.start_time,
            estimated_completion=p.estimated_completion,
            task_id=strawberry.ID(s.task_id) if s.task_id else None,
        )


@strawberry.type
class ScoreSummary:
    assessment_type: str
    count: int
    mean: float
    std: float
    min: float
    max: float

    @classmethod
    def of(cls, kind: str, stats: sim.Stats) -> ScoreSummary:
        return cls(
            assessment_type=kind,
            count=stats.count,
            mean=stats.mean,
            std=stats.std,
            min=stats.min,
            max=stats.max,
        )


@strawberry.type
class SimulationResults:
    simulation_id: strawberry.ID
    status: str
    total_personas: int
    total_events: int
    total_assessments: int
    completion_time: datetime | None
    baseline_assessments: list[ScoreSummary]
    final_assessments: list[ScoreSummary]
    drift_detected: bool
    significant_changes: list[str]


@strawberry.type
class AssessmentResponse:
    question: str
    response: str
    score: int


@strawberry.type
class ClinicalAssessment(Node):
    id: strawberry.ID
    simulation_id: strawberry.ID
    persona_id: str
    assessment_type: str
    score: int
    severity: str
    day: int
    responses: list[AssessmentResponse]
    timestamp: datetime

    @classmethod
    def from_document(cls, doc: m.SimulationAssessment) -> ClinicalAssessment:
        return cls(
            id=strawberry.ID(doc.id),
            simulation_id=strawberry.ID(doc.simulation_id),
            persona_id=doc.persona_id,
            assessment_type=doc.assessment_type,
            score=doc.score,
            severity=doc.severity,
            day=doc.day,
            responses=[AssessmentResponse(**r.model_dump()) for r in doc.responses],
            timestamp=doc.timestamp,
        )


@strawberry.type
class PersonaEvent(Node):
    id: strawberry.ID
    simulation_id: strawberry.ID
    persona_id: str
    event_type: str
    title: str
    description: str
    intensity: float
    day: int
    response: str
    mechanistic_data: JSON
    timestamp: datetime

    @classmethod
    def from_document(cls, doc: m.SimulationEvent) -> PersonaEvent:
        return cls(
            id=strawberry.ID(doc.id),
            simulation_id=strawberry.ID(doc.simulation_id),
            persona_id=doc.persona_id,
            event_type=doc.event_type,
            title=doc.title,
            description=doc.description,
            intensity=doc.intensity,
            day=doc.day,
            response=doc.response,
            mechanistic_data=JSON(doc.mechanistic_data),
            timestamp=doc.timestamp,
        )


@strawberry.type
class MechanisticData(Node):
    id: strawberry.ID
    simulation_id: strawberry.ID
    persona_id: str
    data_type: str
    attention_weights: JSON
    activation_changes: JSON
    self_reference_score: float | None
    emotional_salience: float | None
    timestamp: datetime

    @classmethod
    def from_document(cls, doc: m.MechanisticRecord) -> MechanisticData:
        return cls(
            id=strawberry.ID(doc.id),
            simulation_id=strawberry.ID(doc.simulation_id),
            persona_id=doc.persona_id,
            data_type=doc.data_type,
            attention_weights=JSON(doc.attention_weights),
            activation_changes=JSON(doc.activation_changes),
            self_reference_score=doc.self_reference_score,
            emotional_salience=doc.emotional_salience,
            timestamp=doc.timestamp,
        )


@strawberry.type
class PageMeta:
    """The drift simulation's page/size pagination (`X-Total-Count` etc. in the REST layer)."""

    total_count: int
    page: int
    size: int
    page_count: int

    @classmethod
    def of(
        cls,
        page: data.DataPage[m.SimulationAssessment]
        | data.DataPage[m.SimulationEvent]
        | data.DataPage[m.MechanisticRecord],
    ) -> PageMeta:
        return cls(
            total_count=page.total, page=page.page, size=page.size, page_count=page.page_count
        )


@strawberry.type
class AssessmentPage:
    assessments: list[ClinicalAssessment]
    page_info: PageMeta
    summary: list[ScoreSummary]


@strawberry.type
class EventTotals:
    stress_events: int
    neutral_events: int
    average_intensity: float


@strawberry.type
class PersonaEventPage:
    events: list[PersonaEvent]
    page_info: PageMeta
    summary: EventTotals


@strawberry.type
class MechanisticTotals:
    baseline_self_reference: float | None
    current_self_reference: float | None
    significant_layers: list[str]
    self_reference: float | None
    emotional: float | None


@strawberry.type
class MechanisticPage:
    mechanistic_data: list[MechanisticData]
    page_info: PageMeta
    summary: MechanisticTotals


@strawberry.type
class ExportFile:
    """Exported records; `contentBase64` carries the file's bytes."""

    filename: str
    content_type: str
    rows: int
    content_base64: str


@strawberry.input
class SimulationDataFilter:
    simulation_id: strawberry.ID | None = None
    persona_id: str | None = None
    type: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None

    def to_filter(self) -> data.DataFilter:
        return data.DataFilter(
            simulation_id=self.simulation_id,
            persona_id=self.persona_id,
            kind=self.type,
            start=self.start_date,
            end=self.end_date,
        )


@strawberry.input
class StartSimulationInput:
    config_name: str | None = None
    experimental_condition: str = "CONTROL"
    duration_days: int | None = None
    stress_event_frequency: float | None = None
    neutral_event_frequency: float | None = None


@strawberry.input
class AssessmentResponseInput:
    question: str
    response: str
    score: int


@strawberry.input
class RecordAssessmentInput:
    simulation_id: strawberry.ID
    persona_id: str
    assessment_type: str
    score: int
    day: int = 0
    responses: list[AssessmentResponseInput] | None = None


@strawberry.input
class RecordEventInput:
    simulation_id: strawberry.ID
    persona_id: str
    event_type: str
    title: str
    intensity: float
    day: int = 0
    description: str = ""
    response: str = ""
    mechanistic_data: JSON | None = None


@strawberry.input
class RecordMechanisticInput:
    simulation_id: strawberry.ID
    persona_id: str
    data_type: str
    attention_weights: JSON | None = None
    activation_changes: JSON | None = None
    self_reference_score: float | None = None
    emotional_salience: float | None = None
