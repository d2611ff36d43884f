"""The durable work queue: queue, claim with a lease, renew, finish, and re-queue on expiry.

A claim reads the head of the queued tasks whose required capabilities are all offered by the
agent, ordered by priority then age, and leases one of them in the same transaction (see
`claim` for which one). The claim sets a lease; progress reports
renew it. A lease that runs out re-queues the task (counting the attempt) or, once the
task has used `max_attempts`, fails it with the last error.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from axonql import models
from axonql.errors import AuthorizationDenied, Conflict, ValidationError
from axonql.models.agent import AgentStatus
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.services import lifecycle, queue_heads, tallies
from axonql.services.events import Change, atomically, emit
from axonql.services.first_match import after_update, by_id, update_first
from axonql.services.group_commit import GroupCommit
from axonql.services.lifecycle import ACTIVE
from axonql.services.lookup import fetch
from axonql.settings import Settings

S = TaskStatus
CLAIM_SPREAD = 16  # how many of the queue's first tasks concurrent claimers spread over
MAX_CLAIM_BATCH = 100  # tasks one claim may lease at once (`claimTasks(limit)`)
_CAPABILITY = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def check_capabilities(values: list[str], field: str = "capabilities") -> list[str]:
    """Capability names: short identifiers (letters, digits, `_ . : -`)."""
    for value in values:
        if not _CAPABILITY.match(value):
            raise ValidationError(
                f"{field}: {value!r} is not a capability name (letters, digits, _ . : -)",
                field=field,
            )
    return list(dict.fromkeys(values))


def online_since(settings: Settings) -> datetime:
    """Agents whose last heartbeat is after this instant count as online."""
    return utcnow() - timedelta(seconds=settings.agent_offline_after_seconds)


def online_query(settings: Settings) -> dict[str, Any]:
    """The one definition of an online agent: a recent heartbeat, and not marked offline."""
    return {
        "last_heartbeat": {"$gte": online_since(settings)},
        "status": {"$ne": AgentStatus.OFFLINE.value},
    }


def is_online(agent: models.Agent, settings: Settings) -> bool:
    """`online_query` for an agent already read."""
    seen = agent.last_heartbeat
    return (
        seen is not None
        and seen >= online_since(settings)
        and agent.status is not AgentStatus.OFFLINE
    )


async def online_agents_for(settings: Settings, required: list[str]) -> int:
    """How many online agents offer every capability in `required`."""
    query = online_query(settings)
    if required:
        query["capabilities"] = {"$all": required}
    return await models.Agent.get_pymongo_collection().count_documents(query)


async def unknown_capabilities(required: list[str]) -> list[str]:
    """Required capabilities that no registered agent has ever advertised."""
    if not required:
        return []
    known = await models.Agent.get_pymongo_collection().distinct(
        "capabilities", {"capabilities": {"$in": required}}
    )
    return [c for c in required if c not in set(known)]


async def queue_task(task_id: str) -> models.Task:
    """created → queued, refusing capabilities no agent offers (they could never run).

    Moved first and checked after, in one unit of work: a refusal rolls the move back, and
    the usual case costs no read before the write.
    """

    async def write(unit: Change) -> models.Task:
        moved = await lifecycle.move(
            task_id,
            S.QUEUED,
            change="queued",
            only_from=[S.CREATED],
            set_={"queued_at": utcnow(), "progress": 0},
        )
        assert moved is not None
        unknown = await unknown_capabilities(moved.required_capabilities)
        if unknown:
            raise ValidationError(
                f"no registered agent offers the capabilities: {', '.join(unknown)}",
                code="UNKNOWN_CAPABILITY",
                field="requiredCapabilities",
                details={"unknown": unknown},
            )
        return moved

    return await atomically(write)


def offered_capabilities(agent: models.Agent, capabilities: list[str] | None) -> list[str]:
    """What this claim may match: the agent's capabilities, or a subset it names."""
    offered = list(agent.capabilities)
    if capabilities is None:
        return offered
    extra = [c for c in check_capabilities(capabilities) if c not in offered]
    if extra:
        raise ValidationError(
            f"agent {agent.id} does not advertise the capabilities: {', '.join(extra)}",
            code="UNKNOWN_CAPABILITY",
            field="capabilities",
            details={"unknown": extra, "advertised": offered},
        )
    return capabilities


async def room(agent: models.Agent, session: AsyncClientSession | None = None) -> int:
    """How many more tasks the agent may run: its `max_concurrent_tasks` less its active ones."""
    return agent.configuration.max_concurrent_tasks - await active_count(agent.id, session)


