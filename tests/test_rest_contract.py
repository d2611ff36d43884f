"""The five references are the test: each documented example, sent to `axonql serve`.

`tests/contract/<api>.json` holds every documented request and response example
(`python -m tests.contract.extract` writes them from the references; when the references are
beside the repository, `test_contract_matches_the_references` re-extracts and compares).

One `axonql serve` process per mode — a fresh data directory (no demo data), then one loaded
with `--demo` — answers one pass over the 94 paths. Each live response must hold every
documented key at every depth with the documented JSON type (arrays element-wise against the
example's first element), the documented status, and the documented headers.

Paths whose answer needs a model (the route hands the work to an agent) are sent with no
capable agent online: they must answer 503 in their API's documented error body.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from axonql.cli import REFERENCE_CAPABILITIES
from axonql.rest_compat.tables import APIS
from axonql.services.auth import hash_password
from axonql.services.simulation_runs import CAPABILITY as SIMULATION
from tests.contract import extract
from tests.processes import AgentProcess, ServerProcess, admin_token, wait_for
from tests.support import own_database

API_NAMES = tuple(extract.TITLES)
CONTRACTS = {name: extract.load(name) for name in API_NAMES}
MOUNTS = {api.name: api.mount for api in APIS}
# Routes that hand their work to an agent (they submit a task and wait for its result).
MODEL_WORK = {
    (api.name, route.method, route.path)
    for api in APIS
    for route in api.routes
    if "submitTask(" in route.operation
}


@dataclass(frozen=True)
class Entry:
    """One documented path of one API and its examples."""

    api: str
    doc: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.api, self.doc["method"], self.doc["path"])

    @property
    def id(self) -> str:
        return f"{self.api} {self.doc['method']} {self.doc['path']}"

    @property
    def model_work(self) -> bool:
        return self.key in MODEL_WORK or self.key in AGENT_WORK


ENTRIES = [Entry(name, doc) for name in API_NAMES for doc in CONTRACTS[name]["paths"]]


def test_contract_lists_the_documented_paths() -> None:
    counts = {name: len(CONTRACTS[name]["paths"]) for name in API_NAMES}
    assert counts == {"synapticos": 14, "octospine": 20, "lukhas": 19, "nexusnet": 28, "drift": 13}
    assert len({e.key for e in ENTRIES}) == 94
    routed = {(api.name, r.method, r.path) for api in APIS for r in api.routes}
    assert routed == {e.key for e in ENTRIES}


def test_contract_matches_the_references() -> None:
    """Re-extract from the references when they are here, so the contract cannot drift."""
    if not (extract.SEEDS / "README.md").exists():
        pytest.skip(f"the references are not at {extract.SEEDS}")
    fresh = extract.extract()
    for name in API_NAMES:
        assert extract.dumps(fresh[name]) == extract.contract_path(name).read_text(), (
            f"{name}: run python -m tests.contract.extract"
        )
    assert extract.unreadable(fresh) == []


# ------------------------------------------------------------------ the recursive comparison

# Documented fields that may be null: what they describe has not happened yet, or has no
# source here. The README's REST section lists the second kind. Entry id → field → why.
NULL_UNTIL: dict[str, dict[str, str]] = {
    "synapticos GET /users/{user_id}/context": {
        ".current_session": "the user has no active learning session",
    },
    "synapticos GET /neural/populations": {
        ".populations[].last_evolution": "the population has not evolved yet",
        **{
            f".populations[].performance_metrics.{name}": "no client has reported it (README)"
            for name in ("decision_accuracy", "response_time", "adaptation_rate")
        },
    },
    "lukhas GET /health": {
        ".modules.guardian.latency_ms": "no validation has completed yet",
        ".modules.guardian.ethics_level": "there are no ethics levels here (README)",
    },
    "octospine GET /api/config": {
        ".data.limits.max_agents": "no limit is enforced (README)",
        ".data.limits.max_automations": "no limit is enforced (README)",
        ".data.limits.max_documents": "no limit is enforced (README)",
    },
    "octospine GET /api/tasks": {".data.tasks[].last_run": "the task has not run yet"},
    "octospine GET /api/consciousness/status": {
        ".data.learning_progress.adaptation_rate": "no learning session has ended yet",
        ".data.decision_metrics.confidence_average": "no decision has been recorded yet",
    },
    "octospine POST /api/automations": {
        ".data.triggers[].next_trigger": "an event trigger has no scheduled time",
    },
    "lukhas GET /status": {
        ".guardian.approval_rate": "no validation has been decided yet",
        ".performance.average_response_time_ms": "no request has been sampled in the hour",
        ".performance.p95_response_time_ms": "no request has been sampled in the hour",
        ".performance.p99_response_time_ms": "no request has been sampled in the hour",
    },
    "lukhas GET /matriz/status": {
        f".pipeline_health.{stage}.latency_ms": "no pipeline agent has run a stage yet"
        for stage in ("memory", "attention", "thought", "risk", "intent", "action")
    },
    "lukhas POST /constellation/identity/authenticate": {
        ".authentication_result.tier_granted": "there are no Λ tiers here (README)",
        ".authentication_result.biometric_match": "no biometric comparison is made (README)",
    },
    "lukhas GET /consciousness/state": {
        ".consciousness_state.active_pipeline_stage": "no pipeline stage is running",
    },
    "lukhas POST /memory/store": {".helix_id": "memories are not filed into helixes (README)"},
    "octospine GET /api/documentation/status/{job_id}": {
        ".data.documents_generated": "the job has not finished",
        ".data.files_processed": "the job has not finished",
        ".data.completion_time": "the job has not finished",
    },
    "octospine POST /api/documentation/generate": {
        ".data.estimated_completion": "no documentation job has finished to estimate from",
    },
    "lukhas POST /matriz/process": {".memory_fold_created": "the run created no memory fold"},
    "lukhas POST /reasoning/causal": {
        ".alternative_explanations[].probability": "the reference agent gives no probability",
    },
    "nexusnet POST /train": {".estimated_duration": "no training has finished to estimate from"},
    "nexusnet GET /model/info": {
        ".max_context_length": "the reference agent holds no language model (README)",
        ".training_data_cutoff": "the reference agent holds no language model (README)",
    },
    "nexusnet GET /immune/status": {".immune_status.last_scan": "no scan has run yet"},
    "nexusnet POST /immune/scan": {".results[].healing_method": "the threat was not healed"},
    "nexusnet GET /immune/threats": {
        ".threats[].resolution": "the threat is not resolved",
        ".threats[].resolution_time": "the threat is not resolved",
    },
    "nexusnet GET /train/{training_id}/status": {
        ".metrics.loss": "no epoch has been reported yet",
        ".metrics.accuracy": "no epoch has been reported yet",
        ".metrics.validation_loss": "the example's two records leave none for validation",
        ".metrics.validation_accuracy": "the example's two records leave none for validation",
        ".estimated_time_remaining": "the training is not running yet",
    },
    "nexusnet GET /plugins/{plugin_name}/status": {
        ".last_used": "plugins do not record their use yet (README)",
        ".performance_metrics.requests_processed": "no per-plugin counter yet (README)",
    },
    "nexusnet GET /stats": {".gpu_usage": "the machine has no GPU (README)"},
    "nexusnet GET /config": {
        ".config.core.hidden_dim": "the server holds no model; agents do (README)",
        ".config.core.precision": "the server holds no model; agents do (README)",
    },
    "drift GET /api/v1/simulation/status": {
        ".estimated_completion": "the run has not progressed enough to estimate",
    },
    "drift GET /api/v1/simulation/results": {
        ".completion_time": "the run has not completed",
        **{
            f".results_summary.{when}_assessments.{scale}.{figure}": "no assessment yet"
            for when in ("baseline", "final")
            for scale in ("phq9", "gad7", "pss10")
            for figure in ("mean", "std")
        },
    },
    "drift GET /api/v1/data/assessments": {
        f".summary.{scale}.{figure}": "no assessment yet"
        for scale in ("phq9", "gad7", "pss10")
        for figure in ("mean", "std", "min", "max")
    },
    "drift GET /api/v1/data/mechanistic": {
        ".summary.circuit_tracking.self_reference": "no mechanistic data yet",
        ".summary.circuit_tracking.emotional": "no mechanistic data yet",
    },
}

# Objects whose keys are the example's own data, not the API's shape (a plugin's settings).
FREE_FORM: dict[str, frozenset[str]] = {
    "nexusnet GET /plugins/{plugin_name}/status": frozenset({".configuration"}),
}

# Documented paths that do not answer as documented yet, and why (the count shows them; a
# path listed here that passes fails the test, so the list only shrinks).
KNOWN_OPEN: dict[str, str] = {}

# Open without an agent online only: the path needs one to set it up.
OPEN_WITHOUT_AGENT: dict[str, str] = {}

# Open in the `agent` pass only: what the reference agent (axonql/agent, #17) answers.
OPEN_WITH_AGENT: dict[str, str] = {}

# Paths whose setup differs once an agent is online (a job started as documented and run,
# rather than queued): the `agent` pass sends them again.
AGENT_SETUP = {
    "octospine GET /api/documentation/status/{job_id}",
    "nexusnet GET /train/{training_id}/status",
}

# Paths whose operation hands the work to an agent outside `submitTask` routes.
AGENT_WORK = {("octospine", "POST", "/api/documentation/generate")}


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def mismatches(
    documented: Any,
    live: Any,
    where: str = "",
    nullable: frozenset[str] = frozenset(),
    free_form: frozenset[str] = frozenset(),
) -> list[str]:
    """Where `live` lacks a documented key or has another JSON type, at any depth.

    `nullable` names the fields (`.a.b`, `.items[].c`) that may be null: values that do not
    exist yet (a task never run), listed with their reason in `NULL_UNTIL`.
    """
    here = where or "(body)"
    generic = re.sub(r"\[\d+\]", "[]", where)
    if live is None and generic in nullable:
        return []
    if kind(live) != kind(documented):
        return [f"{here}: {kind(documented)} documented, {kind(live)} answered"]
    if isinstance(documented, dict) and generic in free_form:
        return []
    if isinstance(documented, dict):
        out: list[str] = []
        for key, value in documented.items():
            if key not in live:
                out.append(f"{where}.{key}: missing")
            else:
                out += mismatches(value, live[key], f"{where}.{key}", nullable, free_form)
        return out
    if isinstance(documented, list) and documented:
        return [
            problem
            for i, item in enumerate(live)
            for problem in mismatches(documented[0], item, f"{where}[{i}]", nullable, free_form)
        ]
    return []


def empty_arrays(documented: Any, live: Any, where: str = "") -> list[str]:
    """Documented non-empty arrays answered empty: their elements went unchecked."""
    if isinstance(documented, dict) and isinstance(live, dict):
        return [
            found
            for key, value in documented.items()
            if key in live
            for found in empty_arrays(value, live[key], f"{where}.{key}")
        ]
    if isinstance(documented, list) and documented and isinstance(live, list):
        if not live:
            return [where]
        return [f for item in live[:1] for f in empty_arrays(documented[0], item, f"{where}[]")]
    return []


def error_shape(documented: Any) -> Any:
    """A documented error body with its `details` emptied: they belong to that one error."""
    if isinstance(documented, dict):
        return {k: {} if k == "details" else error_shape(v) for k, v in documented.items()}
    return documented


# ------------------------------------------------------------------ one pass against a server


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    body: Any
    content_type: str


@dataclass
class Pass:
    """One server's answers to every documented example."""

    mode: str
    base: str
    answers: dict[str, Answer] = field(default_factory=dict)
    setup_errors: dict[str, str] = field(default_factory=dict)

    def open_reason(self, entry: Entry) -> str | None:
        """Why this path is known not to answer as documented in this pass, if it is."""
        if entry.id in KNOWN_OPEN:
            return KNOWN_OPEN[entry.id]
        if self.mode == "agent":
            return OPEN_WITH_AGENT.get(entry.id)
        return OPEN_WITHOUT_AGENT.get(entry.id)

    def problems(self, entry: Entry) -> list[str]:
        if entry.id in self.setup_errors:
            return [f"setup failed: {self.setup_errors[entry.id]}"]
        answer = self.answers[entry.id]
        doc = entry.doc
        contract = CONTRACTS[entry.api]
        out: list[str] = []
        if entry.model_work and self.mode != "agent":
            # No capable agent is online: the documented "service unavailable" answer.
            if answer.status != 503:
                out.append(f"status {answer.status}, 503 expected with no agent online")
            return out + mismatches(error_shape(contract["error"]), answer.body)
        expected = doc["status"]
        if expected is not None and answer.status != expected:
            out.append(f"status {answer.status}, {expected} documented")
        elif not 200 <= answer.status < 300:
            out.append(f"status {answer.status}: {str(answer.body)[:300]}")
            return out
        for name in doc["headers"] + doc["response_headers"]:
            if name not in answer.headers:
                out.append(f"header {name} missing")
        if doc["response"] is not None:
            if contract["envelope"] is not None:
                out += mismatches(contract["envelope"], answer.body)
            nullable = frozenset(NULL_UNTIL.get(entry.id, {}))
            free = FREE_FORM.get(entry.id, frozenset())
            out += mismatches(doc["response"], answer.body, nullable=nullable, free_form=free)
        return out


