"""Reference agents as real processes (`axonql agent`) against a real `axonql serve` process."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import (
    AgentProcess,
    Api,
    ServerProcess,
    admin_token,
    database_client,
    wait_for,
)


@pytest.fixture(scope="module")
async def proc_server(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[ServerProcess, str]]:
    database = f"axonql_proc_{secrets.token_hex(4)}"
    server = await ServerProcess(mongo_url, database, tmp_path_factory.mktemp("proc")).start()
    try:
        yield server, database
    finally:
        server.stop()
        client = database_client(mongo_url)
        await client.drop_database(database)
        await client.close()


@pytest.fixture
async def api(proc_server: tuple[ServerProcess, str], mongo_url: str) -> AsyncIterator[Api]:
    server, database = proc_server
    client = database_client(mongo_url)
    for name in ("tasks", "agents", "events", "api_keys"):
        await client[database][name].delete_many({})
    token = await admin_token(client[database])
    await client.close()
    async with httpx.AsyncClient(timeout=30) as http:
        yield Api(http, server.url, token)


@pytest.fixture
async def db(proc_server: tuple[ServerProcess, str], mongo_url: str) -> AsyncIterator[Any]:
    client = database_client(mongo_url)
    yield client[proc_server[1]]
    await client.close()


@pytest.fixture
def agents(tmp_path: Path) -> Any:
    started: list[AgentProcess] = []

    def start(url: str, key: str, caps: list[str], *extra: str) -> AgentProcess:
        agent = AgentProcess(url, key, caps, tmp_path, *extra).start()
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()


@pytest.mark.timeout(420)
async def test_two_agents_complete_200_tasks_exactly_once(api: Api, db: Any, agents: Any) -> None:
    keys = [await api.register(f"worker-{i}", ["text_processing"]) for i in range(2)]
    for key in keys:
        agents(api.url, key, ["text_processing"], "--concurrency", "4")
    await api.wait_online(2)
    texts: dict[str, str] = {}

    async def submit(i: int) -> None:
        text = f"task number {i} " + "word " * (i % 7)
        params = {"text": text, "operations": ["word_count"]}
        task_id = await api.submit(
            type="text_processing", requiredCapabilities=["text_processing"], parameters=params
        )
        texts[task_id] = text

    for start in range(0, 200, 20):
        await asyncio.gather(*(submit(i) for i in range(start, start + 20)))

    async def all_done() -> bool:
        return int(await db.tasks.count_documents({"status": "completed"})) == 200

    await wait_for(all_done, timeout=240, interval=0.5)

    async def all_announced() -> bool:
        """Each completion's event is written just after the task itself: wait for the last."""
        done = {"type": "TASK_STATE_CHANGED", "payload.change": "completed"}
        return int(await db.events.count_documents(done)) >= 200

    await wait_for(all_announced, timeout=30, interval=0.2)
    tasks = await db.tasks.find({}).to_list()
    assert len(tasks) == 200
    for task in tasks:
        assert task["result"]["reference_implementation"] is True
        assert task["result"]["outputs"]["word_count"] == len(texts[task["_id"]].split())
    events = await db.events.find({"type": "TASK_STATE_CHANGED"}).to_list()
    changes = Counter((e["task_id"], e["payload"]["change"]) for e in events)
    for task_id in texts:  # a claim may repeat only after a lease really expired
        expired = changes[(task_id, "lease_expired")]
        assert changes[(task_id, "claimed")] == 1 + expired
        assert changes[(task_id, "completed")] == 1
    per_agent = Counter(t["agent_id"] for t in tasks)
    assert len(per_agent) == 2, per_agent  # both agents took work
    stats = await api.ok("{ agentStatistics { tasksCompleted online } }")
    assert stats["agentStatistics"] == {"tasksCompleted": 200, "online": 2}


async def test_killed_agent_lease_expires_and_other_agent_finishes(
    api: Api, db: Any, agents: Any
) -> None:
    key_a = await api.register("doomed", ["batch_processing"])
    key_b = await api.register("survivor", ["batch_processing"])
    doomed = agents(api.url, key_a, ["batch_processing"])
    await api.wait_online(1)
    task_id = await api.submit(
        type="batch_processing",
        requiredCapabilities=["batch_processing"],
        parameters={"items": list(range(12)), "batch_size": 1, "step_seconds": 0.25},
    )

    async def running_with_progress() -> dict[str, Any] | None:
        task = await api.task(task_id)
        return task if task["status"] == "RUNNING" and task["progress"] > 0 else None

    first = await wait_for(running_with_progress, timeout=30)
    doomed.kill()  # SIGKILL: no goodbye, the lease just stops being renewed
    agents(api.url, key_b, ["batch_processing"])

    async def completed() -> dict[str, Any] | None:
        task = await api.task(task_id)
        return task if task["status"] == "COMPLETED" else None

    done = await wait_for(completed, timeout=40)
    assert done["agentId"] != first["agentId"]
    assert done["attempts"] == 2
    assert done["result"]["sum"] == sum(i * i for i in range(12))
    expired = await db.events.count_documents(
        {"task_id": task_id, "payload.change": "lease_expired"}
    )
    assert expired == 1


