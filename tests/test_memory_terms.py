"""Memory searches read the newest memories holding each of the search's terms and matching its
filters (`memory_terms`, kept from the memory events with each term's count and the fields
searches filter on), and rank them from those documents alone: the results are the ranking of
every memory that holds a term, stores and edits move the terms and the kept fields, and
memories stored before terms existed (or before a revision of what is kept) get theirs once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from axonql import models
from axonql.services import memory_ops, memory_terms, relevance
from axonql.services.memory_ops import SearchFilters
from tests.support import GraphQLClient, RequestCommands, imported

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
    holding = [m for m in every if wanted & set(m.terms())]
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


async def test_a_search_asks_the_terms_with_its_filters_then_the_results_by_id(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """SecantusDB serves no `$regex` from an index (it read every memory): the terms are asked
    as equalities beside the pool asked for, and ranked from what is kept with them; the
    memories are read once, the results by `_id`."""
    kept = await create(gql, admin_token, content="quokka sighting", pool="long_term")
    await create(gql, admin_token, content="quokka again", pool="short_term")
    with request_commands.kept():
        found = await search(gql, admin_token, "quokka", pools=["long_term"])
    assert found == [kept]
    finds = [c for c in request_commands.commands if "find" in c]
    asked = [c for c in finds if c["find"] == "memory_terms"]
    assert asked, finds
    for command in asked:
        assert (command["filter"]["terms"], command["filter"]["pool"]) == ("quokka", "long_term")
        assert set(command["projection"]) == {"terms", "counts", "created_at"}, command
    memories = [c["filter"] for c in finds if c["find"] == "memories"]
    assert memories == [{"_id": {"$in": [kept]}}], memories


async def test_a_filter_finds_older_holders_beyond_the_newest_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The filter is asked with the terms, so the newest holders of a common term in other
    pools never stand in for older ones in the pool asked for."""
    monkeypatch.setattr(memory_ops, "MAX_CANDIDATES", 3)
    old = models.Memory(content="ledger audit", pool="long_term")
    newer = [models.Memory(content=f"ledger entry {n}") for n in range(5)]
    for offset, memory in enumerate(newer, 1):
        memory.created_at = old.created_at + timedelta(seconds=offset)
    await imported(old, *newer)
    found = await memory_ops.search("ledger", SearchFilters(pools=["long_term"]), limit=10)
    assert [m.id for m, _ in found.hits] == [old.id]
    unfiltered = await memory_ops.search("ledger", SearchFilters(), limit=10)
    assert len(unfiltered.hits) == 3 and old.id not in {m.id for m, _ in unfiltered.hits}


async def test_a_rare_terms_holders_are_ranked_beside_a_common_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Candidates are taken rarest term first: the newest holders of a common term fill only
    what the rare term's leave."""
    monkeypatch.setattr(memory_ops, "MAX_CANDIDATES", 3)
    rare = models.Memory(content="ledger with a narwhal")
    common = [models.Memory(content=f"ledger entry {n}") for n in range(5)]
    for offset, memory in enumerate(common, 1):
        memory.created_at = rare.created_at + timedelta(seconds=offset)
    await imported(rare, *common)
    found = await memory_ops.search("ledger narwhal", SearchFilters(), limit=10)
    ids = [m.id for m, _ in found.hits]
    assert ids[0] == rare.id and len(ids) == 3, ids


async def test_edits_move_the_fields_searches_filter_on(
    gql: GraphQLClient, admin_token: str
) -> None:
    memory = await create(gql, admin_token, content="okapi", pool="short_term", importance=0.2)
    assert await search(gql, admin_token, "okapi", pools=["long_term"]) == []
    change = """mutation($id: ID!) {
      updateMemory(id: $id, input: {pool: "long_term", importance: 0.9}) { id } }"""
    body = await gql(change, {"id": memory}, admin_token)
    assert not body.get("errors"), body
    assert await search(gql, admin_token, "okapi", pools=["long_term"]) == [memory]
    assert await search(gql, admin_token, "okapi", pools=["short_term"]) == []
    important = await memory_ops.search("okapi", SearchFilters(min_importance=0.8), limit=10)
    assert [m.id for m, _ in important.hits] == [memory]


async def test_a_search_ends_at_its_end_inclusive() -> None:
    memory = models.Memory(content="tapir")
    await imported(memory)
    stored = await models.Memory.get(memory.id)
    assert stored is not None
    at = stored.created_at  # as stored: to the millisecond
    for end, found in ((at, 1), (at - timedelta(milliseconds=1), 0)):
        hits = (await memory_ops.search("tapir", SearchFilters(end=end), limit=10)).hits
        assert len(hits) == found, end
    through = at + timedelta(microseconds=999)
    assert len((await memory_ops.search("tapir", SearchFilters(end=through), limit=10)).hits) == 1


async def test_terms_of_an_earlier_revision_are_rewritten_once() -> None:
    """Terms kept before counts and filtered fields joined them are rewritten by the next
    start; until then a search would filter and rank without them."""
    await imported(models.Memory(content="axolotl", pool="episodic"))
    terms = models.MemoryTerms.get_pymongo_collection()
    await terms.update_many({}, {"$unset": {"counts": "", "pool": ""}})
    marks = models.Tally.get_pymongo_collection()
    await marks.delete_many({"_id": memory_terms.TERMS.filled})
    await marks.insert_one({"_id": "memory_terms#filled", "kind": "memory_terms#filled"})
    assert await memory_terms.TERMS.ensure() == 1
    found = await memory_ops.search("axolotl", SearchFilters(pools=["episodic"]), limit=10)
    assert len(found.hits) == 1


async def test_a_long_query_reads_the_holders_of_its_first_terms_only(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """Each term read may cost up to the candidates wanted, so a query of many words reads
    the holders of its first `MAX_TERMS` distinct ones; every word still scores them."""
    words = [f"word{n}" for n in range(memory_terms.MAX_TERMS + 8)]
    first = await create(gql, admin_token, content=f"{words[0]} {words[-1]}")
    last = await create(gql, admin_token, content=words[-1])
    with request_commands.kept():
        found = await search(gql, admin_token, " ".join(words))
    assert found == [first], found  # `last` holds only a word past the first MAX_TERMS
    asked = {
        c["filter"]["terms"] for c in request_commands.commands if c.get("find") == "memory_terms"
    }
    assert asked == set(words[: memory_terms.MAX_TERMS]), asked
    assert set(await search(gql, admin_token, words[-1])) == {first, last}
