"""Consciousness status computed from stored memories and tasks, and learning sessions.

How each figure of OCTOSPINE's `GET /api/consciousness/status` is derived. The *scope* is the
system's own memories (`owner_system_id`) and tasks (`system_id`); for this server's own
System (`axonql`, the default) it is every stored memory and task.

- `status`: `active` unless the system's status is `stopped`/`offline` (then `inactive`).
- `consciousnessLevel`: the stored level of the system (0.0–1.0).
- `memoryUsage.shortTerm` / `.longTerm`: the share, in percent, of the memories in scope that
  sit in the `short_term` / `long_term` pool (the raw counts are exposed next to them).
- `learningProgress.totalPatterns`: memories in scope of type `semantic` or `procedural`
  (learned knowledge); `newPatternsToday`: those of them created since 00:00 UTC;
  `adaptationRate`: completed ÷ finished (completed + failed) tasks of type `learning`,
  null while no learning task has finished.
- `decisionMetrics.totalDecisions`: finished (completed + failed) tasks in scope, automations
  excluded; `successfulDecisions`: the completed ones; `confidenceAverage`: the mean of the
  numeric `result.confidence` reported by completed tasks, null when none reported one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID, STOPPED_STATUSES
from axonql.models.task import TaskStatus
from axonql.services import validation as v
from axonql.services.documentation import typical_duration
from axonql.services.systems import get_system
from axonql.services.tasks import TaskDraft, create_task
from axonql.settings import Settings

PATTERN_TYPES = ["semantic", "procedural"]
FINISHED = [TaskStatus.COMPLETED.value, TaskStatus.FAILED.value]
MAX_LEARNING_SECONDS = 7 * 24 * 3600


@dataclass
class ConsciousnessReport:
    system: models.System
    status: str
    short_term_count: int
    long_term_count: int
    total_memories: int
    total_patterns: int
    new_patterns_today: int
    adaptation_rate: float | None
    total_decisions: int
    successful_decisions: int
    confidence_average: float | None

    @property
    def short_term(self) -> float:
        return _percent(self.short_term_count, self.total_memories)

    @property
    def long_term(self) -> float:
        return _percent(self.long_term_count, self.total_memories)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _mean_confidence(task_scope: dict[str, Any]) -> float | None:
    pipeline: list[dict[str, Any]] = [
        {
            "$match": {
                **task_scope,
                "status": TaskStatus.COMPLETED.value,
                "result.confidence": {"$type": "number"},
            }
        },
        {"$group": {"_id": None, "mean": {"$avg": "$result.confidence"}}},
    ]
    cursor = await models.Task.get_pymongo_collection().aggregate(pipeline)
    rows = await cursor.to_list()
    return round(float(rows[0]["mean"]), 4) if rows and rows[0]["mean"] is not None else None


async def consciousness_status(system_id: str | None) -> ConsciousnessReport:
    system = await get_system(system_id)
    mine = system.id != SERVER_SYSTEM_ID
    memory_scope: dict[str, Any] = {"owner_system_id": system.id} if mine else {}
    task_scope: dict[str, Any] = {"system_id": system.id} if mine else {}
    task_scope["is_automation"] = {"$ne": True}
    memories = models.Memory.get_pymongo_collection()
    tasks = models.Task.get_pymongo_collection()
    midnight = datetime.combine(utcnow().date(), time.min, tzinfo=utcnow().tzinfo)
    patterns = {**memory_scope, "type": {"$in": PATTERN_TYPES}}
    learning = {**task_scope, "type": "learning"}
    counts = await asyncio.gather(
        memories.count_documents({**memory_scope, "pool": "short_term"}),
        memories.count_documents({**memory_scope, "pool": "long_term"}),
        memories.count_documents(memory_scope),
        memories.count_documents(patterns),
        memories.count_documents({**patterns, "created_at": {"$gte": midnight}}),
        tasks.count_documents({**learning, "status": TaskStatus.COMPLETED.value}),
        tasks.count_documents({**learning, "status": {"$in": FINISHED}}),
        tasks.count_documents({**task_scope, "status": {"$in": FINISHED}}),
        tasks.count_documents({**task_scope, "status": TaskStatus.COMPLETED.value}),
    )
    short, long, total, found, today, learned, tried, decided, succeeded = counts
    return ConsciousnessReport(
        system=system,
        status="inactive" if system.status in STOPPED_STATUSES else "active",
        short_term_count=short,
        long_term_count=long,
        total_memories=total,
        total_patterns=found,
        new_patterns_today=today,
        adaptation_rate=_ratio(learned, tried),
        total_decisions=decided,
        successful_decisions=succeeded,
        confidence_average=await _mean_confidence(task_scope),
    )


@dataclass
class LearningStart:
    task: models.Task
    estimated_completion: datetime | None
    focus_areas: list[str]


async def trigger_learning(
    settings: Settings,
    session_type: str,
    duration: int | None,
    focus_areas: list[str] | None,
    system_id: str | None,
) -> LearningStart:
    """Queue a `learning` task for an agent with that capability; nothing is simulated here."""
    kind = v.text("sessionType", session_type, 100)
    areas = v.strings("focusAreas", focus_areas or [])
    seconds = None if duration is None else v.int_in("duration", duration, 1, MAX_LEARNING_SECONDS)
    system = await get_system(system_id)
    draft = TaskDraft(
        name=f"Learning session: {kind}",
        type="learning",
        parameters={"session_type": kind, "duration": seconds, "focus_areas": areas},
        required_capabilities=["learning"],
        system_id=system.id,
    )
    task = await create_task(settings, draft)
    expected = timedelta(seconds=seconds) if seconds else await typical_duration("learning")
    eta = task.created_at + expected if expected is not None else None
    return LearningStart(task=task, estimated_completion=eta, focus_areas=areas)
