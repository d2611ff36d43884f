"""Agents at work: registration, heartbeats, claims, results, control and request/reply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axonql import models
from axonql.errors import (
    AuthorizationDenied,
    AxonError,
    GatewayTimeout,
    ServiceUnavailable,
    ValidationError,
)
from axonql.models.agent import AgentStatus
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.scopes import AGENT_DEFAULT_SCOPES
from axonql.services import agents as agent_logic
from axonql.services import queue, simulation_runs, tallies
from axonql.services import tasks as task_logic
from axonql.services import validation as v
from axonql.services.auth import Principal, create_api_key
from axonql.services.events import Change, atomically, emit
from axonql.services.task_parameters import check_parameters
from axonql.state import AppState

NO_CAPABLE_AGENT = "NO_CAPABLE_AGENT"
STRANDED_CHECK_SECONDS = 0.5  # how often a waiting caller checks that a capable agent is online
SCHEDULE_TRIGGERS = ("schedule", "cron", "interval")

CallerGone = Callable[[], Awaitable[bool]]
"""Whether the caller of a long poll has hung up (`schema.context.Context.caller_gone`)."""

SIGN_OF_LIFE_EVERY = timedelta(seconds=1)
"""How stale an agent's `last_heartbeat` may be before a claim records it again."""


def agent_id_of(principal: Principal) -> str:
    """The calling agent's id; users cannot act as an agent."""
    if principal.kind != "agent":
        raise AuthorizationDenied(
            "only an agent (authenticated with its API key) can do this",
            details={"principal_kind": principal.kind},
        )
    return principal.subject


def check_wait(state: AppState, seconds: float, field: str = "waitSeconds") -> float:
    limit = state.settings.max_wait_seconds
    if seconds != seconds or not 0 <= seconds <= limit:
        raise ValidationError(f"{field} must be between 0 and {limit:g} seconds", field=field)
    return float(seconds)


async def register_agent(
    state: AppState, issuer: Principal, draft: agent_logic.AgentDraft
) -> tuple[models.Agent, str]:
    """A new agent plus its one-time API key (agent scopes, never more than the issuer's)."""
    issuer.may_grant(AGENT_DEFAULT_SCOPES)
    if draft.capabilities is not None:
        draft.capabilities = queue.check_capabilities(draft.capabilities)
    draft.status = AgentStatus.IDLE
    agent = await agent_logic.create_agent(state.settings, draft)
    _, plain = await create_api_key(
        sorted(AGENT_DEFAULT_SCOPES), agent_id=agent.id, name=f"agent {agent.name}"
    )
    return agent, plain


async def _active_count(agent_id: str) -> int:
    return await queue.active_count(agent_id)


def _status_for(agent: models.Agent, running: int) -> AgentStatus:
    if running >= agent.configuration.max_concurrent_tasks:
        return AgentStatus.BUSY
    return AgentStatus.ACTIVE if running else AgentStatus.IDLE


async def _set_by_id(
    agent_id: str, changes: dict[str, Any], session: Any = None
) -> dict[str, Any] | None:
    """The agent after `$set` (None: no such agent), by `_id` equalities: a findAndModify
    would read the whole collection on SecantusDB (`first_match`)."""
    collection = models.Agent.get_pymongo_collection()
    done = await collection.update_one({"_id": agent_id}, {"$set": changes}, session=session)
    if not done.matched_count:
        return None
    raw: dict[str, Any] | None = await collection.find_one({"_id": agent_id}, session=session)
    return raw


async def heartbeat(
    state: AppState,
    principal: Principal,
    *,
    capabilities: list[str] | None = None,
    metadata: Any = None,
) -> models.Agent:
    """Record that the calling agent is alive; uptime grows while heartbeats keep coming."""
    agent_id = agent_id_of(principal)
    agent = await agent_logic.get_agent(agent_id)
    now = utcnow()
    previous = agent.last_heartbeat
    online = previous is not None and agent.status is not AgentStatus.OFFLINE
    window = state.settings.agent_offline_after_seconds
    changes: dict[str, Any] = {"last_heartbeat": now, "updated_at": now}
    if online and previous is not None and (now - previous).total_seconds() <= window:
        changes["statistics.uptime"] = agent.statistics.uptime + (now - previous).total_seconds()
    else:
        changes["statistics.uptime"] = 0.0
    if capabilities is not None:
        changes["capabilities"] = queue.check_capabilities(capabilities)
        agent.capabilities = changes["capabilities"]
    if metadata is not None:
        changes["metadata"] = v.json_object("metadata", metadata)
    status = _status_for(agent, await _active_count(agent_id))
    changes["status"] = status.value

    async def write(unit: Change) -> Any:
        raw = await _set_by_id(agent_id, changes, unit.session)
        if status is not agent.status:
            await emit(
                "AGENT_STATUS",
                {"status": status.value, "previous": agent.status.value, "change": "heartbeat"},
                agent_id=agent_id,
            )
        return raw

    raw = await atomically(write)
    return models.Agent.model_validate(raw) if raw else agent