class Admin:
    """GraphQL as an administrator of the server under test (the tests' setup steps)."""

    def __init__(self, http: httpx.AsyncClient, token: str, database: Any) -> None:
        self.http = http
        self.token = token
        self.database = database
        self.agent_online = False  # the reference agent runs (the `agent` pass)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token or self.token}"},
        )
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise AssertionError(json.dumps(body["errors"])[:500])
        data: dict[str, Any] = body["data"]
        return data

    async def found(self, query: str) -> bool:
        """Whether a lookup finds its object (a missing one is an error, not null)."""
        try:
            data = await self(query)
        except AssertionError:
            return False
        return all(value is not None for value in data.values())

    async def queued(self, api: str, path: str, capability: str) -> str:
        """The job a documented POST starts, queued through GraphQL with its documented body
        as parameters: with no agent online the POST itself answers 503."""
        doc = next(d for d in CONTRACTS[api]["paths"] if (d["method"], d["path"]) == ("POST", path))
        data = await self(
            "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
            {
                "i": {
                    "name": f"{api} POST {path}",
                    "type": capability,
                    "parameters": doc["request"],
                    "requiredCapabilities": [capability],
                }
            },
        )
        task_id: str = data["createTask"]["id"]
        return task_id

    async def documented(self, api: str, method: str, path: str) -> Any:
        """Send a path's documented example request; its decoded answer (for setups)."""
        doc = next(d for d in CONTRACTS[api]["paths"] if (d["method"], d["path"]) == (method, path))
        response = await self.http.request(
            method,
            MOUNTS[api] + path,
            params=doc["query"],
            json=doc["request"],
            headers={"Authorization": f"Bearer {self.token}"},
        )
        if response.status_code >= 300:
            raise AssertionError(response.text[:500])
        return response.json()


