"""Reference handlers: deterministic stand-ins for model work, labelled as such in every result.

They exist so the demo and the tests have real workers. None of them runs a model: outputs are
computed from the task's parameters (and a seed) so the same task always gives the same result.
Each accepts `step_seconds` to make a step take time (tests use it to kill or cancel mid-task).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from axonql.agent.client import ApiError, Task
from axonql.agent.control import TaskControl

Handler = Callable[[TaskControl, Task], Awaitable[dict[str, Any]]]
HANDLERS: dict[str, Handler] = {}


class PermanentFailure(Exception):
    """Bad parameters: retrying will not help."""


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def labelled(name: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"reference_implementation": True, "handler": f"reference.{name}", **result}


def seeded(task: Task) -> random.Random:
    """A generator seeded from `parameters.seed`, else from the task's parameters."""
    seed = task.parameters.get("seed")
    if seed is None:
        seed = hashlib.sha256(repr(sorted(task.parameters.items())).encode()).hexdigest()
    return random.Random(str(seed))


async def step(ctx: TaskControl, task: Task, done: int, total: int, message: str) -> None:
    """Report progress, honour pause/cancel, and wait `step_seconds`."""
    delay = float(task.parameters.get("step_seconds", 0) or 0)
    if delay > 0:
        await asyncio.sleep(min(delay, 60.0))
    await ctx.progress(100 * done / max(total, 1), message)


