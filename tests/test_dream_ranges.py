"""LUKHAS `/dream/generate` and the GraphQL behind it refuse out-of-range values, taskless."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from axonql import models
from axonql.rest_compat.mount import engine_of
from tests.agents_support import CREATE, register
from tests.support import GraphQLClient, RunningServer, error_codes

SUBMIT = """
mutation($input: CreateTaskInput!, $wait: Float!) {
  submitTask(input: $input, waitSeconds: $wait) { id status parameters }
}"""
SEED = "Design a sustainable city for Mars"


@pytest.fixture(autouse=True)
async def dream_agent(server: RunningServer, gql: GraphQLClient, admin_token: str) -> None:
    """An online agent that could take dream work: a bad value is refused, not merely unserved."""
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.limiter.reset()
    await register(gql, admin_token, "dreamer", ["dream"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("creativity_level", 99),
        ("creativity_level", -0.1),
        ("creativity_level", 1.01),
        ("num_realities", 1000000000),
        ("num_realities", 0),
        ("num_realities", 11),
    ],
)
async def test_lukhas_dream_generate_refuses_out_of_range_values(
    http: httpx.AsyncClient, admin_token: str, field: str, value: Any
) -> None:
    body = {"seed": SEED, "creativity_level": 0.8, "num_realities": 5, field: value}
    response = await http.post(
        "/v1/dream/generate", json=body, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == field
    assert field in error["message"]
    assert error["trace_id"] and error["timestamp"]  # LUKHAS's envelope
    assert await models.Task.count() == 0


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"creativity_level": 99}, "creativity_level"),
        ({"creativity_level": True}, "creativity_level"),
        ({"creativity_level": "high"}, "creativity_level"),
        ({"num_realities": 1000000000}, "num_realities"),
        ({"num_realities": 2.5}, "num_realities"),
    ],
)
async def test_submit_and_create_task_refuse_the_same_values(
    gql: GraphQLClient, admin_token: str, parameters: dict[str, Any], field: str
) -> None:
    dream = {"name": "dream", "type": "dream", "requiredCapabilities": ["dream"]}
    # Named otherwise, the capability still makes it dream work.
    disguised = {"name": "x", "type": "creative", "requiredCapabilities": ["dream"]}
    for query, task in ((SUBMIT, dream), (SUBMIT, disguised), (CREATE, dream)):
        variables: dict[str, Any] = {"input": {**task, "parameters": parameters}}
        if query == SUBMIT:
            variables["wait"] = 0
        body = await gql(query, variables, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"], body
        extensions = body["errors"][0]["extensions"]
        assert extensions["status"] == 422 and extensions["field"] == field
    assert await models.Task.count() == 0


def dream_input(creativity: Any, realities: Any) -> dict[str, Any]:
    parameters = {"seed": SEED, "creativity_level": creativity, "num_realities": realities}
    return {
        "name": "dream",
        "type": "dream",
        "requiredCapabilities": ["dream"],
        "parameters": parameters,
    }


async def test_the_bounds_are_accepted_and_just_past_them_refused(
    gql: GraphQLClient, admin_token: str
) -> None:
    for creativity, realities in ((0.0, 1), (1.0, 10), (0, 10)):
        task = dream_input(creativity, realities)
        body = await gql(SUBMIT, {"input": task, "wait": 0}, admin_token)
        assert "errors" not in body, body
        assert body["data"]["submitTask"]["status"] == "QUEUED"
        assert body["data"]["submitTask"]["parameters"] == task["parameters"]
    for creativity, realities in ((1.0001, 10), (0.0, 11), (-0.0001, 1)):
        task = dream_input(creativity, realities)
        body = await gql(SUBMIT, {"input": task, "wait": 0}, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"], body
    assert await models.Task.count() == 3