Setup = Callable[[Admin], Awaitable[dict[str, str]]]


async def _user(admin: Admin) -> dict[str, str]:
    if not await admin.found('{ user(id: "user123") { id } }'):
        await admin('mutation { createUser(input: {id: "user123", username: "user123"}) { id } }')
    return {"user_id": "user123"}


async def _user_context(admin: Admin) -> dict[str, str]:
    found = await _user(admin)
    await admin(
        "mutation($input: UserContextInput!) {"
        ' createUserContext(userId: "user123", input: $input) { contextCreated } }',
        {"input": {"skillLevels": {"python": "intermediate", "security": "beginner"}}},
    )
    return found


async def _session(admin: Admin) -> dict[str, str]:
    """The user's active learning session (the documented start has usually begun one)."""
    found = await _user_context(admin)
    context = await admin('{ userContext(userId: "user123") { currentSession { sessionId } } }')
    active = context["userContext"]["currentSession"]
    if active is not None:
        return {**found, "session_id": active["sessionId"]}
    data = await admin(
        'mutation { startLearningSession(userId: "user123",'
        ' input: {moduleId: "python_advanced_functions"}) { sessionId } }'
    )
    return {**found, "session_id": data["startLearningSession"]["sessionId"]}


async def _scenario(admin: Admin) -> dict[str, str]:
    await _user(admin)
    data = await admin(
        'mutation { generateSecurityScenario(input: {userId: "user123",'
        ' scenarioType: "phishing"}) { scenarioId } }'
    )
    return {"scenario_id": data["generateSecurityScenario"]["scenarioId"]}