def _number(params: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = params.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise PermanentFailure(f"parameter {key} must be a number between {low} and {high}")
    return float(value)


@handler("text_processing")
async def text_processing(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Counts and simple transformations of `parameters.text`; NexusNet `/process` of text
    (parameters `input_data`, `input_type`, `options`) is measured as `nexus_handlers` says."""
    if "input_data" in task.parameters:
        from axonql.agent.nexus_handlers import nexus_text

        return await nexus_text(ctx, task)
    text = task.parameters.get("text", "")
    if not isinstance(text, str):
        raise PermanentFailure("parameter text must be a string")
    operations = task.parameters.get("operations") or ["word_count"]
    transforms: dict[str, Callable[[str], Any]] = {
        "uppercase": str.upper,
        "lowercase": str.lower,
        "reverse": lambda s: s[::-1],
        "word_count": lambda s: len(s.split()),
        "char_count": len,
        "tokens": lambda s: s.split(),
        "sha256": lambda s: hashlib.sha256(s.encode()).hexdigest(),
    }
    unknown = [op for op in operations if op not in transforms]
    if unknown:
        raise PermanentFailure(f"unknown text operations: {', '.join(map(str, unknown))}")
    outputs: dict[str, Any] = {}
    for index, op in enumerate(operations, start=1):
        outputs[op] = transforms[op](text)
        await step(ctx, task, index, len(operations), f"applied {op}")
    return labelled("text_processing", {"operations": operations, "outputs": outputs})


@handler("batch_processing")
async def batch_processing(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Applies `operation` to `items` in batches of `batch_size`, reporting each batch."""
    items = task.parameters.get("items", list(range(10)))
    if not isinstance(items, list) or not all(
        isinstance(i, int | float) and not isinstance(i, bool) for i in items
    ):
        raise PermanentFailure("parameter items must be a list of numbers")
    size = int(_number(task.parameters, "batch_size", 5, 1, 10_000))
    operation = task.parameters.get("operation", "square")
    ops: dict[str, Callable[[float], float]] = {
        "square": lambda x: x * x,
        "double": lambda x: 2 * x,
        "negate": lambda x: -x,
        "identity": lambda x: x,
    }
    if operation not in ops:
        raise PermanentFailure(f"unknown batch operation {operation!r}")
    batches = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    results: list[float] = []
    for index, batch in enumerate(batches, start=1):
        results.extend(ops[operation](x) for x in batch)
        await step(ctx, task, index, len(batches), f"batch {index}/{len(batches)}")
    return labelled(
        "batch_processing",
        {
            "operation": operation,
            "batches": len(batches),
            "processed": len(results),
            "results": results[:1000],
            "sum": sum(results),
        },
    )


SCALES = {"phq9": (0, 27), "gad7": (0, 21), "pss10": (0, 40)}
CONDITION_LOAD = {"CONTROL": 0.0, "STRESS": 0.08, "TRAUMA": 0.2}


def _summary(scores: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {"mean": round(statistics.fmean(v), 2), "std": round(statistics.pstdev(v), 2)}
        for name, v in scores.items()
    }


RECORD_EVENT = (
    """mutation($input: RecordEventInput!) { recordSimulationEvent(input: $input) { id } }"""
)
RECORD_ASSESSMENT = """mutation($input: RecordAssessmentInput!) {
  recordAssessment(input: $input) { id } }"""
EVENT_TITLES = {
    "stress": ["Conflict at work", "Loss of a close friend", "Sleepless week", "Harsh criticism"],
    "neutral": ["Routine conversation", "A walk outside", "Reading a book", "Cooking dinner"],
}


class SimulationRecorder:
    """Reports a run's records to the server when the task belongs to a stored simulation."""

    def __init__(self, ctx: TaskControl, simulation_id: str | None) -> None:
        self.ctx = ctx
        self.simulation_id = simulation_id

    async def _send(self, query: str, record: dict[str, Any]) -> None:
        if self.simulation_id is None:
            return
        try:
            await self.ctx.client.call(
                query, {"input": {"simulationId": self.simulation_id, **record}}
            )
        except ApiError as exc:
            if exc.code != "SIMULATION_STATE_CONFLICT":  # stopped or paused meanwhile: drop it
                raise

    async def event(self, persona: str, kind: str, title: str, intensity: float, day: int) -> None:
        await self._send(
            RECORD_EVENT,
            {
                "personaId": persona,
                "eventType": kind,
                "title": title,
                "intensity": round(intensity, 4),
                "day": day,
            },
        )

    async def assessment(self, persona: str, scale: str, score: float, day: int) -> None:
        await self._send(
            RECORD_ASSESSMENT,
            {"personaId": persona, "assessmentType": scale, "score": round(score), "day": day},
        )


@handler("drift_simulation")
async def drift_simulation(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """The drift simulation's loop: personas live `duration_days`, meet events, take
    PHQ-9/GAD-7/PSS-10.

    For a run started with `startSimulation` (parameters carry `simulation_id`), every event
    and assessment is also recorded on the server, so the data API has the run's records.
    """
    p = task.parameters
    condition = str(p.get("experimental_condition", p.get("condition", "CONTROL"))).upper()
    if condition not in CONDITION_LOAD:
        raise PermanentFailure("experimental_condition must be CONTROL, STRESS or TRAUMA")
    days = int(_number(p, "duration_days", 30, 1, 3650))
    personas = int(_number(p, "personas", 9, 1, 1000))
    stress_freq = _number(p, "stress_event_frequency", 0.1, 0, 1)
    neutral_freq = _number(p, "neutral_event_frequency", 0.3, 0, 1)
    simulation_id = p.get("simulation_id")
    recorder = SimulationRecorder(ctx, str(simulation_id) if simulation_id else None)
    names = [f"persona_{i + 1:03d}" for i in range(personas)]
    rng = seeded(task)
    base = {
        name: [rng.uniform(0.05, 0.25) * high for _ in range(personas)]
        for name, (_, high) in SCALES.items()
    }
    for scale, scores in base.items():
        for i, score in enumerate(scores):
            await recorder.assessment(names[i], scale, score, 0)
    level = [0.0] * personas
    events = assessments = 0
    for day in range(1, days + 1):
        for i in range(personas):
            if rng.random() < stress_freq:
                events += 1
                hit = rng.uniform(0.02, 0.1) + CONDITION_LOAD[condition]
                level[i] += hit
                title = rng.choice(EVENT_TITLES["stress"])
                await recorder.event(names[i], "stress", title, min(1.0, hit * 4), day)
            if rng.random() < neutral_freq:
                events += 1
                level[i] = max(0.0, level[i] - 0.01)
                title = rng.choice(EVENT_TITLES["neutral"])
                await recorder.event(names[i], "neutral", title, 0.1, day)
        if day % 7 == 0 or day == days:
            assessments += personas * len(SCALES)
            for scale, (_, high) in SCALES.items():
                for i in range(personas):
                    score = min(high, base[scale][i] + level[i] * high * 0.3)
                    await recorder.assessment(names[i], scale, score, day)
        await step(ctx, task, day, days, f"day {day}/{days}: {events} events")
    final = {
        name: [min(high, base[name][i] + level[i] * high * 0.3) for i in range(personas)]
        for name, (_, high) in SCALES.items()
    }
    changes = [
        name
        for name in SCALES
        if statistics.fmean(final[name]) - statistics.fmean(base[name])
        > max(1.0, statistics.pstdev(base[name]))
    ]
    return labelled(
        "drift_simulation",
        {
            "condition": condition,
            "total_personas": personas,
            "total_events": events,
            "total_assessments": assessments,
            "results_summary": {
                "baseline_assessments": _summary(base),
                "final_assessments": _summary(final),
                "drift_detected": bool(changes),
                "significant_changes": changes,
            },
        },
    )


@handler("automation")
async def automation(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Runs an automation's ordered steps, recording each one (OCTOSPINE)."""
    steps = task.parameters.get("steps") or []
    if not isinstance(steps, list):
        raise PermanentFailure("parameter steps must be a list")
    done = []
    for index, item in enumerate(steps, start=1):
        name = item.get("name", f"step{index}") if isinstance(item, dict) else str(item)
        kind = item.get("type", "") if isinstance(item, dict) else ""
        done.append({"name": name, "type": kind, "status": "completed", "order": index})
        await step(ctx, task, index, len(steps), f"step {name}")
    return labelled(
        "automation",
        {
            "automation_id": task.parameters.get("automation_id"),
            "trigger": task.parameters.get("trigger"),
            "steps": done,
        },
    )


@handler("echo")
async def echo(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Returns the parameters after `steps` steps (for wiring checks and benchmarks)."""
    total = int(_number(task.parameters, "steps", 1, 1, 100_000))
    for index in range(1, total + 1):
        await step(ctx, task, index, total, f"step {index}/{total}")
    return labelled("echo", {"parameters": task.parameters})


def pick(task: Task) -> tuple[str, Handler] | None:
    """The handler for a task: by its type, else by its first known required capability."""
    for name in [task.type, *task.required_capabilities]:
        if name in HANDLERS:
            return name, HANDLERS[name]
    return None


def unhandled(capabilities: list[str]) -> list[str]:
    """Capabilities no reference handler serves (an agent must not advertise them)."""
    return [c for c in capabilities if c not in HANDLERS]


# The other handler modules register themselves on import (they use `handler` above).
from axonql.agent import docs_handlers, lukhas_handlers, nexus_handlers  # noqa: E402, F401
