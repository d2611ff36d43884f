"""Helpers for the work-queue tests: register agents, act as them over real HTTP."""

from __future__ import annotations

from typing import Any

from tests.support import GraphQLClient

REGISTER = """
mutation($input: CreateAgentInput!) {
  registerAgent(input: $input) { apiKey agent { id name status capabilities } }
}"""
CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id status } }"
QUEUE = "mutation($id: ID!) { queueTask(id: $id) { id status queuedAt: updatedAt } }"
CLAIM = """
mutation($caps: [String!], $wait: Float! = 0) {
  claimTask(capabilities: $caps, waitSeconds: $wait) {
    id name status priority attempts agentId leaseExpiresAt parameters requiredCapabilities
  }
}"""
PROGRESS = """
mutation($id: ID!, $p: Int!, $m: String) {
  reportProgress(id: $id, progress: $p, message: $m) { id status progress leaseExpiresAt }
}"""
COMPLETE = """
mutation($id: ID!, $r: JSON) { completeTask(id: $id, result: $r) { id status result progress } }"""
FAIL = """
mutation($id: ID!, $e: String!, $retry: Boolean! = true) {
  failTask(id: $id, error: $e, retry: $retry) { id status error attempts agentId }
}"""
HEARTBEAT = "mutation($caps: [String!]) { agentHeartbeat(capabilities: $caps) { id status } }"


async def register(
    gql: GraphQLClient,
    token: str,
    name: str,
    capabilities: list[str],
    *,
    max_concurrent: int = 5,
    heartbeat: bool = True,
) -> tuple[str, str]:
    """(agent id, API key) of a newly registered agent, online unless `heartbeat=False`."""
    body = await gql(
        REGISTER,
        {
            "input": {
                "name": name,
                "capabilities": capabilities,
                "configuration": {"maxConcurrentTasks": max_concurrent},
            }
        },
        token,
    )
    assert "errors" not in body, body
    data = body["data"]["registerAgent"]
    if heartbeat:
        beat = await gql(HEARTBEAT, {}, data["apiKey"])
        assert "errors" not in beat, beat
    return data["agent"]["id"], data["apiKey"]


async def queued_task(gql: GraphQLClient, token: str, **fields: Any) -> str:
    """Create and queue a task; returns its id."""
    body = await gql(CREATE, {"input": {"name": "t", **fields}}, token)
    assert "errors" not in body, body
    task_id: str = body["data"]["createTask"]["id"]
    queued = await gql(QUEUE, {"id": task_id}, token)
    assert "errors" not in queued, queued
    return task_id


async def claim(gql: GraphQLClient, key: str, **variables: Any) -> dict[str, Any] | None:
    body = await gql(CLAIM, variables, key)
    assert "errors" not in body, body
    task: dict[str, Any] | None = body["data"]["claimTask"]
    return task
