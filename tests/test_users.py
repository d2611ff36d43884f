"""Users over real HTTP against a real database: CRUD, filters, paging, sessions, scope rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.scopes import Scope
from axonql.settings import Settings
from tests.support import GraphQLClient, error_codes, token_for

FIELDS = """
id username email scopes isActive tags createdAt updatedAt
learningContext {
  skillLevels preferences goals consciousnessLevel timeSpent achievements currentSessionId
}
"""
CREATE = f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {FIELDS} }} }}"
UPDATE = (
    f"mutation($id: ID!, $input: UpdateUserInput!) {{ updateUser(id: $id, input: $input)"
    f" {{ {FIELDS} }} }}"
)
LIST = "query($filter: UserFilter) { users(filter: $filter) { username } }"


async def create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": fields}, token)
    assert "errors" not in body, body
    user: dict[str, Any] = body["data"]["createUser"]
    return user


async def test_create_read_update_delete(gql: GraphQLClient, admin_token: str) -> None:
    user = await create(
        gql,
        admin_token,
        id="user123",
        username="ada",
        email="ada@example.org",
        password="correct horse battery",
        scopes=["consciousness:read"],
        tags=["beta"],
        learningContext={
            "skillLevels": {"python": 0.7, "security": 0.25},
            "preferences": {"difficulty": "adaptive"},
            "goals": ["master security"],
            "consciousnessLevel": 0.6,
        },
    )
    assert user["id"] == "user123"
    assert user["learningContext"]["skillLevels"] == {"python": 0.7, "security": 0.25}
    assert user["learningContext"]["consciousnessLevel"] == 0.6
    stored = await models.User.get("user123")
    assert stored is not None and stored.password_hash and "correct" not in stored.password_hash

    login = await gql(
        'mutation { login(username: "ada", password: "correct horse battery") { scope } }'
    )
    assert login["data"]["login"]["scope"] == ["consciousness:read"]

    fetched = await gql('{ user(id: "user123") { username email } }', token=admin_token)
    assert fetched["data"]["user"] == {"username": "ada", "email": "ada@example.org"}

    updated = await gql(
        UPDATE,
        {
            "id": "user123",
            "input": {
                "email": "",
                "learningContext": {"skillLevels": {"python": 0.9}, "timeSpent": 120.5},
            },
        },
        admin_token,
    )
    ctx = updated["data"]["updateUser"]["learningContext"]
    assert updated["data"]["updateUser"]["email"] is None
    assert ctx["skillLevels"] == {"python": 0.9}
    assert ctx["timeSpent"] == 120.5
    assert ctx["goals"] == ["master security"]  # fields not given stay as they were

    deleted = await gql('mutation { deleteUser(id: "user123") }', token=admin_token)
    assert deleted["data"]["deleteUser"] is True
    assert await models.User.get("user123") is None
    gone = await gql('{ user(id: "user123") { id } }', token=admin_token)
    assert error_codes(gone) == ["USER_NOT_FOUND"]
    events = await models.Event.find({"user_id": "user123", "type": "USER_UPDATED"}).to_list()
    assert [e.payload["change"] for e in events] == ["created", "updated", "deleted"]


async def test_password_hash_is_not_in_the_schema(gql: GraphQLClient, admin_token: str) -> None:
    body = await gql('{ __type(name: "User") { fields { name } } }', token=admin_token)
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert "passwordHash" not in names and "password" not in names
    assert {"createAccount"}.isdisjoint(
        f["name"]
        for f in (await gql("{ __schema { mutationType { fields { name } } } }"))["data"][
            "__schema"
        ]["mutationType"]["fields"]
    )


async def test_every_filter(gql: GraphQLClient, admin_token: str) -> None:
    await create(gql, admin_token, username="alice", tags=["staff"], scopes=["tasks:read"])
    await create(gql, admin_token, username="bob", tags=["beta"], isActive=False)
    await create(gql, admin_token, username="alicia", tags=["beta", "staff"])
    await models.User.find({"username": "bob"}).update(
        {"$set": {"created_at": utcnow() - timedelta(days=3)}}
    )

    async def names(**flt: Any) -> set[str]:
        body = await gql(LIST, {"filter": flt}, admin_token)
        assert "errors" not in body, body
        return {u["username"] for u in body["data"]["users"]} - {"user_admin"}

    assert await names(active=False) == {"bob"}
    assert await names(scope="tasks:read") == {"alice"}
    assert await names(tag="beta") == {"bob", "alicia"}
    assert await names(search="ALI") == {"alice", "alicia"}
    cutoff = (utcnow() - timedelta(days=1)).isoformat()
    assert await names(createdBefore=cutoff) == {"bob"}
    assert await names(createdAfter=cutoff, tag="staff") == {"alice", "alicia"}
    assert len(await names(limit=1)) <= 1


async def test_connection_pages_in_a_stable_order(gql: GraphQLClient, admin_token: str) -> None:
    for i in range(7):
        await create(gql, admin_token, username=f"page{i}")
    query = """
    query($after: String) {
      usersConnection(first: 3, after: $after, filter: {search: "page"},
                      sort: {field: USERNAME, direction: DESC}) {
        totalCount edges { node { username } } pageInfo { hasNextPage endCursor }
      }
    }"""
    seen: list[str] = []
    after = None
    while True:
        body = await gql(query, {"after": after}, admin_token)
        page = body["data"]["usersConnection"]
        assert page["totalCount"] == 7
        seen += [e["node"]["username"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"page{i}" for i in reversed(range(7))]


async def test_sessions_relation(gql: GraphQLClient, admin_token: str) -> None:
    await create(gql, admin_token, id="learner", username="learner")
    await create(gql, admin_token, id="other", username="other")
    start = utcnow() - timedelta(hours=3)
    await models.LearningSession.insert_many(
        [
            models.LearningSession(
                id="s_old",
                user_id="learner",
                status="completed",
                started_at=start,
                ended_at=start + timedelta(minutes=30),
                duration_seconds=1800,
                module_id="m1",
            ),
            models.LearningSession(
                id="s_new",
                user_id="learner",
                status="active",
                started_at=start + timedelta(hours=2),
            ),
            models.LearningSession(id="s_x", user_id="other", started_at=start),
        ]
    )
    body = await gql(
        """{ users(filter: {search: "e"}) {
              id sessions { id status moduleId durationSeconds endedAt }
              active: sessions(status: "active") { id }
              latest: sessions(limit: 1) { id } } }""",
        token=admin_token,
    )
    by_id = {u["id"]: u for u in body["data"]["users"]}
    assert [s["id"] for s in by_id["learner"]["sessions"]] == ["s_new", "s_old"]
    assert by_id["learner"]["sessions"][1]["durationSeconds"] == 1800
    assert by_id["learner"]["sessions"][1]["moduleId"] == "m1"
    assert [s["id"] for s in by_id["learner"]["active"]] == ["s_new"]
    assert [s["id"] for s in by_id["other"]["sessions"]] == ["s_x"]
    assert [s["id"] for s in by_id["learner"]["latest"]] == ["s_new"]
    assert [s["id"] for s in by_id["other"]["latest"]] == ["s_x"]


async def test_bad_input_is_refused_and_nothing_changes(
    gql: GraphQLClient, admin_token: str
) -> None:
    await create(
        gql,
        admin_token,
        id="keep",
        username="keeper",
        learningContext={"skillLevels": {"python": 0.5}, "consciousnessLevel": 0.4},
    )
    before = await models.User.get("keep")
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"username": "x", "learningContext": {"consciousnessLevel": 1.5}},
            "CONSCIOUSNESS_LEVEL_INVALID",
            "learningContext.consciousnessLevel",
        ),
        (
            {"username": "x", "learningContext": {"skillLevels": {"python": 2}}},
            "VALIDATION_ERROR",
            "learningContext.skillLevels.python",
        ),
        (
            {"username": "x", "learningContext": {"skillLevels": {"python": "high"}}},
            "VALIDATION_ERROR",
            "learningContext.skillLevels.python",
        ),
        (
            {"username": "x", "learningContext": {"skillLevels": [0.5]}},
            "VALIDATION_ERROR",
            "learningContext.skillLevels",
        ),
        (
            {"username": "x", "learningContext": {"timeSpent": -1}},
            "VALIDATION_ERROR",
            "learningContext.timeSpent",
        ),
        ({"username": "u" * 500}, "VALIDATION_ERROR", "username"),
        ({"username": "bad name"}, "VALIDATION_ERROR", "username"),
        ({"username": "x", "id": "no spaces allowed"}, "VALIDATION_ERROR", "id"),
        ({"username": "x", "email": "not-an-email"}, "VALIDATION_ERROR", "email"),
        ({"username": "x", "password": "short"}, "VALIDATION_ERROR", "password"),
        ({"username": "x", "scopes": ["root:everything"]}, "VALIDATION_ERROR", "scopes"),
        (
            {"username": "x", "learningContext": {"goals": ["g" * 600]}},
            "VALIDATION_ERROR",
            "learningContext.goals",
        ),
    ]
    for fields, code, field in cases:
        body = await gql(CREATE, {"input": fields}, admin_token)
        assert error_codes(body) == [code], (fields, body)
        assert body["errors"][0]["extensions"]["field"] == field
        if field == "id":
            continue
        changes = {k: val for k, val in fields.items() if k != "id"}
        update = await gql(UPDATE, {"id": "keep", "input": changes}, admin_token)
        assert error_codes(update) == [code], (fields, update)
    wrong_type = await gql(CREATE, {"input": {"username": 5}}, admin_token)
    assert error_codes(wrong_type) == ["INVALID_REQUEST"]
    duplicate_id = await gql(CREATE, {"input": {"username": "fresh", "id": "keep"}}, admin_token)
    assert error_codes(duplicate_id) == ["CONFLICT"]
    duplicate_name = await gql(CREATE, {"input": {"username": "keeper"}}, admin_token)
    assert error_codes(duplicate_name) == ["CONFLICT"]
    unknown = await gql(UPDATE, {"id": "ghost", "input": {"tags": ["x"]}}, admin_token)
    assert error_codes(unknown) == ["USER_NOT_FOUND"]
    unknown_delete = await gql('mutation { deleteUser(id: "ghost") }', token=admin_token)
    assert error_codes(unknown_delete) == ["USER_NOT_FOUND"]

    assert await models.User.find({"username": {"$ne": "user_admin"}}).count() == 1
    after = await models.User.get("keep")
    assert before is not None and after is not None
    assert after.model_dump() == before.model_dump()


async def test_scope_rules(gql: GraphQLClient, settings: Settings) -> None:
    manager = await token_for(settings, [Scope.USER_MANAGE], user_id="manager")
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="reader")
    denied = await gql(CREATE, {"input": {"username": "x"}}, reader)
    assert error_codes(denied) == ["AUTHORIZATION_DENIED"]
    anonymous = await gql("{ users { id } }")
    assert error_codes(anonymous) == ["AUTHENTICATION_FAILED"]

    plain = await create(gql, manager, username="plain", password="long enough pw")
    assert plain["scopes"] == []
    grant = await gql(CREATE, {"input": {"username": "y", "scopes": ["tasks:read"]}}, manager)
    assert error_codes(grant) == ["AUTHORIZATION_DENIED"]
    escalate = await gql(
        UPDATE, {"id": plain["id"], "input": {"scopes": ["admin:system"]}}, manager
    )
    assert error_codes(escalate) == ["AUTHORIZATION_DENIED"]
    # a user manager may not take over or remove a privileged account
    takeover = await gql(UPDATE, {"id": "reader", "input": {"password": "new password!"}}, manager)
    assert error_codes(takeover) == ["AUTHORIZATION_DENIED"]
    remove = await gql('mutation { deleteUser(id: "reader") }', token=manager)
    assert error_codes(remove) == ["AUTHORIZATION_DENIED"]
    # ... but manages learning context and plain accounts
    ok = await gql(
        UPDATE,
        {"id": "reader", "input": {"learningContext": {"achievements": ["first login"]}}},
        manager,
    )
    assert ok["data"]["updateUser"]["learningContext"]["achievements"] == ["first login"]
    assert (await gql(f'mutation {{ deleteUser(id: "{plain["id"]}") }}', token=manager))["data"][
        "deleteUser"
    ]
    assert await models.User.find({"username": {"$in": ["x", "y"]}}).count() == 0


async def test_deactivation_and_password_change_revoke_refresh_tokens(
    gql: GraphQLClient, admin_token: str
) -> None:
    await create(gql, admin_token, id="u_pw", username="pw", password="first password")
    login = await gql(
        'mutation { login(username: "pw", password: "first password") { refreshToken } }'
    )
    refresh = login["data"]["login"]["refreshToken"]
    await gql(UPDATE, {"id": "u_pw", "input": {"password": "second password"}}, admin_token)
    reused = await gql(
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }", {"t": refresh}
    )
    assert error_codes(reused) == ["AUTHENTICATION_FAILED"]
    old = await gql('mutation { login(username: "pw", password: "first password") { scope } }')
    assert error_codes(old) == ["AUTHENTICATION_FAILED"]
    await gql(UPDATE, {"id": "u_pw", "input": {"isActive": False}}, admin_token)
    inactive = await gql(
        'mutation { login(username: "pw", password: "second password") { scope } }'
    )
    assert error_codes(inactive) == ["AUTHENTICATION_FAILED"]