async def active_count(agent_id: str, session: AsyncClientSession | None = None) -> int:
    """Tasks running or paused on the agent: one range of the `(agent_id, status)` index (by
    status alone it would read every task running anywhere; by agent alone, every task the
    agent ever ran)."""
    query = {"agent_id": agent_id, "status": {"$in": [s.value for s in ACTIVE]}}
    return await models.Task.get_pymongo_collection().count_documents(query, session=session)


class ClaimsInFlight:
    """The tasks this instance's claimers are taking right now, and when each claim ended.

    Claimers on one instance that read the queue's head together each take a different task of
    it instead of all writing the first one (all but one of them would fail with a write
    conflict, abort and start again: with 8 agents, most claims did). A read of the head that
    began before a claim's unit of work ended may still show that task queued, so it skips it
    too; a read that began after sees the task as it is (queued again, say, after a failure).
    """

    FORGET_SECONDS = 120.0  # longer than any transaction lives (60 s)

    def __init__(self) -> None:
        self._taking: set[str] = set()
        self._ended: dict[str, float] = {}  # task id → when the last claim of it here ended

    def busy(self, task_id: str, read_at: float) -> bool:
        """Whether a read of the head begun at `read_at` must leave this task alone."""
        return task_id in self._taking or self._ended.get(task_id, 0.0) > read_at

    def take(self, task_id: str) -> None:
        self._taking.add(task_id)

    def release(self, task_ids: list[str]) -> None:
        """The units of work that tried these have ended (claimed, or lost to another)."""
        now = time.monotonic()
        if len(self._ended) > 1000:
            self._ended = {t: at for t, at in self._ended.items() if at > now - self.FORGET_SECONDS}
        for task_id in task_ids:
            self._taking.discard(task_id)
            self._ended[task_id] = now


async def claim(
    settings: Settings, agent: models.Agent, offered: list[str], in_flight: ClaimsInFlight
) -> models.Task | None:
    """Lease the next queued task whose required capabilities are all in `offered`, if the
    agent has room for it (see `claim_many`), in a unit of work of its own."""
    tasks = await claim_many(settings, agent, offered, in_flight, 1, GroupCommit())
    return tasks[0] if tasks else None


async def claim_many(
    settings: Settings,
    agent: models.Agent,
    offered: list[str],
    in_flight: ClaimsInFlight,
    limit: int,
    units: GroupCommit,
) -> list[models.Task]:
    """Lease up to `limit` of the next queued tasks whose required capabilities are all in
    `offered`, as many as the agent has room for (counted only once there is work: most tries
    of an idle agent find none), in one unit of work (shared with the instance's other queue
    work waiting beside it, `units`): an agent with spare concurrency takes a batch for the
    cost of one claim's reads, tally write and commit.

    A try takes the first of the queue's head that no claimer of this instance is taking.
    Claimers of other instances can still meet there (a write conflict): each try after that
    takes random ones of the head's free tasks, so they spread out instead of queueing.
    """
    taken: list[str] = []  # what this claim's units of work tried, released when it ends
    try:
        return await units.run(partial(_claim, settings, agent, offered, in_flight, taken, limit))
    finally:
        in_flight.release(taken)


async def _claim(
    settings: Settings,
    agent: models.Agent,
    offered: list[str],
    in_flight: ClaimsInFlight,
    taken: list[str],
    limit: int,
    unit: Change,
) -> list[models.Task]:
    """Lease some of the queue's first tasks (see `claim_many`), read and written in `unit`;
    at random among the free ones when an earlier try of this claim did not commit (it met
    another claimer, or the transaction it shared failed)."""
    spread = bool(taken)
    read_at = time.monotonic()
    candidates = await queue_heads.first_tasks(offered, max(CLAIM_SPREAD, limit), unit.session)

    def free() -> list[dict[str, Any]]:
        return [raw for raw in candidates if not in_flight.busy(raw["_id"], read_at)]

    # none free: all being claimed here, or just claimed (the agent's room is not counted)
    if not free():
        return []
    wanted = min(limit, await room(agent, unit.session))
    # no await from here to `take`: another claimer of this instance must see them taken
    free_now = free()
    if wanted <= 0 or not free_now:
        return []  # no room, or taken by claimers of this instance while it was counted
    count = min(wanted, len(free_now))
    chosen = _spread(free_now, count) if spread else free_now[:count]
    for before in chosen:
        in_flight.take(before["_id"])
        taken.append(before["_id"])
    return [await _lease(settings, agent, before, unit) for before in chosen]


