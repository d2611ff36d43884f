"""Root fields for work: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.schema.agent_types import Agent, CreateAgentInput
from axonql.schema.agent_types import draft_from as agent_draft
from axonql.schema.context import Info
from axonql.schema.pagination_types import list_window
from axonql.schema.permissions import mutation, query
from axonql.schema.task_types import CreateTaskInput, Task, TaskFilter
from axonql.schema.task_types import draft_from as task_draft
from axonql.schema.work_types import (
    AgentRegistration,
    AgentStatisticsSummary,
    ScheduleEntry,
    TaskStatisticsSummary,
)
from axonql.scopes import Scope
from axonql.services import work as logic


def _task(doc: models.Task) -> Task:
    return Task.from_document(doc)


@strawberry.type
class WorkQuery:
    @query(Scope.TASKS_READ, description="Queue statistics, optionally for a filtered subset.")
    async def task_statistics(
        self, info: Info, filter: TaskFilter | None = None
    ) -> TaskStatisticsSummary:
        subset = (filter or TaskFilter()).to_args()
        return TaskStatisticsSummary.from_dict(await logic.task_statistics(subset))

    @query(Scope.AGENTS_READ, description="Agents per status, online count and run totals.")
    async def agent_statistics(self, info: Info) -> AgentStatisticsSummary:
        return AgentStatisticsSummary.from_dict(await logic.agent_statistics(info.context.state))

    @query(
        Scope.TASKS_READ, description="Interval/cron schedules and automation schedule triggers."
    )
    async def schedules(self, info: Info, limit: int | None = None) -> list[ScheduleEntry]:
        size, _ = list_window(info, limit, 0)
        return [ScheduleEntry.from_schedule(s) for s in await logic.schedules(size)]


@strawberry.type
class WorkMutation:
    @mutation(
        Scope.AGENTS_WRITE,
        description="Register an agent; returns its one-time API key (agent scopes, which the "
        "caller must hold itself).",
    )
    async def register_agent(self, info: Info, input: CreateAgentInput) -> AgentRegistration:
        agent, key = await logic.register_agent(
            info.context.state, info.context.require_principal(), agent_draft(input)
        )
        return AgentRegistration(agent=Agent.from_document(agent), api_key=key)

    @mutation(
        Scope.AGENTS_WRITE,
        description="The calling agent is alive (and offers these capabilities).",
    )
    async def agent_heartbeat(
        self, info: Info, capabilities: list[str] | None = None, metadata: JSON | None = None
    ) -> Agent:
        doc = await logic.heartbeat(
            info.context.state,
            info.context.require_principal(),
            capabilities=capabilities,
            metadata=metadata,
        )
        return Agent.from_document(doc)

    @mutation(Scope.TASKS_WRITE, description="created → queued: make a task claimable.")
    async def queue_task(self, info: Info, id: strawberry.ID) -> Task:
        return _task(await logic.queue_task(info.context.state, id))

    @mutation(
        Scope.TASKS_WRITE,
        description="Lease the next task the calling agent can run (priority, then age); "
        "waits up to waitSeconds for one; null when there is none.",
    )
    async def claim_task(
        self, info: Info, capabilities: list[str] | None = None, wait_seconds: float = 0.0
    ) -> Task | None:
        principal = info.context.require_principal()
        state = info.context.state
        doc = await logic.claim_next(
            state, principal, capabilities, wait_seconds, info.context.caller_gone
        )
        return _task(doc) if doc else None

    @mutation(
        Scope.TASKS_WRITE,
        description="Lease up to `limit` (1–100) of the next tasks the calling agent can run, "
        "as many as it has room for (maxConcurrentTasks), in one step; waits up to waitSeconds "
        "while there is none; empty when none came.",
    )
    async def claim_tasks(
        self,
        info: Info,
        limit: int,
        capabilities: list[str] | None = None,
        wait_seconds: float = 0.0,
    ) -> list[Task]:
        principal = info.context.require_principal()
        state = info.context.state
        docs = await logic.claim_batch(
            state, principal, capabilities, limit, wait_seconds, info.context.caller_gone
        )
        return [_task(doc) for doc in docs]

    @mutation(
        Scope.TASKS_WRITE,
        description="Progress 0–100; renews the lease. The returned status tells the agent "
        "to pause or stop (PAUSED, CANCELLED).",
    )
    async def report_progress(
        self,
        info: Info,
        id: strawberry.ID,
        progress: int,
        message: str | None = None,
        details: JSON | None = None,
    ) -> Task:
        principal = info.context.require_principal()
        return _task(
            await logic.report_progress(
                info.context.state, principal, id, progress, message, details
            )
        )

    @mutation(Scope.TASKS_WRITE, description="The lease holder finishes a task with its result.")
    async def complete_task(
        self, info: Info, id: strawberry.ID, result: JSON | None = None
    ) -> Task:
        principal = info.context.require_principal()
        return _task(await logic.complete(info.context.state, principal, id, result))

    @mutation(
        Scope.TASKS_WRITE,
        description="The lease holder reports a failed attempt; re-queued while attempts remain "
        "and retry is true, failed otherwise.",
    )
    async def fail_task(
        self, info: Info, id: strawberry.ID, error: str, retry: bool = True
    ) -> Task:
        principal = info.context.require_principal()
        return _task(await logic.fail(info.context.state, principal, id, error, retry))

    @mutation(Scope.TASKS_WRITE, description="Cancel a task that has not finished.")
    async def cancel_task(self, info: Info, id: strawberry.ID, reason: str | None = None) -> Task:
        principal = info.context.require_principal()
        return _task(await logic.cancel(info.context.state, principal, id, reason))

    @mutation(Scope.TASKS_WRITE, description="running → paused.")
    async def pause_task(self, info: Info, id: strawberry.ID) -> Task:
        return _task(await logic.pause(info.context.require_principal(), id))

    @mutation(Scope.TASKS_WRITE, description="paused → running.")
    async def resume_task(self, info: Info, id: strawberry.ID) -> Task:
        principal = info.context.require_principal()
        return _task(await logic.resume(info.context.state, principal, id))

    @mutation(
        Scope.TASKS_WRITE,
        description="Create, queue and wait up to waitSeconds for the result (0: return at "
        "once). 503 NO_CAPABLE_AGENT when no online agent can run it (also when the agent "
        "running it dies and no other is online); 504 TIMEOUT cancels the task, since nobody "
        "is left waiting for it, unless keepOnTimeout leaves it queued or running.",
    )
    async def submit_task(
        self,
        info: Info,
        input: CreateTaskInput,
        wait_seconds: float = 30.0,
        keep_on_timeout: bool = False,
    ) -> Task:
        return _task(
            await logic.submit(
                info.context.state,
                task_draft(input),
                wait_seconds,
                keep_on_timeout=keep_on_timeout,
            )
        )