async def test_cancel_reaches_the_running_agent(api: Api, db: Any, agents: Any) -> None:
    key = await api.register("worker", ["echo"], concurrency=1)
    agent = agents(api.url, key, ["echo"])
    await api.wait_online(1)
    slow = await api.submit(
        type="echo", requiredCapabilities=["echo"], parameters={"steps": 100, "step_seconds": 0.1}
    )

    async def progressing() -> bool:
        return int((await api.task(slow))["progress"]) >= 5

    await wait_for(progressing, timeout=30)
    body = await api.ok(
        'mutation($id: ID!) { cancelTask(id: $id, reason: "enough") { status } }', {"id": slow}
    )
    assert body["cancelTask"]["status"] == "CANCELLED"

    async def stopped_in_log() -> bool:
        return "stopped: cancelled" in agent.log()

    await wait_for(stopped_in_log, timeout=10)
    assert "control subscription unavailable" not in agent.log()  # the fast path was used
    after = await api.task(slow)
    assert after["status"] == "CANCELLED" and after["result"] is None
    # the agent is free again (concurrency 1): a new task completes
    quick = await api.submit(type="echo", requiredCapabilities=["echo"], parameters={"n": 1})

    async def quick_done() -> bool:
        return bool((await api.task(quick))["status"] == "COMPLETED")

    await wait_for(quick_done, timeout=20)
    assert (await api.task(slow))["status"] == "CANCELLED"


async def test_pause_holds_the_agent_and_resume_finishes(api: Api, agents: Any) -> None:
    key = await api.register("worker", ["training"], concurrency=1)
    agents(api.url, key, ["training"], "--no-subscribe")  # control through lease renewals only
    await api.wait_online(1)
    task_id = await api.submit(
        type="training",
        requiredCapabilities=["training"],
        parameters={"epochs": 20, "step_seconds": 0.1, "seed": 7},
    )

    async def started() -> bool:
        return int((await api.task(task_id))["progress"]) >= 10

    await wait_for(started, timeout=30)
    await api.ok("mutation($id: ID!) { pauseTask(id: $id) { status } }", {"id": task_id})
    await asyncio.sleep(2.0)  # the agent learns of the pause within one renewal (0.3 s)
    held = (await api.task(task_id))["progress"]
    await asyncio.sleep(1.5)
    assert (await api.task(task_id))["progress"] == held
    assert (await api.task(task_id))["status"] == "PAUSED"
    await api.ok("mutation($id: ID!) { resumeTask(id: $id) { status } }", {"id": task_id})

    async def done() -> dict[str, Any] | None:
        task = await api.task(task_id)
        return task if task["status"] == "COMPLETED" else None

    finished = await wait_for(done, timeout=30)
    assert len(finished["result"]["history"]) == 20
    assert finished["attempts"] == 1


async def test_real_agent_respects_priorities(api: Api, agents: Any) -> None:
    key = await api.register("solo", ["echo"], concurrency=1)
    order = ["LOW", "MEDIUM", "CRITICAL", "HIGH", "LOW", "CRITICAL"]
    ids = [await api.queue(type="echo", priority=p, requiredCapabilities=["echo"]) for p in order]
    agents(api.url, key, ["echo"])

    async def all_done() -> list[dict[str, Any]] | None:
        tasks = [await api.task(i) for i in ids]
        return tasks if all(t["status"] == "COMPLETED" for t in tasks) else None

    tasks = await wait_for(all_done, timeout=30)
    by_start = sorted(zip(tasks, order, strict=True), key=lambda pair: pair[0]["startedAt"])
    assert [p for _, p in by_start] == ["CRITICAL", "CRITICAL", "HIGH", "MEDIUM", "LOW", "LOW"]
    assert [t["id"] for t, p in by_start if p == "CRITICAL"] == [ids[2], ids[5]]


