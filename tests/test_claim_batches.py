"""`claimTasks`: an agent with spare concurrency leases several tasks in one step (one unit of
work: one head read, one tally write, one commit), never more than it has room for."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from axonql import models
from axonql.agent.client import AgentClient, Task
from axonql.agent.worker import Worker, WorkerOptions
from tests.agents_support import COMPLETE, queued_task, register
from tests.support import GraphQLClient, RequestCommands, RunningServer, error_codes

CLAIM_TASKS = """
mutation($n: Int!, $wait: Float! = 0) {
  claimTasks(limit: $n, waitSeconds: $wait) { id status agentId priority }
}"""


async def claim_tasks(
    gql: GraphQLClient, key: str, n: int, wait: float = 0
) -> list[dict[str, Any]]:
    body = await gql(CLAIM_TASKS, {"n": n, "wait": wait}, key)
    assert "errors" not in body, body
    tasks: list[dict[str, Any]] = body["data"]["claimTasks"]
    return tasks


async def test_a_batch_takes_as_many_as_the_agent_has_room_for_in_queue_order(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    agent_id, key = await register(gql, admin_token, "batcher", [], max_concurrent=3)
    low = await queued_task(gql, admin_token, priority="LOW")
    normal = [await queued_task(gql, admin_token) for _ in range(3)]
    urgent = await queued_task(gql, admin_token, priority="CRITICAL")
    request_commands.names.clear()
    batch = await claim_tasks(gql, key, 10)
    assert [t["id"] for t in batch] == [urgent, normal[0], normal[1]]
    assert {(t["status"], t["agentId"]) for t in batch} == {("RUNNING", agent_id)}
    assert request_commands.names.count("commitTransaction") == 1
    claimed = await models.Event.find({"payload.change": "claimed"}).to_list()
    assert sorted(e.task_id or "" for e in claimed) == sorted([urgent, *normal[:2]])

    assert await claim_tasks(gql, key, 10) == []  # no room left
    done = await gql(COMPLETE, {"id": urgent, "r": {}}, key)
    assert "errors" not in done, done
    assert [t["id"] for t in await claim_tasks(gql, key, 10)] == [normal[2]]
    stored = await models.Task.get(low)
    assert stored is not None and stored.status.value == "queued"


async def test_concurrent_batches_share_the_queue_without_overlap(
    gql: GraphQLClient, admin_token: str
) -> None:
    keys = [(await register(gql, admin_token, f"b{i}", [], max_concurrent=4))[1] for i in range(3)]
    queued = {await queued_task(gql, admin_token) for _ in range(10)}
    batches = await asyncio.gather(*(claim_tasks(gql, key, 4) for key in keys))
    ids = [t["id"] for batch in batches for t in batch]
    assert len(ids) == len(set(ids)) == 10 and set(ids) == queued
    assert all(len(batch) <= 4 for batch in batches)


async def test_a_batch_long_polls_until_work_is_queued(
    gql: GraphQLClient, admin_token: str
) -> None:
    _, key = await register(gql, admin_token, "waiter", [], max_concurrent=2)
    waiting = asyncio.create_task(claim_tasks(gql, key, 2, wait=5))
    await asyncio.sleep(0.3)
    task_id = await queued_task(gql, admin_token)
    batch = await asyncio.wait_for(waiting, 5)
    assert [t["id"] for t in batch] == [task_id]


async def test_a_batch_limit_outside_1_to_100_is_refused(
    gql: GraphQLClient, admin_token: str
) -> None:
    _, key = await register(gql, admin_token, "odd", [])
    await queued_task(gql, admin_token)
    for limit in (0, 101):
        body = await gql(CLAIM_TASKS, {"n": limit}, key)
        assert error_codes(body) == ["VALIDATION_ERROR"], body
    assert await models.Task.find({"status": "running"}).count() == 0


async def test_the_python_agent_client_claims_batches(
    gql: GraphQLClient, admin_token: str, server: RunningServer
) -> None:
    _, key = await register(gql, admin_token, "client", [], max_concurrent=4)
    queued = [await queued_task(gql, admin_token) for _ in range(3)]
    client = AgentClient(f"{server.url}/graphql", key)
    try:
        batch = await client.claim_many(4, None, 0)
        assert [task.id for task in batch] == queued
        assert await client.claim_many(4, None, 0) == []
    finally:
        await client.close()


class RecordingClient(AgentClient):
    """The real client, noting each batch it asked for and how many tasks came."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, key)
        self.batches: list[tuple[int, int]] = []

    async def claim_many(
        self, limit: int, capabilities: list[str] | None, wait_seconds: float
    ) -> list[Task]:
        tasks = await super().claim_many(limit, capabilities, wait_seconds)
        self.batches.append((limit, len(tasks)))
        return tasks


async def test_the_worker_claims_for_all_its_free_slots_at_once(
    gql: GraphQLClient, admin_token: str, server: RunningServer, tmp_path: Path
) -> None:
    _, key = await register(gql, admin_token, "slots", ["echo"], max_concurrent=4)
    for _ in range(4):
        await queued_task(gql, admin_token, type="echo", requiredCapabilities=["echo"])
    client = RecordingClient(f"{server.url}/graphql", key)
    options = WorkerOptions(["echo"], concurrency=4, subscribe=False, model_dir=tmp_path)
    worker = Worker(client, options)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(20):
            while worker.completed < 4:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
        await client.close()
    assert client.batches[0] == (4, 4)
    assert await models.Task.find({"status": "completed"}).count() == 4
