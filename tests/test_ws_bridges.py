"""Legacy WebSocket streams with a real client: authenticate as each document says, change
something through GraphQL over HTTP, and read the documented message off the socket."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from axonql import models
from axonql.app import create_app
from axonql.models.base import utcnow
from axonql.services.events import emit
from axonql.settings import Settings
from tests.agents_support import CLAIM, PROGRESS, register
from tests.processes import AgentProcess
from tests.support import GraphQLClient, RunningServer, extra_server, token_for
from tests.ws_client import _small_window_socket

CONSCIOUSNESS = """
mutation($level: Float, $state: String) {
  updateConsciousness(level: $level, awarenessState: $state) { consciousnessLevel }
}"""
ALERT = "mutation($input: SystemAlertInput!) { raiseSystemAlert(input: $input) { id } }"
LOG = "mutation($input: LogEntryInput!) { writeLogEntry(input: $input) { id } }"
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"
QUEUE_TASK = "mutation($id: ID!) { queueTask(id: $id) { id } }"


class Socket:
    """A `websockets` client that reads JSON messages with a deadline."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(
            await asyncio.wait_for(self.connection.recv(), timeout)
        )
        return message

    async def next_of(self, kind: str, key: str = "type", timeout: float = 10.0) -> dict[str, Any]:
        """The next message whose `key` is `kind` (others, such as status ticks, are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.recv(max(0.1, deadline - time.monotonic()))
            if message.get(key) == kind:
                return message

    async def closed_with(self, timeout: float = 10.0) -> int | None:
        """Read until the server closes; its close code."""
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), timeout)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None


@pytest.fixture
async def ws(server: RunningServer) -> AsyncIterator[Any]:
    """`await ws(path, token=…, header=…)` opens a socket; all are closed after the test."""
    opened: list[ClientConnection] = []

    async def open_socket(path: str, token: str | None = None, header: str | None = None) -> Socket:
        url = server.ws_url + path + (f"?token={token}" if token else "")
        headers = {"Authorization": f"Bearer {header}"} if header else None
        connection = await connect(url, additional_headers=headers, open_timeout=10)
        opened.append(connection)
        return Socket(connection)

    yield open_socket
    for connection in opened:
        await connection.close()


async def ok(gql: GraphQLClient, query: str, variables: dict[str, Any], token: str) -> Any:
    body = await gql(query, variables, token)
    assert "errors" not in body, body
    return body["data"]


def is_utc(value: str) -> bool:
    return value.endswith("Z") and "T" in value


# --- SynapticOS: /api/v2/ws ---------------------------------------------------------------


async def test_synapticos_authenticate_then_consciousness_alerts_and_learning(
    ws: Any, gql: GraphQLClient, admin_token: str
) -> None:
    socket = await ws("/api/v2/ws")
    await socket.send({"type": "authenticate", "token": admin_token})
    hello = await socket.recv()
    assert hello["type"] == "authenticated" and hello["data"]["user_id"] == "user_admin"

    before = (await ok(gql, "{ system { consciousnessLevel } }", {}, admin_token))["system"]
    await ok(gql, CONSCIOUSNESS, {"level": 0.82}, admin_token)
    update = await socket.next_of("consciousness_update")
    assert set(update["data"]) == {"consciousness_level", "change", "reason", "timestamp"}
    assert update["data"]["consciousness_level"] == 0.82
    assert update["data"]["change"] == pytest.approx(0.82 - before["consciousnessLevel"], abs=1e-4)
    assert update["data"]["reason"] in (
        "consciousness_level_increase",
        "consciousness_level_decrease",
    )
    assert is_utc(update["data"]["timestamp"])

    alert = {
        "alertType": "performance_degradation",
        "severity": "MEDIUM",
        "component": "neural_darwinism_engine",
        "message": "Response time increased above threshold",
        "recommendedAction": "check_system_resources",
    }
    await ok(gql, ALERT, {"input": alert}, admin_token)
    message = await socket.next_of("system_alert")
    timestamp = message["data"].pop("timestamp")
    assert is_utc(timestamp)
    assert message == {
        "type": "system_alert",
        "data": {
            "alert_type": "performance_degradation",
            "severity": "medium",
            "component": "neural_darwinism_engine",
            "message": "Response time increased above threshold",
            "recommended_action": "check_system_resources",
        },
    }

    await ok(
        gql,
        "mutation($u: ID!, $i: UserContextInput!) { createUserContext(userId: $u, input: $i)"
        " { userId } }",
        {"u": "user123", "i": {"skillLevels": {"python": "intermediate"}}},
        admin_token,
    )
    progress = {
        "moduleId": "python_functions",
        "progressPercentage": 75,
        "timeSpentSeconds": 1800,
        "exercisesCompleted": 8,
        "exercisesTotal": 12,
    }
    await ok(
        gql,
        "mutation($u: ID!, $i: UserProgressInput!) { updateUserProgress(userId: $u, input: $i)"
        " { progressUpdated } }",
        {"u": "user123", "i": progress},
        admin_token,
    )
    learning = await socket.next_of("learning_progress")
    assert learning == {
        "type": "learning_progress",
        "data": {
            "user_id": "user123",
            "session_id": None,
            "module_id": "python_functions",
            "progress": 0.75,
            "time_spent": 1800,
            "current_exercise": 8,
            "total_exercises": 12,
        },
    }


async def test_synapticos_refuses_unauthenticated_and_bad_tokens(ws: Any) -> None:
    socket = await ws("/api/v2/ws")
    await socket.send({"type": "subscribe"})
    refused = await socket.recv()
    assert refused["type"] == "error"
    assert refused["error"]["code"] == "AUTHENTICATION_FAILED"
    assert set(refused["error"]) == {"code", "message", "details"}
    assert await socket.closed_with() == 4401

    socket = await ws("/api/v2/ws")
    await socket.send({"type": "authenticate", "token": "not-a-token"})
    refused = await socket.recv()
    assert refused["error"]["code"] == "AUTHENTICATION_FAILED"
    assert await socket.closed_with() == 4401


async def test_synapticos_streams_follow_the_callers_scopes(
    ws: Any, gql: GraphQLClient, settings: Settings, admin_token: str
) -> None:
    """A reader without `user:manage` is told learning progress is not for them; alerts flow."""
    reader = await token_for(settings, ["consciousness:read"], user_id="user_reader")
    socket = await ws("/api/v2/ws", header=reader)
    first = {m["type"]: m for m in [await socket.recv(), await socket.recv()]}
    assert set(first) == {"authenticated", "error"}
    denied = first["error"]
    assert denied["error"]["code"] == "AUTHORIZATION_DENIED"
    assert denied["error"]["details"]["stream"] == "learning_progress"
    await ok(gql, ALERT, {"input": {"message": "disk", "severity": "HIGH"}}, admin_token)
    alert = await socket.next_of("system_alert")
    assert alert["data"]["severity"] == "high" and alert["data"]["message"] == "disk"


# --- OCTOSPINE: /ws ---------------------------------------------------------------------------


async def test_octospine_task_progress_alerts_and_logs(
    ws: Any, gql: GraphQLClient, admin_token: str
) -> None:
    agent_id, key = await register(gql, admin_token, "worker", ["etl"])
    task_id = (await ok(gql, CREATE_TASK, {"input": {"name": "etl", "type": "data_processing",
        "requiredCapabilities": ["etl"]}}, admin_token))["createTask"]["id"]  # fmt: skip
    other = (await ok(gql, CREATE_TASK, {"input": {"name": "x"}}, admin_token))["createTask"]["id"]

    socket = await ws("/ws", token=admin_token)
    await socket.send(
        {
            "action": "subscribe",
            "events": ["task.progress", "alert.new", "log.entry"],
            "filters": {"task_id": task_id},
        }
    )
    ack = await socket.recv()
    assert ack == {
        "type": "subscribed",
        "data": {
            "events": ["task.progress", "alert.new", "log.entry"],
            "filters": {"task_id": task_id},
        },
    }
    await ok(gql, QUEUE_TASK, {"id": other}, admin_token)  # another task: filtered out
    await ok(gql, QUEUE_TASK, {"id": task_id}, admin_token)
    queued = await socket.next_of("task.progress")
    assert queued["data"]["task_id"] == task_id and queued["data"]["status"] == "queued"
    assert queued["data"]["progress"] == 0
    await ok(gql, CLAIM, {"caps": ["etl"]}, key)
    await socket.next_of("task.progress")  # running
    await ok(gql, PROGRESS, {"id": task_id, "p": 75}, key)
    progress = await socket.next_of("task.progress")
    while progress["data"]["progress"] != 75:
        progress = await socket.next_of("task.progress")
    timestamp = progress["data"].pop("timestamp")
    assert is_utc(timestamp)
    assert progress == {
        "type": "task.progress",
        "data": {"task_id": task_id, "progress": 75, "status": "running"},
    }

    await ok(gql, ALERT, {"input": {"message": "High CPU usage detected", "severity": "WARNING"}},
             admin_token)  # fmt: skip
    alert = await socket.next_of("alert.new")
    assert set(alert["data"]) == {"alert_id", "severity", "message", "timestamp"}
    assert alert["data"]["severity"] == "warning"
    assert alert["data"]["message"] == "High CPU usage detected"
    assert alert["data"]["alert_id"].startswith("evt_")

    entry = {"message": "Task completed successfully", "taskId": task_id, "agentId": agent_id}
    await ok(gql, LOG, {"input": entry}, admin_token)
    log = await socket.next_of("log.entry")
    assert is_utc(log["data"].pop("timestamp"))
    assert log == {
        "type": "log.entry",
        "data": {
            "level": "info",
            "message": "Task completed successfully",
            "context": {"task_id": task_id, "agent_id": agent_id},
        },
    }

    await socket.send({"action": "unsubscribe", "events": ["alert.new"]})
    assert (await socket.next_of("unsubscribed"))["data"] == {"events": ["alert.new"]}


async def test_octospine_system_status_is_sent_on_subscribe(ws: Any, admin_token: str) -> None:
    socket = await ws("/ws", header=admin_token)
    await socket.send({"action": "subscribe", "events": ["system.status"]})
    status = await socket.next_of("system.status")
    assert set(status["data"]) == {"timestamp", "status", "metrics"}
    assert status["data"]["status"] == "healthy"
    assert set(status["data"]["metrics"]) == {"cpu_usage", "memory_usage", "disk_usage"}


async def test_octospine_bad_messages_and_missing_auth(ws: Any, admin_token: str) -> None:
    socket = await ws("/ws", token=admin_token)
    await socket.send({"action": "subscribe", "events": ["task.explode"]})
    error = await socket.recv()
    assert error["type"] == "error" and error["success"] is False
    assert error["error"]["code"] == "VALIDATION_ERROR"
    assert error["error"]["details"]["allowed"] == [
        "system.status",
        "task.progress",
        "alert.new",
        "log.entry",
    ]
    assert {"timestamp", "request_id"} <= set(error)
    await socket.send({"action": "subscribe", "events": ["task.progress"], "filters": {"x": "1"}})
    assert (await socket.recv())["error"]["code"] == "VALIDATION_ERROR"
    await socket.send({"hello": "there"})
    assert (await socket.recv())["error"]["code"] == "INVALID_REQUEST"
    await socket.connection.send("{not json")
    assert (await socket.recv())["error"]["code"] == "INVALID_REQUEST"

    anonymous = await ws("/ws")
    await anonymous.send({"action": "subscribe", "events": ["alert.new"]})
    refused = await anonymous.recv()
    assert refused["success"] is False and refused["error"]["code"] == "AUTHENTICATION_FAILED"
    assert await anonymous.closed_with() == 4401

    late = await ws("/ws")
    await late.send({"action": "authenticate", "token": admin_token})
    assert (await late.recv())["type"] == "authenticated"
    await late.send({"action": "subscribe", "events": ["alert.new"]})
    assert (await late.recv())["type"] == "subscribed"


# --- NexusNet: /ws ----------------------------------------------------------------------------


async def test_nexusnet_process_without_a_capable_agent_is_service_unavailable(
    ws: Any, admin_token: str
) -> None:
    socket = await ws("/ws", token=admin_token)
    await socket.send(
        {"type": "process", "data": {"input_data": "Your input here", "input_type": "text"}}
    )
    error = await socket.recv(timeout=15)
    assert error["type"] == "error"
    assert set(error["error"]) == {"code", "message", "details", "timestamp", "request_id"}
    assert error["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["error"]["details"]["reason"] == "NO_CAPABLE_AGENT"
    assert error["error"]["details"]["required_capabilities"] == ["text_processing"]
    assert await models.Task.find_all().count() == 0

    await socket.send({"input_data": "   ", "input_type": "text"})
    invalid = await socket.recv()
    assert invalid["error"]["code"] == "INVALID_INPUT"
    assert invalid["error"]["details"] == {
        "field": "input_data",
        "reason": "Input data cannot be empty",
    }

    anonymous = await ws("/ws")
    await anonymous.send({"input_data": "hi"})
    refused = await anonymous.recv()
    assert refused["error"]["code"] == "UNAUTHORIZED" and "request_id" in refused["error"]
    assert await anonymous.closed_with() == 4401


async def test_nexusnet_process_returns_the_reference_agents_result(
    ws: Any, gql: GraphQLClient, admin_token: str, server: RunningServer, tmp_path: Path
) -> None:
    _, key = await register(gql, admin_token, "text-worker", ["text_processing"], heartbeat=False)
    agent = AgentProcess(f"{server.url}/graphql", key, ["text_processing"], tmp_path).start()
    try:
        deadline = time.monotonic() + 60
        while not await models.Agent.find({"last_heartbeat": {"$ne": None}}).count():
            assert time.monotonic() < deadline, agent.log()
            await asyncio.sleep(0.2)
        socket = await ws("/ws", token=admin_token)
        await socket.send(
            {
                "id": "m1",
                "input_data": "Process this in real-time",
                "input_type": "text",
                "options": {"stream": True},
            }
        )
        answer = await socket.recv(timeout=40)
        assert answer["type"] == "result", answer
        assert answer["id"] == "m1"
        data = answer["data"]
        assert set(data) == {"output", "processing_time", "metadata"}
        assert isinstance(data["output"], str)  # NexusNet documents a string
        assert "4 words" in data["output"]  # the agent's own measurement of the input
        assert data["metadata"]["reference_implementation"] is True
        assert data["metadata"]["handler"] == "reference.text_processing"
        assert isinstance(data["processing_time"], float) and data["processing_time"] >= 0
        task = await models.Task.get(data["metadata"]["task_id"])
        assert task is not None and task.status == "completed" and task.type == "process"
    finally:
        agent.stop()


# --- LUKHAS: /v1/stream/* ---------------------------------------------------------------------


async def test_lukhas_consciousness_stream(ws: Any, gql: GraphQLClient, admin_token: str) -> None:
    socket = await ws("/v1/stream/consciousness")
    await socket.send(
        {"action": "subscribe", "streams": ["awareness", "reflection"], "auth_token": admin_token}
    )
    assert await socket.recv() == {"type": "subscribed", "streams": ["awareness", "reflection"]}
    await ok(gql, CONSCIOUSNESS, {"level": 0.82, "state": "FOCUSED"}, admin_token)
    update = await socket.next_of("awareness", key="stream")
    stamp = update.pop("timestamp")
    assert is_utc(stamp) and len(stamp.split(".")[-1]) == 4  # milliseconds: ".123Z"
    assert update == {
        "stream": "awareness",
        "data": {"state": "FOCUSED", "level": 0.82, "attention_shift": None},
    }
    await socket.send({"action": "subscribe", "streams": ["dreams"]})
    error = await socket.recv()
    assert error["error"]["code"] == "VALIDATION_ERROR"
    assert {"code", "message", "details", "trace_id", "timestamp"} == set(error["error"])

    token_first = await ws("/v1/stream/consciousness")
    await token_first.send({"auth_token": admin_token})
    await token_first.send({"action": "subscribe", "streams": ["awareness"]})
    assert await token_first.recv() == {"type": "subscribed", "streams": ["awareness"]}

    refused = await ws("/v1/stream/consciousness")
    await refused.send({"action": "subscribe", "streams": ["awareness"], "auth_token": "bad"})
    assert (await refused.recv())["error"]["code"] == "INVALID_TOKEN"
    assert await refused.closed_with() == 4401


async def test_lukhas_memory_drift_stream(ws: Any, gql: GraphQLClient, admin_token: str) -> None:
    await models.Memory(
        id="mem_123",
        content="x",
        importance=0.0,
        drift_score=0.25,
        created_at=utcnow() - timedelta(days=60),
    ).insert()
    socket = await ws("/v1/stream/memory-drift", header=admin_token)
    assert await socket.recv() == {"type": "subscribed", "streams": ["memory-drift"]}
    await ok(gql, 'mutation { recallMemory(id: "mem_123") { memory { id } } }', {}, admin_token)
    drift = await socket.recv()
    assert drift == {
        "memory_id": "mem_123",
        "drift_level": pytest.approx(0.31),
        "repair_recommended": True,
        "suggested_method": "partial_heal",
    }

    anonymous = await ws("/v1/stream/memory-drift")
    await anonymous.send({"hello": 1})
    refused = await anonymous.recv()
    assert refused["error"]["code"] == "INVALID_TOKEN"
    assert await anonymous.closed_with() == 4401


# --- Drift simulation: /api/v1/ws/simulation --------------------------------------------------


async def test_simulation_stream_status_events_assessments_and_drift(
    ws: Any, gql: GraphQLClient, admin_token: str
) -> None:
    await models.Agent(
        id="agent_sim", name="sim", capabilities=["drift_simulation"], last_heartbeat=utcnow()
    ).insert()
    socket = await ws("/api/v1/ws/simulation", token=admin_token)
    assert (await socket.recv())["type"] == "connected"
    run = (
        await ok(
            gql,
            "mutation($i: StartSimulationInput!) { startSimulation(input: $i) { simulationId } }",
            {"i": {"experimentalCondition": "STRESS", "durationDays": 30}},
            admin_token,
        )
    )["startSimulation"]
    sim_id = run["simulationId"]
    status = await socket.next_of("status_update")
    assert status["data"] == {
        "simulation_id": sim_id,
        "status": "running",
        "current_day": 0,
        "progress_percentage": 0.0,
        "active_personas": 0,
        "events_processed": 0,
        "assessments_completed": 0,
    }

    event = {
        "simulationId": sim_id,
        "personaId": "persona_001",
        "eventType": "stress",
        "title": "Loss of a close friend",
        "intensity": 0.8,
        "day": 1,
    }
    await ok(gql, "mutation($i: RecordEventInput!) { recordSimulationEvent(input: $i) { id } }",
             {"i": event}, admin_token)  # fmt: skip
    occurred = await socket.next_of("event_occurred")
    assert is_utc(occurred["data"].pop("timestamp"))
    assert occurred["data"].pop("event_id")
    assert occurred["data"] == {
        "persona_id": "persona_001",
        "event_type": "stress",
        "title": "Loss of a close friend",
        "intensity": 0.8,
    }

    assess = "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { id } }"
    for day, score in ((1, 3), (15, 12)):
        await ok(gql, assess, {"i": {"simulationId": sim_id, "personaId": "persona_001",
                 "assessmentType": "phq9", "score": score, "day": day}}, admin_token)  # fmt: skip
    first = await socket.next_of("assessment_completed")
    assert set(first["data"]) == {
        "assessment_id",
        "persona_id",
        "assessment_type",
        "score",
        "severity",
        "timestamp",
    }
    assert first["data"]["score"] == 3 and first["data"]["assessment_type"] == "phq9"
    second = await socket.next_of("assessment_completed")
    assert second["data"]["score"] == 12 and second["data"]["severity"] == "moderate"
    drift = await socket.next_of("drift_detected")
    assert is_utc(drift["data"].pop("timestamp"))
    assert drift["data"] == {
        "persona_id": "persona_001",
        "assessment_type": "phq9",
        "baseline_score": 3,
        "current_score": 12,
        "change_magnitude": 9,
        "significance": "high",
    }


async def test_simulation_stream_needs_a_token_and_limits_connections_per_ip(
    ws: Any, settings: Settings, admin_token: str, server: RunningServer
) -> None:
    anonymous = await ws("/api/v1/ws/simulation")
    await anonymous.send({"type": "hello"})
    refused = await anonymous.recv()
    assert refused["type"] == "error"
    assert set(refused["data"]) == {"error", "details", "timestamp"}
    assert refused["data"]["details"].startswith("AUTHENTICATION_FAILED")
    assert await anonymous.closed_with() == 4401

    reader = await token_for(settings, ["consciousness:read"], user_id="user_reader")
    narrow = await ws("/api/v1/ws/simulation", token=reader)
    messages = [await narrow.recv(), await narrow.recv()]
    denied = next(m for m in messages if m["type"] == "error")
    assert denied["data"]["details"].startswith("AUTHORIZATION_DENIED")
    await narrow.connection.close()

    limit = settings.ws_simulation_connections_per_ip
    sockets = [await ws("/api/v1/ws/simulation", token=admin_token) for _ in range(limit)]
    for socket in sockets:
        assert (await socket.recv())["type"] == "connected"
    over = await ws("/api/v1/ws/simulation", token=admin_token)
    error = await over.recv()
    assert error["type"] == "error" and "10 per IP" in error["data"]["error"]
    assert await over.closed_with() == 4429
    registry = server.app.state.axon.metrics.registry
    refused = {"limiter": "ws_connection", "group": "drift.simulation"}
    assert (registry.get_sample_value("axonql_rate_limit_refusals_total", refused) or 0) >= 1
    await sockets[0].connection.close()
    deadline = time.monotonic() + 10  # the server frees the slot once it sees the close
    while (await (await ws("/api/v1/ws/simulation", token=admin_token)).recv())["type"] != (
        "connected"
    ):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)


# --- teardown ---------------------------------------------------------------------------------


async def test_a_vanished_client_leaves_no_subscriber_behind(
    ws: Any, server: RunningServer, admin_token: str
) -> None:
    hub = server.app.state.axon.realtime.hub
    before = len(hub)
    socket = await ws("/ws", token=admin_token)
    await socket.send(
        {"action": "subscribe", "events": ["task.progress", "alert.new", "log.entry"]}
    )
    await socket.next_of("subscribed")
    deadline = time.monotonic() + 5
    while len(hub) < before + 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    socket.connection.transport.abort()  # no close frame: the client just disappears
    deadline = time.monotonic() + 10
    while len(hub) > before:
        assert time.monotonic() < deadline, f"{len(hub) - before} subscribers left behind"
        await asyncio.sleep(0.05)
    bridges = [t for t in asyncio.all_tasks() if t.get_name().startswith("ws-bridge-")]
    assert bridges == []


# --- limits, with a server configured tight ---------------------------------------------------


@pytest.fixture
async def tight_server(server: RunningServer, settings: Settings) -> AsyncIterator[RunningServer]:
    tight = settings.model_copy(
        update={
            "subscriber_buffer": 8,
            "ws_auth_timeout_seconds": 0.5,
            "ws_message_limit": "5/minute",
            "ws_process_timeout_seconds": 1.0,
        }
    )
    async with extra_server(create_app(tight), server) as running:
        yield running


async def test_auth_timeout_message_limit_and_process_timeout(
    tight_server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    base = tight_server.ws_url
    async with connect(f"{base}/api/v2/ws") as silent:
        refused = json.loads(await asyncio.wait_for(silent.recv(), 5))
        assert refused["error"]["code"] == "AUTHENTICATION_FAILED"
        assert await Socket(silent).closed_with() == 4408

    async with connect(f"{base}/ws?token={admin_token}") as chatty:
        socket = Socket(chatty)
        for _ in range(5):
            await socket.send({"action": "authenticate"})
            assert (await socket.recv())["type"] == "authenticated"
        await socket.send({"action": "authenticate"})
        limited = await socket.recv()
        assert limited["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        assert limited["error"]["details"]["limit"] == 5
    registry = tight_server.app.state.axon.metrics.registry
    refused = {"limiter": "ws_message", "group": "/ws"}
    assert registry.get_sample_value("axonql_rate_limit_refusals_total", refused) == 1

    await register(gql, admin_token, "idle-worker", ["text_processing"])  # online, never claims
    async with connect(f"{base}/ws?token={admin_token}") as nexus:
        socket = Socket(nexus)
        await socket.send({"input_data": "hello", "input_type": "text"})
        late = await socket.recv(timeout=15)
        assert late["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert late["error"]["details"]["reason"] == "TIMEOUT"
        task = await models.Task.get(late["error"]["details"]["task_id"])
        assert task is not None and task.status == "cancelled"  # nobody waits for it any more


async def test_a_slow_client_is_closed_and_leaves_nothing_behind(
    tight_server: RunningServer, admin_token: str
) -> None:
    hub = tight_server.app.state.axon.realtime.hub
    url = f"{tight_server.ws_url}/ws?token={admin_token}"
    sock = _small_window_socket(url, 4096)
    async with connect(url, sock=sock, max_queue=1) as slow:
        socket = Socket(slow)
        await socket.send({"action": "subscribe", "events": ["log.entry"]})
        assert (await socket.recv())["type"] == "subscribed"
        async with asyncio.timeout(60):
            while len(hub) == 0:
                await asyncio.sleep(0.05)
            while hub.overflows == 0:
                bulk = secrets.token_hex(16_000)  # incompressible: permessage-deflate is on
                await emit("LOG_ENTRY", {"message": "bulk", "context": {"bulk": bulk}})
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(30):
                while True:
                    await slow.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
        assert "too slow" in closed.value.rcvd.reason
    async with asyncio.timeout(10):
        while len(hub) or [t for t in asyncio.all_tasks() if t.get_name().startswith("ws-bridge")]:
            await asyncio.sleep(0.05)


async def test_octospine_task_stream_survives_a_deleted_task(
    ws: Any, gql: GraphQLClient, admin_token: str
) -> None:
    task_id = (await ok(gql, CREATE_TASK, {"input": {"name": "t"}}, admin_token))["createTask"][
        "id"
    ]
    socket = await ws("/ws", token=admin_token)
    await socket.send({"action": "subscribe", "events": ["task.progress"]})
    await socket.next_of("subscribed")
    # A state change whose task is gone by the time the bridge reads its progress.
    await emit("TASK_STATE_CHANGED", {"status": "queued", "change": "queued"}, task_id="task_gone")
    await ok(gql, QUEUE_TASK, {"id": task_id}, admin_token)
    seen = await socket.recv()
    assert seen["type"] == "task.progress", seen  # no error, and the stream goes on
    assert seen["data"]["task_id"] == task_id and seen["data"]["status"] == "queued"


async def test_octospine_streams_follow_the_callers_scopes(ws: Any, settings: Settings) -> None:
    worker = await token_for(settings, ["tasks:read"], user_id="user_worker")
    socket = await ws("/ws", token=worker)
    await socket.send({"action": "subscribe", "events": ["system.status", "task.progress"]})
    messages = [await socket.recv(), await socket.recv()]
    denied = next(m for m in messages if m["type"] == "error")
    assert denied["error"]["code"] == "AUTHORIZATION_DENIED"
    assert denied["error"]["details"]["stream"] == "system.status"
    assert any(m["type"] == "subscribed" for m in messages)
