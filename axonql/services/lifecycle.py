"""The task state machine: which status may follow which, applied atomically in MongoDB.

    created ──▶ queued ──▶ running ⇄ paused ──▶ completed | failed | cancelled
       │          │           │  ▲                  (running/paused → completed | failed)
       └──────────┴───────────┴──┴──▶ cancelled       running → queued: lease expired or retry

Every change goes through `move()`: one `find_one_and_update` whose filter names the statuses
the target may follow, so two racing writers cannot both win and no illegal state is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axonql import models
from axonql.errors import AuthorizationDenied, IllegalTransition, NotFound
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.services.events import Change, atomically, emit
from axonql.services.first_match import update_first

S = TaskStatus

TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.CREATED: frozenset({S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.PAUSED, S.COMPLETED, S.FAILED, S.CANCELLED, S.QUEUED}),
    S.PAUSED: frozenset({S.RUNNING, S.COMPLETED, S.FAILED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL: frozenset[TaskStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
ACTIVE: frozenset[TaskStatus] = frozenset({S.RUNNING, S.PAUSED})


def sources(target: TaskStatus) -> list[TaskStatus]:
    """The statuses `target` may follow, in lifecycle order."""
    return [s for s in TaskStatus if target in TRANSITIONS[s]]


def can_move(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[current]


def check(current: TaskStatus, target: TaskStatus, task_id: str = "") -> None:
    """Raise IllegalTransition unless `current → target` is in the table."""
    if not can_move(current, target):
        subject = f"task {task_id}" if task_id else "a task"
        raise IllegalTransition(
            f"{subject} cannot go from {current.value} to {target.value}",
            details={
                "id": task_id,
                "from": current.value,
                "to": target.value,
                "allowed": sorted(s.value for s in TRANSITIONS[current]),
            },
        )


def from_raw(raw: dict[str, Any]) -> models.Task:
    """A Task document from a raw PyMongo result."""
    task: models.Task = models.Task.model_validate(raw)
    return task


async def move(
    task_id: str,
    target: TaskStatus,
    *,
    change: str,
    only_from: list[TaskStatus] | None = None,
    where: dict[str, Any] | None = None,
    set_: dict[str, Any] | None = None,
    inc: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> models.Task | None:
    """Atomically move a task to `target`; None when only a `where` condition failed.

    `only_from` narrows the legal sources (claim takes only queued tasks). A missing task is
    NotFound, a status the table forbids is IllegalTransition, and `where={"agent_id": …}`
    that names another agent is AuthorizationDenied. The move and its event commit together.
    `derive(before)` adds what depends on the task as it was to the same update.
    """

    async def write(unit: Change) -> models.Task | None:
        return await _move(
            unit, task_id, target, change, only_from, where, set_, inc, payload, derive
        )

    return await atomically(write)


async def _move(
    unit: Change,
    task_id: str,
    target: TaskStatus,
    change: str,
    only_from: list[TaskStatus] | None,
    where: dict[str, Any] | None,
    set_: dict[str, Any] | None,
    inc: dict[str, Any] | None,
    payload: dict[str, Any] | None,
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None,
) -> models.Task | None:
    allowed = [s for s in (only_from or sources(target)) if can_move(s, target)]
    query: dict[str, Any] = {"_id": task_id, "status": {"$in": [s.value for s in allowed]}}
    query.update(where or {})
    update: dict[str, Any] = {
        "$set": {"status": target.value, "updated_at": utcnow(), **(set_ or {})}
    }
    if inc:
        update["$inc"] = inc
    collection = models.Task.get_pymongo_collection()
    # Before and after: the event says which status the task left (the tallies count it).
    moved = await update_first(collection, query, update, session=unit.session, derive=derive)
    if moved is None:
        await _explain_miss(task_id, target, allowed, where or {})
        return None
    before, after = moved
    unit.wrote("task", after)
    task = from_raw(after)
    await emit(
        "TASK_STATE_CHANGED",
        {
            "status": task.status.value,
            "previous": before.get("status"),
            "change": change,
            "name": task.name,
            "agent_id": task.agent_id,
            "parent_id": task.parent_id,
            "attempts": task.attempts,
            **counted(task),
            **(payload or {}),
        },
        task_id=task.id,
        agent_id=task.agent_id,
        system_id=task.system_id,
    )
    return task


def counted(task: models.Task) -> dict[str, Any]:
    """What a task event carries for the tallies beside its status (see services/tallies)."""
    seconds = task.statistics.average_duration
    if task.started_at is not None and task.completed_at is not None:
        seconds = max(0.0, (task.completed_at - task.started_at).total_seconds())
    confidence = task.result.get("confidence") if isinstance(task.result, dict) else None
    numeric = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    return {
        "type": task.type,
        "priority": task.priority.value,
        "automation": task.is_automation,
        "duration": seconds,
        "system": task.system_id,
        "confidence": confidence if numeric else None,  # consciousness's mean confidence
    }


async def _explain_miss(
    task_id: str, target: TaskStatus, allowed: list[TaskStatus], where: dict[str, Any]
) -> None:
    raw = await models.Task.get_pymongo_collection().find_one({"_id": task_id})
    if raw is None:
        raise NotFound(f"task {task_id} not found", details={"id": task_id})
    current = TaskStatus(raw["status"])
    if current not in allowed:
        check(current, target, task_id)
        raise IllegalTransition(
            f"task {task_id} is {current.value}; this operation needs it "
            + " or ".join(s.value for s in allowed),
            details={"id": task_id, "from": current.value, "to": target.value},
        )
    agent = where.get("agent_id")
    if isinstance(agent, str) and raw.get("agent_id") != agent:
        raise AuthorizationDenied(
            f"task {task_id} is not leased to agent {agent}",
            details={"id": task_id, "agent_id": agent},
        )
