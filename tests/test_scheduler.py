"""Schedules and automation triggers: one run per firing, with one or several instances."""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from axonql import models
from axonql.models.base import utcnow
from axonql.models.task import Step, Trigger
from axonql.services import scheduler
from axonql.services.events import emit
from tests.processes import Api, ServerProcess, admin_token, database_client, wait_for
from tests.support import GraphQLClient

CREATE = """
mutation($input: CreateTaskInput!) { createTask(input: $input) { id nextRun } }"""


async def runs_of(parent_id: str) -> list[models.Task]:
    return await models.Task.find({"parent_id": parent_id}).sort("scheduled_for").to_list()


async def test_due_cron_schedule_fires_once_and_advances(
    gql: GraphQLClient, admin_token: str
) -> None:
    body = await gql(
        CREATE,
        {
            "input": {
                "name": "nightly",
                "type": "echo",
                "schedule": {"type": "CRON", "value": "*/5 * * * *"},
            }
        },
        admin_token,
    )
    task_id = body["data"]["createTask"]["id"]
    due = utcnow().replace(microsecond=0) - timedelta(seconds=30)
    await models.Task.get_pymongo_collection().update_one(
        {"_id": task_id}, {"$set": {"next_run": due}}
    )
    now = utcnow()
    await scheduler.fire_schedules(now)
    await scheduler.fire_schedules(now)  # a second pass (or instance) adds nothing
    runs = await runs_of(task_id)
    assert len(runs) == 1
    run = runs[0]
    assert run.status.value == "queued" and run.type == "echo"
    assert run.scheduled_for == due and run.run_key == f"{task_id}@{due.isoformat()}"
    template = await models.Task.get(task_id)
    assert template is not None and template.next_run is not None
    assert template.next_run > now and template.next_run.minute % 5 == 0
    assert template.last_run == due
    body = await gql(
        "query($p: ID!) { tasks(filter: {parentId: $p}) { id parentId scheduledFor status } }",
        {"p": task_id},
        admin_token,
    )
    assert [t["id"] for t in body["data"]["tasks"]] == [run.id]
    assert body["data"]["tasks"][0]["parentId"] == task_id
    listed = await gql("{ schedules { taskId kind value nextRun } }", token=admin_token)
    assert listed["data"]["schedules"][0]["taskId"] == task_id
    assert listed["data"]["schedules"][0]["kind"] == "cron"


async def test_missed_interval_slots_are_skipped_not_replayed(
    gql: GraphQLClient, admin_token: str
) -> None:
    body = await gql(
        CREATE,
        {"input": {"name": "every3", "schedule": {"type": "INTERVAL", "value": "3"}}},
        admin_token,
    )
    task_id = body["data"]["createTask"]["id"]
    due = utcnow() - timedelta(seconds=10)
    await models.Task.get_pymongo_collection().update_one(
        {"_id": task_id}, {"$set": {"next_run": due}}
    )
    now = utcnow()
    await scheduler.fire_schedules(now)
    assert len(await runs_of(task_id)) == 1
    template = await models.Task.get(task_id)
    assert template is not None and template.next_run is not None
    assert now < template.next_run <= now + timedelta(seconds=3)
    offset = (template.next_run - due).total_seconds()
    assert abs(offset / 3 - round(offset / 3)) < 1e-3  # still on the original cadence


async def _automation(**fields: Any) -> models.Task:
    automation = models.Task(
        name="Data Pipeline Automation",
        type="data_processing",
        is_automation=True,
        steps=[
            Step(name="data_extraction", type="extract", parameters={"source": "api"}),
            Step(name="data_processing", type="transform"),
        ],
        **fields,
    )
    await automation.insert()
    return automation


async def test_event_trigger_fires_once_per_matching_event() -> None:
    await emit("DATA_SOURCE_UPDATED", {"source": "before"})  # older than the automation
    await asyncio.sleep(0.01)
    automation = await _automation(triggers=[Trigger(type="event", value="data_source.updated")])
    disabled = await _automation(
        triggers=[Trigger(type="event", value="DATA_SOURCE_UPDATED")], enabled=False
    )
    event = await emit("DATA_SOURCE_UPDATED", {"source": "crm"})
    await emit("SOMETHING_ELSE", {})
    since = utcnow() - timedelta(seconds=1)
    await scheduler.fire_event_triggers(since, utcnow())
    await scheduler.fire_event_triggers(since, utcnow())
    runs = await runs_of(automation.id)
    assert len(runs) == 1
    run = runs[0]
    assert run.type == "automation" and run.status.value == "queued"
    assert run.parameters["trigger"]["event_id"] == event.id
    assert [s["name"] for s in run.parameters["steps"]] == ["data_extraction", "data_processing"]
    assert await runs_of(disabled.id) == []


async def test_runs_do_not_retrigger_their_own_automation() -> None:
    automation = await _automation(triggers=[Trigger(type="event", value="TASK_STATE_CHANGED")])
    created = await models.Task(name="outside").insert()
    await emit("TASK_STATE_CHANGED", {"change": "created"}, task_id=created.id)
    since = utcnow() - timedelta(seconds=1)
    for _ in range(3):
        await scheduler.fire_event_triggers(since, utcnow())
    assert len(await runs_of(automation.id)) == 1