async def touch(agent_id: str) -> models.Agent:
    """A claim counts as a sign of life (status is left to heartbeats), recorded at most once
    per `SIGN_OF_LIFE_EVERY`: a busy agent claims many times a second, and liveness is judged
    over `agent_offline_after_seconds`."""
    collection = models.Agent.get_pymongo_collection()
    raw = await collection.find_one({"_id": agent_id})
    now = utcnow()
    if raw is not None and (
        raw.get("last_heartbeat") is None or now - raw["last_heartbeat"] >= SIGN_OF_LIFE_EVERY
    ):
        changes = {"last_heartbeat": now, "updated_at": now}
        done = await collection.update_one({"_id": agent_id}, {"$set": changes})
        raw = {**raw, **changes} if done.matched_count else None
    if raw is None:
        raise AuthorizationDenied(
            f"agent {agent_id} no longer exists", details={"agent_id": agent_id}
        )
    agent: models.Agent = models.Agent.model_validate(raw)
    if agent.status is AgentStatus.OFFLINE:
        return await heartbeat_agent(agent)
    return agent


async def heartbeat_agent(agent: models.Agent) -> models.Agent:
    """Bring an agent that was marked offline back (its status follows its load)."""
    status = _status_for(agent, await _active_count(agent.id))

    async def write(unit: Change) -> None:
        await models.Agent.get_pymongo_collection().update_one(
            {"_id": agent.id},
            {"$set": {"status": status.value, "statistics.uptime": 0.0}},
            session=unit.session,
        )
        await emit(
            "AGENT_STATUS",
            {"status": status.value, "previous": agent.status.value, "change": "heartbeat"},
            agent_id=agent.id,
        )

    await atomically(write)
    agent.status = status
    return agent


async def claim_next(
    state: AppState,
    principal: Principal,
    capabilities: list[str] | None,
    wait_seconds: float,
    caller_gone: CallerGone | None = None,
) -> models.Task | None:
    """The calling agent claims now, or long-polls up to `wait_seconds` for claimable work."""
    tasks = await claim_batch(state, principal, capabilities, 1, wait_seconds, caller_gone)
    return tasks[0] if tasks else None


async def claim_batch(
    state: AppState,
    principal: Principal,
    capabilities: list[str] | None,
    limit: int,
    wait_seconds: float,
    caller_gone: CallerGone | None = None,
) -> list[models.Task]:
    """Up to `limit` tasks for the calling agent (as many as it has room for), claimed together
    as soon as there is any; long-polls up to `wait_seconds` while there is none, unless the
    caller hangs up (`caller_gone`): a task claimed then would wait out its lease unrun."""
    v.int_in("limit", limit, 1, queue.MAX_CLAIM_BATCH)
    agent_id = agent_id_of(principal)
    wait = check_wait(state, wait_seconds)
    agent = await touch(agent_id)
    deadline = time.monotonic() + wait
    offered = queue.offered_capabilities(agent, capabilities)
    while True:
        # an agent at its max_concurrent_tasks gets none, and waits instead of spinning
        tasks = await queue.claim_many(
            state.settings, agent, offered, state.claims, limit, state.queue_units
        )
        if tasks:
            return tasks
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return []
        await state.replies.wait_for_work(min(remaining, state.settings.claim_poll_seconds))
        if caller_gone is not None and await caller_gone():
            return []


async def queue_task(state: AppState, task_id: str) -> models.Task:
    task = await queue.queue_task(task_id)
    state.replies.work_queued()
    return task


async def report_progress(
    state: AppState,
    principal: Principal,
    task_id: str,
    progress: int,
    message: str | None,
    details: Any = None,
) -> models.Task:
    agent_id = agent_id_of(principal)
    checked = v.json_object("details", details) if details is not None else None
    return await queue.report_progress(
        state.settings, task_id, agent_id, progress, message, details=checked
    )


async def complete(state: AppState, principal: Principal, task_id: str, result: Any) -> models.Task:
    agent_id = agent_id_of(principal)
    checked = v.json_object("result", result)
    task = await queue.complete(task_id, agent_id, checked, state.queue_units)
    state.replies.task_finished(task_id)
    observe_finish(state, task)
    await simulation_runs.task_finished(task)
    return task