async def test_reference_handlers_are_deterministic(api: Api, agents: Any) -> None:
    caps = ["matriz", "drift_simulation"]
    key = await api.register("ref", caps)
    agents(api.url, key, caps, "--concurrency", "2")
    await api.wait_online(1)
    params = {"experimental_condition": "STRESS", "duration_days": 30, "seed": 4}
    sims = [
        await api.submit(
            type="drift_simulation", requiredCapabilities=["drift_simulation"], parameters=params
        )
        for _ in range(2)
    ]
    matriz = await api.submit(
        type="matriz",
        requiredCapabilities=["matriz"],
        parameters={"input": "Explain quantum entanglement"},
    )

    async def done() -> list[dict[str, Any]] | None:
        tasks = [await api.task(i) for i in [*sims, matriz]]
        return tasks if all(t["status"] == "COMPLETED" for t in tasks) else None

    a, b, m = await wait_for(done, timeout=30)
    assert a["result"] == b["result"]
    assert a["result"]["handler"] == "reference.drift_simulation"
    summary = a["result"]["results_summary"]
    assert set(summary["baseline_assessments"]) == {"phq9", "gad7", "pss10"}
    stages = [s["stage"] for s in m["result"]["matriz_pipeline_trace"]]
    assert stages == ["memory", "attention", "thought", "risk", "intent", "action"]
    assert m["result"]["response"].startswith("[reference pipeline")


async def test_agent_reconnects_after_the_server_restarts(
    proc_server: tuple[ServerProcess, str], mongo_url: str, api: Api, agents: Any, tmp_path: Path
) -> None:
    _, database = proc_server
    key = await api.register("patient", ["echo"])
    second = await ServerProcess(mongo_url, database, tmp_path / "second").start()
    try:
        agent = agents(second.url, key, ["echo"])
        await api.wait_online(1)
        second.stop(9)  # the agent's server vanishes mid-long-poll
        await asyncio.sleep(1.5)
        assert agent.process is not None and agent.process.poll() is None  # still running
        second.process = None
        await second.start()  # same port, fresh process

        async def reconnected() -> bool:
            return "online with" in agent.log().split("server unreachable")[-1]

        await wait_for(reconnected, timeout=30, interval=0.3)
        task_id = await api.submit(type="echo", requiredCapabilities=["echo"])

        async def done() -> bool:
            return bool((await api.task(task_id))["status"] == "COMPLETED")

        await wait_for(done, timeout=30)
    finally:
        second.stop()


async def test_event_triggered_automation_runs_on_a_real_agent(
    api: Api, db: Any, agents: Any
) -> None:
    key = await api.register("automator", ["automation"])
    now = datetime.now(UTC)
    await db.tasks.insert_one(
        {
            "_id": "task_automation_e2e",
            "name": "On alert",
            "type": "data_processing",
            "status": "created",
            "is_automation": True,
            "required_capabilities": ["automation"],
            "triggers": [{"type": "event", "value": "system.alert", "next_trigger": None}],
            "steps": [
                {"name": "collect", "type": "extract", "parameters": {}},
                {"name": "notify", "type": "store", "parameters": {}},
            ],
            "created_at": now,
            "updated_at": now,
        }
    )
    agents(api.url, key, ["automation"])
    await api.wait_online(1)
    await asyncio.sleep(0.5)  # the scheduler has started watching events
    await api.ok(
        'mutation { raiseSystemAlert(input: {message: "disk", severity: WARNING}) { id } }'
    )

    async def run_done() -> dict[str, Any] | None:
        run = await db.tasks.find_one({"parent_id": "task_automation_e2e"})
        return run if run and run["status"] == "completed" else None

    run = await wait_for(run_done, timeout=30)
    assert [s["name"] for s in run["result"]["steps"]] == ["collect", "notify"]
    assert run["result"]["trigger"]["value"] == "SYSTEM_ALERT"
    assert await db.tasks.count_documents({"parent_id": "task_automation_e2e"}) == 1


async def test_handler_past_the_agent_timeout_fails_with_the_reason(api: Api, agents: Any) -> None:
    key = await api.register("strict", ["echo"], concurrency=1, timeout=1)
    agents(api.url, key, ["echo"])
    await api.wait_online(1)
    task_id = await api.submit(
        type="echo",
        requiredCapabilities=["echo"],
        parameters={"steps": 20, "step_seconds": 0.2},
        maxAttempts=2,
    )

    async def failed() -> dict[str, Any] | None:
        task = await api.task(task_id)
        return task if task["status"] == "FAILED" else None

    task = await wait_for(failed, timeout=40)
    assert task["attempts"] == 2  # retried once, then out of attempts
    assert "exceeded the agent timeout of 1 s" in task["error"]


async def test_stopped_agent_hands_its_task_back_at_once(api: Api, agents: Any) -> None:
    key = await api.register("leaving", ["echo"], concurrency=1)
    leaving = agents(api.url, key, ["echo"])
    await api.wait_online(1)
    task_id = await api.submit(
        type="echo", requiredCapabilities=["echo"], parameters={"steps": 50, "step_seconds": 0.2}
    )

    async def running() -> bool:
        return int((await api.task(task_id))["progress"]) > 0

    await wait_for(running, timeout=30)
    leaving.stop()  # SIGTERM: a clean goodbye
    task = await api.task(task_id)
    assert task["status"] == "QUEUED", task  # back in the queue without waiting for the lease
    assert "handed back" in task["error"]
