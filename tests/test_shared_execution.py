"""Subscribers share one execution per event only when nothing in the result can differ
between them (`schema/shared_execution.py`): each test runs two callers on one event object."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from axonql.schema.shared_execution import SharedEventExecution
from axonql.schema.subscription import Event
from axonql.scopes import Scope
from axonql.services.auth import Principal


@strawberry.type
class CallerEvent(Event):
    """An event with a field that reads the caller, added without saying so."""

    @strawberry.field
    def caller(self, info: strawberry.Info) -> str:
        principal = info.context.principal
        return str(principal.subject) if principal is not None else "anonymous"


SNAPSHOT = {"_id": "task_shared", "name": "shared", "created_at": datetime.now(UTC)}
EVENT = CallerEvent(
    id=strawberry.ID("evt_000000000001"),
    type="TASK_STATE_CHANGED",
    system_id=None,
    task_id=strawberry.ID("task_shared"),
    agent_id=None,
    user_id=None,
    population_id=None,
    memory_id=None,
    payload=JSON({}),
    created_at=datetime.now(UTC),
    snapshots={"task": SNAPSHOT},
)


@strawberry.type
class Query:
    noop: int = 0


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def changes(self) -> AsyncGenerator[CallerEvent, None]:
        yield EVENT  # the same object for every subscriber, as the real-time service does


@dataclass
class Caller:
    principal: Principal | None


def _caller(subject: str, *scopes: str) -> Caller:
    return Caller(Principal(subject=subject, kind="user", scopes=frozenset(scopes)))


async def _first(schema: strawberry.Schema, query: str, context: Caller) -> Any:
    results = await schema.subscribe(query, context_value=context)
    assert not isinstance(results, strawberry.types.ExecutionResult), results
    async for result in results:
        await results.aclose()
        return result
    raise AssertionError("no result")


def _schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        subscription=Subscription,
        execution_context_class=SharedEventExecution.for_one_schema(),
    )


async def test_a_field_that_reads_the_caller_gives_each_caller_their_own_answer() -> None:
    schema = _schema()
    query = "subscription { changes { id caller } }"
    first = await _first(schema, query, _caller("user_a"))
    second = await _first(schema, query, _caller("user_b"))
    assert first.data == {"changes": {"id": EVENT.id, "caller": "user_a"}}
    assert second.data == {"changes": {"id": EVENT.id, "caller": "user_b"}}


async def test_what_reads_no_caller_is_executed_once_for_everyone() -> None:
    schema = _schema()
    query = "subscription { changes { id type } }"
    first = await _first(schema, query, _caller("user_a"))
    second = await _first(schema, query, _caller("user_b", Scope.TASKS_READ))
    assert first.data is second.data  # one execution, one result


async def test_a_typed_subject_is_shared_only_by_callers_with_the_same_scopes() -> None:
    schema = _schema()
    query = "subscription { changes { ... on CallerEvent { task { name } } } }"
    reader = await _first(schema, query, _caller("user_a", Scope.TASKS_READ))
    other_reader = await _first(schema, query, _caller("user_c", Scope.TASKS_READ))
    outsider = await _first(schema, query, _caller("user_b", Scope.CONSCIOUSNESS_READ))
    assert reader.data == {"changes": {"task": {"name": "shared"}}}
    assert other_reader.data is reader.data
    assert outsider.data == {"changes": {"task": None}}