async def _executive(admin: Admin) -> dict[str, str]:
    if not await admin.found('{ population(id: "executive") { id } }'):
        await admin(
            'mutation { createPopulation(input: {id: "executive", name: "Executive", size: 8,'
            ' seed: 3, specialization: "executive_control",'
            ' genomeSpec: [{name: "gain", min: 0, max: 1}]}) { id } }'
        )
    return {"population_id": "executive"}


async def _account(admin: Admin, username: str, password: str) -> None:
    """A user who logs in with a password (stored directly: some documented user names, such
    as an e-mail address, are not names account creation accepts)."""
    await admin.database["users"].update_one(
        {"username": username},
        {
            "$setOnInsert": {
                "_id": f"user_contract_{abs(hash(username)) % 10**8}",
                "password_hash": hash_password(password),
                "scopes": [],
                "is_active": True,
                "token_version": 0,
            }
        },
        upsert=True,
    )


async def _refresh_token(admin: Admin) -> dict[str, str]:
    await _account(admin, "refresh-user", "refresh-password")
    data = await admin(
        'mutation { login(username: "refresh-user", password: "refresh-password")'
        " { refreshToken } }"
    )
    return {"body.refresh_token": data["login"]["refreshToken"]}


def _login(api: str, path: str, username: str, password: str) -> Setup:
    """An account for the user name and password the documented example logs in with."""

    async def setup(admin: Admin) -> dict[str, str]:
        doc = next(d for d in CONTRACTS[api]["paths"] if d["path"] == path)
        await _account(admin, doc["request"][username], doc["request"][password])
        return {}

    return setup


