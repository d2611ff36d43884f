"""Drift simulations: run control, the records runs produce, their statistics.

A run is a `Simulation` document plus a queued `simulation` task that a capable agent claims
and executes, reporting events, assessments and mechanistic data back through GraphQL.

Drift rule: an assessment whose score exceeds the persona's baseline (its first assessment of
that scale) by ≥ 15 % of the scale's maximum is drift (`SIMULATION_DRIFT`); ≥ 30 % is `high`.
A scale changed significantly across a run when its final mean differs from its baseline mean
by at least max(1 point, half the pooled standard deviation).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from axonql import models
from axonql.errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from axonql.models.base import utcnow
from axonql.models.simulation import (
    AssessmentItem,
    MechanisticRecord,
    Simulation,
    SimulationAssessment,
    SimulationConfig,
    SimulationEvent,
)
from axonql.models.task import TaskStatus
from axonql.services import assessment_scales, queue
from axonql.services import validation as v
from axonql.services.events import emit
from axonql.services.lookup import fetch
from axonql.services.pagination import Span, windows
from axonql.services.tasks import TaskDraft, create_task
from axonql.settings import Settings

CAPABILITY = "drift_simulation"
ACTIVE = ("running", "paused")
EVENT_TYPES = ("stress", "neutral", "trauma")
DATA_TYPES = ("attention", "activation", "circuits")
DRIFT_SHARE = 0.15
HIGH_DRIFT_SHARE = 0.30

DEFAULT_CONFIGS: list[dict[str, Any]] = [
    {
        "id": "experimental_design",
        "description": "Standard experimental design",
        "duration_days": 30,
        "personas_per_condition": 3,
    },
    {
        "id": "pilot",
        "description": "Short pilot run with one persona per condition",
        "duration_days": 7,
        "personas_per_condition": 1,
        "stress_event_frequency": 0.2,
    },
]


async def configs() -> list[SimulationConfig]:
    """The stored configurations; the defaults are stored on first use."""
    for default in DEFAULT_CONFIGS:
        if await SimulationConfig.get(default["id"]) is None:
            await SimulationConfig(**default).insert()
    return await SimulationConfig.find_all().sort("_id").to_list()


@dataclass
class StartRequest:
    config_name: str | None = None
    condition: str = "CONTROL"
    duration_days: int | None = None
    stress_event_frequency: float | None = None
    neutral_event_frequency: float | None = None


async def start(settings: Settings, request: StartRequest) -> Progress:
    """A new run, queued for a capable agent; one run at a time (409 otherwise)."""
    await configs()
    name = request.config_name or "experimental_design"
    config = await fetch(SimulationConfig, name, "simulation configuration")
    condition = request.condition.upper()
    if condition not in config.conditions:
        raise ValidationError(
            f"experimental_condition must be one of {', '.join(config.conditions)}",
            field="experimentalCondition",
        )
    days = v.int_in(
        "durationDays",
        request.duration_days if request.duration_days is not None else config.duration_days,
        1,
        3650,
    )
    stress = v.number_in(
        "stressEventFrequency",
        request.stress_event_frequency
        if request.stress_event_frequency is not None
        else config.stress_event_frequency,
        0.0,
        1.0,
    )
    neutral = v.number_in(
        "neutralEventFrequency",
        request.neutral_event_frequency
        if request.neutral_event_frequency is not None
        else config.neutral_event_frequency,
        0.0,
        1.0,
    )
    if await _newest_active() is not None:
        raise Conflict("a simulation is already running", code="SIMULATION_ALREADY_RUNNING")
    if await queue.online_agents_for(settings, [CAPABILITY]) == 0:
        raise ServiceUnavailable(
            f"no agent with the capability {CAPABILITY} is online",
            code="NO_AGENT_AVAILABLE",
        )
    simulation = Simulation(
        config_name=name,
        condition=condition,
        duration_days=days,
        stress_event_frequency=stress,
        neutral_event_frequency=neutral,
        personas=config.personas_per_condition,
    )
    task = await create_task(
        settings,
        TaskDraft(
            name=f"Drift simulation {simulation.id}",
            type="simulation",
            required_capabilities=[CAPABILITY],
            parameters={
                "simulation_id": simulation.id,
                "condition": condition,
                "duration_days": days,
                "personas": simulation.personas,
                "stress_event_frequency": stress,
                "neutral_event_frequency": neutral,
            },
        ),
    )
    simulation.task_id = task.id
    await simulation.insert()
    await queue.queue_task(task.id)
    await _status_event(simulation)
    return await progress(simulation)


async def _newest_active() -> Simulation | None:
    """The newest running or paused run: one status equality each (`$in` takes no index on
    SecantusDB), reading only the active runs."""
    active = [await Simulation.find({"status": s}).to_list() for s in ACTIVE]
    return max((r for runs in active for r in runs), key=lambda r: r.created_at, default=None)


async def current() -> Simulation:
    """The newest run (active ones first); the newest of all read in `created_at` windows."""
    found = await _newest_active()
    if found is None:
        newest = await windows(Simulation, {}, "created_at", True, 1, None, Span())
        found = newest[0] if newest else None
    if found is None:
        raise NotFound("no simulation has been started", code="SIMULATION_NOT_FOUND")
    return await _settle(found)


async def _settle(simulation: Simulation) -> Simulation:
    """Adopt the outcome of the run's task once the agent has finished it."""
    if simulation.status not in ACTIVE or simulation.task_id is None:
        return simulation
    task = await models.Task.get(simulation.task_id)
    if task is None:
        return simulation
    outcome = {TaskStatus.COMPLETED: "completed", TaskStatus.FAILED: "failed"}.get(task.status)
    if outcome is not None:
        simulation.status = outcome
        simulation.completed_at = task.completed_at or utcnow()
        await simulation.save()
        await _status_event(simulation)
    return simulation