def _spread(free: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` of the head's free tasks at random, highest priority first: claimers that met
    spread out over one priority's tasks, and none takes a lower priority before a higher."""
    chosen: list[dict[str, Any]] = []
    for _, same in itertools.groupby(free, key=lambda stored: stored.get("priority_rank")):
        level = list(same)
        take = min(count - len(chosen), len(level))
        # spreads claimers; not a secret
        chosen += [level[i] for i in sorted(random.sample(range(len(level)), take))]
        if len(chosen) == count:
            break
    return chosen


async def _lease(
    settings: Settings, agent: models.Agent, before: dict[str, Any], unit: Change
) -> models.Task:
    """Lease one task read queued in `unit` to `agent`, with its event."""
    collection = models.Task.get_pymongo_collection()
    now = utcnow()
    update = {
        "$set": {
            "status": S.RUNNING.value,
            "agent_id": agent.id,
            "lease_expires_at": now + timedelta(seconds=settings.task_lease_seconds),
            "started_at": now,
            "progress": 0,
            "updated_at": now,
        },
        "$inc": {"attempts": 1},
    }
    where = by_id(before["_id"], {"status": S.QUEUED.value}, unit.session)  # read queued
    done = await collection.update_one(where, update, session=unit.session)
    after = await after_update(collection, before, update, unit.session)
    if not done.matched_count or after is None:  # cannot be: it was read queued in this snapshot
        raise Conflict(f"task {before['_id']} changed while it was claimed; retry")
    unit.wrote("task", after)
    task = lifecycle.from_raw(after)
    await emit(
        "TASK_STATE_CHANGED",
        {
            "status": task.status.value,
            "previous": S.QUEUED.value,
            "change": "claimed",
            **lifecycle.counted(task),
            "name": task.name,
            "agent_id": agent.id,
            "parent_id": task.parent_id,
            "attempts": task.attempts,
        },
        task_id=task.id,
        agent_id=agent.id,
        system_id=task.system_id,
    )
    return task


async def leased_task(task_id: str, agent_id: str) -> models.Task:
    """The task, provided it is leased to `agent_id`."""
    task = await fetch(models.Task, task_id, "task")
    if task.agent_id != agent_id:
        raise AuthorizationDenied(
            f"task {task_id} is not leased to agent {agent_id}",
            details={"id": task_id, "agent_id": agent_id},
        )
    return task


async def report_progress(
    settings: Settings,
    task_id: str,
    agent_id: str,
    progress: int,
    message: str | None = None,
    *,
    details: dict[str, Any] | None = None,
) -> models.Task:
    """Record progress and renew the lease; the returned status carries cancel/pause to the agent.

    A task that was cancelled, completed or failed meanwhile is returned unchanged (not an
    error), so the agent learns why it must stop.
    """
    if not 0 <= progress <= 100:
        raise ValidationError("progress must be between 0 and 100", field="progress")
    now = utcnow()
    lease = now + timedelta(seconds=settings.task_lease_seconds)
    collection = models.Task.get_pymongo_collection()
    changes: dict[str, Any] = {"progress": progress, "lease_expires_at": lease, "updated_at": now}
    if details is not None:
        changes["progress_details"] = details

    async def write(unit: Change) -> dict[str, Any] | None:
        found = await update_first(
            collection,
            {"_id": task_id, "agent_id": agent_id, "status": {"$in": [s.value for s in ACTIVE]}},
            {"$set": changes},
            session=unit.session,
        )
        before = found[0] if found is not None else None
        if before is not None and (progress != before.get("progress") or message):
            # a bare renewal is not news; progress and messages are
            payload: dict[str, Any] = {"progress": progress, "status": before.get("status")}
            if message:
                payload["message"] = message[: settings.max_text_length]
            await emit("TASK_PROGRESS", payload, task_id=task_id, agent_id=agent_id)
        return before

    before = await atomically(write)
    if before is None:
        return await leased_task(task_id, agent_id)
    return lifecycle.from_raw({**before, **changes})


def _run_seconds(started: datetime | None, ended: datetime | None) -> float:
    """How long a run took (0 when either end is unknown)."""
    if started is None or ended is None:
        return 0.0
    return max(0.0, (ended - started).total_seconds())


async def complete(
    task_id: str, agent_id: str, result: dict[str, Any], units: GroupCommit
) -> models.Task:
    """running|paused → completed by the lease holder, with its result (and the statistics,
    in the same unit of work, shared with the queue work waiting beside it: `units`)."""
    return await units.run(partial(_complete, task_id=task_id, agent_id=agent_id, result=result))


async def _complete(
    unit: Change, *, task_id: str, agent_id: str, result: dict[str, Any]
) -> models.Task:
    now = utcnow()
    task = await lifecycle.move(
        task_id,
        S.COMPLETED,
        change="completed",
        where={"agent_id": agent_id},
        set_={
            "result": result,
            "progress": 100,
            "completed_at": now,
            "lease_expires_at": None,
            "error": None,
        },
        derive=run_statistics(success=True, completed_at=now),
    )
    if task is None:
        raise Conflict(f"task {task_id} changed while completing; retry")
    await record_finish(task, success=True, unit=unit)
    return task


async def fail(task_id: str, agent_id: str, error: str, *, retry: bool = True) -> models.Task:
    """A failed attempt: re-queued while attempts remain (and `retry`), else failed."""
    current = await leased_task(task_id, agent_id)
    if retry and current.status is S.RUNNING and current.attempts < current.max_attempts:
        moved = await lifecycle.move(
            task_id,
            S.QUEUED,
            change="retry",
            only_from=[S.RUNNING],
            where={"agent_id": agent_id},
            set_={"agent_id": None, "lease_expires_at": None, "error": error},
            payload={"error": error},
        )
        if moved is not None:
            return moved
        current = await leased_task(task_id, agent_id)

    async def write(unit: Change) -> models.Task:
        now = utcnow()
        task = await lifecycle.move(
            task_id,
            S.FAILED,
            change="failed",
            where={"agent_id": agent_id},
            set_={"error": error, "completed_at": now, "lease_expires_at": None},
            payload={"error": error},
            derive=run_statistics(success=False, completed_at=now),
        )
        if task is None:
            raise Conflict(f"task {task_id} changed while failing; retry")
        await record_finish(task, success=False, unit=unit)
        return task

    return await atomically(write)


async def cancel(task_id: str, reason: str | None = None) -> models.Task:
    """Any non-terminal task → cancelled; a running agent sees it on its next report."""
    task = await cancel_where(task_id, reason)
    assert task is not None
    return task


async def cancel_where(
    task_id: str, reason: str | None = None, where: dict[str, Any] | None = None
) -> models.Task | None:
    """`cancel`, provided the task also matches `where` (None when it does not)."""
    return await lifecycle.move(
        task_id,
        S.CANCELLED,
        change="cancelled",
        where=where,
        set_={"completed_at": utcnow(), "lease_expires_at": None, "error": reason or None},
        payload={"reason": reason} if reason else None,
    )


async def pause(task_id: str) -> models.Task:
    """running → paused; the agent holds its work until resumed."""
    task = await lifecycle.move(task_id, S.PAUSED, change="paused", only_from=[S.RUNNING])
    assert task is not None
    return task


async def resume(settings: Settings, task_id: str) -> models.Task:
    """paused → running with a fresh lease (so a vanished agent is noticed again)."""
    lease = utcnow() + timedelta(seconds=settings.task_lease_seconds)
    task = await lifecycle.move(
        task_id,
        S.RUNNING,
        change="resumed",
        only_from=[S.PAUSED],
        set_={"lease_expires_at": lease},
    )
    assert task is not None
    return task


async def reap_expired(settings: Settings) -> int:
    """Re-queue (or fail) running tasks whose lease ran out; safe on every instance at once."""
    collection = models.Task.get_pymongo_collection()
    now = utcnow()
    count = 0
    cursor = collection.find(
        {"status": S.RUNNING.value, "lease_expires_at": {"$lt": now}},
        {
            "_id": 1,
            "lease_expires_at": 1,
            "attempts": 1,
            "max_attempts": 1,
            "agent_id": 1,
            "error": 1,
        },
    ).limit(500)
    async for raw in cursor:
        agent = raw.get("agent_id")
        note = f"lease expired on agent {agent} (attempt {raw.get('attempts', 0)})"
        last = raw.get("error")
        where = {"lease_expires_at": raw["lease_expires_at"]}
        if int(raw.get("attempts", 0)) < int(raw.get("max_attempts", 1)):
            moved = await lifecycle.move(
                raw["_id"],
                S.QUEUED,
                change="lease_expired",
                only_from=[S.RUNNING],
                where=where,
                set_={"agent_id": None, "lease_expires_at": None, "error": note},
                payload={"expired_agent_id": agent},
            )
        else:
            error = f"{note}; attempts exhausted" + (f"; last error: {last}" if last else "")
            moved = await atomically(partial(_expire, raw["_id"], where, error, agent, now))
        count += moved is not None
    return count


async def mark_offline_agents(settings: Settings) -> int:
    """Agents silent for longer than `agent_offline_after_seconds` become offline."""
    collection = models.Agent.get_pymongo_collection()
    cutoff = online_since(settings)
    count = 0
    async for raw in collection.find(
        {"last_heartbeat": {"$lt": cutoff}, "status": {"$ne": AgentStatus.OFFLINE.value}},
        {"_id": 1, "status": 1},
    ).limit(500):
        count += await atomically(partial(_silenced, raw, cutoff))
    return count


async def _silenced(raw: dict[str, Any], cutoff: datetime, unit: Change) -> int:
    """One silent agent → offline, with its event; 0 when it spoke up meanwhile."""
    updated = await models.Agent.get_pymongo_collection().update_one(
        {"_id": raw["_id"], "last_heartbeat": {"$lt": cutoff}},
        {"$set": {"status": AgentStatus.OFFLINE.value, "updated_at": utcnow()}},
        session=unit.session,
    )
    if not updated.modified_count:
        return 0
    await emit(
        "AGENT_STATUS",
        {"status": "offline", "previous": raw.get("status"), "change": "silent"},
        agent_id=raw["_id"],
    )
    return 1


async def _expire(
    task_id: str, where: dict[str, Any], error: str, agent: Any, now: datetime, unit: Change
) -> models.Task | None:
    """A running task whose lease ran out with no attempts left → failed (with statistics)."""
    moved = await lifecycle.move(
        task_id,
        S.FAILED,
        change="lease_expired",
        only_from=[S.RUNNING],
        where=where,
        set_={"error": error, "completed_at": now, "lease_expires_at": None},
        payload={"expired_agent_id": agent, "error": error},
        derive=run_statistics(success=False, completed_at=now),
    )
    if moved is not None:
        await record_finish(moved, success=False, unit=unit)
    return moved


def run_statistics(
    *, success: bool, completed_at: datetime
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A finished task's own run statistics, added to the update that finishes it: its
    duration needs the `started_at` the update finds (`lifecycle.move(derive=…)`)."""
    stored_end = completed_at.replace(microsecond=completed_at.microsecond // 1000 * 1000)

    def derive(before: dict[str, Any]) -> dict[str, Any]:
        seconds = _run_seconds(before.get("started_at"), stored_end)
        return {
            "$set": {"statistics.average_duration": seconds},
            "$inc": {
                "statistics.total_runs": 1,
                f"statistics.{'successful_runs' if success else 'failed_runs'}": 1,
            },
        }

    return derive


async def record_finish(task: models.Task, *, success: bool, unit: Change) -> None:
    """Per-schedule and per-agent run statistics for one finished task (its own were written
    with the move that finished it: `run_statistics`)."""
    duration = _run_seconds(task.started_at, task.completed_at)
    if task.parent_id:
        await _bump(
            models.Task,
            task.parent_id,
            "statistics",
            "total_runs",
            "successful_runs",
            "failed_runs",
            "average_duration",
            success,
            duration,
            unit,
        )
    if task.agent_id:
        means = await _bump(
            models.Agent,
            task.agent_id,
            "statistics",
            "total_tasks_completed",
            "successful_tasks",
            "failed_tasks",
            "average_task_duration",
            success,
            duration,
            unit,
        )
        if means is not None:  # the agents' summed statistics, in the same transaction
            before, after = means
            deltas = tallies.agent_run_deltas(
                ok=int(success), bad=int(not success), total=1, mean_change=after - before
            )
            unit.count(deltas)


async def _bump(
    model: type[models.Task] | type[models.Agent],
    doc_id: str,
    path: str,
    total: str,
    ok: str,
    bad: str,
    average: str,
    success: bool,
    duration: float,
    unit: Change,
) -> tuple[float, float] | None:
    """Add one run to a statistics block; compare-and-set on the total keeps the mean exact.
    The mean before and after (None: no such document)."""
    collection = model.get_pymongo_collection()
    subject = "agent" if model is models.Agent else "task"
    for _ in range(20):
        raw = await collection.find_one({"_id": doc_id}, session=unit.session)
        if raw is None:
            return None
        stats = raw.get(path) or {}
        n = int(stats.get(total, 0))
        mean = float(stats.get(average, 0.0))
        update = {
            "$set": {
                f"{path}.{total}": n + 1,
                f"{path}.{average}": (mean * n + duration) / (n + 1),
            },
            "$inc": {f"{path}.{ok if success else bad}": 1},
        }
        done = await collection.update_one(
            {"_id": doc_id, f"{path}.{total}": stats.get(total, 0)}, update, session=unit.session
        )
        if done.matched_count:
            after = await after_update(collection, raw, update, unit.session)
            if after is not None:
                unit.wrote(subject, after)
            return mean, (mean * n + duration) / (n + 1)
    return None
