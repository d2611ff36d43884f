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

from dataclasses import dataclass
from datetime import datetime, timedelta

from axonql import models
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID, STOPPED_STATUSES
from axonql.models.task import TaskStatus
from axonql.services import tallies
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


async def _new_patterns(system_id: str | None) -> int:
    """Pattern memories created today (UTC), of `system_id` (None: every one), from the counts
    the memory writes keep per day (`tallies.MEMORY_DAYS`): no memory is read."""
    return sum(
        day.n
        for day in await tallies.memories_created_on(utcnow().date())
        if day.type in PATTERN_TYPES and (system_id is None or day.system == system_id)
    )


async def consciousness_status(system_id: str | None) -> ConsciousnessReport:
    """Counts from the tallies: memories per owner, pool and type, and per day of creation;
    tasks per system, status and learning or not, with their confidence."""
    system = await get_system(system_id)
    mine = system.id != SERVER_SYSTEM_ID
    cells = [c for c in await tallies.memory_cells() if not mine or c.system == system.id]
    tasks = await tallies.system_tasks(system.id if mine else None)
    done, failed = TaskStatus.COMPLETED.value, TaskStatus.FAILED.value
    learned = tasks.learning.get(done, 0)
    tried = learned + tasks.learning.get(failed, 0)
    succeeded = tasks.by_status.get(done, 0)
    confidence = round(tasks.confidence / tasks.confident, 4) if tasks.confident > 0 else None
    return ConsciousnessReport(
        system=system,
        status="inactive" if system.status in STOPPED_STATUSES else "active",
        short_term_count=sum(c.n for c in cells if c.pool == "short_term"),
        long_term_count=sum(c.n for c in cells if c.pool == "long_term"),
        total_memories=sum(c.n for c in cells),
        total_patterns=sum(c.n for c in cells if c.type in PATTERN_TYPES),
        new_patterns_today=await _new_patterns(system.id if mine else None),
        adaptation_rate=_ratio(learned, tried),
        total_decisions=succeeded + tasks.by_status.get(failed, 0),
        successful_decisions=succeeded,
        confidence_average=confidence,
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