async def _control(task_id: str | None, action: str, settings: Settings) -> None:
    """Forward stop/pause/resume to the run's task when its state allows it."""
    if task_id is None:
        return
    task = await models.Task.get(task_id)
    if task is None:
        return
    if action == "stop" and task.status not in (
        TaskStatus.COMPLETED,
        TaskStatus.FAILED,
        TaskStatus.CANCELLED,
    ):
        await queue.cancel(task_id, "simulation stopped")
    elif action == "pause" and task.status == TaskStatus.RUNNING:
        await queue.pause(task_id)
    elif action == "resume" and task.status == TaskStatus.PAUSED:
        await queue.resume(settings, task_id)


TRANSITIONS = {
    "stop": (ACTIVE, "stopped"),
    "pause": (("running",), "paused"),
    "resume": (("paused",), "running"),
}


async def control(settings: Settings, action: str) -> Progress:
    """stop | pause | resume the current run; anything else is a 409 with the reason."""
    allowed, target = TRANSITIONS[action]
    simulation = await current()
    if simulation.status not in allowed:
        raise Conflict(
            f"cannot {action} a simulation that is {simulation.status}",
            code="SIMULATION_STATE_CONFLICT",
        )
    simulation.status = target
    if target == "stopped":
        simulation.stopped_at = utcnow()
    await simulation.save()
    await _control(simulation.task_id, action, settings)
    await _status_event(simulation)
    return await progress(simulation)


@dataclass
class Progress:
    simulation: Simulation
    current_day: int
    active_personas: int
    events_processed: int
    assessments_completed: int

    @property
    def progress_percentage(self) -> float:
        return round(
            100.0
            * min(self.current_day, self.simulation.duration_days)
            / self.simulation.duration_days,
            2,
        )

    @property
    def estimated_completion(self) -> datetime | None:
        if self.current_day <= 0:
            return None
        elapsed = (utcnow() - self.simulation.start_time) * (
            self.simulation.duration_days / self.current_day
        )
        return self.simulation.start_time + elapsed


async def status() -> Progress:
    """How far the current (or newest) run got."""
    return await progress(await current())


async def status_if_any() -> Progress | None:
    """`status()`, or None before the first run."""
    try:
        return await status()
    except NotFound:
        return None


async def progress(simulation: Simulation) -> Progress:
    where = {"simulation_id": simulation.id}
    assessments = SimulationAssessment.get_pymongo_collection()
    events = SimulationEvent.get_pymongo_collection()
    personas = set(await assessments.distinct("persona_id", where)) | set(
        await events.distinct("persona_id", where)
    )
    return Progress(
        simulation=simulation,
        current_day=simulation.current_day,
        active_personas=len(personas),
        events_processed=await events.count_documents(where),
        assessments_completed=await assessments.count_documents(where),
    )