async def _task(admin: Admin) -> dict[str, str]:
    created = await admin.documented("octospine", "POST", "/api/tasks")
    return {"task_id": created["data"]["id"]}


async def _training_task(admin: Admin) -> dict[str, str]:
    data = await admin(
        'mutation { createTask(input: {name: "training", type: "training"}) { id } }'
    )
    return {"training_id": data["createTask"]["id"]}


async def _training(admin: Admin) -> dict[str, str]:
    """A training started as documented, once its agent has reported an epoch (or finished);
    with no agent online, one queued (it reports no epoch and no metrics yet)."""
    if not admin.agent_online:
        return {"training_id": await admin.queued("nexusnet", "/train", "training")}
    started = await admin.documented("nexusnet", "POST", "/train")
    query = "query($id: ID!) { task(id: $id) { status progressDetails } }"

    async def reported() -> bool:
        task = (await admin(query, {"id": started["training_id"]}))["task"]
        return bool(task["progressDetails"]) or task["status"] == "COMPLETED"

    await wait_for(reported, timeout=30, interval=0.2)
    return {"training_id": started["training_id"]}


async def _agent(admin: Admin) -> dict[str, str]:
    created = await admin.documented("octospine", "POST", "/api/agents")
    return {"agent_id": created["data"]["id"]}


async def _doc_job(admin: Admin) -> dict[str, str]:
    """A documentation job started as documented; with no agent online, one queued."""
    if not admin.agent_online:
        job = await admin.queued("octospine", "/api/documentation/generate", "documentation")
        return {"job_id": job}
    created = await admin.documented("octospine", "POST", "/api/documentation/generate")
    return {"job_id": created["data"]["job_id"]}


async def _memory(admin: Admin) -> dict[str, str]:
    created = await admin.documented("lukhas", "POST", "/memory/store")
    return {"memory_id": created["memory_id"]}


def _documented(api: str, method: str, path: str) -> Setup:
    """Send another path's documented example first, so a list has something to show."""

    async def setup(admin: Admin) -> dict[str, str]:
        await admin.documented(api, method, path)
        return {}

    return setup


