"""The memory list's `text` filter (a case-insensitive substring of the title or the content)
reads the memories holding a whole word enclosed in the text (`memory_terms`), newest first,
and checks the text on them: it finds exactly what the substring finds, and asks the terms
only when the text encloses a word."""

from __future__ import annotations

import re
from typing import Any

from axonql import models
from axonql.services import memory_terms, relevance
from tests.support import GraphQLClient, RequestCommands, imported

CORPUS = [
    ("Quantum notes", "The quantum entanglement of two photons"),
    ("", "QUANTUM ENTANGLEMENT, again"),
    ("Entanglements", "quantum entanglements galore"),
    ("", "two ſuns and a KEY here"),
    ("", "the sun and the key there"),
    ("Subquantum", "subquantum entanglementish"),
    ("Stop", "it is of the essence"),
    ("Straße", "eine STRASSE bauen"),
]
TEXTS = [
    " quantum entanglement ",
    "quantum entanglement",
    "m entanglement,",
    " suns ",
    "o suns a",
    " key",
    "e key t",
    "a key h",
    "is of the",
    " of ",
    "straße b",
    "e strasse b",
    "entangle",
    "x\x00y",
    "nothing at all here",
]
LIST = """query($t: String) { memories(filter: {text: $t, limit: 100}) { id } }"""
CONNECTION = """query($t: String, $after: String) {
  memoriesConnection(first: 2, after: $after, filter: {text: $t}) {
    edges { node { id } } pageInfo { hasNextPage endCursor } } }"""


def matching(text: str, memories: list[models.Memory]) -> list[str]:
    """What the filter matched before terms: a case-insensitive substring regex, newest first."""
    pattern = re.compile(re.escape(text), re.IGNORECASE)
    found = [m for m in memories if pattern.search(m.title) or pattern.search(m.content)]
    found.sort(key=lambda m: (m.created_at, m.id), reverse=True)
    return [m.id for m in found]


async def listed(gql: GraphQLClient, token: str, text: str) -> tuple[list[str], list[str]]:
    body = await gql(LIST, {"t": text}, token)
    assert not body.get("errors"), body
    paged: list[str] = []
    after = None
    while True:
        page = await gql(CONNECTION, {"t": text, "after": after}, token)
        assert not page.get("errors"), page
        connection = page["data"]["memoriesConnection"]
        paged += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    return [m["id"] for m in body["data"]["memories"]], paged


async def test_the_text_filter_finds_what_the_substring_finds(
    gql: GraphQLClient, admin_token: str
) -> None:
    await imported(*[models.Memory(title=title, content=content) for title, content in CORPUS])
    stored = await models.Memory.find_all().to_list()
    for text in TEXTS:
        expected = matching(text, stored)
        assert await listed(gql, admin_token, text) == (expected, expected), text
    for text in (" quantum entanglement ", " suns ", "a key h"):  # the corpus holds matches
        assert matching(text, stored), text


def test_the_word_asked_is_enclosed_in_the_text() -> None:
    """A word at either end of the text may be part of a longer one in a memory."""
    assert memory_terms.enclosed_word("quantum entanglement") is None
    assert memory_terms.enclosed_word(" quantum entanglement ") == "entanglement"
    assert memory_terms.enclosed_word("o suns a") == "sun"  # stemmed, as the terms are
    assert memory_terms.enclosed_word("is of the") is None  # stop words are not kept
    assert relevance.enclosed("two ſuns and a KEY.") == ["sun", "key"]  # as re's IGNORECASE


async def test_a_text_asks_the_terms_only_when_it_encloses_a_word(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    await imported(*[models.Memory(title=title, content=content) for title, content in CORPUS])

    async def asked(text: str, **filters: Any) -> list[dict[str, Any]]:
        query = """query($t: String, $pool: String) {
          memories(filter: {text: $t, pool: $pool, limit: 5}) { id } }"""
        with request_commands.kept():
            body = await gql(query, {"t": text, **filters}, admin_token)
        assert not body.get("errors"), body
        return [c for c in request_commands.commands if "find" in c]

    finds = await asked(" quantum entanglement ", pool="short_term")
    terms = [c["filter"] for c in finds if c["find"] == "memory_terms"]
    assert terms and all(
        (where["terms"], where["pool"]) == ("entanglement", "short_term") for where in terms
    ), terms
    memories = [c["filter"] for c in finds if c["find"] == "memories"]
    assert memories and all(list(where) == ["_id"] for where in memories), memories
    finds = await asked("entangle")
    assert not [c for c in finds if c["find"] == "memory_terms"]
