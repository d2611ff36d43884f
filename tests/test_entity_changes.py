"""Every change of an entity is one event on its stream, naming the fields it changed.

For each entity the update mutation is called with every field of its input at once; the
inputs are read from the schema, so a field added later without a case here fails the test.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.services import immune, memory_ops
from axonql.services.memory_ops import ConsolidationPlan
from axonql.settings import Settings
from tests.support import GraphQLClient

NOT_FIELDS = {"clearSchedule", "configPatch", "password"}
"""Inputs that act on a field another input names (schedule, config) or that is never shown."""

CASES: dict[str, dict[str, Any]] = {
    "task": {
        "name": "renamed",
        "description": "described",
        "type": "documentation",
        "priority": "CRITICAL",
        "parameters": {"topic": "events"},
        "schedule": {"type": "INTERVAL", "value": "3600"},
        "clearSchedule": False,
        "requiredCapabilities": ["docs"],
        "tags": ["t1"],
        "maxAttempts": 7,
    },
    "agent": {
        "name": "renamed",
        "type": "gpu",
        "status": "IDLE",
        "capabilities": ["docs"],
        "configuration": {"maxConcurrentTasks": 2, "timeout": 60, "retryAttempts": 1},
        "tags": ["t1"],
        "metadata": {"zone": "b"},
    },
    "system": {
        "name": "renamed",
        "kind": "simulator",
        "status": "DEGRADED",
        "version": "2.0.0",
        "environment": "staging",
        "description": "described",
        "consciousnessLevel": 0.9,
        "awarenessState": "focused",
        "components": [{"componentId": "c1", "type": "module", "state": "active"}],
        "config": {"features": {"a": True}},
        "configPatch": {"limits.rate": 5},
        "tags": ["t1"],
    },
    "user": {
        "username": "renamed",
        "email": "renamed@example.com",
        "password": "a-long-new-password",
        "scopes": ["tasks:read"],
        "isActive": True,
        "tags": ["t1"],
        "learningContext": {"goals": ["graphs"], "consciousnessLevel": 0.6},
    },
    "population": {
        "name": "renamed",
        "specialization": "planning",
        "tags": ["t1"],
        "performanceMetrics": {"accuracy": 0.9},
    },
    "memory": {
        "content": "changed content",
        "type": "semantic",
        "title": "titled",
        "context": {"where": "here"},
        "tags": ["t1"],
        "importance": 0.9,
        "pool": "long_term",
        "ownerUserId": "user_owner",
        "ownerSystemId": "sys_owner",
        "relatedIds": ["mem_related"],
    },
}
CREATE = {
    "task": 'createTask(input: {name: "t"}) { id }',
    "agent": 'createAgent(input: {name: "a"}) { id }',
    "system": 'createSystem(input: {name: "s"}) { id }',
    "user": 'createUser(input: {username: "someone", password: "a-long-password"}) { id }',
    "population": 'createPopulation(input: {name: "p"}) { id }',
    "memory": 'createMemory(input: {content: "m", type: "episodic"}) { id }',
}
FIELDS_NAMED = """
query($id: ID!) {
  events(first: 5, %s: $id) {
    edges { node { type details { ... on TaskStateChanged { change fields }
      ... on AgentStatusChanged { change fields } ... on EntityChanged { change fields } } } }
  }
}"""


def _mutable(schema_input: dict[str, Any]) -> set[str]:
    return {f["name"] for f in schema_input["inputFields"]}


async def test_an_update_of_every_field_is_one_event_naming_them(
    gql: GraphQLClient, admin_token: str
) -> None:
    await models.User(id="user_owner", username="owner").insert()
    await models.System(id="sys_owner", name="owner").insert()
    await models.Memory(id="mem_related", content="related").insert()
    for entity, changes in CASES.items():
        kind = entity.capitalize()
        shape = await gql(
            f'{{ __type(name: "Update{kind}Input") {{ inputFields {{ name }} }} }}',
            None,
            admin_token,
        )
        assert _mutable(shape["data"]["__type"]) == set(changes), entity
        created = await gql(f"mutation {{ {CREATE[entity]} }}", None, admin_token)
        assert not created.get("errors"), created
        subject = next(iter(created["data"].values()))["id"]
        field = f"{entity}_id"
        before = await models.Event.find({field: subject}).count()
        updated = await gql(
            f"mutation($id: ID!, $input: Update{kind}Input!) "
            f"{{ update{kind}(id: $id, input: $input) {{ id }} }}",
            {"id": subject, "input": changes},
            admin_token,
        )
        assert not updated.get("errors"), (entity, updated)
        assert await models.Event.find({field: subject}).count() == before + 1, entity
        body = await gql(FIELDS_NAMED % f"{entity}Id", {"id": subject}, admin_token)
        assert not body.get("errors"), body
        newest = body["data"]["events"]["edges"][0]["node"]["details"]
        assert newest["change"] == "updated", (entity, newest)
        named = set(newest["fields"])
        expected = set(changes) - NOT_FIELDS
        assert expected - named == set(), (entity, expected - named, named)


async def test_deletes_links_and_recalls_are_one_event_each(
    gql: GraphQLClient, admin_token: str
) -> None:
    """A delete is one event on the entity's stream (its subject now null); so are a memory's
    links and recalls (which change its access count and drift)."""
    created = {}
    for entity, create in CREATE.items():
        body = await gql(f"mutation {{ {create} }}", None, admin_token)
        assert not body.get("errors"), body
        created[entity] = next(iter(body["data"].values()))["id"]
    other = await gql(
        'mutation { createMemory(input: {content: "other"}) { id } }', None, admin_token
    )
    memory, related = created["memory"], other["data"]["createMemory"]["id"]
    actions = {
        "link": (
            "mutation($id: ID!, $r: [ID!]!) { linkMemories(id: $id, relatedIds: $r) { id } }",
            {"id": memory, "r": [related]},
            "linked",
        ),
        "recall": (
            "mutation($id: ID!) { recallMemory(id: $id) { memory { accessCount } } }",
            {"id": memory},
            "recalled",
        ),
    }
    for action, (mutation, variables, change) in actions.items():
        before = await models.Event.find({"memory_id": memory}).count()
        done = await gql(mutation, variables, admin_token)
        assert not done.get("errors"), (action, done)
        events = await models.Event.find({"memory_id": memory}).sort("-seq").to_list()
        assert len(events) == before + 1, action
        assert events[0].payload["change"] == change
    linked_back = await models.Event.find({"memory_id": related}).sort("-seq").to_list()
    assert linked_back[0].payload["change"] == "linked"  # the other side changed too
    assert linked_back[0].snapshots["memory"]["related_ids"] == [memory]
    for entity, subject in created.items():
        field = f"{entity}_id"
        before = await models.Event.find({field: subject}).count()
        name = entity.capitalize()
        done = await gql(f'mutation {{ delete{name}(id: "{subject}") }}', None, admin_token)
        assert done["data"] == {f"delete{name}": True}, done
        assert await models.Event.find({field: subject}).count() == before + 1, entity
        body = await gql(
            f"query($id: ID!) {{ events(first: 1, {entity}Id: $id) "
            f"{{ edges {{ node {{ {entity} {{ id }} details {{ ... on TaskStateChanged "
            "{ change } ... on AgentStatusChanged { change } ... on EntityChanged { change } } "
            "} } } }",
            {"id": subject},
            admin_token,
        )
        newest = body["data"]["events"]["edges"][0]["node"]
        assert newest == {entity: None, "details": {"change": "deleted"}}, (entity, body)


async def test_a_healed_memory_shows_on_its_stream(settings: Settings) -> None:
    """The immune scan resetting a memory's drift is a change like any other."""
    await models.Memory(id="mem_drifting", content="x", drift_score=0.95).insert()
    await immune.scan(settings, None, deep_scan=True, auto_heal=True)
    (event,) = await models.Event.find({"memory_id": "mem_drifting"}).to_list()
    assert event.payload == {"change": "healed", "fields": ["drift_score"]}
    assert event.snapshots["memory"]["drift_score"] == 0.0


async def test_a_merge_of_duplicates_shows_on_the_keepers_stream() -> None:
    """Consolidation folds duplicates into one memory: that memory's change is an event."""
    earlier = utcnow() - timedelta(days=2)
    for memory_id, content, importance, tag in (
        ("keep", "Same fact!", 0.9, "a"),
        ("dup", "same fact", 0.4, "b"),
    ):
        await models.Memory(
            id=memory_id, content=content, importance=importance, tags=[tag], created_at=earlier
        ).insert()
    capacity = {"short_term": 1000, "long_term": 1000, "episodic": 1000}
    await memory_ops.consolidate(ConsolidationPlan(), capacity, alert_level=0.3)
    events = await models.Event.find({"memory_id": "keep"}).sort("+seq").to_list()
    merged = events[0]  # then its promotion to long-term (consolidation's next step)
    assert merged.payload["change"] == "merged" and merged.payload["merged_ids"] == ["dup"]
    assert merged.snapshots["memory"]["tags"] == ["a", "b"]