async def _plugin(admin: Admin) -> dict[str, str]:
    """The first plugin the server lists (the names are the server's, not the document's)."""
    response = await admin.http.get("/plugins", headers={"Authorization": f"Bearer {admin.token}"})
    plugins = response.json().get("plugins") or []
    return {"plugin_name": plugins[0]["name"]} if plugins else {}


async def _stage(admin: Admin) -> dict[str, str]:
    """The first MATRIZ stage, as the reference's pipeline status lists them."""
    status = next(d for d in CONTRACTS["lukhas"]["paths"] if d["path"] == "/matriz/status")
    return {"stage_name": next(iter(status["response"]["pipeline_health"]))}


async def _simulation_agent(admin: Admin) -> dict[str, str]:
    """A registered agent that runs drift simulations, online (the server only queues work)."""
    data = await admin(
        "mutation($i: CreateAgentInput!) { registerAgent(input: $i) { apiKey } }",
        {"i": {"name": "simulation worker", "capabilities": [SIMULATION]}},
    )
    await admin("mutation { agentHeartbeat { id } }", token=data["registerAgent"]["apiKey"])
    return {}


async def _simulation(admin: Admin) -> dict[str, str]:
    await _simulation_agent(admin)
    found = await admin.found("{ simulationStatus { status } }")
    status = await admin("{ simulationStatus { status } }") if found else {}
    if not found or str(status["simulationStatus"]["status"]).lower() not in ("running", "paused"):
        await admin(
            'mutation { startSimulation(input: {experimentalCondition: "CONTROL"}) { status } }'
        )
    return {}


async def _paused_simulation(admin: Admin) -> dict[str, str]:
    await _simulation(admin)
    status = await admin("{ simulationStatus { status } }")
    if str(status["simulationStatus"]["status"]).lower() != "paused":
        await admin("mutation { pauseSimulation { status } }")
    return {}


SETUPS: dict[tuple[str, str, str], Setup] = {
    ("synapticos", "POST", "/users/{user_id}/context"): _user,
    ("synapticos", "GET", "/users/{user_id}/context"): _user_context,
    ("synapticos", "POST", "/users/{user_id}/progress"): _user_context,
    ("synapticos", "GET", "/users/{user_id}/recommendations"): _user_context,
    ("synapticos", "POST", "/users/{user_id}/sessions"): _user_context,
    ("synapticos", "POST", "/users/{user_id}/sessions/{session_id}/end"): _session,
    ("synapticos", "POST", "/security/scenarios/generate"): _user,
    ("synapticos", "POST", "/security/scenarios/{scenario_id}/assess"): _scenario,
    ("synapticos", "POST", "/neural/populations/{population_id}/evolve"): _executive,
    ("synapticos", "POST", "/auth/refresh"): _refresh_token,
    ("octospine", "GET", "/api/tasks"): _task,
    ("octospine", "GET", "/api/tasks/{task_id}"): _task,
    ("octospine", "PUT", "/api/tasks/{task_id}"): _task,
    ("octospine", "DELETE", "/api/tasks/{task_id}"): _task,
    ("octospine", "GET", "/api/agents"): _agent,
    ("octospine", "GET", "/api/agents/{agent_id}"): _agent,
    ("octospine", "GET", "/api/documentation/status/{job_id}"): _doc_job,
    ("octospine", "GET", "/api/automations"): _documented("octospine", "POST", "/api/automations"),
    ("lukhas", "GET", "/constellation/registry/nodes"): _documented(
        "lukhas", "POST", "/constellation/registry/nodes"
    ),
    ("lukhas", "POST", "/memory/search"): _documented("lukhas", "POST", "/memory/store"),
    ("lukhas", "POST", "/auth/token"): _login("lukhas", "/auth/token", "username", "password"),
    ("lukhas", "POST", "/auth/refresh"): _refresh_token,
    ("lukhas", "POST", "/constellation/identity/authenticate"): _login(
        "lukhas", "/constellation/identity/authenticate", "lambda_id", "biometric_data"
    ),
    ("lukhas", "POST", "/matriz/stage/{stage_name}"): _stage,
    ("lukhas", "GET", "/memory/recall/{memory_id}"): _memory,
    ("nexusnet", "POST", "/auth/login"): _login("nexusnet", "/auth/login", "username", "password"),
    ("nexusnet", "GET", "/train/{training_id}/status"): _training,
    ("nexusnet", "DELETE", "/train/{training_id}"): _training_task,
    ("nexusnet", "GET", "/plugins/{plugin_name}/status"): _plugin,
    ("nexusnet", "POST", "/plugins/{plugin_name}/activate"): _plugin,
    ("nexusnet", "POST", "/plugins/{plugin_name}/deactivate"): _plugin,
    ("nexusnet", "PUT", "/plugins/{plugin_name}/config"): _plugin,
    ("drift", "POST", "/api/v1/simulation/start"): _simulation_agent,
    ("drift", "POST", "/api/v1/simulation/stop"): _simulation,
    ("drift", "POST", "/api/v1/simulation/pause"): _simulation,
    ("drift", "POST", "/api/v1/simulation/resume"): _paused_simulation,
    ("drift", "GET", "/api/v1/simulation/status"): _simulation,
    ("drift", "GET", "/api/v1/simulation/results"): _simulation,
}

