"""Request/reply: submitTask awaits the result; 503 without a capable agent; 504 on timeout."""

from __future__ import annotations

import asyncio

from axonql import models
from tests.agents_support import COMPLETE, claim, register
from tests.support import GraphQLClient, error_codes

SUBMIT = """
mutation($input: CreateTaskInput!, $wait: Float!) {
  submitTask(input: $input, waitSeconds: $wait) { id status result error }
}"""


async def test_no_capable_agent_online_is_503(gql: GraphQLClient, admin_token: str) -> None:
    await register(gql, admin_token, "sleeper", ["text"], heartbeat=False)  # never online
    body = await gql(
        SUBMIT, {"input": {"name": "x", "requiredCapabilities": ["text"]}, "wait": 1}, admin_token
    )
    assert error_codes(body) == ["NO_CAPABLE_AGENT"]
    assert body["errors"][0]["extensions"]["status"] == 503
    assert await models.Task.count() == 0  # nothing half-created


async def test_submit_waits_for_the_result(gql: GraphQLClient, admin_token: str) -> None:
    _, key = await register(gql, admin_token, "echo", ["text"])

    async def agent() -> None:
        task = await claim(gql, key, wait=5.0)  # long-poll until the submission arrives
        assert task is not None
        await gql(COMPLETE, {"id": task["id"], "r": {"echo": task["parameters"]["text"]}}, key)

    worker = asyncio.create_task(agent())
    body = await gql(
        SUBMIT,
        {
            "input": {
                "name": "echo",
                "requiredCapabilities": ["text"],
                "parameters": {"text": "hi"},
            },
            "wait": 10,
        },
        admin_token,
    )
    await worker
    assert body["data"]["submitTask"]["status"] == "COMPLETED"
    assert body["data"]["submitTask"]["result"] == {"echo": "hi"}


async def test_timeout_is_504_and_cancels_the_abandoned_task(
    gql: GraphQLClient, admin_token: str
) -> None:
    await register(gql, admin_token, "idle", ["text"])  # online but never claims
    body = await gql(
        SUBMIT,
        {"input": {"name": "slow", "requiredCapabilities": ["text"]}, "wait": 0.5},
        admin_token,
    )
    assert error_codes(body) == ["TIMEOUT"]
    assert body["errors"][0]["extensions"]["status"] == 504
    task_id = body["errors"][0]["extensions"]["details"]["task_id"]
    visible = await gql(
        "query($id: ID!) { task(id: $id) { status } }", {"id": task_id}, admin_token
    )
    assert visible["data"]["task"]["status"] == "CANCELLED"  # nobody waits for it any more


async def test_timeout_keeps_the_task_when_asked(gql: GraphQLClient, admin_token: str) -> None:
    await register(gql, admin_token, "idle", ["text"])  # online but never claims
    keep = """
    mutation($input: CreateTaskInput!) {
      submitTask(input: $input, waitSeconds: 0.5, keepOnTimeout: true) { id }
    }"""
    body = await gql(
        keep, {"input": {"name": "slow", "requiredCapabilities": ["text"]}}, admin_token
    )
    assert error_codes(body) == ["TIMEOUT"]
    task_id = body["errors"][0]["extensions"]["details"]["task_id"]
    visible = await gql(
        "query($id: ID!) { task(id: $id) { status } }", {"id": task_id}, admin_token
    )
    assert visible["data"]["task"]["status"] == "QUEUED"
    cancelled = await gql(
        "mutation($id: ID!) { cancelTask(id: $id) { status } }", {"id": task_id}, admin_token
    )
    assert cancelled["data"]["cancelTask"]["status"] == "CANCELLED"


async def test_bad_wait_and_capability_inputs(gql: GraphQLClient, admin_token: str) -> None:
    await register(gql, admin_token, "a", ["text"])
    body = await gql(SUBMIT, {"input": {"name": "x"}, "wait": -1}, admin_token)
    assert error_codes(body) == ["VALIDATION_ERROR"]
    assert body["errors"][0]["extensions"]["field"] == "waitSeconds"
    body = await gql(
        SUBMIT,
        {"input": {"name": "x", "requiredCapabilities": ["no spaces!"]}, "wait": 0},
        admin_token,
    )
    assert error_codes(body) == ["VALIDATION_ERROR"]
    body = await gql(
        'mutation { registerAgent(input: {name: "n", configuration: {timeout: -5}}) { apiKey } }',
        token=admin_token,
    )
    assert error_codes(body) == ["VALIDATION_ERROR"]
    assert body["errors"][0]["extensions"]["field"] == "configuration.timeout"
    assert await models.Task.count() == 0
    assert await models.Agent.count() == 1


async def test_submit_without_waiting_returns_the_queued_task(
    gql: GraphQLClient, admin_token: str
) -> None:
    await register(gql, admin_token, "a", [])
    body = await gql(SUBMIT, {"input": {"name": "later"}, "wait": 0}, admin_token)
    assert body["data"]["submitTask"]["status"] == "QUEUED"
