"""The health of the server's parts LUKHAS calls modules, each measured when asked.

brain_hub      the request hub's store: a database ping, timed
memory         the memory store: reading its most drifted memory, timed; that drift level
consciousness  this server's System read, timed; its awareness state
guardian       agents that validate actions (`guardian`): online or not; the mean time
               their validations took. No ethics level exists here (None).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from axonql import models
from axonql.models.system import SERVER_SYSTEM_ID, STOPPED_STATUSES
from axonql.models.task import TaskStatus
from axonql.services.guardian import GUARDIAN_TASK_TYPE
from axonql.services.queue import online_agents_for
from axonql.state import AppState


@dataclass(frozen=True)
class ModuleHealth:
    name: str
    status: str
    latency_ms: float | None
    details: dict[str, Any] = field(default_factory=dict)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


async def _brain_hub(state: AppState) -> ModuleHealth:
    started = time.perf_counter()
    try:
        await models.System.get_pymongo_collection().database.command("ping")
    except Exception:
        return ModuleHealth("brain_hub", "unhealthy", None)
    return ModuleHealth("brain_hub", "active", _ms(started))


async def _memory() -> ModuleHealth:
    started = time.perf_counter()
    worst = await models.Memory.find_all().sort("-drift_score").limit(1).to_list()
    drift = worst[0].drift_score if worst else 0.0
    return ModuleHealth("memory", "active", _ms(started), {"drift_level": drift})


async def _consciousness() -> ModuleHealth:
    started = time.perf_counter()
    system = await models.System.get(SERVER_SYSTEM_ID)
    if system is None:
        return ModuleHealth("consciousness", "offline", None, {"awareness_level": None})
    status = "inactive" if system.status in STOPPED_STATUSES else "active"
    awareness = system.awareness_state.upper()
    return ModuleHealth("consciousness", status, _ms(started), {"awareness_level": awareness})


async def _guardian(state: AppState) -> ModuleHealth:
    online = await online_agents_for(state.settings, [GUARDIAN_TASK_TYPE])
    tasks = models.Task.get_pymongo_collection()
    done = {"type": GUARDIAN_TASK_TYPE, "status": TaskStatus.COMPLETED.value}
    durations = [
        (task["completed_at"] - task["started_at"]).total_seconds() * 1000
        async for task in tasks.find(done, {"started_at": 1, "completed_at": 1})
        .sort("completed_at", -1)
        .limit(20)
        if task.get("started_at") and task.get("completed_at")
    ]
    latency = round(sum(durations) / len(durations), 2) if durations else None
    return ModuleHealth(
        "guardian", "active" if online else "offline", latency, {"ethics_level": None}
    )


async def module_health(state: AppState) -> list[ModuleHealth]:
    """Each module's state now, in LUKHAS's order."""
    return [
        await _brain_hub(state),
        await _guardian(state),
        await _memory(),
        await _consciousness(),
    ]
