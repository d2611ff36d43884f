"""Task logic: validated create/update/delete and the filters a frontend needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from axonql import models
from axonql.errors import NotFound
from axonql.models.base import utcnow
from axonql.models.stored_form import model_as_stored
from axonql.models.task import PRIORITY_RANK, Schedule, TaskPriority, TaskStatus
from axonql.services import tallies
from axonql.services import validation as v
from axonql.services.changes import changed_fields, fields_of
from axonql.services.events import Change, atomically, emit
from axonql.services.lifecycle import counted
from axonql.services.listing import Levels, Listing, name_search
from axonql.services.query_filters import all_of, compact, contains, window
from axonql.services.schedule import check_schedule, next_run
from axonql.services.task_parameters import check_parameters
from axonql.settings import Settings


@dataclass
class TaskFilterArgs:
    """Filter values, already typed; None means 'any'."""

    status: TaskStatus | None = None
    statuses: list[TaskStatus] | None = None
    type: str | None = None
    priority: TaskPriority | None = None
    agent_id: str | None = None
    system_id: str | None = None
    parent_id: str | None = None
    tags: list[str] | None = None
    capability: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    search: str | None = None
    automation: bool | None = False


def task_query(f: TaskFilterArgs) -> dict[str, Any]:
    """The MongoDB filter for a TaskFilter."""
    if f.status is not None:
        status: Any = f.status.value
    else:
        status = {"$in": [s.value for s in f.statuses]} if f.statuses else None
    return compact(
        {
            "is_automation": f.automation,
            "status": status,
            "type": f.type or None,
            "priority": f.priority.value if f.priority is not None else None,
            "agent_id": f.agent_id or None,
            "system_id": f.system_id or None,
            "parent_id": f.parent_id or None,
            "tags": all_of(f.tags),
            "required_capabilities": f.capability or None,
            "created_at": window(f.created_after, f.created_before),
            "updated_at": window(f.updated_after, None),
            "name": contains(f.search),
        }
    )


def tallied(f: TaskFilterArgs) -> bool:
    """Whether the tallies count this filter: it names only automation, status(es), type and
    priority."""
    return f == counted_part(f)


def counted_part(f: TaskFilterArgs) -> TaskFilterArgs:
    """The part of a filter the tallies count (see `tallied`)."""
    return TaskFilterArgs(
        status=f.status,
        statuses=f.statuses,
        type=f.type,
        automation=f.automation,
        priority=f.priority,
    )


async def tallied_counts(f: TaskFilterArgs) -> tallies.TaskCounts | None:
    """The tallies' counts per status of a filter they cover (see `tallied`), else None."""
    if not tallied(f):
        return None
    if f.status is not None:
        statuses: list[str] | None = [f.status.value]
    else:
        statuses = [s.value for s in f.statuses] if f.statuses else None
    priority = f.priority.value if f.priority is not None else None
    return await tallies.task_counts(f.automation, statuses, f.type or None, priority)


async def maintained_total(f: TaskFilterArgs) -> int | None:
    """The count of a filter the tallies cover, else None."""
    counts = await tallied_counts(f)
    return None if counts is None else sum(counts.by_status.values())


def priority_levels(f: TaskFilterArgs) -> list[tuple[int, TaskFilterArgs]]:
    """The filter narrowed to each priority it admits, lowest first (sort by PRIORITY)."""
    admitted = sorted(
        (p for p in TaskPriority if f.priority in (None, p)), key=PRIORITY_RANK.__getitem__
    )
    return [(PRIORITY_RANK[p], replace(f, priority=p)) for p in admitted]


TASKS = Listing(
    models.Task,
    task_query,
    maintained_total,
    tallies.TASKS,
    Levels("priority_rank", priority_levels, counted_part),
    id_prefix="task",
    searched=name_search(models.TaskName, frozenset({"is_automation", "created_at"})),
)