async def _status_event(simulation: Simulation) -> None:
    await emit(
        "SIMULATION_STATUS",
        {
            "simulation_id": simulation.id,
            "status": simulation.status,
            "current_day": simulation.current_day,
        },
        task_id=simulation.task_id,
    )


async def _active_run(simulation_id: str) -> Simulation:
    simulation = await fetch(Simulation, simulation_id, "simulation")
    if simulation.status != "running":
        raise Conflict(
            f"simulation {simulation_id} is {simulation.status}; records are refused",
            code="SIMULATION_STATE_CONFLICT",
        )
    return simulation


async def _advance(simulation: Simulation, day: int) -> None:
    """A new simulated day: recorded, and announced as a status update (live progress)."""
    if day > simulation.current_day:
        moved = await Simulation.get_pymongo_collection().update_one(
            {"_id": simulation.id, "current_day": {"$lt": day}},
            {"$set": {"current_day": day, "updated_at": utcnow()}},
        )
        simulation.current_day = day
        if moved.modified_count:
            await _status_event(simulation)


async def task_finished(task: models.Task) -> None:
    """A run's task ended: the run adopts its outcome now, and says so to its watchers."""
    if task.type != "simulation":
        return
    simulation = await Simulation.find_one({"task_id": task.id})
    if simulation is not None:
        await _settle(simulation)


async def record_event(
    simulation_id: str,
    persona_id: str,
    event_type: str,
    title: str,
    *,
    day: int,
    intensity: float,
    description: str = "",
    response: str = "",
    mechanistic_data: dict[str, Any] | None = None,
) -> SimulationEvent:
    simulation = await _active_run(simulation_id)
    if event_type not in EVENT_TYPES:
        raise ValidationError(
            f"event_type must be one of {', '.join(EVENT_TYPES)}", field="eventType"
        )
    event = SimulationEvent(
        simulation_id=simulation.id,
        persona_id=v.client_id("personaId", persona_id),
        event_type=event_type,
        title=v.text("title", title, 200),
        description=v.text("description", description, 10_000, required=False),
        response=v.text("response", response, 10_000, required=False),
        intensity=v.number_in("intensity", intensity, 0.0, 1.0),
        day=v.int_in("day", day, 0, simulation.duration_days),
        mechanistic_data=v.json_object("mechanisticData", mechanistic_data),
    )
    await event.insert()
    await _advance(simulation, event.day)
    await emit(
        "SIMULATION_EVENT",
        {
            "event_id": event.id,
            "simulation_id": simulation.id,
            "persona_id": event.persona_id,
            "event_type": event.event_type,
            "title": event.title,
            "intensity": event.intensity,
        },
        task_id=simulation.task_id,
    )
    return event


async def record_assessment(
    simulation_id: str,
    persona_id: str,
    assessment_type: str,
    score: int,
    *,
    day: int,
    responses: list[AssessmentItem],
) -> SimulationAssessment:
    simulation = await _active_run(simulation_id)
    label = assessment_scales.severity(assessment_type, score)
    assessment_scales.check_items(assessment_type, score, [r.score for r in responses])
    assessment = SimulationAssessment(
        simulation_id=simulation.id,
        persona_id=v.client_id("personaId", persona_id),
        assessment_type=assessment_type,
        score=score,
        severity=label,
        day=v.int_in("day", day, 0, simulation.duration_days),
        responses=responses,
    )
    baseline = (
        await SimulationAssessment.find(
            {
                "simulation_id": simulation.id,
                "persona_id": assessment.persona_id,
                "assessment_type": assessment_type,
            }
        )
        .sort("day", "timestamp")
        .first_or_none()
    )
    await assessment.insert()
    await _advance(simulation, assessment.day)
    await emit(
        "SIMULATION_ASSESSMENT",
        {
            "assessment_id": assessment.id,
            "simulation_id": simulation.id,
            "persona_id": assessment.persona_id,
            "assessment_type": assessment_type,
            "score": score,
            "severity": label,
        },
        task_id=simulation.task_id,
    )
    if baseline is not None:
        change = score - baseline.score
        share = change / assessment_scales.scale(assessment_type).maximum
        if share >= DRIFT_SHARE:
            await emit(
                "SIMULATION_DRIFT",
                {
                    "simulation_id": simulation.id,
                    "persona_id": assessment.persona_id,
                    "assessment_type": assessment_type,
                    "baseline_score": baseline.score,
                    "current_score": score,
                    "change_magnitude": change,
                    "significance": "high" if share >= HIGH_DRIFT_SHARE else "moderate",
                },
                task_id=simulation.task_id,
            )
    return assessment