async def fail(
    state: AppState, principal: Principal, task_id: str, error: str, retry: bool
) -> models.Task:
    agent_id = agent_id_of(principal)
    message = v.text("error", error, state.settings.max_text_length)
    task = await queue.fail(task_id, agent_id, message, retry=retry)
    if task.status is TaskStatus.QUEUED:
        state.replies.work_queued()
    else:
        state.replies.task_finished(task_id)
        observe_finish(state, task)
        await simulation_runs.task_finished(task)
    return task


def observe_finish(state: AppState, task: models.Task) -> None:
    """A finished task's run time, for `axonql_task_duration_seconds`."""
    if task.started_at is not None and task.completed_at is not None:
        seconds = max(0.0, (task.completed_at - task.started_at).total_seconds())
        state.metrics.task_duration.labels(task.status.value).observe(seconds)


async def _controlled(principal: Principal, task_id: str) -> None:
    """Users with the scope control any task; an agent only the tasks leased to it."""
    if principal.kind == "agent":
        await queue.leased_task(task_id, principal.subject)


async def cancel(
    state: AppState, principal: Principal, task_id: str, reason: str | None
) -> models.Task:
    await _controlled(principal, task_id)
    text = v.text("reason", reason, 1000, required=False) if reason else None
    task = await queue.cancel(task_id, text)
    state.replies.task_finished(task_id)
    return task


async def pause(principal: Principal, task_id: str) -> models.Task:
    await _controlled(principal, task_id)
    return await queue.pause(task_id)


async def resume(state: AppState, principal: Principal, task_id: str) -> models.Task:
    await _controlled(principal, task_id)
    return await queue.resume(state.settings, task_id)


def _no_capable_agent(required: list[str], why: str) -> ServiceUnavailable:
    what = f"the capabilities {', '.join(required)}" if required else "tasks"
    return ServiceUnavailable(
        f"no online agent offers {what}{why}; start one with `axonql agent`",
        code=NO_CAPABLE_AGENT,
        details={"required_capabilities": required},
    )


async def _give_up(state: AppState, task_id: str, reason: str) -> models.Task | None:
    """Cancel the task of a caller who stopped waiting; the task if it finished meanwhile."""
    try:
        task = await queue.cancel(task_id, reason)
    except AxonError:  # finished (or cancelled) in the meantime
        return await models.Task.get(task_id)
    state.replies.task_finished(task_id)
    return task


async def submit(
    state: AppState,
    draft: task_logic.TaskDraft,
    wait_seconds: float,
    *,
    keep_on_timeout: bool = False,
) -> models.Task:
    """Create, queue and await a task; 503 when no online agent could take it.

    A synchronous caller is the only one waiting for the result, so its task does not outlive
    it: when the wait times out (504) or the caller goes away, the task is cancelled (unless
    `keep_on_timeout`), and when every capable agent goes offline while it waits — the one
    running it died and its lease ran out — the task is cancelled and the answer is 503 at
    once instead of a 504 much later.
    """
    wait = check_wait(state, wait_seconds)
    required = queue.check_capabilities(draft.required_capabilities or [], "requiredCapabilities")
    draft.required_capabilities = required
    check_parameters(draft.type, required, draft.parameters)  # a bad request before a 503
    if not await queue.online_agents_for(state.settings, required):
        raise _no_capable_agent(required, "")
    # created and queued in one write: an online agent already offers every capability
    task = await task_logic.create_task(
        state.settings, draft, status=TaskStatus.QUEUED, queued_at=utcnow()
    )
    state.replies.work_queued()
    if wait == 0:
        return task

    checked = [time.monotonic()]  # agents were online just now

    async def stranded(current: models.Task) -> None:
        if current.status is not TaskStatus.QUEUED:
            return
        if time.monotonic() - checked[0] < STRANDED_CHECK_SECONDS:
            return
        checked[0] = time.monotonic()
        if not await queue.online_agents_for(state.settings, required):
            await _give_up(state, task.id, "no capable agent online any more")
            raise _no_capable_agent(required, " any more (the agent running it stopped)")

    try:
        return await state.replies.wait_for_task(
            task.id, wait, state.settings.reply_poll_seconds, check=stranded
        )
    except GatewayTimeout as late:
        if keep_on_timeout:
            raise
        finished = await _give_up(state, task.id, f"the caller stopped waiting after {wait:g} s")
        if finished is not None and finished.status in (TaskStatus.COMPLETED, TaskStatus.FAILED):
            return finished
        raise GatewayTimeout(
            f"task {task.id} did not finish within {wait:g} s; it was cancelled "
            "(ask to keep it, or submit asynchronously, to let it run on)",
            details={**late.details, "task_id": task.id, "status": TaskStatus.CANCELLED.value},
        ) from None
    except asyncio.CancelledError:  # the caller went away: nobody will receive the result
        await asyncio.shield(_give_up(state, task.id, "the caller went away"))
        raise