# Paths a client calls without a token (they hand one out).
PUBLIC = {
    ("synapticos", "POST", "/auth/refresh"),
    ("lukhas", "POST", "/auth/token"),
    ("lukhas", "POST", "/auth/refresh"),
    ("lukhas", "POST", "/constellation/identity/authenticate"),
    ("nexusnet", "POST", "/auth/login"),
}


async def send(http: httpx.AsyncClient, admin: Admin, entry: Entry) -> Answer:
    setup = SETUPS.get(entry.key)
    found = await setup(admin) if setup else {}
    path = entry.doc["path"]
    for key, value in found.items():
        path = path.replace("{" + key + "}", value)
    body = entry.doc["request"]
    if isinstance(body, dict):
        body = {**body, **{k[5:]: v for k, v in found.items() if k.startswith("body.")}}
    headers = {} if entry.key in PUBLIC else {"Authorization": f"Bearer {admin.token}"}
    response = await http.request(
        entry.doc["method"],
        MOUNTS[entry.api] + path,
        params=entry.doc["query"],
        json=body,
        headers=headers,
    )
    content_type = response.headers.get("content-type", "")
    decoded = response.json() if content_type.startswith("application/json") else None
    return Answer(response.status_code, response.headers, decoded, content_type)


async def start_reference_agent(admin: Admin, url: str, home: Path) -> AgentProcess:
    """`axonql agent` with the reference handlers, online. Not `drift_simulation`: the drift
    paths drive a run that must stay running (their setup registers an agent that only
    holds it)."""
    capabilities = [c for c in REFERENCE_CAPABILITIES.split(",") if c != SIMULATION]
    data = await admin(
        "mutation($i: CreateAgentInput!) { registerAgent(input: $i) { apiKey agent { id } } }",
        {"i": {"name": "reference agent", "capabilities": capabilities}},
    )
    registered = data["registerAgent"]
    agent = AgentProcess(url, registered["apiKey"], capabilities, home).start()

    async def online() -> bool:
        query = "query($id: ID!) { agent(id: $id) { lastHeartbeat } }"
        found = await admin(query, {"id": registered["agent"]["id"]})
        return found["agent"]["lastHeartbeat"] is not None

    await wait_for(online, timeout=30, interval=0.2)
    return agent


async def run_pass(http: httpx.AsyncClient, admin: Admin, done: Pass, entries: list[Entry]) -> None:
    for entry in entries:
        try:
            done.answers[entry.id] = await send(http, admin, entry)
            done.setup_errors.pop(entry.id, None)
        except AssertionError as exc:
            done.setup_errors[entry.id] = str(exc)


@asynccontextmanager
async def serving(
    mongo_url: str, home: Path, name: str, *, demo: bool
) -> AsyncIterator[tuple[ServerProcess, Admin, httpx.AsyncClient]]:
    """`axonql serve` on a new database, with an administrator's client."""
    database = own_database(f"axonql_contract_{name}")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    await client.drop_database(database)
    server = ServerProcess(mongo_url, database, home, demo=demo)
    await server.start()
    try:
        token = await admin_token(client[database])
        base = server.url.removesuffix("/graphql")
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            yield server, Admin(http, token, client[database]), http
    finally:
        server.stop()
        await client.drop_database(database)
        await client.close()


