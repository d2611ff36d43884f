"""Task searches read the tasks holding the search's rarest three-character piece, then check
the search itself: every match is found (any case, any script), renames move a task's pieces,
and tasks stored before pieces existed get theirs once."""

from __future__ import annotations

import re

from axonql import models
from axonql.services import name_pieces
from axonql.text_grams import grams, rarest
from tests.support import GraphQLClient

NAMES = [
    "Deploy the API",
    "nightly DEPLOY",
    "redeployed twice",
    "Straße bauen",
    "STRASSE kehren",
    "ΟΔΟΣ καθαρή",
    "οδοσ plan",
    "task 150",
    "task 1150",
    "de-ploy",
    "ab",
]
SEARCHES = ["deploy", "DEPLOY", "Straße", "strasse", "οδος", "ΟΔΟΣ", "150", "ab", "ploy", "zzz"]

LIST = "query($s: String) { tasks(filter: {search: $s, limit: 100}) { id name } }"
CONNECTION = """query($s: String, $after: String) {
  tasksConnection(first: 3, after: $after, filter: {search: $s},
                  sort: {field: NAME, direction: ASC}) {
    edges { node { name } } pageInfo { hasNextPage endCursor } } }"""


def matching(search: str) -> list[str]:
    """What the search matched before pieces: a case-insensitive substring regex."""
    pattern = re.compile(re.escape(search), re.IGNORECASE)
    return sorted(name for name in NAMES if pattern.search(name))


async def listed(gql: GraphQLClient, token: str, search: str) -> list[str]:
    body = await gql(LIST, {"s": search}, token)
    assert not body.get("errors"), body
    return sorted(t["name"] for t in body["data"]["tasks"])


async def test_a_search_finds_what_the_substring_match_finds(
    gql: GraphQLClient, admin_token: str
) -> None:
    await models.Task.insert_many([models.Task(name=name) for name in NAMES])
    for search in SEARCHES:
        assert await listed(gql, admin_token, search) == matching(search), search
        seen: list[str] = []
        after = None
        while True:
            body = await gql(CONNECTION, {"s": search, "after": after}, admin_token)
            page = body["data"]["tasksConnection"]
            seen += [e["node"]["name"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == matching(search), search


async def test_a_rename_moves_the_pieces(gql: GraphQLClient, admin_token: str) -> None:
    task = models.Task(name="Quarterly report")
    await task.insert()
    rename = "mutation($id: ID!) { updateTask(id: $id, input: {name: $n}) { id } }"
    rename = rename.replace("$id: ID!)", "$id: ID!, $n: String!)")
    body = await gql(rename, {"id": task.id, "n": "Zebra census"}, admin_token)
    assert not body.get("errors"), body
    assert await listed(gql, admin_token, "zebra") == ["Zebra census"]
    assert await listed(gql, admin_token, "quarterly") == []
    stored = await models.Task.get_pymongo_collection().find_one({"_id": task.id})
    assert stored is not None and stored["name_grams"] == grams("Zebra census")


async def test_tasks_stored_without_pieces_get_them_once(
    gql: GraphQLClient, admin_token: str
) -> None:
    collection = models.Task.get_pymongo_collection()
    await models.Task.insert_many([models.Task(name=name) for name in NAMES])
    await collection.update_many({}, {"$unset": {"name_grams": ""}})  # as stored before
    assert await listed(gql, admin_token, "deploy") == []  # what a search reads is missing
    assert await name_pieces.ensure() == len(NAMES)
    assert await listed(gql, admin_token, "deploy") == matching("deploy")
    await collection.update_many({}, {"$unset": {"name_grams": ""}})
    assert await name_pieces.ensure() == 0  # marked done: a later start reads one document


def test_the_rarest_piece_prefers_digits_and_rare_letters() -> None:
    assert rarest("task 150") == "150"
    assert rarest("jazz") in {"jaz", "azz"}
    assert rarest("ab") is None
    assert grams("ΟΔΟΣ") == grams("οδοσ") == ["οδο", "δοσ"]