async def _count_by(model: Any, field: str, match: dict[str, Any]) -> dict[str, int]:
    pipeline = [{"$match": match}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]
    rows = await (await model.get_pymongo_collection().aggregate(pipeline)).to_list()
    return {str(r["_id"]): int(r["n"]) for r in rows}


async def _sums(model: Any, match: dict[str, Any], fields: dict[str, str]) -> dict[str, float]:
    """One `$group` over `match`; fields map a name to `"op:path"` (`"avg:statistics.x"`)."""
    group: dict[str, Any] = {"_id": None}
    for name, spec in fields.items():
        op, path = spec.split(":", 1)
        group[name] = {f"${op}": f"${path}"}
    rows = await (
        await model.get_pymongo_collection().aggregate([{"$match": match}, {"$group": group}])
    ).to_list()
    row = rows[0] if rows else {}
    return {k: float(row.get(k) or 0.0) for k in fields}


async def _maintained_statistics(
    subset: task_logic.TaskFilterArgs,
) -> tuple[dict[str, int], float] | None:
    """Counts per status and the mean completed duration, when the tallies cover `subset`."""
    kept = await task_logic.tallied_counts(subset)
    if kept is None:
        return None
    completed = kept.by_status.get(TaskStatus.COMPLETED.value, 0)
    return kept.by_status, (kept.completed_seconds / completed if completed else 0.0)


async def task_statistics(subset: task_logic.TaskFilterArgs) -> dict[str, Any]:
    """Counts per status, mean duration of completed tasks, success rate, queue age."""
    match = task_logic.task_query(subset)
    kept = await _maintained_statistics(subset)
    if kept is not None:  # from the tallies: no scan
        counts, average = kept
    else:
        counts = await _count_by(models.Task, "status", match)
        done = {**match, "status": TaskStatus.COMPLETED.value}
        average = (await _sums(models.Task, done, {"avg": "avg:statistics.average_duration"}))[
            "avg"
        ]
    completed = counts.get("completed", 0)
    failed = counts.get("failed", 0)
    # Status first: an equality SecantusDB serves from an index, reading only queued tasks.
    oldest = await models.Task.get_pymongo_collection().find_one(
        {"status": TaskStatus.QUEUED.value, **match}, sort=[("queued_at", 1)]
    )
    queued_at: datetime | None = (oldest or {}).get("queued_at")
    return {
        "total": sum(counts.values()),
        "by_status": {s.value: counts.get(s.value, 0) for s in TaskStatus},
        "average_duration": average,
        "success_rate": completed / (completed + failed) if completed + failed else None,
        "oldest_queued_seconds": (utcnow() - queued_at).total_seconds() if queued_at else None,
    }


async def agent_statistics(state: AppState) -> dict[str, Any]:
    """Agents per status and online, plus their summed run statistics."""
    counts = await tallies.agent_counts()
    online = await models.Agent.get_pymongo_collection().count_documents(
        queue.online_query(state.settings)
    )
    runs = await tallies.agent_runs()  # summed as runs finish: no scan of the agents
    return {
        "total": sum(counts.values()),
        "online": online,
        "by_status": {s.value: counts.get(s.value, 0) for s in AgentStatus},
        "tasks_completed": runs.completed,
        "tasks_failed": runs.failed,
        "tasks_finished": runs.finished,
        "average_task_duration": runs.mean,
    }


@dataclass(frozen=True)
class Schedule:
    """One schedule: a scheduled task's own, or one schedule trigger of an automation."""

    task: models.Task
    kind: str
    value: str
    next_run: datetime | None


def _schedules_of(task: models.Task) -> list[Schedule]:
    found: list[Schedule] = []
    if task.schedule is not None:
        found.append(Schedule(task, task.schedule.type, task.schedule.value, task.next_run))
    found.extend(
        Schedule(task, t.type, t.value, t.next_trigger)
        for t in task.triggers
        if t.type in SCHEDULE_TRIGGERS
    )
    return found


async def schedules(limit: int) -> list[Schedule]:
    """The schedules of up to `limit` scheduled tasks and automations, soonest task first."""
    query = {
        "$or": [
            {"schedule": {"$ne": None}},
            {"is_automation": True, "triggers.type": {"$in": list(SCHEDULE_TRIGGERS)}},
        ],
        "status": {"$ne": TaskStatus.CANCELLED.value},
    }
    tasks = await models.Task.find(query).sort("next_run").limit(limit).to_list()
    return [s for task in tasks for s in _schedules_of(task)]
