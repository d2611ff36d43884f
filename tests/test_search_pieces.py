"""Task searches read the ids of the tasks holding the search's rarest three-character piece
(`task_names`, kept from the task events), then those tasks, and check the search itself:
every match is found (any case, any script), renames and deletions move the pieces, and tasks
stored before pieces existed get theirs once. Several tags are read by the first from its index
and checked whole the same way."""

from __future__ import annotations

import re
from typing import Any

import pytest

from axonql import models
from axonql.models.task import PRIORITY_RANK, TaskPriority, TaskStatus
from axonql.services import name_pieces, users
from axonql.services.listing import Listing
from axonql.settings import Settings
from axonql.text_grams import grams, rarest
from tests.support import GraphQLClient, RequestCommands, imported

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
SEARCHES += ["de\x00ploy"]  # a NUL is searched for as typed (and found nowhere)

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


async def insert(tasks: list[models.Task]) -> None:
    """Tasks inserted directly, as a bulk import would: their pieces and tallies are rebuilt."""
    await imported(*tasks)


async def test_a_search_finds_what_the_substring_match_finds(
    gql: GraphQLClient, admin_token: str
) -> None:
    await insert([models.Task(name=name) for name in NAMES])
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


async def test_a_rename_and_a_deletion_move_the_pieces(
    gql: GraphQLClient, admin_token: str
) -> None:
    created = await gql(
        'mutation { createTask(input: {name: "Quarterly report", type: "general"}) { id } }',
        token=admin_token,
    )
    assert not created.get("errors"), created
    task_id = created["data"]["createTask"]["id"]
    assert await listed(gql, admin_token, "quarterly") == ["Quarterly report"]
    rename = "mutation($id: ID!, $n: String!) { updateTask(id: $id, input: {name: $n}) { id } }"
    body = await gql(rename, {"id": task_id, "n": "Zebra census"}, admin_token)
    assert not body.get("errors"), body
    assert await listed(gql, admin_token, "zebra") == ["Zebra census"]
    assert await listed(gql, admin_token, "quarterly") == []
    stored = await models.TaskName.get_pymongo_collection().find_one({"_id": task_id})
    assert stored is not None and stored["name_grams"] == grams("Zebra census")
    gone = await gql("mutation($id: ID!) { deleteTask(id: $id) }", {"id": task_id}, admin_token)
    assert gone["data"]["deleteTask"] is True, gone
    assert await models.TaskName.get_pymongo_collection().count_documents({}) == 0
    assert await listed(gql, admin_token, "zebra") == []


async def test_tasks_stored_without_pieces_get_them_once(
    gql: GraphQLClient, admin_token: str
) -> None:
    await models.Task.insert_many([models.Task(name=name) for name in NAMES])  # no pieces
    assert await listed(gql, admin_token, "deploy") == []  # what a search reads is missing
    assert await name_pieces.PIECES.ensure() == len(NAMES)
    assert await listed(gql, admin_token, "deploy") == matching("deploy")
    await models.TaskName.get_pymongo_collection().delete_many({})
    assert await name_pieces.PIECES.ensure() == 0  # marked done: a later start reads one document


def test_the_rarest_piece_prefers_digits_and_rare_letters() -> None:
    assert rarest("task 150") == "150"
    assert rarest("jazz") in {"jaz", "azz"}
    assert rarest("ab") is None
    assert grams("ΟΔΟΣ") == grams("οδοσ") == ["οδο", "δοσ"]


async def test_several_tags_read_by_the_first_and_checked_whole(
    gql: GraphQLClient, admin_token: str
) -> None:
    tagged = {
        "both": ["red", "blue"],
        "both and more": ["blue", "green", "red"],
        "red only": ["red"],
        "blue only": ["blue"],
        "none": [],
    }
    await insert([models.Task(name=n, tags=t) for n, t in tagged.items()])
    query = "query($t: [String!]) { tasks(filter: {tags: $t, limit: 50}) { name } }"
    for tags in (["red", "blue"], ["blue", "red"], ["red", "blue", "green"], ["red", "red"]):
        body = await gql(query, {"t": tags}, admin_token)
        got = sorted(t["name"] for t in body["data"]["tasks"])
        assert got == sorted(n for n, t in tagged.items() if set(tags) <= set(t)), tags
    connection = """query($t: [String!]) { tasksConnection(first: 1, filter: {tags: $t},
      sort: {field: NAME, direction: DESC}) { totalCount edges { node { name } } } }"""
    body = await gql(connection, {"t": ["blue", "red"]}, admin_token)
    assert body["data"]["tasksConnection"]["totalCount"] == 2
    assert body["data"]["tasksConnection"]["edges"][0]["node"]["name"] == "both and more"


