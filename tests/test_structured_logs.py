"""Structured logs: every line JSON with its request's context (AXONQL_LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx

from axonql.observability.logs import LogFormat
from tests.log_capture import captured_logs
from tests.processes import serving
from tests.support import RunningServer, own_database

ROOT = Path(__file__).resolve().parent.parent
BROKEN_TASK = "task_broken_for_logs"
READ_BROKEN = 'query ReadBroken { task(id: "task_broken_for_logs") { id name } }'


def serve_json_logs(mongo_url: str, tmp_path: Path, database: str) -> tuple[str, list[str]]:
    """Run `axonql serve` with JSON logs, send it requests with ids and tokens; its stderr."""
    stderr_path, stdout_path = tmp_path / "serve.err", tmp_path / "serve.out"
    with (
        stderr_path.open("wb") as stderr,
        stdout_path.open("wb") as stdout,
        serving(
            mongo_url, tmp_path, database, stdout=stdout, stderr=stderr, AXONQL_LOG_FORMAT="json"
        ) as base,
    ):
        health = httpx.get(
            f"{base}/health?token=secret-json-token&verbose=1",
            headers={"X-Request-ID": "req-json-health"},
            timeout=10,
        )
        assert health.headers["X-Request-ID"] == "req-json-health"
        graphql = httpx.post(
            f"{base}/graphql?access_token=secret-json-access",
            json={"query": "query Ping { __typename }", "operationName": "Ping"},
            headers={"X-Request-ID": "req-json-graphql", "Authorization": "Bearer secret-bad"},
            timeout=10,
        )
        assert graphql.status_code == 200
    return stderr_path.read_text(errors="replace"), stdout_path.read_text().splitlines()


def test_serve_writes_every_log_line_as_json_with_the_request_id(
    mongo_url: str, tmp_path: Path
) -> None:
    output, _announcements = serve_json_logs(
        mongo_url, tmp_path, own_database("axonql_json_log_test")
    )
    lines = output.splitlines()
    assert lines, "no log output"
    records = []
    for line in lines:
        record = json.loads(line)  # every line, uvicorn's start-up and access lines included
        assert {"event", "level", "logger", "timestamp"} <= record.keys(), line
        records.append(record)
    assert "secret-" not in output, output
    health = [r for r in records if r.get("request_id") == "req-json-health"]
    assert any(
        r["logger"] == "uvicorn.access" and "GET /health?token=[REDACTED]&verbose=1" in r["event"]
        for r in health
    ), health
    graphql = [r for r in records if r.get("request_id") == "req-json-graphql"]
    assert any("access_token=[REDACTED]" in r["event"] for r in graphql), graphql
    # Outside any request (start-up, shutdown) there is no request id to carry.
    assert any(r["logger"].startswith("uvicorn") and "request_id" not in r for r in records)


async def test_log_lines_of_an_operation_carry_its_name_and_caller(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    db = server.app.state.axon.database.db
    await db.tasks.insert_one({"_id": BROKEN_TASK, "name": {"not": "a string"}, "status": 42})
    headers = {"Authorization": f"Bearer {admin_token}", "X-Request-ID": "req-json-operation"}
    with captured_logs("axonql", "json", logging.ERROR) as json_logs:
        response = await http.post("/graphql", json={"query": READ_BROKEN}, headers=headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
    (record,) = json_logs.records()
    assert record["event"] == "unexpected error"
    assert record["level"] == "error"
    assert record["request_id"] == "req-json-operation"
    assert record["operation"] == "ReadBroken"  # named in the document, not the request
    assert record["user_id"] == "user_admin"
    assert "Traceback" in record["exception"]


async def test_text_stays_the_default_with_the_context_after_the_message(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    db = server.app.state.axon.database.db
    await db.tasks.insert_one({"_id": BROKEN_TASK, "name": {"not": "a string"}, "status": 42})
    headers = {"Authorization": f"Bearer {admin_token}", "X-Request-ID": "req-text"}
    with captured_logs("axonql", "text", logging.ERROR) as text_logs:
        await http.post("/graphql", json={"query": READ_BROKEN}, headers=headers)
    first = text_logs.lines()[0]
    assert " ERROR axonql.errors: unexpected error " in first
    assert "request_id=req-text" in first and "operation=ReadBroken" in first
    assert "user_id=user_admin" in first


def test_redaction_applies_to_both_formats() -> None:
    formats: tuple[LogFormat, ...] = ("json", "text")
    for log_format in formats:
        with captured_logs("axonql.test_redaction", log_format) as logs:
            logging.getLogger("axonql.test_redaction").warning(
                "opened %s", "/v1/stream?token=secret-in-args"
            )
        assert logs.lines() and "secret-" not in logs.stream.getvalue(), logs.lines()
        assert "/v1/stream?token=[REDACTED]" in logs.stream.getvalue()


async def test_answers_to_client_mistakes_log_no_errors(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    """A refused token, a missing scope or a bad argument is an answer, not a fault: nothing
    at ERROR (Strawberry alone logs each with a traceback); an unexpected error still is."""
    db = server.app.state.axon.database.db
    await db.tasks.insert_one({"_id": BROKEN_TASK, "name": {"not": "a string"}, "status": 42})
    admin = {"Authorization": f"Bearer {admin_token}"}
    with captured_logs("", "json", logging.ERROR) as logs:
        refused = await http.post(
            "/graphql",
            json={"query": "{ tasks { id } }"},
            headers={"Authorization": "Bearer not-a-token"},
        )
        invalid = await http.post(
            "/graphql", json={"query": '{ task(id: "task_missing") { id } }'}, headers=admin
        )
        await http.get("/health")
        assert refused.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
        assert invalid.json()["errors"][0]["extensions"]["code"] == "RESOURCE_NOT_FOUND"
    assert logs.lines() == []
    with captured_logs("", "json", logging.ERROR) as logs:
        await http.post("/graphql", json={"query": READ_BROKEN}, headers=admin)
    assert [r["event"] for r in logs.records()] == ["unexpected error"]
