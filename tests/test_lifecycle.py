"""The task state machine: the table, and illegal transitions refused over HTTP."""

from __future__ import annotations

import pytest

from axonql import models
from axonql.errors import IllegalTransition
from axonql.models.task import TaskStatus as S
from axonql.services import lifecycle
from tests.agents_support import CLAIM, COMPLETE, PROGRESS, claim, queued_task, register
from tests.support import GraphQLClient, RequestCommands, error_codes


def test_table_matches_the_documented_lifecycle() -> None:
    assert lifecycle.can_move(S.CREATED, S.QUEUED)
    assert lifecycle.can_move(S.QUEUED, S.RUNNING)
    assert lifecycle.can_move(S.RUNNING, S.PAUSED) and lifecycle.can_move(S.PAUSED, S.RUNNING)
    for end in (S.COMPLETED, S.FAILED, S.CANCELLED):
        assert lifecycle.can_move(S.RUNNING, end)
    assert {S.COMPLETED, S.FAILED, S.CANCELLED} == lifecycle.TERMINAL
    assert not lifecycle.can_move(S.CREATED, S.RUNNING)
    assert not lifecycle.can_move(S.QUEUED, S.COMPLETED)
    assert not lifecycle.can_move(S.QUEUED, S.PAUSED)
    for end in lifecycle.TERMINAL:
        assert all(not lifecycle.can_move(end, s) for s in S)
    assert lifecycle.sources(S.PAUSED) == [S.RUNNING]


def test_check_names_the_allowed_moves() -> None:
    with pytest.raises(IllegalTransition) as caught:
        lifecycle.check(S.COMPLETED, S.QUEUED, "task_x")
    assert caught.value.code == "ILLEGAL_TRANSITION"
    assert caught.value.status == 409
    assert caught.value.details["from"] == "completed"
    assert caught.value.details["allowed"] == []


async def test_illegal_transitions_over_graphql(gql: GraphQLClient, admin_token: str) -> None:
    _, key = await register(gql, admin_token, "worker", ["text"])
    created = await gql(
        'mutation { createTask(input: {name: "x"}) { id status } }', token=admin_token
    )
    task_id = created["data"]["createTask"]["id"]

    # created → paused / running / completed are not in the table
    body = await gql(
        "mutation($id: ID!) { pauseTask(id: $id) { id } }", {"id": task_id}, admin_token
    )
    assert error_codes(body) == ["ILLEGAL_TRANSITION"]
    assert body["errors"][0]["extensions"]["status"] == 409
    body = await gql(
        "mutation($id: ID!) { resumeTask(id: $id) { id } }", {"id": task_id}, admin_token
    )
    assert error_codes(body) == ["ILLEGAL_TRANSITION"]
    assert (await models.Task.get(task_id)).status is S.CREATED  # type: ignore[union-attr]

    # queued twice
    await gql("mutation($id: ID!) { queueTask(id: $id) { id } }", {"id": task_id}, admin_token)
    body = await gql(
        "mutation($id: ID!) { queueTask(id: $id) { id } }", {"id": task_id}, admin_token
    )
    assert error_codes(body) == ["ILLEGAL_TRANSITION"]
    assert body["errors"][0]["extensions"]["details"]["from"] == "queued"

    # completed → anything
    claimed = await claim(gql, key)
    assert claimed is not None and claimed["id"] == task_id
    done = await gql(COMPLETE, {"id": task_id, "r": {"ok": True}}, key)
    assert done["data"]["completeTask"]["status"] == "COMPLETED"
    for op in ("cancelTask", "pauseTask", "resumeTask", "queueTask"):
        body = await gql(
            f"mutation($id: ID!) {{ {op}(id: $id) {{ id }} }}", {"id": task_id}, admin_token
        )
        assert error_codes(body) == ["ILLEGAL_TRANSITION"], (op, body)
    body = await gql(COMPLETE, {"id": task_id, "r": {}}, key)
    assert error_codes(body) == ["ILLEGAL_TRANSITION"]
    stored = await models.Task.get(task_id)
    assert stored is not None and stored.status is S.COMPLETED and stored.result == {"ok": True}


async def test_cancelled_task_cannot_be_completed(gql: GraphQLClient, admin_token: str) -> None:
    _, key = await register(gql, admin_token, "worker", [])
    task_id = await queued_task(gql, admin_token)
    assert (await claim(gql, key)) is not None
    body = await gql(
        'mutation($id: ID!) { cancelTask(id: $id, reason: "stop") { status error } }',
        {"id": task_id},
        admin_token,
    )
    assert body["data"]["cancelTask"] == {"status": "CANCELLED", "error": "stop"}
    # the running agent learns it from its next progress report
    report = await gql(PROGRESS, {"id": task_id, "p": 50}, key)
    assert report["data"]["reportProgress"]["status"] == "CANCELLED"
    body = await gql(COMPLETE, {"id": task_id, "r": {}}, key)
    assert error_codes(body) == ["ILLEGAL_TRANSITION"]
    assert (await claim(gql, key)) is None
    assert CLAIM  # the claim document is shared with the queue tests


async def test_a_move_reads_its_task_by_id_alone_and_checks_the_rest_itself(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """A move's conditions (its source statuses, the lease holder) are checked on the task
    read by `_id` alone: with more fields SecantusDB plans the filter over every index of the
    collection. The outcomes stay those of the database's own matching."""
    _, key = await register(gql, admin_token, "mover", [])
    _, other = await register(gql, admin_token, "not the holder", [])
    task_id = await queued_task(gql, admin_token)
    assert (await claim(gql, key) or {}).get("id") == task_id
    with request_commands.kept():
        refused = await gql(COMPLETE, {"id": task_id, "r": {}}, other)
        done = await gql(COMPLETE, {"id": task_id, "r": {}}, key)
        again = await gql(COMPLETE, {"id": task_id, "r": {}}, key)
    assert error_codes(refused) == ["AUTHORIZATION_DENIED"], refused
    assert done["data"]["completeTask"]["status"] == "COMPLETED", done
    assert error_codes(again) == ["ILLEGAL_TRANSITION"], again
    task_reads = [c["filter"] for c in request_commands.commands if c.get("find") == "tasks"]
    assert task_reads and all(list(where) == ["_id"] for where in task_reads), task_reads
