"""Memory searches read the newest memories holding each of the search's terms (`memory_terms`,
kept from the memory events), then those memories by id with the search's filters: the results
are the ranking of every memory that holds a term, stores, edits and deletions move the terms,
and memories stored before terms existed get theirs once."""

from __future__ import annotations

from typing import Any

from axonql import models
from axonql.services import memory_ops, memory_terms, relevance
from axonql.services.memory_ops import SearchFilters
from tests.support import GraphQLClient, RequestCommands

SEARCH = """query($q: String!, $pools: [String!]) {
  searchMemories(input: {query: $q, limit: 100, pools: $pools}) {
    results { memory { id } relevanceScore } totalMatches } }"""
CREATE = "mutation($input: CreateMemoryInput!) { createMemory(input: $input) { id } }"
UPDATE = "mutation($id: ID!, $c: String!) { updateMemory(id: $id, input: {content: $c}) { id } }"
CORPUS = [
    ("Quantum entanglement", "User learned about quantum entanglement and physics", ["physics"]),
    ("Quantum computing", "Qubits and quantum gates explained", []),
    ("Machine learning", "Machine learning is a subset of AI", ["ai"]),
    ("Cooking", "A recipe for bread with flour and water", ["kitchen"]),
    ("Redeployed", "The service was redeployed twice", []),
    ("Deploys", "Deploy notes: rollbacks and deploys", ["deploy"]),
]
SEARCHES = ["quantum physics", "deploy", "bread machine", "kitchen", "AI", "nothing here", "the"]


async def search(gql: GraphQLClient, token: str, query: str, **variables: Any) -> list[str]:
    body = await gql(SEARCH, {"q": query, **variables}, token)
    assert not body.get("errors"), body
    return [hit["memory"]["id"] for hit in body["data"]["searchMemories"]["results"]]


async def create(gql: GraphQLClient, token: str, **fields: Any) -> str:
    body = await gql(CREATE, {"input": fields}, token)
    assert not body.get("errors"), body
    return str(body["data"]["createMemory"]["id"])


def ranked(query: str, memories: list[models.Memory]) -> list[str]:
    """The ranking of every memory holding one of the query's terms (score above 0)."""
    wanted = set(relevance.tokens(query))
    every = [relevance.Searchable(m.id, m.title, m.content, m.tags) for m in memories]
    holding = [m for m in every if wanted & set(memory_terms.terms_of(m))]
    return [key for key, _ in relevance.rank(query, holding)]


async def test_a_search_returns_the_ranking_of_every_memory_holding_its_terms(
    gql: GraphQLClient, admin_token: str
) -> None:
    for title, content, tags in CORPUS:
        await create(gql, admin_token, title=title, content=content, tags=tags)
    stored = await models.Memory.find_all().to_list()
    for query in SEARCHES:
        assert await search(gql, admin_token, query) == ranked(query, stored), query
    assert await search(gql, admin_token, "deploy") != []  # the corpus does hold matches


async def test_edits_and_deletions_move_the_terms(gql: GraphQLClient, admin_token: str) -> None:
    memory = await create(gql, admin_token, title="Notes", content="zebra census")
    assert await search(gql, admin_token, "zebra") == [memory]
    body = await gql(UPDATE, {"id": memory, "c": "walrus count"}, admin_token)
    assert not body.get("errors"), body
    assert await search(gql, admin_token, "zebra") == []
    assert await search(gql, admin_token, "walrus") == [memory]
    recall = "mutation($id: ID!) { recallMemory(id: $id) { memory { id } } }"
    recalled = await gql(recall, {"id": memory}, admin_token)  # leaves the terms as they are
    assert not recalled.get("errors"), recalled
    stored = await models.MemoryTerms.get_pymongo_collection().find_one({"_id": memory})
    assert stored is not None and stored["terms"] == ["count", "note", "walru"]
    gone = await gql("mutation($id: ID!) { deleteMemory(id: $id) }", {"id": memory}, admin_token)
    assert gone["data"]["deleteMemory"] is True, gone
    assert await models.MemoryTerms.get_pymongo_collection().count_documents({}) == 0


async def test_memories_stored_without_terms_get_them_once() -> None:
    await models.Memory(title="Quantum notes", content="qubits").insert()  # no terms
    assert (await memory_ops.search("qubits", SearchFilters(), limit=10)).hits == []
    assert await memory_terms.TERMS.ensure() == 1
    assert len((await memory_ops.search("qubits", SearchFilters(), limit=10)).hits) == 1
    await models.MemoryTerms.get_pymongo_collection().delete_many({})
    assert await memory_terms.TERMS.ensure() == 0  # marked done: a later start reads one document


async def test_a_search_asks_the_terms_then_memories_by_id_with_its_filters(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """SecantusDB serves no `$regex` from an index (it read every memory): the terms are asked
    as equalities, then the fields ranked of the memories named, `_id` first, with the pools
    asked for, then the results whole."""
    kept = await create(gql, admin_token, content="quokka sighting", pool="long_term")
    await create(gql, admin_token, content="quokka again", pool="short_term")
    with request_commands.kept():
        found = await search(gql, admin_token, "quokka", pools=["long_term"])
    assert found == [kept]
    finds = [c for c in request_commands.commands if "find" in c]
    asked = [c["filter"] for c in finds if c["find"] == "memory_terms"]
    assert asked and all(where["terms"] == "quokka" for where in asked), asked
    memories = [c for c in finds if c["find"] == "memories"]
    candidates, shown = memories  # the candidates' ranked fields, then the results whole
    assert list(candidates["filter"]) == ["_id", "pool"], candidates
    assert set(candidates["projection"]) == {"title", "content", "tags"}, candidates
    assert shown["filter"] == {"_id": {"$in": [kept]}}, shown