async def test_what_the_database_is_asked_is_an_index_equality(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """SecantusDB serves neither `$regex` nor `$all` from an index (it would read every task
    of each window): the finds carry a piece and the first tag as equalities instead."""
    await insert([models.Task(name=n, tags=["a", "b"]) for n in NAMES])
    reads = {
        "search": (
            '{ tasks(filter: {search: "deploy", limit: 5}) { id } }',
            "task_names",
            "name_grams",
        ),
        "tags": ('{ tasks(filter: {tags: ["a", "b"], limit: 5}) { id } }', "tasks", "tags"),
    }
    for label, (read, collection, field) in reads.items():
        with request_commands.kept():
            body = await gql(read, token=admin_token)
        assert not body.get("errors"), body
        finds = [c for c in request_commands.commands if "find" in c]
        asked = [c["filter"] for c in finds if c["find"] == collection]
        assert asked, label
        for where in asked:
            assert isinstance(where.get(field), str), (label, where)
            assert "name" not in where and "$all" not in str(where), (label, where)
        if collection == "task_names":  # then the tasks it names, by id (point lookups)
            by_id = [c["filter"] for c in finds if c["find"] == "tasks"]
            assert by_id and all(list(where) == ["_id"] for where in by_id), by_id


async def test_a_search_longer_than_searched_reads_pieces_of_what_is_searched(
    gql: GraphQLClient, admin_token: str
) -> None:
    """A search is cut to its first 100 characters; its pieces come from those, so a name
    holding them is found whatever the rest of the search says."""
    head = "report " * 14 + "xy"  # 100 characters
    await insert([models.Task(name=head + " tail"), models.Task(name="other")])
    assert await listed(gql, admin_token, head + " 9999999") == [head + " tail"]


FILTERED = """query($s: String, $status: TaskStatus) {
  tasks(filter: {search: $s, status: $status, limit: 100}) { name } }"""


async def test_a_search_beside_another_filter_finds_what_both_match(
    gql: GraphQLClient, admin_token: str
) -> None:
    """Whichever is read (the search's pieces, or the rest of the filter), the tasks listed
    are those matching both."""
    queued = {"Deploy the API", "task 150", "ab"}
    statuses = {n: TaskStatus.QUEUED if n in queued else TaskStatus.COMPLETED for n in NAMES}
    await insert([models.Task(name=n, status=s) for n, s in statuses.items()])
    for search in SEARCHES:
        for status in (TaskStatus.QUEUED, TaskStatus.COMPLETED):
            body = await gql(FILTERED, {"s": search, "status": status.name}, admin_token)
            assert not body.get("errors"), body
            got = sorted(t["name"] for t in body["data"]["tasks"])
            assert got == [n for n in matching(search) if statuses[n] == status], (search, status)


async def test_a_search_beside_another_filter_reads_whichever_matches_fewer(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """A rare search among many completed tasks reads its pieces, then those tasks by id with
    the status (`_id` first, so SecantusDB serves it from the `_id` index); a search every
    name holds among two queued tasks reads the queued tasks."""
    names = [f"routine {i}" for i in range(200)] + ["quokka census"]
    await insert(
        [models.Task(name=n, status=TaskStatus.COMPLETED) for n in names]
        + [models.Task(name=f"routine queued {i}", status=TaskStatus.QUEUED) for i in range(2)]
    )

    async def asked(search: str, status: TaskStatus) -> tuple[list[str], list[dict[str, Any]]]:
        with request_commands.kept():
            body = await gql(FILTERED, {"s": search, "status": status.name}, admin_token)
        assert not body.get("errors"), body
        finds = [c for c in request_commands.commands if "find" in c]
        return [t["name"] for t in body["data"]["tasks"]], finds

    got, finds = await asked("quokka", TaskStatus.COMPLETED)
    assert got == ["quokka census"]
    pieces = [c["filter"] for c in finds if c["find"] == "task_names"]
    assert pieces and all(isinstance(where["name_grams"], str) for where in pieces), pieces
    tasks = [c["filter"] for c in finds if c["find"] == "tasks"]
    by_id = [where for where in tasks if "$in" in where["_id"]]
    assert by_id and all(list(where) == ["_id", "status"] for where in by_id), tasks
    sampled = [where for where in tasks if where not in by_id]  # names sampled by id range
    assert all(list(where) == ["_id"] and "$gte" in where["_id"] for where in sampled), tasks

    got, finds = await asked("routine", TaskStatus.QUEUED)
    assert sorted(got) == ["routine queued 0", "routine queued 1"]
    assert not [c for c in finds if c["find"] == "task_names"]
    read = [c["filter"] for c in finds if c["find"] == "tasks"]
    assert read and all(where["status"] == "queued" and "name" not in where for where in read)


ORDERED = """query($s: String, $after: String, $field: TaskSortField!,
                 $direction: SortDirection!, $status: TaskStatus) {
  tasksConnection(first: 2, after: $after, filter: {search: $s, status: $status},
                  sort: {field: $field, direction: $direction}) {
    edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }"""
ORDERS = ["NAME", "PROGRESS", "PRIORITY", "UPDATED_AT", "CREATED_AT"]


async def test_a_rare_search_in_any_order_pages_what_the_ranges_page(
    gql: GraphQLClient, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every match of a rare search read from its pieces and ordered here gives the pages
    (and the cursors: the two readings take each other's) that reading the order's ranges
    with the search checked gives, in every order, both directions, with a filter or not."""
    names = [f"routine {i}" for i in range(40)] + [f"quokka {i % 3}" for i in range(7)]
    priorities = list(TaskPriority)
    await insert(
        [
            models.Task(
                name=name,
                progress=(i * 37) % 5 * 25,
                priority=priorities[i % len(priorities)],
                priority_rank=PRIORITY_RANK[priorities[i % len(priorities)]],
                status=TaskStatus.QUEUED if i % 2 else TaskStatus.COMPLETED,
            )
            for i, name in enumerate(names)
        ]
    )
    read_whole, look_first = Listing._rare_matches, Listing._few_matches

    async def walk(variables: dict[str, Any], rare: list[bool]) -> list[str]:
        seen: list[str] = []
        after = None
        for turn in range(20):
            pieces = rare[turn % 2]  # else the ranges alone (no look at the newest matches)
            monkeypatch.setattr(Listing, "_rare_matches", read_whole if pieces else never_rare)
            monkeypatch.setattr(Listing, "_few_matches", look_first if pieces else never_rare)
            body = await gql(ORDERED, {**variables, "after": after}, admin_token)
            assert not body.get("errors"), body
            page = body["data"]["tasksConnection"]
            seen += [edge["node"]["name"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen
            after = page["pageInfo"]["endCursor"]
        raise AssertionError(f"no last page: {seen}")

    for field in ORDERS:
        for direction in ("ASC", "DESC"):
            for status in (None, "QUEUED"):
                asked = {"s": "quokka", "field": field, "direction": direction, "status": status}
                ranges = await walk(asked, [False, False])
                assert len(ranges) == (7 if status is None else 3), (asked, ranges)
                for rare in ([True, True], [True, False], [False, True]):
                    assert await walk(asked, rare) == ranges, (asked, rare)


async def never_rare(*_: Any) -> None:
    """`Listing._rare_matches` (or `_few_matches`) finding no matches few enough to read
    whole: the order's own ranges are read."""
    return None


async def test_a_rare_search_in_another_order_reads_its_pieces_and_a_common_one_the_ranges(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    names = [f"routine {i}" for i in range(200)] + ["quokka census"]
    await insert([models.Task(name=n, progress=i % 100) for i, n in enumerate(names)])

    async def asked(search: str) -> tuple[list[str], list[dict[str, Any]]]:
        variables = {"s": search, "field": "PROGRESS", "direction": "DESC", "status": None}
        with request_commands.kept():
            body = await gql(ORDERED, variables, admin_token)
        assert not body.get("errors"), body
        finds = [c for c in request_commands.commands if "find" in c]
        return [e["node"]["name"] for e in body["data"]["tasksConnection"]["edges"]], finds

    got, finds = await asked("quokka")
    assert got == ["quokka census"]
    pieces = [c for c in finds if c["find"] == "task_names"]
    assert len(pieces) == 1 and "created_at" not in pieces[0]["filter"], pieces
    tasks = [c["filter"] for c in finds if c["find"] == "tasks"]
    assert all(list(where) == ["_id"] for where in tasks), tasks  # by id, or sampled by id
    total = """{ tasksConnection(first: 2, filter: {search: "quokka"},
                  sort: {field: NAME, direction: ASC}) { totalCount } }"""
    with request_commands.kept():
        body = await gql(total, token=admin_token)
    assert body["data"]["tasksConnection"]["totalCount"] == 1, body
    counted = [c for c in request_commands.commands if {"aggregate", "count"} & set(c)]
    assert not counted, counted  # the matches read are counted, not counted again
    got, finds = await asked("routine")
    assert got == ["routine 199", "routine 99"]  # progress 99, newest first
    ranges = [c["filter"] for c in finds if c["find"] == "tasks" and "progress" in c["filter"]]
    assert ranges, finds  # after a look at its newest matches (four pages: more than that)


NAMED = {"Agent": "agents", "System": "systems", "Population": "populations"}


@pytest.mark.parametrize("kind", list(NAMED))
async def test_agents_systems_and_populations_are_searched_by_their_name_pieces(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands, kind: str
) -> None:
    """Their searches find what the substring match finds, read from their own pieces (kept
    from their events): a rename moves them, a deletion removes them."""
    plural = NAMED[kind]
    listed = f"query($s: String) {{ {plural}(filter: {{search: $s, limit: 100}}) {{ id name }} }}"
    create = f"mutation($n: String!) {{ create{kind}(input: {{name: $n}}) {{ id }} }}"
    ids = {}
    for name in NAMES:
        body = await gql(create, {"n": name}, admin_token)
        assert not body.get("errors"), body
        ids[name] = body["data"][f"create{kind}"]["id"]

    async def found(search: str | None) -> list[str]:
        body = await gql(listed, {"s": search}, admin_token)
        assert not body.get("errors"), body
        return sorted(d["name"] for d in body["data"][plural])

    every = await found(None)  # with what else is stored (the server's own system)
    for search in SEARCHES:
        pattern = re.compile(re.escape(search), re.IGNORECASE)
        assert await found(search) == [n for n in every if pattern.search(n)], search

    with request_commands.kept():
        assert await found("deploy") == matching("deploy")
    finds = [c for c in request_commands.commands if "find" in c]
    pieces = [c["filter"] for c in finds if c["find"] == f"{kind.lower()}_names"]
    assert pieces and all(isinstance(where["name_grams"], str) for where in pieces), pieces
    named = [c["filter"] for c in finds if c["find"] == plural]
    assert named and all(list(where) == ["_id"] for where in named), named

    renamed = ids["Deploy the API"]
    update = f"""mutation($id: ID!, $n: String!) {{
      update{kind}(id: $id, input: {{name: $n}}) {{ id }} }}"""
    body = await gql(update, {"id": renamed, "n": "Zebra census"}, admin_token)
    assert not body.get("errors"), body
    assert await found("zebra") == ["Zebra census"]
    assert "Deploy the API" not in await found("deploy")
    delete = f"mutation($id: ID!) {{ delete{kind}(id: $id) }}"
    body = await gql(delete, {"id": renamed}, admin_token)
    assert body["data"][f"delete{kind}"] is True, body
    assert await found("zebra") == []
    kept = getattr(models, f"{kind}Name").get_pymongo_collection()
    assert await kept.count_documents({"_id": renamed}) == 0


USERNAMES = ["deploy-api", "nightly_DEPLOY", "redeployed.twice", "task150", "task1150", "ab"]
USERS = "query($s: String) { users(filter: {search: $s}) { id username } }"


async def test_users_are_searched_by_their_username_pieces(
    gql: GraphQLClient, admin_token: str, settings: Settings, request_commands: RequestCommands
) -> None:
    """Accounts made through the API and around it (the bootstrap admin, `axonql user create`:
    no unit of work, no event) are found; a rename moves the pieces, a deletion removes them."""
    create = "mutation($n: String!) { createUser(input: {username: $n}) { id } }"
    ids = {}
    for name in USERNAMES:
        body = await gql(create, {"n": name}, admin_token)
        assert not body.get("errors"), body
        ids[name] = body["data"]["createUser"]["id"]
    await users.create_account(settings, username="Deployer-cli")  # as the CLI does

    async def found(search: str | None) -> list[str]:
        body = await gql(USERS, {"s": search}, admin_token)
        assert not body.get("errors"), body
        return sorted(u["username"] for u in body["data"]["users"])

    every = await found(None)
    assert "Deployer-cli" in every
    for search in ["deploy", "DEPLOY", "150", "ab", "ploy", "zzz"]:
        pattern = re.compile(re.escape(search), re.IGNORECASE)
        assert await found(search) == [n for n in every if pattern.search(n)], search
    with request_commands.kept():
        await found("deploy")
    asked = [c["filter"] for c in request_commands.commands if c.get("find") == "user_names"]
    assert asked and all(isinstance(where["name_grams"], str) for where in asked), asked

    rename = "mutation($id: ID!, $n: String!) { updateUser(id: $id, input: {username: $n}) { id } }"
    body = await gql(rename, {"id": ids["deploy-api"], "n": "zebra-census"}, admin_token)
    assert not body.get("errors"), body
    assert await found("zebra") == ["zebra-census"]
    assert "deploy-api" not in await found("deploy")
    delete = "mutation($id: ID!) { deleteUser(id: $id) }"
    gone = await gql(delete, {"id": ids["deploy-api"]}, admin_token)
    assert gone["data"]["deleteUser"] is True, gone
    assert await found("zebra") == []
    kept = models.UserName.get_pymongo_collection()
    assert await kept.count_documents({"_id": ids["deploy-api"]}) == 0
