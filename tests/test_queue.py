"""The work queue over real HTTP: claims, priorities, leases, retries, control, statistics."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import httpx
import pytest

from axonql import models
from axonql.models.base import utcnow
from axonql.services import queue
from axonql.settings import Settings
from tests.agents_support import (
    CLAIM,
    COMPLETE,
    FAIL,
    PROGRESS,
    claim,
    queued_task,
    register,
)
from tests.support import GraphQLClient, RequestCommands, RunningServer, error_codes


async def test_register_returns_a_working_agent_key(gql: GraphQLClient, admin_token: str) -> None:
    agent_id, key = await register(gql, admin_token, "alpha", ["text", "batch"])
    assert agent_id.startswith("agent_") and key.startswith("axk.")
    body = await gql(
        "query($id: ID!) { agent(id: $id) { status lastHeartbeat capabilities } }",
        {"id": agent_id},
        key,
    )
    assert body["data"]["agent"]["status"] == "IDLE"
    assert body["data"]["agent"]["lastHeartbeat"] is not None
    # a user token cannot claim: claiming is for agents
    body = await gql("mutation { claimTask { id } }", token=admin_token)
    assert error_codes(body) == ["AUTHORIZATION_DENIED"]


async def test_priority_then_age(gql: GraphQLClient, admin_token: str) -> None:
    _, key = await register(gql, admin_token, "w", [], max_concurrent=10)
    low = await queued_task(gql, admin_token, priority="LOW")
    med1 = await queued_task(gql, admin_token, priority="MEDIUM")
    crit = await queued_task(gql, admin_token, priority="CRITICAL")
    med2 = await queued_task(gql, admin_token, priority="MEDIUM")
    high = await queued_task(gql, admin_token, priority="HIGH")
    order = []
    for _ in range(5):
        task = await claim(gql, key)
        assert task is not None
        order.append(task["id"])
    assert order == [crit, high, med1, med2, low]
    assert await claim(gql, key) is None


async def test_capabilities_must_all_be_offered(gql: GraphQLClient, admin_token: str) -> None:
    _, text_key = await register(gql, admin_token, "text-only", ["text"])
    _, both_key = await register(gql, admin_token, "both", ["text", "gpu"])
    needs_both = await queued_task(gql, admin_token, requiredCapabilities=["text", "gpu"])
    assert await claim(gql, text_key) is None
    got = await claim(gql, both_key)
    assert got is not None and got["id"] == needs_both
    # claiming with a capability the agent does not advertise is a clear error
    body = await gql('mutation { claimTask(capabilities: ["gpu"]) { id } }', token=text_key)
    assert error_codes(body) == ["UNKNOWN_CAPABILITY"]
    assert body["errors"][0]["extensions"]["status"] == 422
    # queueing work that no registered agent could ever run is refused
    created = await gql(
        'mutation { createTask(input: {name: "x", requiredCapabilities: ["quantum"]}) { id } }',
        token=admin_token,
    )
    task_id = created["data"]["createTask"]["id"]
    body = await gql(
        "mutation($id: ID!) { queueTask(id: $id) { id } }", {"id": task_id}, admin_token
    )
    assert error_codes(body) == ["UNKNOWN_CAPABILITY"]
    assert body["errors"][0]["extensions"]["details"]["unknown"] == ["quantum"]
    stored = await models.Task.get(task_id)
    assert stored is not None and stored.status.value == "created"


async def test_concurrent_claims_never_share_a_task(gql: GraphQLClient, admin_token: str) -> None:
    keys = [
        (await register(gql, admin_token, f"a{i}", [], max_concurrent=100))[1] for i in range(4)
    ]
    ids = {await queued_task(gql, admin_token) for _ in range(30)}
    claimed: list[str] = []

    async def worker(key: str) -> None:
        while (task := await claim(gql, key)) is not None:
            claimed.append(task["id"])

    await asyncio.gather(*(worker(k) for k in keys))
    assert sorted(claimed) == sorted(ids)


async def test_only_the_lease_holder_reports_and_completes(
    gql: GraphQLClient, admin_token: str
) -> None:
    _, key_a = await register(gql, admin_token, "a", [])
    _, key_b = await register(gql, admin_token, "b", [])
    task_id = await queued_task(gql, admin_token)
    assert (await claim(gql, key_a)) is not None
    for doc, variables in (
        (COMPLETE, {"id": task_id, "r": {}}),
        (PROGRESS, {"id": task_id, "p": 5}),
    ):
        body = await gql(doc, variables, key_b)
        assert error_codes(body) == ["AUTHORIZATION_DENIED"], body
    body = await gql(PROGRESS, {"id": task_id, "p": 101}, key_a)
    assert error_codes(body) == ["VALIDATION_ERROR"]
    body = await gql(PROGRESS, {"id": task_id, "p": 40, "m": "halfway"}, key_a)
    assert body["data"]["reportProgress"]["progress"] == 40
    body = await gql(COMPLETE, {"id": task_id, "r": {"answer": 42}}, key_a)
    assert body["data"]["completeTask"]["status"] == "COMPLETED"


async def test_progress_renews_the_lease(gql: GraphQLClient, admin_token: str) -> None:
    _, key = await register(gql, admin_token, "a", [])
    task_id = await queued_task(gql, admin_token)
    first = await claim(gql, key)
    assert first is not None
    await asyncio.sleep(0.05)
    renewed = await gql(PROGRESS, {"id": task_id, "p": 10}, key)
    assert renewed["data"]["reportProgress"]["leaseExpiresAt"] > first["leaseExpiresAt"]


async def test_expired_lease_requeues_then_fails_with_last_error(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    _, key = await register(gql, admin_token, "a", [])
    task_id = await queued_task(gql, admin_token, maxAttempts=2)
    collection = models.Task.get_pymongo_collection()
    past = utcnow() - timedelta(seconds=1)

    assert (await claim(gql, key)) is not None
    await gql(FAIL, {"id": task_id, "e": "disk full"}, key)  # attempt 1 failed → re-queued
    task = await models.Task.get(task_id)
    assert task is not None and task.status.value == "queued" and task.error == "disk full"

    assert (await claim(gql, key)) is not None  # attempt 2, then the agent goes silent
    await collection.update_one({"_id": task_id}, {"$set": {"lease_expires_at": past}})
    await queue.reap_expired(settings)  # the server's own reaper may get there first
    task = await models.Task.get(task_id)
    assert task is not None and task.status.value == "failed" and task.attempts == 2
    assert "attempts exhausted" in (task.error or "")


async def test_expired_lease_requeues_with_attempt_count(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    agent_a, key_a = await register(gql, admin_token, "a", [])
    _, key_b = await register(gql, admin_token, "b", [])
    task_id = await queued_task(gql, admin_token)
    assert (await claim(gql, key_a)) is not None
    await models.Task.get_pymongo_collection().update_one(
        {"_id": task_id}, {"$set": {"lease_expires_at": utcnow() - timedelta(seconds=1)}}
    )
    await queue.reap_expired(settings)  # the server's own reaper may get there first
    task = await models.Task.get(task_id)
    assert task is not None and task.status.value == "queued" and task.agent_id is None
    assert agent_a in (task.error or "")
    again = await claim(gql, key_b)
    assert again is not None and again["attempts"] == 2
    # the agent whose lease ran out can no longer finish it
    body = await gql(COMPLETE, {"id": task_id, "r": {}}, key_a)
    assert error_codes(body) == ["AUTHORIZATION_DENIED"]


async def test_fail_without_retry_and_statistics(gql: GraphQLClient, admin_token: str) -> None:
    agent_id, key = await register(gql, admin_token, "a", [])
    ok = await queued_task(gql, admin_token, type="text")
    bad = await queued_task(gql, admin_token, type="text")
    await queued_task(gql, admin_token)
    assert (await claim(gql, key)) is not None
    await gql(COMPLETE, {"id": ok, "r": {"n": 1}}, key)
    assert (await claim(gql, key)) is not None
    body = await gql(FAIL, {"id": bad, "e": "bad input", "retry": False}, key)
    assert body["data"]["failTask"]["status"] == "FAILED"

    stats = await gql(
        "{ taskStatistics { total queued completed failed successRate averageDurationSeconds"
        " byStatus { status count } } }",
        token=admin_token,
    )
    s = stats["data"]["taskStatistics"]
    assert (s["total"], s["queued"], s["completed"], s["failed"]) == (3, 1, 1, 1)
    assert s["successRate"] == 0.5
    typed = await gql('{ taskStatistics(filter: {type: "text"}) { total } }', token=admin_token)
    assert typed["data"]["taskStatistics"]["total"] == 2
    agents = await gql(
        "{ agentStatistics { total online tasksCompleted tasksFailed tasksFinished } }",
        token=admin_token,
    )
    assert agents["data"]["agentStatistics"] == {
        "total": 1,
        "online": 1,
        "tasksCompleted": 1,
        "tasksFailed": 1,
        "tasksFinished": 2,
    }
    one = await gql(
        "query($id: ID!) { task(id: $id) { statistics { totalRuns successfulRuns } } }",
        {"id": ok},
        admin_token,
    )
    assert one["data"]["task"]["statistics"] == {"totalRuns": 1, "successfulRuns": 1}
    agent = await models.Agent.get(agent_id)
    assert agent is not None and agent.statistics.total_tasks_completed == 2


async def test_pause_and_resume_reach_the_agent(gql: GraphQLClient, admin_token: str) -> None:
    _, key = await register(gql, admin_token, "a", [])
    task_id = await queued_task(gql, admin_token)
    assert (await claim(gql, key)) is not None
    paused = await gql(
        "mutation($id: ID!) { pauseTask(id: $id) { status } }", {"id": task_id}, admin_token
    )
    assert paused["data"]["pauseTask"]["status"] == "PAUSED"
    report = await gql(PROGRESS, {"id": task_id, "p": 30}, key)
    assert report["data"]["reportProgress"]["status"] == "PAUSED"
    resumed = await gql(
        "mutation($id: ID!) { resumeTask(id: $id) { status } }", {"id": task_id}, admin_token
    )
    assert resumed["data"]["resumeTask"]["status"] == "RUNNING"
    report = await gql(PROGRESS, {"id": task_id, "p": 60}, key)
    assert report["data"]["reportProgress"]["status"] == "RUNNING"


async def test_agent_goes_offline_when_silent(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    agent_id, key = await register(gql, admin_token, "a", [])
    old = utcnow() - timedelta(seconds=settings.agent_offline_after_seconds + 5)
    await models.Agent.get_pymongo_collection().update_one(
        {"_id": agent_id}, {"$set": {"last_heartbeat": old}}
    )
    await queue.mark_offline_agents(settings)
    agent = await models.Agent.get(agent_id)
    assert agent is not None and agent.status.value == "offline"
    beat = await gql("mutation { agentHeartbeat { status } }", token=key)
    assert beat["data"]["agentHeartbeat"]["status"] == "IDLE"


async def test_an_agent_at_capacity_waits_instead_of_claiming(
    gql: GraphQLClient, admin_token: str
) -> None:
    _, key = await register(gql, admin_token, "one-at-a-time", [], max_concurrent=1)
    first = await queued_task(gql, admin_token)
    await queued_task(gql, admin_token)
    assert (await claim(gql, key))["id"] == first  # type: ignore[index]
    started = asyncio.get_running_loop().time()
    assert await claim(gql, key, wait=0.5) is None  # the second task stays queued
    assert asyncio.get_running_loop().time() - started >= 0.45  # a long-poll, not a spin
    await gql(COMPLETE, {"id": first, "r": {}}, key)
    assert await claim(gql, key) is not None


async def test_a_long_poll_whose_caller_hung_up_claims_nothing(
    gql: GraphQLClient, admin_token: str, server: RunningServer
) -> None:
    """An agent that dies while waiting for work must not be leased the next task: it would sit
    out its lease unrun."""
    _, key = await register(gql, admin_token, "gone", [])
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as doomed:
        waiting = asyncio.create_task(
            GraphQLClient(doomed)(CLAIM, {"wait": 10.0}, key)  # long-polls on the server
        )
        await asyncio.sleep(0.3)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    await asyncio.sleep(0.2)  # the connection is closed
    task_id = await queued_task(gql, admin_token)  # wakes the server's waiting claim
    await asyncio.sleep(1.5)  # past the claim's next poll too
    stored = await models.Task.get(task_id)
    assert stored is not None and stored.status.value == "queued", stored
    assert await models.Event.find({"payload.change": "claimed"}).count() == 0


async def test_uptime_grows_with_heartbeats(gql: GraphQLClient, admin_token: str) -> None:
    agent_id, key = await register(gql, admin_token, "steady", ["text"])
    await asyncio.sleep(0.3)
    beat = await gql("mutation { agentHeartbeat { statistics { uptime } } }", token=key)
    assert beat["data"]["agentHeartbeat"]["statistics"]["uptime"] >= 0.25
    body = await gql(
        'mutation { agentHeartbeat(capabilities: ["text", "gpu"]) { capabilities } }', token=key
    )
    assert body["data"]["agentHeartbeat"]["capabilities"] == ["text", "gpu"]
    stored = await models.Agent.get(agent_id)
    assert stored is not None and stored.capabilities == ["text", "gpu"]


async def test_concurrent_claimers_on_one_instance_take_different_tasks_without_conflict(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """Eight agents claiming at once each lease a different task of the head, and no claim's
    transaction is rolled back for meeting another on one task (`queue.ClaimsInFlight`)."""
    keys = [(await register(gql, admin_token, f"w{i}", []))[1] for i in range(8)]
    queued = {await queued_task(gql, admin_token) for _ in range(8)}
    request_commands.names.clear()
    claimed = await asyncio.gather(*(claim(gql, key) for key in keys))
    assert {task["id"] for task in claimed if task is not None} == queued
    assert "abortTransaction" not in request_commands.names


async def test_a_claim_that_finds_the_head_being_taken_counts_no_room(
    gql: GraphQLClient, admin_token: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claimer that finds every task of the head being taken by this instance's other
    claimers gives up at once: it does not count the agent's active tasks first."""
    agent_id, _ = await register(gql, admin_token, "w", [])
    task_id = await queued_task(gql, admin_token)
    agent = await models.Agent.get(agent_id)
    assert agent is not None
    counted: list[str] = []
    real_room = queue.room

    async def counting(agent: models.Agent, session: Any = None) -> int:
        counted.append(agent.id)
        return await real_room(agent, session)

    monkeypatch.setattr(queue, "room", counting)
    in_flight = queue.ClaimsInFlight()
    in_flight.take(task_id)
    assert await queue.claim(settings, agent, [], in_flight) is None
    assert counted == []

    in_flight.release([task_id])
    claimed = await queue.claim(settings, agent, [], queue.ClaimsInFlight())
    assert claimed is not None and claimed.id == task_id and counted == [agent_id]