@dataclass
class TaskDraft:
    """Validated-on-apply fields of a create or update; None leaves a field unchanged."""

    name: str | None = None
    description: str | None = None
    type: str | None = None
    priority: TaskPriority | None = None
    parameters: Any = None
    schedule: tuple[str, str] | None = None
    clear_schedule: bool = False
    required_capabilities: list[str] | None = None
    tags: list[str] | None = None
    system_id: str | None = None
    max_attempts: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _apply(settings: Settings, task: models.Task, draft: TaskDraft) -> None:
    if draft.name is not None:
        task.name = v.text("name", draft.name, settings.max_name_length)
    if draft.description is not None:
        task.description = v.text(
            "description", draft.description, settings.max_text_length, required=False
        )
    if draft.type is not None:
        task.type = v.text("type", draft.type, 100)
    if draft.priority is not None:
        task.priority = draft.priority
        task.priority_rank = PRIORITY_RANK[draft.priority]
    if draft.parameters is not None:
        task.parameters = v.json_object("parameters", draft.parameters)
    if draft.required_capabilities is not None:
        task.required_capabilities = v.strings("requiredCapabilities", draft.required_capabilities)
    if draft.tags is not None:
        task.tags = v.strings("tags", draft.tags)
    if draft.system_id is not None:
        task.system_id = v.text("systemId", draft.system_id, 100)
    if draft.max_attempts is not None:
        task.max_attempts = v.int_in("maxAttempts", draft.max_attempts, 1, 100)
    if draft.clear_schedule:
        task.schedule = None
        task.next_run = None
    elif draft.schedule is not None:
        kind, value = check_schedule(*draft.schedule)
        task.schedule = Schedule(type=kind, value=value)
        task.next_run = next_run(kind, value, utcnow())
    check_parameters(task.type, task.required_capabilities, task.parameters)


async def create_task(settings: Settings, draft: TaskDraft, **fields: Any) -> models.Task:
    if draft.name is None:
        draft.name = ""
    task = models.Task(name="", **fields)
    _apply(settings, task, draft)

    async def write(unit: Change) -> None:
        await task.insert(session=unit.session)
        unit.wrote(
            "task", model_as_stored(task, models.Task.get_pymongo_collection().codec_options)
        )
        await emit(
            "TASK_STATE_CHANGED",
            {"status": task.status.value, "name": task.name, "change": "created", **counted(task)},
            task_id=task.id,
            system_id=task.system_id,
        )

    await atomically(write)
    return task


async def get_task(
    task_id: str, *, automation: bool | None = None, session: AsyncClientSession | None = None
) -> models.Task:
    task = await models.Task.get(task_id, session=session)
    if task is None or (automation is not None and task.is_automation != automation):
        raise NotFound(f"task {task_id} not found", details={"id": task_id})
    return task


async def update_task(
    settings: Settings,
    task_id: str,
    draft: TaskDraft,
    *,
    automation: bool = False,
    also: Callable[[models.Task], None] | None = None,
) -> models.Task:
    """Apply `draft` (and `also`, for what only automations have) in one unit of work with
    its event, which lists every field that changed."""

    async def write(unit: Change) -> models.Task:
        task = await get_task(task_id, automation=automation, session=unit.session)
        previous_type, previous_system = task.type, task.system_id
        previous_priority = task.priority.value
        before = fields_of(task)
        _apply(settings, task, draft)
        if also is not None:
            also(task)
        await task.save(session=unit.session)
        await emit(
            "TASK_STATE_CHANGED",
            {
                "status": task.status.value,
                "name": task.name,
                "change": "updated",
                "fields": changed_fields(before, task),
                "previous_type": previous_type,
                "previous_priority": previous_priority,
                "previous_system": previous_system,
                **counted(task),
            },
            task_id=task.id,
            system_id=task.system_id,
        )
        return task

    return await atomically(write)


async def delete_task(task_id: str, *, automation: bool = False) -> bool:

    async def write(unit: Change) -> None:
        task = await get_task(task_id, automation=automation, session=unit.session)
        await task.delete(session=unit.session)
        await emit(
            "TASK_STATE_CHANGED",
            {"change": "deleted", "status": task.status.value, **counted(task)},
            task_id=task_id,
        )

    await atomically(write)
    return True
