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
from axonql.services.pagination import Span, windows
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


DRIFT_BANDS = (0.5, 0.3, 0.1, 0.03, 0.01, 1e-6)
"""Lower bounds the most drifted memory is looked for above, highest first; drift is stored
to six decimals, so the last takes every drifted one. (`$gt: 0` would read every memory at
exactly 0 on SecantusDB: 120 ms at 30,000; `$gte` seeks past them.)"""


async def _most_drift() -> float:
    """The highest drift stored. The database reads every memory a filter matches before it
    sorts, so the search looks in ranges of `drift_score` (indexed) from the top down and
    reads only the memories in the first band that holds any (most memories barely drift)."""
    collection = models.Memory.get_pymongo_collection()
    for bound in DRIFT_BANDS:
        where = {"drift_score": {"$gte": bound}}
        rows = collection.find(where, {"drift_score": 1}).sort("drift_score", -1)
        found = await rows.limit(1).to_list()
        if found:
            return float(found[0]["drift_score"])
    return 0.0


async def _memory() -> ModuleHealth:
    started = time.perf_counter()
    drift = await _most_drift()
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
    done = {
        "is_automation": False,
        "status": TaskStatus.COMPLETED.value,
        "type": GUARDIAN_TASK_TYPE,
    }  # the 20 newest, read in `created_at` windows (a sort of all of them reads all)
    newest = await windows(models.Task, done, "created_at", True, 20, None, Span())
    durations = [
        (task.completed_at - task.started_at).total_seconds() * 1000
        for task in newest
        if task.started_at and task.completed_at
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
