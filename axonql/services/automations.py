"""Automations: tasks with `is_automation`, triggers (cron, interval, event) and ordered steps.

The scheduler (services/scheduler.py) fires them; here they are validated and stored. A
schedule trigger carries its `next_trigger`; the automation's `next_run` is the earliest one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from axonql import models
from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.models.task import Step, Trigger
from axonql.services import tallies
from axonql.services import validation as v
from axonql.services.listing import Listing
from axonql.services.schedule import check_schedule, next_run
from axonql.services.tasks import TaskDraft, TaskFilterArgs, create_task, task_query, update_task
from axonql.settings import Settings

MAX_TRIGGERS = 20
MAX_STEPS = 50
SCHEDULE_KINDS = {"schedule": "cron", "interval": "interval"}
_EVENT_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass
class TriggerDraft:
    type: str
    value: str


@dataclass
class StepDraft:
    name: str
    type: str
    parameters: Any = None


@dataclass
class AutomationDraft:
    """Task fields plus the automation's own; None leaves a field unchanged."""

    task: TaskDraft = field(default_factory=TaskDraft)
    triggers: list[TriggerDraft] | None = None
    steps: list[StepDraft] | None = None
    enabled: bool | None = None


def build_triggers(drafts: list[TriggerDraft], now: datetime) -> list[Trigger]:
    """Checked triggers; schedule (cron) and interval triggers get their next firing time."""
    if not 1 <= len(drafts) <= MAX_TRIGGERS:
        raise ValidationError(f"give 1 to {MAX_TRIGGERS} triggers", field="triggers")
    built: list[Trigger] = []
    for index, draft in enumerate(drafts):
        name = f"triggers.{index}"
        kind = SCHEDULE_KINDS.get(draft.type)
        if kind is not None:
            kind, value = check_schedule(kind, draft.value, name)
            built.append(
                Trigger(type=draft.type, value=value, next_trigger=next_run(kind, value, now))
            )
        elif draft.type == "event":
            value = v.text(f"{name}.value", draft.value, 200)
            if not _EVENT_NAME.match(value):
                raise ValidationError(
                    "an event type may contain letters, digits and _ . : - only",
                    field=f"{name}.value",
                )
            built.append(Trigger(type="event", value=value))
        else:
            raise ValidationError(
                "trigger type must be schedule, interval or event", field=f"{name}.type"
            )
    return built


def build_steps(drafts: list[StepDraft]) -> list[Step]:
    """Ordered steps with unique names and bounded parameters."""
    if not 1 <= len(drafts) <= MAX_STEPS:
        raise ValidationError(f"give 1 to {MAX_STEPS} steps", field="steps")
    steps: list[Step] = []
    for index, draft in enumerate(drafts):
        name = v.text(f"steps.{index}.name", draft.name, 100)
        if any(s.name == name for s in steps):
            raise ValidationError(f"step name {name} is used twice", field=f"steps.{index}.name")
        steps.append(
            Step(
                name=name,
                type=v.text(f"steps.{index}.type", draft.type, 100),
                parameters=v.json_object(f"steps.{index}.parameters", draft.parameters),
            )
        )
    return steps


def earliest(triggers: list[Trigger]) -> datetime | None:
    times = [t.next_trigger for t in triggers if t.next_trigger is not None]
    return min(times) if times else None


def refreshed(triggers: list[Trigger], now: datetime) -> list[Trigger]:
    """Triggers with next firing times counted from now (on re-enabling: no stale firings)."""
    return build_triggers([TriggerDraft(t.type, t.value) for t in triggers], now)


@dataclass
class AutomationFilterArgs:
    enabled: bool | None = None
    type: str | None = None


def automation_query(f: AutomationFilterArgs) -> dict[str, Any]:
    query = task_query(TaskFilterArgs(type=f.type, automation=True))
    if f.enabled is True:
        query["enabled"] = {"$ne": False}
    elif f.enabled is False:
        query["enabled"] = False
    return query


AUTOMATIONS = Listing(models.Task, automation_query, kind=tallies.TASKS, id_prefix="task")


async def count_automations(f: AutomationFilterArgs) -> int:
    """Every automation the filter matches (automations are tasks with `is_automation`, an
    indexed equality, so the count reads the automations, not every task)."""
    query = automation_query(f)
    return int(await models.Task.get_pymongo_collection().count_documents(query))


async def create_automation(settings: Settings, draft: AutomationDraft) -> models.Task:
    now = utcnow()
    triggers = build_triggers(draft.triggers or [], now)
    steps = build_steps(draft.steps or [])
    enabled = True if draft.enabled is None else draft.enabled
    if draft.task.type is None:
        draft.task.type = "automation"
    return await create_task(
        settings,
        draft.task,
        is_automation=True,
        triggers=triggers,
        steps=steps,
        enabled=enabled,
        next_run=earliest(triggers) if enabled else None,
    )


async def update_automation(
    settings: Settings, automation_id: str, draft: AutomationDraft
) -> models.Task:
    """Everything is validated before the first write, so a bad input changes nothing; the
    automation's own fields change in the same unit of work as the rest, with its event."""
    now = utcnow()
    triggers = None if draft.triggers is None else build_triggers(draft.triggers, now)
    steps = None if draft.steps is None else build_steps(draft.steps)

    def automate(task: models.Task) -> None:
        if steps is not None:
            task.steps = steps
        if triggers is not None:
            task.triggers = triggers
        if draft.enabled is not None:
            if draft.enabled and not task.enabled and triggers is None:
                task.triggers = refreshed(task.triggers, now)
            task.enabled = draft.enabled
        if triggers is not None or draft.enabled is not None:
            task.next_run = earliest(task.triggers) if task.enabled else None

    return await update_task(settings, automation_id, draft.task, automation=True, also=automate)


def success_rate(task: models.Task) -> float | None:
    """Successful ÷ total runs, null before the first run."""
    runs = task.statistics.total_runs
    return round(task.statistics.successful_runs / runs, 4) if runs else None
