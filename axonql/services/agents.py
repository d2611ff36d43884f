"""Agent logic: validated create/update/delete and list filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axonql import models
from axonql.models.agent import AgentConfiguration, AgentStatus
from axonql.models.task import TaskStatus
from axonql.services import tallies
from axonql.services import validation as v
from axonql.services.changes import changed_fields, fields_of
from axonql.services.events import Change, atomically, emit
from axonql.services.listing import Listing, name_search
from axonql.services.loaders import Loaders
from axonql.services.lookup import fetch
from axonql.services.query_filters import all_of, compact, contains, window
from axonql.settings import Settings


@dataclass
class AgentFilterArgs:
    status: AgentStatus | None = None
    type: str | None = None
    capability: str | None = None
    system_id: str | None = None
    tags: list[str] | None = None
    heartbeat_after: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None


def agent_query(f: AgentFilterArgs) -> dict[str, Any]:
    """The MongoDB filter for an AgentFilter."""
    return compact(
        {
            "status": f.status.value if f.status is not None else None,
            "type": f.type or None,
            "capabilities": f.capability or None,
            "system_id": f.system_id or None,
            "tags": all_of(f.tags),
            "last_heartbeat": window(f.heartbeat_after, None),
            "created_at": window(f.created_after, f.created_before),
            "name": contains(f.search),
        }
    )


async def maintained_total(f: AgentFilterArgs) -> int | None:
    """The count of a filter the tallies cover (none, or a status alone), else None."""
    if f != AgentFilterArgs(status=f.status):
        return None
    counts = await tallies.agent_counts()
    if f.status is not None:
        return counts.get(f.status.value, 0)
    return sum(counts.values())


AGENTS: Listing[models.Agent, AgentFilterArgs] = Listing(
    models.Agent,
    agent_query,
    maintained_total,
    tallies.AGENTS,
    id_prefix="agent",
    searched=name_search(models.AgentName),
)


@dataclass
class AgentDraft:
    name: str | None = None
    type: str | None = None
    status: AgentStatus | None = None
    capabilities: list[str] | None = None
    max_concurrent_tasks: int | None = None
    timeout: int | None = None
    retry_attempts: int | None = None
    system_id: str | None = None
    tags: list[str] | None = None
    metadata: Any = None


def _apply(settings: Settings, agent: models.Agent, d: AgentDraft) -> None:
    if d.name is not None:
        agent.name = v.text("name", d.name, settings.max_name_length)
    if d.type is not None:
        agent.type = v.text("type", d.type, 100)
    if d.status is not None:
        agent.status = d.status
    if d.capabilities is not None:
        agent.capabilities = v.strings("capabilities", d.capabilities)
    config: AgentConfiguration = agent.configuration
    if d.max_concurrent_tasks is not None:
        config.max_concurrent_tasks = v.int_in(
            "configuration.maxConcurrentTasks", d.max_concurrent_tasks, 1, 1000
        )
    if d.timeout is not None:
        config.timeout = v.int_in("configuration.timeout", d.timeout, 1, 7 * 24 * 3600)
    if d.retry_attempts is not None:
        config.retry_attempts = v.int_in("configuration.retryAttempts", d.retry_attempts, 0, 100)
    if d.system_id is not None:
        agent.system_id = v.text("systemId", d.system_id, 100)
    if d.tags is not None:
        agent.tags = v.strings("tags", d.tags)
    if d.metadata is not None:
        agent.metadata = v.json_object("metadata", d.metadata)


# The tasks an agent holds: running, or paused mid-run.
ACTIVE_TASK_STATES = [TaskStatus.RUNNING.value, TaskStatus.PAUSED.value]


async def current_tasks(loaders: Loaders, agent_id: str) -> list[models.Task]:
    """The tasks an agent is running or has paused, one query for every agent asked about."""
    loader = loaders.by_field(
        models.Task, "agent_id", where={"status": {"$in": ACTIVE_TASK_STATES}}
    )
    tasks: list[models.Task] = await loader.load(agent_id)
    return tasks


async def get_agent(agent_id: str) -> models.Agent:
    return await fetch(models.Agent, agent_id, "agent")


async def create_agent(settings: Settings, draft: AgentDraft) -> models.Agent:
    agent = models.Agent(name="")
    if draft.name is None:
        draft.name = ""
    _apply(settings, agent, draft)

    async def write(unit: Change) -> None:
        await agent.insert(session=unit.session)
        await emit(
            "AGENT_STATUS", {"status": agent.status.value, "change": "created"}, agent_id=agent.id
        )

    await atomically(write)
    return agent


async def update_agent(settings: Settings, agent_id: str, draft: AgentDraft) -> models.Agent:
    agent = await get_agent(agent_id)
    before = agent.status
    stored = fields_of(agent)
    _apply(settings, agent, draft)
    changed = changed_fields(stored, agent)

    async def write(unit: Change) -> None:
        await agent.save(session=unit.session)
        await emit(
            "AGENT_STATUS",
            {
                "status": agent.status.value,
                "previous": before.value,
                "change": "updated",
                "fields": changed,
            },
            agent_id=agent.id,
        )

    await atomically(write)
    return agent


async def delete_agent(agent_id: str) -> bool:
    agent = await get_agent(agent_id)

    async def write(unit: Change) -> None:
        await agent.delete(session=unit.session)
        runs = agent.statistics  # leaves the agents' summed statistics, same transaction
        deltas = tallies.agent_run_deltas(
            ok=-runs.successful_tasks,
            bad=-runs.failed_tasks,
            total=-runs.total_tasks_completed,
            mean_change=-runs.average_task_duration,
        )
        unit.count(deltas)
        await emit(
            "AGENT_STATUS", {"change": "deleted", "status": agent.status.value}, agent_id=agent_id
        )

    await atomically(write)
    return True