async def record_mechanistic(
    simulation_id: str,
    persona_id: str,
    data_type: str,
    *,
    attention_weights: dict[str, Any] | None,
    activation_changes: dict[str, Any] | None,
    self_reference_score: float | None,
    emotional_salience: float | None,
) -> MechanisticRecord:
    simulation = await _active_run(simulation_id)
    if data_type not in DATA_TYPES:
        raise ValidationError(f"data_type must be one of {', '.join(DATA_TYPES)}", field="dataType")
    record = MechanisticRecord(
        simulation_id=simulation.id,
        persona_id=v.client_id("personaId", persona_id),
        data_type=data_type,
        attention_weights=v.json_object("attentionWeights", attention_weights),
        activation_changes=v.json_object("activationChanges", activation_changes),
        self_reference_score=None
        if self_reference_score is None
        else v.number_in("selfReferenceScore", self_reference_score, 0.0, 1.0),
        emotional_salience=None
        if emotional_salience is None
        else v.number_in("emotionalSalience", emotional_salience, 0.0, 1.0),
    )
    await record.insert()
    return record


@dataclass
class Stats:
    """mean/std/min/max of a list of numbers (std is the population deviation)."""

    count: int = 0
    mean: float = 0.0
    std: float = 0.0
    min: float = 0.0
    max: float = 0.0

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        if not values:
            return cls()
        return cls(
            count=len(values),
            mean=round(statistics.fmean(values), 4),
            std=round(statistics.pstdev(values), 4),
            min=min(values),
            max=max(values),
        )


@dataclass
class Results:
    simulation: Simulation
    total_personas: int
    total_events: int
    total_assessments: int
    baseline: dict[str, Stats] = field(default_factory=dict)
    final: dict[str, Stats] = field(default_factory=dict)
    significant_changes: list[str] = field(default_factory=list)

    @property
    def drift_detected(self) -> bool:
        return bool(self.significant_changes)

    @property
    def completion_time(self) -> datetime | None:
        """When the run completed, or else when it was stopped."""
        return self.simulation.completed_at or self.simulation.stopped_at


async def results(simulation_id: str | None) -> Results:
    """Baseline (each persona's first) vs final (each persona's last) scores per scale."""
    simulation = await (_get(simulation_id) if simulation_id else current())
    assessments = (
        await SimulationAssessment.find({"simulation_id": simulation.id})
        .sort("day", "timestamp")
        .to_list()
    )
    first: dict[tuple[str, str], int] = {}
    last: dict[tuple[str, str], int] = {}
    for a in assessments:
        first.setdefault((a.assessment_type, a.persona_id), a.score)
        last[(a.assessment_type, a.persona_id)] = a.score
    outcome = Results(
        simulation=simulation,
        total_personas=len({a.persona_id for a in assessments}),
        total_events=await SimulationEvent.find({"simulation_id": simulation.id}).count(),
        total_assessments=len(assessments),
    )
    for kind in assessment_scales.SCALES:
        before = [float(s) for (k, _), s in first.items() if k == kind]
        after = [float(s) for (k, _), s in last.items() if k == kind]
        if not before:
            continue
        outcome.baseline[kind] = Stats.of(before)
        outcome.final[kind] = Stats.of(after)
        pooled = math.sqrt((outcome.baseline[kind].std ** 2 + outcome.final[kind].std ** 2) / 2)
        if abs(outcome.final[kind].mean - outcome.baseline[kind].mean) >= max(1.0, pooled / 2):
            outcome.significant_changes.append(kind)
    return outcome


async def _get(simulation_id: str) -> Simulation:
    simulation = await fetch(Simulation, simulation_id, "simulation")
    return await _settle(simulation)