async def test_automation_schedule_trigger() -> None:
    automation = await _automation(triggers=[Trigger(type="schedule", value="0 */6 * * *")])
    now = utcnow()
    await scheduler.fire_automation_schedules(now)
    stored = await models.Task.get(automation.id)
    assert stored is not None and stored.triggers[0].next_trigger is not None
    assert stored.triggers[0].next_trigger.hour % 6 == 0 and stored.next_run is not None
    due = now - timedelta(seconds=5)
    await models.Task.get_pymongo_collection().update_one(
        {"_id": automation.id}, {"$set": {"triggers.0.next_trigger": due}}
    )
    await scheduler.fire_automation_schedules(utcnow())
    await scheduler.fire_automation_schedules(utcnow())
    runs = await runs_of(automation.id)
    assert len(runs) == 1 and runs[0].scheduled_for == due.replace(
        microsecond=due.microsecond // 1000 * 1000
    )


async def test_lease_has_one_owner_until_it_lapses() -> None:
    name = f"job-{secrets.token_hex(3)}"
    assert await scheduler.acquire_lease("A", 0.3, name) is not None
    assert await scheduler.acquire_lease("B", 0.3, name) is None
    assert await scheduler.acquire_lease("A", 0.3, name) is not None  # renewal
    await asyncio.sleep(0.4)
    taken = await scheduler.acquire_lease("B", 0.3, name)
    assert taken is not None and taken.owner == "B"


@pytest.fixture
async def two_servers(
    mongo_url: str, tmp_path: Path
) -> AsyncIterator[tuple[list[ServerProcess], Any]]:
    database = f"axonql_sched_{secrets.token_hex(4)}"
    servers = [ServerProcess(mongo_url, database, tmp_path / f"s{i}") for i in range(2)]
    client = database_client(mongo_url)
    try:
        await asyncio.gather(*(s.start() for s in servers))
        yield servers, client[database]
    finally:
        for server in servers:
            server.stop()
        await client.drop_database(database)
        await client.close()


async def test_two_instances_fire_each_interval_once_and_on_time(
    two_servers: tuple[list[ServerProcess], Any],
) -> None:
    servers, db = two_servers
    async with httpx.AsyncClient(timeout=30) as http:
        api = Api(http, servers[0].url, await admin_token(db))
        data = await api.ok(
            CREATE, {"input": {"name": "tick", "schedule": {"type": "INTERVAL", "value": "1"}}}
        )
        task_id = data["createTask"]["id"]

    async def runs(n: int) -> list[dict[str, Any]] | None:
        found = await db.tasks.find({"parent_id": task_id}).sort("scheduled_for", 1).to_list()
        return found if len(found) >= n else None

    await wait_for(lambda: runs(4), timeout=30)
    lock = await db.locks.find_one({"_id": "scheduler"})
    leader = next(s for s in servers if f":{s.process.pid}:" in lock["owner"])  # type: ignore[union-attr]
    follower = next(s for s in servers if s is not leader)
    leader.stop(9)  # SIGKILL the leader: the other instance takes over when the lease lapses
    found = await wait_for(lambda: runs(8), timeout=30)
    lock = await db.locks.find_one({"_id": "scheduler"})
    assert f":{follower.process.pid}:" in lock["owner"]  # type: ignore[union-attr]

    slots = [r["scheduled_for"] for r in found]
    assert len(slots) == len(set(slots)), "a firing was stored twice"
    gaps = [round((b - a).total_seconds(), 3) for a, b in itertools.pairwise(slots)]
    # Slots stay on the 1-second grid; a slot is skipped only if every instance stalled past
    # it (missed slots are skipped, not replayed), which a loaded CI machine can cause once.
    assert all(g in (1.0, 2.0) for g in gaps), f"slots must be on the 1 s grid: {gaps}"
    assert gaps.count(2.0) <= 1, f"more than one slot missed: {gaps}"
    late = [(r["created_at"] - r["scheduled_for"]).total_seconds() for r in found]
    # on time: within a tick, except slots due while the dead leader still held the lease
    assert sorted(late)[len(late) // 2] < 1.0, late
    assert max(late) < 1.5 + 2.0, late


async def test_a_tick_that_read_an_automation_before_it_was_paused_leaves_it_paused(
    gql: GraphQLClient, admin_token: str
) -> None:
    automation = await _automation(triggers=[Trigger(type="schedule", value="0 * * * *")])
    await scheduler.fire_automation_schedules(utcnow())
    collection = models.Task.get_pymongo_collection()
    read_by_tick = await collection.find_one({"_id": automation.id})
    assert read_by_tick is not None and read_by_tick["next_run"] is not None
    due = utcnow() - timedelta(seconds=5)
    await collection.update_one({"_id": automation.id}, {"$set": {"triggers.0.next_trigger": due}})
    read_by_tick = await collection.find_one({"_id": automation.id})
    assert read_by_tick is not None

    paused = await gql(
        "mutation($id: ID!) { updateAutomation(id: $id, input: {enabled: false}) { status } }",
        {"id": automation.id},
        admin_token,
    )
    assert paused["data"]["updateAutomation"]["status"] == "PAUSED"
    await scheduler.advance_automation(read_by_tick, utcnow())

    stored = await models.Task.get(automation.id)
    assert stored is not None and not stored.enabled and stored.next_run is None
    as_stored = due.replace(microsecond=due.microsecond // 1000 * 1000)
    assert stored.triggers[0].next_trigger == as_stored
