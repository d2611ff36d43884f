"""Every model-work path answers its documented shape with a real reference agent process.

`axonql serve` and `axonql agent` run as processes; each documented example request is sent
as a legacy client would, and the answer's documented keys and types are checked. Bad input is
a 4xx before any task exists; a SIGKILLed agent is noticed in seconds and leaves no work behind.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from axonql.agent.worker import WorkerOptions
from axonql.cli import REFERENCE_CAPABILITIES
from axonql.services.work import STRANDED_CHECK_SECONDS
from axonql.settings import Settings
from tests.processes import (
    AgentProcess,
    Api,
    ServerProcess,
    admin_token,
    database_client,
    wait_for,
)

CAPABILITIES = [c for c in REFERENCE_CAPABILITIES.split(",") if c != "echo"]
PNG = base64.b64encode(
    b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 3, 2) + b"\0" * 9
).decode()


class Rest:
    """A legacy client of the server process, with the admin's token."""

    def __init__(self, http: httpx.AsyncClient, base: str, token: str) -> None:
        self.http = http
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}

    async def __call__(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> httpx.Response:
        return await self.http.request(
            method, self.base + path, json=body, headers={**self.headers, **headers}
        )


@pytest.fixture(scope="module")
async def served(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[ServerProcess, str, str, Path]]:
    """One server process and one reference agent offering every capability (but `echo`)."""
    database = f"axonql_model_{secrets.token_hex(4)}"
    home = tmp_path_factory.mktemp("model-work")
    server = await ServerProcess(mongo_url, database, home).start()
    client = database_client(mongo_url)
    token = await admin_token(client[database])
    agent: AgentProcess | None = None
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            api = Api(http, server.url, token)
            key = await api.register("reference", CAPABILITIES, concurrency=4)
            agent = AgentProcess(
                server.url,
                key,
                CAPABILITIES,
                home,
                "--concurrency",
                "4",
                "--model-dir",
                str(home / "models"),
            ).start()
            await api.wait_online(1)
        yield server, database, token, home
    finally:
        if agent is not None:
            agent.stop()
        server.stop()
        await client.drop_database(database)
        await client.close()


@pytest.fixture
async def rest(served: tuple[ServerProcess, str, str, Path]) -> AsyncIterator[Rest]:
    server, _, token, _ = served
    async with httpx.AsyncClient(timeout=40) as http:
        yield Rest(http, f"http://127.0.0.1:{server.port}", token)


@pytest.fixture
async def api(served: tuple[ServerProcess, str, str, Path]) -> AsyncIterator[Api]:
    server, _, token, _ = served
    async with httpx.AsyncClient(timeout=40) as http:
        yield Api(http, server.url, token)


def keys(value: Any, *expected: str) -> None:
    assert isinstance(value, dict), value
    missing = [k for k in expected if k not in value]
    assert not missing, f"missing {missing} in {value}"


MATRIZ = {
    "input": "Explain quantum entanglement in simple terms",
    "context": {
        "user_id": "user123",
        "session_id": "session456",
        "lambda_id": "ΛPRIME-2025-0001",
        "previous_interaction_id": "interaction789",
        "preferences": {"response_style": "educational", "detail_level": "moderate"},
    },
    "pipeline_options": {
        "memory_depth": 3,
        "attention_focus": "educational_content",
        "thought_mode": "analytical",
        "risk_threshold": 0.15,
        "intent_verification": True,
        "action_type": "cognitive_response",
    },
    "constellation_config": {"t4_compliance": True},
}


async def test_lukhas_model_work_answers_documented_shapes(rest: Rest) -> None:
    r = await rest("POST", "/v1/matriz/process", MATRIZ)
    assert r.status_code == 200, r.text
    body = r.json()
    keys(body, "response", "metadata", "matriz_pipeline_trace", "constellation_metadata")
    assert "memory_fold_created" in body
    keys(
        body["metadata"],
        "interaction_id",
        "processing_time_ms",
        "confidence",
        "pipeline_stages_used",
        "constellation_validation",
        "t4_compliance_verified",
    )
    assert body["metadata"]["reference_implementation"] is True
    assert [s["stage"] for s in body["matriz_pipeline_trace"]] == [
        "memory", "attention", "thought", "risk", "intent", "action",
    ]  # fmt: skip
    assert body["matriz_pipeline_trace"][4]["auth_tier"] == "ΛPRIME"
    keys(
        body["constellation_metadata"],
        "identity_pillar_active",
        "consciousness_pillar_active",
        "guardian_pillar_active",
        "registry_nodes_utilized",
    )
    assert "reference_implementation" not in body

    stage = {"input_data": {"text": "Where is my memory of Paris?"}, "context": {}}
    r = await rest("POST", "/v1/matriz/stage/attention", {**stage, "stage_config": {}})
    assert r.status_code == 200, r.text
    keys(r.json(), "stage_result", "next_stage", "confidence", "processing_time_ms")
    assert r.json()["next_stage"] == "thought"
    keys(r.json()["constellation_context"], "current_state", "node_utilization")
    assert r.headers["X-Reference-Implementation"] == "reference.matriz_stage"

    reflect = {"topic": "recent_interactions", "depth": 3, "include_emotions": True}
    r = await rest("POST", "/v1/consciousness/reflect", reflect)
    assert r.status_code == 200, r.text
    keys(r.json(), "reflection_id", "insights", "emotional_assessment")
    keys(r.json()["emotional_assessment"], "overall_valence", "detected_emotions")
    assert any("matriz" in i["insight"] for i in r.json()["insights"])  # it read the tasks

    analyze = {
        "query": "What would happen if gravity was 10% stronger?",
        "reasoning_type": "hypothetical",
        "depth": "deep",
    }
    r = await rest("POST", "/v1/reasoning/analyze", analyze)
    assert r.status_code == 200, r.text
    found = r.json()
    keys(found, "analysis_id", "query_type", "reasoning_steps", "confidence")
    assert "uncertainty_factors" in found and len(found["reasoning_steps"]) == 3
    keys(found["reasoning_steps"][0], "step", "description", "conclusions")

    causal = {
        "observations": [
            {"event": "increased_study_time", "timestamp": "2024-01-10"},
            {"event": "improved_test_scores", "timestamp": "2024-01-15"},
        ],
        "hypothesis": "study_time_causes_better_scores",
    }
    r = await rest("POST", "/v1/reasoning/causal", causal)
    assert r.status_code == 200, r.text
    found = r.json()
    keys(found, "causal_strength", "alternative_explanations", "confidence_interval")
    assert found["causal_strength"] > 0 and len(found["confidence_interval"]) == 2
    assert found["recommendation"] == "Gather more data points for stronger inference"

    dream = {
        "seed": "Design a sustainable city for Mars",
        "constraints": [
            "Limited water",
            "No breathable atmosphere",
            "Extreme temperature variations",
        ],
        "creativity_level": 0.8,
        "num_realities": 5,
    }
    r = await rest("POST", "/v1/dream/generate", dream)
    assert r.status_code == 200, r.text
    found = r.json()
    keys(found, "dream_session_id", "realities", "synthesis")
    assert len(found["realities"]) == 5
    keys(
        found["realities"][0],
        "reality_id",
        "concept",
        "description",
        "feasibility_score",
        "innovation_score",
        "key_features",
    )
    keys(found["synthesis"], "best_elements", "novel_insights")

    action = {
        "type": "response_generation",
        "content": "Instructions for building a particle accelerator",
        "target_user": "user123",
        "context": "Educational request from physics student",
    }
    r = await rest("POST", "/v1/guardian/validate", {"action": action})
    assert r.status_code == 200, r.text
    found = r.json()
    keys(found, "validation_id", "decision", "ethics_score", "safety_score", "conditions")
    keys(found["reasoning"], "ethical_framework", "key_factors")
    assert found["decision"] == "APPROVED" and found["conditions"]


async def test_nexusnet_model_work_answers_documented_shapes(rest: Rest) -> None:
    for kind, data in [
        ("text", "What is the capital of France?"),
        ("image", PNG),
        ("audio", base64.b64encode(b"ID3" + b"\0" * 20).decode()),
        ("video", base64.b64encode(b"\0\0\0\x18ftypmp42" + b"\0" * 12).decode()),
        ("multimodal", json.dumps([{"input_type": "text", "input_data": "a cat"}, PNG])),
    ]:
        body = {"input_data": data, "input_type": kind, "options": {"max_length": 100}}
        r = await rest("POST", "/process", body)
        assert r.status_code == 200, (kind, r.text)
        found = r.json()
        keys(found, "output", "processing_time", "metadata")
        assert isinstance(found["output"], str) and found["output"]
        keys(found["metadata"], "model_version", "tokens_processed", "memory_usage")
        assert found["metadata"]["reference_implementation"] is True
    image = await rest("POST", "/process", {"input_data": PNG, "input_type": "image"})
    assert "format=png, bytes=33, width=3, height=2" in image.json()["output"]

    batch = {
        "inputs": [
            {"input_data": "First input", "input_type": "text", "options": {"temperature": 0.7}},
            {"input_data": "Second input", "input_type": "text", "options": {"temperature": 0.5}},
        ],
        "batch_options": {"parallel": True, "max_batch_size": 32},
    }
    r = await rest("POST", "/process/batch", batch)
    assert r.status_code == 200, r.text
    found = r.json()
    keys(found, "results", "total_processing_time", "batch_metadata")
    assert [isinstance(x["output"], str) for x in found["results"]] == [True, True]
    keys(found["results"][0], "output", "processing_time", "metadata")
    keys(found["batch_metadata"], "batch_size", "parallel_processing")
    assert found["batch_metadata"]["batch_size"] == 2

    train = {
        "data": [
            {"input": "Training input 1", "output": "Expected output 1"},
            {"input": "Training input 2", "output": "Expected output 2"},
        ],
        "training_config": {
            "epochs": 10,
            "learning_rate": 0.001,
            "batch_size": 32,
            "validation_split": 0.2,
            "early_stopping": True,
            "save_checkpoints": True,
        },
    }
    r = await rest("POST", "/train", train)
    assert r.status_code == 202, r.text
    keys(r.json(), "training_id", "status", "message", "estimated_duration")
    assert r.json()["status"] == "started"
    training_id = r.json()["training_id"]
    assert r.headers["Location"] == f"/train/{training_id}/status"

    async def trained() -> dict[str, Any] | None:
        status = (await rest("GET", f"/train/{training_id}/status")).json()
        return status if status["status"] == "completed" else None

    status = await wait_for(trained, timeout=20)
    keys(status, "training_id", "progress", "current_epoch", "total_epochs", "metrics")
    assert status["current_epoch"] == status["total_epochs"] == 10
    assert status["estimated_time_remaining"] == 0
    keys(status["metrics"], "loss", "accuracy", "validation_loss", "validation_accuracy")

    r = await rest("POST", "/model/save", {"save_path": "/models/custom_model", "compress": True})
    assert r.status_code == 200, r.text
    keys(r.json(), "status", "save_path", "file_size", "checksum")
    assert r.json()["checksum"].startswith("sha256:")
    load = {"model_name": "nexusnet-large", "version": "1.1.0", "config": {"precision": "fp16"}}
    r = await rest("POST", "/model/load", load)
    assert r.status_code == 200, r.text
    keys(r.json(), "status", "model_name", "version", "load_time", "memory_usage")
    r = await rest("GET", "/model/info")
    assert r.status_code == 200, r.text
    found = r.json()
    keys(found, "model_name", "version", "parameters", "memory_usage", "capabilities")
    keys(found, "supported_languages", "max_context_length", "training_data_cutoff")
    assert "text_processing" in found["capabilities"]
    assert r.headers["X-Reference-Implementation"] == "reference.model_info"


async def test_training_status_while_running_and_cancel(rest: Rest, api: Api) -> None:
    training_id = await api.submit(
        type="training",
        requiredCapabilities=["training"],
        parameters={"epochs": 40, "step_seconds": 0.1, "seed": 2},
    )

    async def running() -> dict[str, Any] | None:
        status = (await rest("GET", f"/train/{training_id}/status")).json()
        return status if status["status"] == "running" and status["current_epoch"] else None

    status = await wait_for(running, timeout=20)
    assert status["total_epochs"] == 40 and 0 < status["current_epoch"] < 40
    keys(status["metrics"], "loss", "accuracy")
    assert status["estimated_time_remaining"] is not None
    r = await rest("DELETE", f"/train/{training_id}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"

    created = await api.ok('mutation { createTask(input: {name: "n", type: "echo"}) { id } }')
    other = created["createTask"]["id"]  # not a training
    for method, path in [("GET", f"/train/{other}/status"), ("DELETE", f"/train/{other}")]:
        r = await rest(method, path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND", r.text
    assert (await api.task(other))["status"] == "CREATED"  # DELETE did not touch it
    await api.ok("mutation($id: ID!) { cancelTask(id: $id) { id } }", {"id": other})


async def test_asynchronous_form_and_documentation_jobs(rest: Rest) -> None:
    r = await rest(
        "POST", "/v1/guardian/validate", {"action": {"type": "x", "content": "hello"}},
        Prefer="respond-async",
    )  # fmt: skip
    assert r.status_code == 202, r.text
    assert r.headers["Preference-Applied"] == "respond-async"
    assert r.headers["Location"] == r.json()["status_url"]
    task_id = r.json()["task_id"]

    async def finished() -> bool:
        detail = await rest("GET", r.json()["status_url"])
        return bool(detail.json()["data"]["status"] == "completed")

    await wait_for(finished, timeout=15)
    assert task_id.startswith("task_")

    docs = {
        "type": "api_reference",
        "targets": ["services", "components", "frameworks"],
        "format": "markdown",
        "include_examples": True,
    }
    r = await rest("POST", "/api/documentation/generate", docs)
    assert r.status_code == 200, r.text
    job = r.json()["data"]["job_id"]

    async def documented() -> dict[str, Any] | None:
        found = (await rest("GET", f"/api/documentation/status/{job}")).json()["data"]
        return found if found["status"] == "completed" else None

    done = await wait_for(documented, timeout=15)
    assert done["documents_generated"] == 3 and done["files_processed"] > 10


BAD_INPUTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/v1/matriz/process", {"input": "   "}, 422, "VALIDATION_ERROR"),
    ("POST", "/v1/matriz/stage/dreaming", {"input_data": {}}, 422, "VALIDATION_ERROR"),
    ("POST", "/v1/consciousness/reflect", {"topic": "t", "depth": -1}, 422, "VALIDATION_ERROR"),
    ("POST", "/v1/reasoning/analyze", {"query": "q", "depth": "abyss"}, 422, "VALIDATION_ERROR"),
    (
        "POST",
        "/v1/reasoning/causal",
        {"observations": [], "hypothesis": "a_causes_b"},
        422,
        "VALIDATION_ERROR",
    ),
    ("POST", "/v1/dream/generate", {"seed": "s", "creativity_level": 5}, 422, "VALIDATION_ERROR"),
    ("POST", "/v1/dream/generate", {"seed": "s", "num_realities": -1}, 422, "VALIDATION_ERROR"),
    ("POST", "/process", {"input_data": "", "input_type": "text"}, 422, "INVALID_INPUT"),
    ("POST", "/process", {"input_data": "x", "input_type": "smell"}, 422, "INVALID_INPUT"),
    ("POST", "/process/batch", {"inputs": []}, 422, "INVALID_INPUT"),
    ("POST", "/train", {"data": [], "training_config": {"epochs": 1}}, 422, "INVALID_INPUT"),
    ("POST", "/model/save", {"save_path": "../../etc/passwd"}, 422, "INVALID_INPUT"),
    ("POST", "/api/v1/simulation/start", {"duration_days": 0}, 422, "VALIDATION_ERROR"),
]
TRAIN_CONFIGS = [{"epochs": -1}, {"epochs": "ten"}, {"epochs": 5000}, {"learning_rate": "fast"}]


async def test_bad_input_is_refused_before_any_task_exists(
    rest: Rest, served: tuple[ServerProcess, str, str, Path], mongo_url: str
) -> None:
    client = database_client(mongo_url)
    tasks = client[served[1]]["tasks"]
    before = await tasks.count_documents({})
    cases = [
        *BAD_INPUTS,
        *[
            ("POST", "/train", {"data": [{"input": "a", "output": "b"}], "training_config": c},
             422, "INVALID_INPUT")
            for c in TRAIN_CONFIGS
        ],
    ]  # fmt: skip
    for method, path, body, status, code in cases:
        r = await rest(method, path, body)
        assert r.status_code == status, (path, body, r.text)
        error = r.json()["error"]
        assert (error["code"] if isinstance(error, dict) else r.json()["detail"]).startswith(code)
    empty = await rest("POST", "/process", {"input_data": "  "})
    assert empty.json()["error"]["details"]["reason"] == "Input data cannot be empty"
    assert await tasks.count_documents({}) == before
    await client.close()


async def test_a_killed_agent_is_noticed_fast_and_its_work_is_dropped(
    api: Api, served: tuple[ServerProcess, str, str, Path]
) -> None:
    home = served[3]
    key = await api.register("victim", ["echo"], concurrency=1)
    victim = AgentProcess(api.url, key, ["echo"], home).start()
    try:
        await api.wait_online(2)
        submit = asyncio.create_task(
            api(
                "mutation($i: CreateTaskInput!) { submitTask(input: $i, waitSeconds: 60) "
                "{ id status } }",
                {
                    "i": {
                        "name": "long",
                        "type": "echo",
                        "requiredCapabilities": ["echo"],
                        "parameters": {"steps": 100, "step_seconds": 0.5},
                    }
                },
            )
        )

        async def running() -> str | None:
            data = await api.ok('{ tasks(filter: {type: "echo", status: RUNNING}) { id } }')
            return data["tasks"][0]["id"] if data["tasks"] else None

        task_id = await wait_for(running, timeout=15)
        victim.kill()
        killed = time.monotonic()
        body = await asyncio.wait_for(submit, timeout=15)
        noticed = time.monotonic() - killed
        assert body["errors"][0]["extensions"]["code"] == "NO_CAPABLE_AGENT", body
        assert noticed < 10, noticed
        task = await api.task(task_id)
        assert task["status"] == "CANCELLED"  # nobody waits: it will not run later
    finally:
        victim.stop()


async def _next(socket: ClientConnection, accept: Any, timeout: float = 15) -> dict[str, Any]:
    """The next message `accept` takes, within `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if accept(message):
                return message


async def test_streams_report_live(
    rest: Rest, served: tuple[ServerProcess, str, str, Path]
) -> None:
    server, _, token, _ = served
    ws = f"ws://127.0.0.1:{server.port}"
    async with connect(f"{ws}/ws?token={token}") as nexus:
        await nexus.send('{"input_data": "half a message"')
        error = await _next(nexus, lambda m: True)
        assert set(error) == {"type", "error"} and error["error"]["code"] == "INVALID_INPUT"
        assert {"timestamp", "request_id"} <= set(error["error"])
        await nexus.send(json.dumps({"type": "process", "data": {"input_data": "Hi there"}}))
        result = await _next(nexus, lambda m: m["type"] == "result")
        assert isinstance(result["data"]["output"], str)

    async with connect(f"{ws}/v1/stream/consciousness?token={token}") as lukhas:
        await lukhas.send(json.dumps({"action": "subscribe", "streams": ["reflection"]}))
        await _next(lukhas, lambda m: m.get("type") == "subscribed")
        r = await rest("POST", "/v1/consciousness/reflect", {"topic": "recent", "depth": 2})
        assert r.status_code == 200, r.text
        reflected = await _next(lukhas, lambda m: m.get("stream") == "reflection")
        assert reflected["data"]["reflection_id"] == r.json()["reflection_id"]

    async with connect(f"{ws}/api/v1/ws/simulation?token={token}") as drift:
        await _next(drift, lambda m: m["type"] == "connected")
        start = {"experimental_condition": "CONTROL", "duration_days": 4}
        r = await rest("POST", "/api/v1/simulation/start", start)
        assert r.status_code == 200, r.text
        days = []
        while True:  # nobody polls the status: every update is pushed
            update = await _next(drift, lambda m: m["type"] == "status_update")
            days.append(update["data"]["current_day"])
            if update["data"]["status"] == "completed":
                break
        assert len(set(days)) >= 3 and days[-1] == 4, days


def test_default_thresholds_notice_a_dead_agent_within_10_seconds() -> None:
    """The process test above runs with fast settings; the defaults promise the same < 10 s:
    the task's lease runs out (after its last renewal) and the agent goes offline (after its
    last heartbeat), each seen by the next lease check and the waiting caller's next look."""
    fields = Settings.model_fields
    options = WorkerOptions(capabilities=[])
    lease = float(fields["task_lease_seconds"].default) + options.renew_seconds
    offline = float(fields["agent_offline_after_seconds"].default)
    checks = float(fields["lease_check_seconds"].default) + STRANDED_CHECK_SECONDS
    assert options.heartbeat_seconds < offline / 3  # three heartbeats may go missing first
    assert max(lease, offline) + checks < 10
