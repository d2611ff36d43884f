"""Schedules and automation triggers, fired exactly once across any number of instances.

One instance at a time holds the `scheduler` lease (a Lock document renewed every tick;
another instance takes over when it lapses). The leader creates one run per firing: a queued
task whose `run_key` (template id + trigger + instant, or + event id) is unique in MongoDB, so
even two leaders in a split second could not store a firing twice. Every instance also reaps
expired task leases and marks silent agents offline (both are compare-and-set updates).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from axonql import models
from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.services import immune, queue, queue_heads, tallies
from axonql.services.events import Change, atomically, emit
from axonql.services.lifecycle import counted
from axonql.services.schedule import check_schedule, next_run
from axonql.state import AppState
from axonql.stopping import stop_task

log = logging.getLogger("axonql.scheduler")

LOCK_NAME = "scheduler"
EVENT_OVERLAP = timedelta(seconds=10)
SCHEDULE_TRIGGERS = {"schedule": "cron", "cron": "cron", "interval": "interval"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LIVE = {"status": {"$ne": TaskStatus.CANCELLED.value}, "enabled": {"$ne": False}}


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def normalize_event(name: str) -> str:
    """`data_source.updated` and `DATA_SOURCE_UPDATED` name the same event."""
    return name.strip().upper().replace(".", "_").replace("-", "_")


def following(kind: str, value: str, due: datetime, now: datetime) -> datetime:
    """The next firing after `due` that is still in the future (missed slots are skipped)."""
    nxt = next_run(kind, value, due)
    if nxt > now:
        return nxt
    if kind == "interval":
        step = timedelta(seconds=int(value))
        missed = int((now - nxt) / step) + 1
        return nxt + missed * step
    return next_run(kind, value, now)


async def acquire_lease(owner: str, seconds: float, name: str = LOCK_NAME) -> models.Lock | None:
    """Take or renew the named lease; None while another owner holds it."""
    now = utcnow()
    collection = models.Lock.get_pymongo_collection()
    expires = now + timedelta(seconds=seconds)
    try:  # an update by `_id`, then a read by `_id` (findAndModify scans on SecantusDB)
        await collection.update_one(
            {
                "_id": name,
                "$or": [{"owner": owner}, {"expires_at": {"$lt": now}}, {"expires_at": None}],
            },
            {
                "$set": {"owner": owner, "expires_at": expires, "updated_at": now},
                "$setOnInsert": {"created_at": now, "state": {}},
            },
            upsert=True,
        )
    except DuplicateKeyError:
        return None
    raw = await collection.find_one({"_id": name})
    if raw is None or raw.get("owner") != owner:
        return None  # it expired and another owner took it in between
    lock: models.Lock = models.Lock.model_validate(raw)
    return lock


async def release_lease(owner: str, name: str = LOCK_NAME) -> None:
    await models.Lock.get_pymongo_collection().update_one(
        {"_id": name, "owner": owner}, {"$set": {"expires_at": utcnow()}}
    )


async def create_run(
    template: models.Task, key: str, *, scheduled_for: datetime, trigger: dict[str, Any]
) -> models.Task | None:
    """Store one queued run of a template; None when this firing already exists."""
    now = utcnow()
    parameters = dict(template.parameters)
    run_type = template.type
    if template.is_automation:
        run_type = "automation"
        parameters = {
            "automation_id": template.id,
            "automation_type": template.type,
            "steps": [s.model_dump() for s in template.steps],
            **parameters,
        }
    parameters["trigger"] = trigger
    run = models.Task(
        name=f"{template.name} run",
        description=template.description,
        type=run_type,
        status=TaskStatus.QUEUED,
        priority=template.priority,
        priority_rank=template.priority_rank,
        parameters=parameters,
        required_capabilities=template.required_capabilities,
        tags=template.tags,
        system_id=template.system_id,
        max_attempts=template.max_attempts,
        parent_id=template.id,
        run_key=key,
        scheduled_for=scheduled_for,
        queued_at=now,
    )

    async def write(unit: Change) -> None:
        await run.insert(session=unit.session)
        await emit(
            "TASK_STATE_CHANGED",
            {
                "status": run.status.value,
                "change": "scheduled",
                **counted(run),
                "name": run.name,
                "parent_id": template.id,
                "trigger": trigger,
            },
            task_id=run.id,
            system_id=run.system_id,
        )

    try:
        await atomically(write)
    except DuplicateKeyError:  # another instance created this run first
        return None
    return run


async def fire_schedules(now: datetime) -> int:
    """Create the runs of every due interval/cron schedule and advance its `next_run`."""
    collection = models.Task.get_pymongo_collection()
    fired = 0
    # The due range first and closed on both sides: SecantusDB serves the first indexed clause,
    # and a `$lte` alone also reads every task without a `next_run` (null sorts lowest).
    due = {"$gte": EPOCH, "$lte": now}
    query = {"next_run": due, "is_automation": False, "schedule": {"$ne": None}, **_LIVE}
    async for raw in collection.find(query).limit(200):
        template = models.Task.model_validate(raw)
        if template.schedule is None or template.next_run is None:
            continue
        due = template.next_run
        kind, value = template.schedule.type, template.schedule.value
        key = f"{template.id}@{due.isoformat()}"
        trigger = {"type": kind, "value": value, "scheduled_for": due.isoformat()}
        fired += await create_run(template, key, scheduled_for=due, trigger=trigger) is not None
        await collection.update_one(
            {"_id": template.id, "next_run": due},
            {"$set": {"next_run": following(kind, value, due, now), "last_run": due}},
        )
    return fired


async def fire_automation_schedules(now: datetime) -> int:
    """Schedule triggers of automations: initialise `next_trigger`, fire the due ones."""
    collection = models.Task.get_pymongo_collection()
    query = {
        "is_automation": True,
        "triggers.type": {"$in": list(SCHEDULE_TRIGGERS)},
        **_LIVE,
    }
    fired = 0
    async for raw in collection.find(query).limit(500):
        fired += await advance_automation(raw, now)
    return fired


async def advance_automation(raw: dict[str, Any], now: datetime) -> int:
    """Fire the due schedule triggers of one automation as read, then move its triggers on.

    The move is one compare-and-set on the triggers and `enabled` as read: an automation paused
    or given new triggers since (`updateAutomation`) keeps what that update wrote. A run fired
    just before such an update is stored once (its `run_key`), and the next tick re-reads.
    """
    automation = models.Task.model_validate(raw)
    moved: dict[str, Any] = {}
    upcoming: list[datetime] = []
    fired = 0
    for index, trigger in enumerate(automation.triggers):
        kind = SCHEDULE_TRIGGERS.get(trigger.type)
        if kind is None:
            continue
        try:
            kind, value = check_schedule(kind, trigger.value, f"triggers.{index}")
        except ValidationError:
            log.warning("automation %s has an invalid trigger %s", automation.id, index)
            continue
        path = f"triggers.{index}.next_trigger"
        due = trigger.next_trigger
        if due is None:
            moved[path] = next_run(kind, value, now)
        elif due > now:
            upcoming.append(due)
            continue
        else:
            key = f"{automation.id}@{index}@{due.isoformat()}"
            info = {"type": trigger.type, "value": value, "scheduled_for": due.isoformat()}
            fired += await create_run(automation, key, scheduled_for=due, trigger=info) is not None
            moved[path] = following(kind, value, due, now)
            moved["last_run"] = max(due, moved.get("last_run", due))
        upcoming.append(moved[path])
    if upcoming and (moved or automation.next_run != min(upcoming)):
        unchanged = {"_id": automation.id, "enabled": {"$ne": False}, "triggers": raw["triggers"]}
        await models.Task.get_pymongo_collection().update_one(
            unchanged, {"$set": {**moved, "next_run": min(upcoming)}}
        )
    return fired


async def fire_event_triggers(since: datetime, now: datetime) -> int:
    """Automations whose event trigger matches an Event created in [since − overlap, now]."""
    collection = models.Task.get_pymongo_collection()
    by_name: dict[str, list[models.Task]] = {}
    spellings: set[str] = set()
    async for raw in collection.find({"is_automation": True, "triggers.type": "event", **_LIVE}):
        automation = models.Task.model_validate(raw)
        for trigger in automation.triggers:
            if trigger.type == "event" and trigger.value.strip():
                by_name.setdefault(normalize_event(trigger.value), []).append(automation)
                spellings.update({trigger.value.strip(), normalize_event(trigger.value)})
    if not by_name:
        return 0
    automation_ids = [a.id for group in by_name.values() for a in group]
    # the events of the last tick, by the indexed `created_at` range (a `type $in` would
    # read the whole log on SecantusDB); the types are checked here
    recent = await models.Event.find(
        {"created_at": {"$gte": since - EVENT_OVERLAP, "$lte": now}}
    ).to_list()
    events = [e for e in recent if e.type in spellings]
    own_runs = await _runs_of(automation_ids, [e.task_id for e in events if e.task_id])
    fired = 0
    for event in events:
        if event.task_id in own_runs:
            continue
        for automation in by_name.get(normalize_event(event.type), []):
            if event.created_at < automation.created_at:
                continue
            key = f"{automation.id}@event@{event.id}"
            info = {
                "type": "event",
                "value": event.type,
                "event_id": event.id,
                "payload": event.payload,
            }
            run = await create_run(automation, key, scheduled_for=event.created_at, trigger=info)
            if run is not None:
                fired += 1
                await collection.update_one(
                    {"_id": automation.id}, {"$set": {"last_run": event.created_at}}
                )
    return fired


async def _runs_of(automation_ids: list[str], task_ids: list[str]) -> set[str]:
    """Which of `task_ids` are runs of an automation (their events never re-trigger one):
    one read by `_id` each (`$in` reads every task on SecantusDB)."""
    automations = set(automation_ids)
    collection = models.Task.get_pymongo_collection()
    runs = set()
    for task_id in set(task_ids):
        raw = await collection.find_one({"_id": task_id}, {"parent_id": 1})
        if raw is not None and raw.get("parent_id") in automations:
            runs.add(task_id)
    return runs


class Background:
    """The loops one instance runs: scheduler (when it holds the lease) and lease reaper."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.settings = state.settings
        self.owner = instance_id()
        self.is_leader = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks.append(
            asyncio.create_task(self._every(self.settings.lease_check_seconds, self.reap))
        )
        if self.settings.scheduler_enabled:
            self._tasks.append(
                asyncio.create_task(self._every(self.settings.scheduler_tick_seconds, self.tick))
            )
        if self.settings.immune_scan_interval_seconds > 0:
            self._tasks.append(
                asyncio.create_task(
                    self._every(self.settings.immune_scan_interval_seconds, self.immune_scan)
                )
            )

    async def stop(self) -> None:
        for task in self._tasks:
            await stop_task(task)
        self._tasks.clear()
        if self.is_leader:
            with contextlib.suppress(Exception):
                await release_lease(self.owner)

    async def reap(self) -> None:
        """Re-queue expired leases, mark silent agents offline, and move the queue's heads up
        to where claims will find work (`queue_heads.advance`)."""
        requeued = await queue.reap_expired(self.settings)
        if requeued:
            self.state.replies.work_queued(requeued)
        await queue.mark_offline_agents(self.settings)
        await queue_heads.advance()

    async def immune_scan(self) -> None:
        """The periodic integrity scan, on the scheduler's leader only (one per deployment)."""
        if self.is_leader:
            await immune.scan(
                self.settings, None, deep_scan=False, auto_heal=self.settings.immune_auto_heal
            )

    async def tick(self) -> None:
        """One scheduler step: renew the lease, fire what is due, and forget the memory
        counts of past days (`tallies.forget_past_days`)."""
        lease = await acquire_lease(self.owner, self.settings.scheduler_lock_seconds)
        self.is_leader = lease is not None
        if lease is None:
            return
        now = utcnow()
        since = lease.state.get("events_after")
        fired = await fire_schedules(now) + await fire_automation_schedules(now)
        if isinstance(since, datetime):
            fired += await fire_event_triggers(since, now)
        await models.Lock.get_pymongo_collection().update_one(
            {"_id": LOCK_NAME, "owner": self.owner}, {"$set": {"state.events_after": now}}
        )
        if fired:
            self.state.replies.work_queued(fired)
        await tallies.forget_past_days(now.date())

    async def _every(self, seconds: float, step: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background step %s failed", getattr(step, "__name__", step))
            await asyncio.sleep(seconds)
