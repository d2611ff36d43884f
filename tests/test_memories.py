"""Memories over real HTTP against a real database: CRUD, filters, paging, links, bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.scopes import Scope
from axonql.settings import Settings
from tests.support import GraphQLClient, error_codes, token_for

FIELDS = """
id type title content context tags importance driftScore accessCount lastAccessed pool
relatedIds ownerUserId ownerSystemId createdAt updatedAt
"""
CREATE = f"mutation($input: CreateMemoryInput!) {{ createMemory(input: $input) {{ {FIELDS} }} }}"
UPDATE = (
    f"mutation($id: ID!, $input: UpdateMemoryInput!) {{ updateMemory(id: $id, input: $input)"
    f" {{ {FIELDS} }} }}"
)
LINK = """mutation($id: ID!, $ids: [ID!]!, $both: Boolean! = true) {
  linkMemories(id: $id, relatedIds: $ids, bothWays: $both) { id relatedIds } }"""


async def create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": fields}, token)
    assert "errors" not in body, body
    memory: dict[str, Any] = body["data"]["createMemory"]
    return memory


async def test_create_read_update_delete(gql: GraphQLClient, admin_token: str) -> None:
    await models.User(id="user123", username="u123").insert()
    memory = await create(
        gql,
        admin_token,
        type="semantic",
        title="Auth reference",
        content="JWT bearer tokens and API keys.",
        context={"source": "docs", "page": 3},
        tags=["auth", "api"],
        importance=0.9,
        pool="long_term",
        ownerUserId="user123",
        ownerSystemId="axonql",
    )
    assert memory["id"].startswith("mem_")
    assert memory["pool"] == "long_term" and memory["accessCount"] == 0
    assert memory["context"] == {"source": "docs", "page": 3}
    assert (memory["ownerUserId"], memory["ownerSystemId"]) == ("user123", "axonql")

    fetched = await gql(
        "query($id: ID!) { memory(id: $id) { title tags importance } }",
        {"id": memory["id"]},
        admin_token,
    )
    assert fetched["data"]["memory"] == {
        "title": "Auth reference",
        "tags": ["auth", "api"],
        "importance": 0.9,
    }
    updated = await gql(
        UPDATE,
        {"id": memory["id"], "input": {"importance": 0.3, "pool": "episodic", "ownerUserId": ""}},
        admin_token,
    )
    got = updated["data"]["updateMemory"]
    assert (got["importance"], got["pool"], got["ownerUserId"]) == (0.3, "episodic", None)
    assert got["content"] == "JWT bearer tokens and API keys."

    deleted = await gql(
        "mutation($id: ID!) { deleteMemory(id: $id) }", {"id": memory["id"]}, admin_token
    )
    assert deleted["data"]["deleteMemory"] is True
    assert await models.Memory.get(memory["id"]) is None
    events = await models.Event.find({"memory_id": memory["id"]}).sort("created_at").to_list()
    assert [e.type for e in events] == ["MEMORY_STORED", "MEMORY_UPDATED", "MEMORY_UPDATED"]
    assert events[0].user_id == "user123"


async def test_every_filter(gql: GraphQLClient, admin_token: str) -> None:
    await models.User(id="ann", username="ann").insert()
    await create(
        gql,
        admin_token,
        type="episodic",
        title="First deployment",
        content="Rolled out v1 on Monday",
        tags=["ops"],
        importance=0.4,
        ownerUserId="ann",
    )
    await create(
        gql,
        admin_token,
        type="semantic",
        title="Graph theory",
        content="Edges and NODES",
        tags=["math", "ops"],
        importance=0.8,
        pool="long_term",
    )
    await create(
        gql,
        admin_token,
        type="procedural",
        title="Deploy steps",
        content="build, test, ship",
        tags=["ops", "howto"],
        importance=0.6,
        pool="episodic",
        ownerSystemId="axonql",
    )
    await models.Memory.find({"type": "episodic"}).update(
        {"$set": {"created_at": utcnow() - timedelta(days=5)}}
    )

    async def titles(**flt: Any) -> list[str]:
        body = await gql(
            "query($f: MemoryFilter) { memories(filter: $f) { title } }", {"f": flt}, admin_token
        )
        assert "errors" not in body, body
        return sorted(m["title"] for m in body["data"]["memories"])

    assert await titles(types=["semantic", "procedural"]) == ["Deploy steps", "Graph theory"]
    assert await titles(tags=["ops", "howto"]) == ["Deploy steps"]
    assert await titles(pool="long_term") == ["Graph theory"]
    assert await titles(ownerUserId="ann") == ["First deployment"]
    assert await titles(ownerSystemId="axonql") == ["Deploy steps"]
    assert await titles(minImportance=0.6) == ["Deploy steps", "Graph theory"]
    cutoff = (utcnow() - timedelta(days=1)).isoformat()
    assert await titles(createdBefore=cutoff) == ["First deployment"]
    assert await titles(createdAfter=cutoff) == ["Deploy steps", "Graph theory"]
    assert await titles(text="deploy") == ["Deploy steps", "First deployment"]
    assert await titles(text="nodes") == ["Graph theory"]
    assert await titles(text="(.*") == []  # matched literally, not as a pattern
    assert await titles(limit=1, offset=2) == ["First deployment"]


async def test_connection_pages_in_a_stable_order(gql: GraphQLClient, admin_token: str) -> None:
    # equal importance for several memories: creation (then the id) breaks ties, so no page
    # repeats or skips
    for i in range(9):
        await create(gql, admin_token, title=f"m{i}", content="x", importance=(i % 3) / 2)
    query = """query($after: String) {
      memoriesConnection(first: 4, after: $after, sort: {field: IMPORTANCE, direction: ASC}) {
        totalCount edges { node { id importance createdAt } }
        pageInfo { hasNextPage endCursor } } }"""
    seen: list[tuple[float, str, str]] = []
    after = None
    while True:
        page = (await gql(query, {"after": after}, admin_token))["data"]["memoriesConnection"]
        assert page["totalCount"] == 9
        seen += [
            (e["node"]["importance"], e["node"]["createdAt"], e["node"]["id"])
            for e in page["edges"]
        ]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(set(seen)) == 9


async def test_links_and_related(gql: GraphQLClient, admin_token: str) -> None:
    a, b, c = [(await create(gql, admin_token, title=t, content=t))["id"] for t in ("a", "b", "c")]
    linked = await gql(LINK, {"id": a, "ids": [b, c]}, admin_token)
    assert linked["data"]["linkMemories"]["relatedIds"] == [b, c]
    one_way = await gql(LINK, {"id": b, "ids": [c], "both": False}, admin_token)
    assert one_way["data"]["linkMemories"]["relatedIds"] == [a, c]
    body = await gql(
        "{ memories { title related { title related { title } } } }", token=admin_token
    )
    by_title = {m["title"]: m for m in body["data"]["memories"]}
    assert [r["title"] for r in by_title["a"]["related"]] == ["b", "c"]
    assert [r["title"] for r in by_title["b"]["related"]] == ["a", "c"]
    assert [r["title"] for r in by_title["c"]["related"]] == ["a"]
    assert [r["title"] for r in by_title["a"]["related"][0]["related"]] == ["a", "c"]

    await gql("mutation($id: ID!) { deleteMemory(id: $id) }", {"id": c}, admin_token)
    after = await models.Memory.find({"related_ids": c}).count()
    assert after == 0
    replaced = await gql(UPDATE, {"id": a, "input": {"relatedIds": []}}, admin_token)
    assert replaced["data"]["updateMemory"]["relatedIds"] == []


async def test_bad_input_is_refused_and_nothing_changes(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    keep = await create(gql, admin_token, title="keep", content="keep me", tags=["t"])
    other = await create(gql, admin_token, title="other", content="other")
    before = {m.id: m.model_dump() for m in await models.Memory.find_all().to_list()}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"content": "x" * (settings.max_text_length + 1)}, "VALIDATION_ERROR", "content"),
        ({"content": "   "}, "VALIDATION_ERROR", "content"),
        ({"content": "x", "pool": "forever"}, "VALIDATION_ERROR", "pool"),
        ({"content": "x", "importance": 1.5}, "VALIDATION_ERROR", "importance"),
        ({"content": "x", "type": "Not A Type"}, "VALIDATION_ERROR", "type"),
        ({"content": "x", "title": "t" * 1000}, "VALIDATION_ERROR", "title"),
        ({"content": "x", "context": [1, 2]}, "VALIDATION_ERROR", "context"),
        ({"content": "x", "tags": ["ok", ""]}, "VALIDATION_ERROR", "tags"),
        ({"content": "x", "ownerUserId": "nobody"}, "USER_NOT_FOUND", "ownerUserId"),
        ({"content": "x", "ownerSystemId": "nothing"}, "RESOURCE_NOT_FOUND", "ownerSystemId"),
        ({"content": "x", "relatedIds": ["mem_missing"]}, "RESOURCE_NOT_FOUND", "relatedIds"),
    ]
    for fields, code, field in cases:
        body = await gql(CREATE, {"input": fields}, admin_token)
        assert error_codes(body) == [code], (fields, body)
        assert body["errors"][0]["extensions"]["field"] == field
        update = await gql(UPDATE, {"id": keep["id"], "input": fields}, admin_token)
        assert error_codes(update) == [code], (fields, update)
    wrong_type = await gql(CREATE, {"input": {"content": "x", "importance": "high"}}, admin_token)
    assert error_codes(wrong_type) == ["INVALID_REQUEST"]
    self_link = await gql(LINK, {"id": keep["id"], "ids": [keep["id"]]}, admin_token)
    assert error_codes(self_link) == ["VALIDATION_ERROR"]
    missing_link = await gql(LINK, {"id": keep["id"], "ids": [other["id"], "mem_x"]}, admin_token)
    assert error_codes(missing_link) == ["RESOURCE_NOT_FOUND"]
    assert missing_link["errors"][0]["extensions"]["details"] == {"ids": ["mem_x"]}
    unknown = await gql(LINK, {"id": "mem_nope", "ids": [other["id"]]}, admin_token)
    assert error_codes(unknown) == ["RESOURCE_NOT_FOUND"]
    bad_filter = await gql('{ memories(filter: {pool: "nowhere"}) { id } }', token=admin_token)
    assert error_codes(bad_filter) == ["VALIDATION_ERROR"]
    unknown_delete = await gql('mutation { deleteMemory(id: "mem_nope") }', token=admin_token)
    assert error_codes(unknown_delete) == ["RESOURCE_NOT_FOUND"]

    after = {m.id: m.model_dump() for m in await models.Memory.find_all().to_list()}
    assert after == before


async def test_scopes(gql: GraphQLClient, settings: Settings, admin_token: str) -> None:
    memory = await create(gql, admin_token, content="secret")
    reader = await token_for(settings, [Scope.MEMORIES_READ], user_id="reader")
    read = await gql(
        "query($id: ID!) { memory(id: $id) { content } }", {"id": memory["id"]}, reader
    )
    assert read["data"]["memory"] == {"content": "secret"}
    write = await gql(CREATE, {"input": {"content": "no"}}, reader)
    assert error_codes(write) == ["AUTHORIZATION_DENIED"]
    stranger = await token_for(settings, [Scope.TASKS_READ], user_id="stranger")
    denied = await gql("{ memories { id } }", token=stranger)
    assert error_codes(denied) == ["AUTHORIZATION_DENIED"]
    assert await models.Memory.find_all().count() == 1
