"""GraphQL over HTTP conformance: the `graphql-http` npm audit, and the media types in Python.

The audit (`serverAudits` of graphql-http, the reference implementation of the GraphQL over
HTTP spec) runs in Node against the live server; every audit, MUST, SHOULD and MAY, must pass.
The focused tests pin the rules behind the audit's `application/graphql-response+json` checks,
and that `application/json` (the legacy default) keeps answering 200 with errors.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.support import RunningServer
from tests.test_subscriptions_node import NODE_DIR, node_or_skip

GRAPHQL_RESPONSE = "application/graphql-response+json"
MISSING_FIELD = "{ thisFieldDoesNotExist }"
COERCION = {"query": "query Coerce($id: ID!) { __typename }", "variables": {"id": None}}


async def run_audit(url: str) -> list[dict[str, Any]]:
    """One result per audit, from the Node script (asynchronously: the server is in this loop)."""
    process = await asyncio.create_subprocess_exec(
        node_or_skip(),
        str(NODE_DIR / "http_audit.mjs"),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_graphql_http_server_audit_passes(server: RunningServer) -> None:
    results = await run_audit(f"{server.url}/graphql")
    assert len(results) > 50, results  # the whole list ran (61 audits in graphql-http 1.23.1)
    failing = [r for r in results if r["status"] != "ok"]
    assert not failing, "\n".join(json.dumps(r) for r in failing)


async def post(http: httpx.AsyncClient, body: dict[str, Any], accept: str) -> httpx.Response:
    return await http.post("/graphql", json=body, headers={"Accept": accept})


def assert_request_error(response: httpx.Response) -> dict[str, Any]:
    """A request error with the new media type: 400, that type, errors and no `data` entry."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body: dict[str, Any] = response.json()
    assert "data" not in body, body
    assert body["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
    return body


async def test_graphql_response_json_success_is_200_with_that_type(
    http: httpx.AsyncClient,
) -> None:
    response = await post(http, {"query": "{ __typename }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphql_response_json_syntax_error_is_400_without_data(
    http: httpx.AsyncClient,
) -> None:
    assert_request_error(await post(http, {"query": "{"}, GRAPHQL_RESPONSE))


async def test_graphql_response_json_validation_error_is_400_without_data(
    http: httpx.AsyncClient,
) -> None:
    assert_request_error(await post(http, {"query": MISSING_FIELD}, GRAPHQL_RESPONSE))


async def test_graphql_response_json_bad_variable_is_400_without_data(
    http: httpx.AsyncClient,
) -> None:
    body = assert_request_error(await post(http, COERCION, GRAPHQL_RESPONSE))
    assert "$id" in body["errors"][0]["message"]


async def test_graphql_response_json_preferred_when_both_are_accepted(
    http: httpx.AsyncClient,
) -> None:
    # What Apollo Client and graphql-http's own client send.
    accept = f"{GRAPHQL_RESPONSE}, application/json;q=0.9"
    assert_request_error(await post(http, {"query": MISSING_FIELD}, accept))


async def test_graphql_response_json_field_error_keeps_data_and_200(
    http: httpx.AsyncClient,
) -> None:
    # An error while executing is not a request error: `data` is there, the status is 200,
    # even when the error's null reached the root (`tasks` is non-null) and `data` is null.
    for query, data in (('{ task(id: "x") { id } }', {"task": None}), ("{ tasks { id } }", None)):
        response = await post(http, {"query": query}, GRAPHQL_RESPONSE)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        body = response.json()
        assert body["data"] == data
        assert body["errors"][0]["path"]


async def test_application_json_validation_error_stays_200_with_data(
    http: httpx.AsyncClient,
) -> None:
    for accept in ("application/json", "*/*"):
        response = await post(http, {"query": MISSING_FIELD}, accept)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
    missing = await http.post("/graphql", json=COERCION)  # no Accept at all: application/json
    assert missing.status_code == 200
    assert missing.headers["content-type"].startswith("application/json")


async def test_graphql_response_json_refusals_use_that_type(http: httpx.AsyncClient) -> None:
    # Refused before it runs (not JSON): still GraphQL errors, in the media type asked for.
    response = await http.post(
        "/graphql",
        content=b'{ "not a JSON',
        headers={"Accept": GRAPHQL_RESPONSE, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in response.json()


@pytest.mark.parametrize("name", [{"obj": "ect"}, ["array"]], ids=["object", "array"])
async def test_an_operation_name_that_is_not_a_string_is_a_coded_400(
    http: httpx.AsyncClient, name: object
) -> None:
    response = await http.post("/graphql", json={"query": "{ __typename }", "operationName": name})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_REQUEST"
    assert error["extensions"]["field"] == "operationName"
