"""Drift simulations: configurations, runs and the records a run produces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from axonql.ids import new_id
from axonql.models.base import Entity, utcnow


class SimulationConfig(Entity):
    """A named experimental design that runs start from."""

    id: str
    description: str = ""
    conditions: list[str] = Field(default_factory=lambda: ["CONTROL", "STRESS", "TRAUMA"])
    duration_days: int = 30
    personas_per_condition: int = 3
    stress_event_frequency: float = 0.1
    neutral_event_frequency: float = 0.3

    class Settings:
        name = "simulation_configs"


class Simulation(Entity):
    """One simulation run; the loop itself runs on an agent (a `simulation` task)."""

    id: str = Field(default_factory=lambda: new_id("sim"))
    config_name: str
    condition: str
    status: str = "running"
    duration_days: int = 30
    stress_event_frequency: float = 0.1
    neutral_event_frequency: float = 0.3
    personas: int = 3
    current_day: int = 0
    task_id: str | None = None
    start_time: datetime = Field(default_factory=utcnow)
    stopped_at: datetime | None = None
    completed_at: datetime | None = None

    class Settings:
        name = "simulations"
        indexes = ["status", "created_at"]


class AssessmentItem(BaseModel):
    question: str
    response: str
    score: int


class SimulationEvent(Entity):
    """Something that happened to a persona during a run."""

    id: str = Field(default_factory=lambda: new_id("event"))
    simulation_id: str
    persona_id: str
    event_type: str
    title: str
    description: str = ""
    intensity: float = 0.0
    day: int = 0
    response: str = ""
    mechanistic_data: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "simulation_events"
        indexes = [
            [("simulation_id", 1), ("timestamp", 1)],
            "persona_id",
            "event_type",
            "timestamp",
        ]


class SimulationAssessment(Entity):
    """A PHQ-9, GAD-7 or PSS-10 result of one persona on one day."""

    id: str = Field(default_factory=lambda: new_id("assess"))
    simulation_id: str
    persona_id: str
    assessment_type: str
    score: int
    severity: str
    day: int = 0
    responses: list[AssessmentItem] = Field(default_factory=list)
    timestamp: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "simulation_assessments"
        indexes = [
            [("simulation_id", 1), ("timestamp", 1)],
            [("persona_id", 1), ("assessment_type", 1), ("day", 1)],
            "assessment_type",
            "timestamp",
        ]


class MechanisticRecord(Entity):
    """Interpretability data captured from a persona's model."""

    id: str = Field(default_factory=lambda: new_id("mech"))
    simulation_id: str
    persona_id: str
    data_type: str
    attention_weights: dict[str, Any] = Field(default_factory=dict)
    activation_changes: dict[str, Any] = Field(default_factory=dict)
    self_reference_score: float | None = None
    emotional_salience: float | None = None
    timestamp: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "simulation_mechanistic"
        indexes = [
            [("simulation_id", 1), ("timestamp", 1)],
            "persona_id",
            "data_type",
            "timestamp",
        ]