@pytest.fixture(scope="module")
async def fresh_passes(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Pass, Pass]]:
    """A fresh install answers every path with no agent online (`fresh`); then, with the
    reference agent started, the paths that need one are sent again (`agent`)."""
    home: Path = tmp_path_factory.mktemp("contract-fresh")
    async with serving(mongo_url, home, "fresh", demo=False) as (server, admin, http):
        base = server.url.removesuffix("/graphql")
        fresh = Pass("fresh", base)
        await run_pass(http, admin, fresh, ENTRIES)
        agent = await start_reference_agent(admin, server.url, home)
        try:
            with_agent = Pass("agent", base, dict(fresh.answers), dict(fresh.setup_errors))
            admin.agent_online = True
            needs = [
                e
                for e in ENTRIES
                if e.model_work or e.id in OPEN_WITHOUT_AGENT or e.id in AGENT_SETUP
            ]
            await run_pass(http, admin, with_agent, needs)
            yield fresh, with_agent
        finally:
            agent.stop()


@pytest.fixture(scope="module")
async def demo_pass(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pass]:
    """The same paths on an install loaded with `--demo` (no agent online)."""
    home: Path = tmp_path_factory.mktemp("contract-demo")
    async with serving(mongo_url, home, "demo", demo=True) as (server, admin, http):
        done = Pass("demo", server.url.removesuffix("/graphql"))
        await run_pass(http, admin, done, ENTRIES)
        yield done


# fresh: a new data directory, no agent; agent: the same server once the reference agent is
# online, so model work answers in full; demo: loaded with --demo, no agent.
@pytest.fixture(scope="module", params=["fresh", "agent", "demo"])
def served(request: pytest.FixtureRequest) -> Pass:
    if request.param == "demo":
        found: Pass = request.getfixturevalue("demo_pass")
        return found
    passes: tuple[Pass, Pass] = request.getfixturevalue("fresh_passes")
    return passes[0] if request.param == "fresh" else passes[1]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_documented_path(served: Pass, entry: Entry) -> None:
    problems = served.problems(entry)
    reason = served.open_reason(entry)
    if reason is not None:
        assert problems, f"{entry.id} answers as documented now: it is no longer open"
        pytest.xfail(f"{reason}: {problems[0]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("api", API_NAMES)
async def test_unknown_paths_and_methods(served: Pass, api: str) -> None:
    """Under each mount: an unknown path is 404 and a wrong method 405, in the API's body."""
    first = CONTRACTS[api]["paths"][0]
    unknown = MOUNTS[api] + first["path"].rsplit("/", 1)[0] + "/no-such-endpoint"
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as http:
        missing = await http.get(unknown)
        wrong = await http.request("PATCH", MOUNTS[api] + first["path"])
    for response, status in ((missing, 404), (wrong, 405)):
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert not mismatches(error_shape(CONTRACTS[api]["error"]), response.json())
    assert first["method"] in wrong.headers["allow"]


def test_count(served: Pass) -> None:
    """How many documented paths answer as documented (printed; every one must)."""
    failing = [e.id for e in ENTRIES if served.problems(e)]
    work = sum(e.model_work for e in ENTRIES)
    how = "answered by the reference agent" if served.mode == "agent" else "checked for 503"
    print(
        f"\n{served.mode}: {len(ENTRIES) - len(failing)} of {len(ENTRIES)} documented paths"
        f" answer as documented ({work} model-work paths {how})"
    )
    for entry in ENTRIES:
        for problem in served.problems(entry)[:4]:
            print(f"  {entry.id}: {problem}")
    unchecked = [
        f"{entry.id} {where}"
        for entry in ENTRIES
        if entry.id in served.answers and entry.doc["response"] is not None
        for where in empty_arrays(entry.doc["response"], served.answers[entry.id].body)
    ]
    print(f"  arrays answered empty (elements unchecked): {len(unchecked)}")
    for found in unchecked:
        print(f"    {found}")
    unexpected = [e.id for e in ENTRIES if e.id in failing and served.open_reason(e) is None]
    assert not unexpected, unexpected
