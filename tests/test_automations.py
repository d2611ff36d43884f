"""Automations over real HTTP: OCTOSPINE's payloads, filters, validation, pausing, statistics."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from croniter import croniter

from axonql import models
from axonql.models.base import utcnow
from axonql.scopes import Scope
from axonql.services.events import emit
from axonql.settings import Settings
from tests.support import GraphQLClient, error_codes, token_for

FIELDS = """id name type status enabled successRate lastRun nextRun
  triggers { type value nextTrigger } steps { name type parameters }"""
CREATE = (
    f"mutation($input: CreateAutomationInput!) {{ createAutomation(input: $input) {{ {FIELDS} }} }}"
)
UPDATE = f"""mutation($id: ID!, $input: UpdateAutomationInput!) {{
  updateAutomation(id: $id, input: $input) {{ {FIELDS} }} }}"""

# OCTOSPINE's `POST /api/automations` body, in GraphQL spelling.
SEED_AUTOMATION: dict[str, Any] = {
    "name": "Data Pipeline Automation",
    "description": "Automated data processing pipeline",
    "triggers": [
        {"type": "SCHEDULE", "value": "0 */6 * * *"},
        {"type": "EVENT", "value": "data_source.updated"},
    ],
    "steps": [
        {
            "name": "data_extraction",
            "type": "extract",
            "parameters": {"source": "api", "endpoint": "/data/sources"},
        },
        {
            "name": "data_processing",
            "type": "transform",
            "parameters": {"operations": ["clean", "validate", "enrich"]},
        },
        {
            "name": "data_storage",
            "type": "store",
            "parameters": {"destination": "database", "table": "processed_data"},
        },
    ],
}


def ext(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["errors"][0]["extensions"])


async def _create(gql: GraphQLClient, token: str, **overrides: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": {**SEED_AUTOMATION, **overrides}}, token)
    assert "errors" not in body, body
    return dict(body["data"]["createAutomation"])


async def test_create_seed_automation(gql: GraphQLClient, admin_token: str) -> None:
    before = utcnow()
    automation = await _create(gql, admin_token)
    assert automation["status"] == "ACTIVE"
    assert automation["type"] == "automation"
    assert automation["successRate"] is None
    schedule, event = automation["triggers"]
    expected = croniter("0 */6 * * *", before).get_next(datetime)
    assert datetime.fromisoformat(schedule["nextTrigger"]) == expected
    assert event == {"type": "EVENT", "value": "data_source.updated", "nextTrigger": None}
    assert automation["nextRun"] == schedule["nextTrigger"]
    assert [s["name"] for s in automation["steps"]] == [
        "data_extraction",
        "data_processing",
        "data_storage",
    ]
    assert automation["steps"][1]["parameters"] == {"operations": ["clean", "validate", "enrich"]}

    stored = await models.Task.get(automation["id"])
    assert stored is not None and stored.is_automation and stored.enabled
    listed = await gql("{ tasks { id } }", token=admin_token)
    assert listed["data"]["tasks"] == []
    as_task = await gql(
        "query($id: ID!) { task(id: $id) { id } }", {"id": automation["id"]}, admin_token
    )
    assert error_codes(as_task) == ["RESOURCE_NOT_FOUND"]
    fetched = await gql(
        "query($id: ID!) { automation(id: $id) { name } }", {"id": automation["id"]}, admin_token
    )
    assert fetched["data"]["automation"]["name"] == "Data Pipeline Automation"


async def test_filters_by_status_and_type(gql: GraphQLClient, admin_token: str) -> None:
    await _create(gql, admin_token, name="a", type="data_processing")
    await _create(gql, admin_token, name="b", type="data_processing", enabled=False)
    await _create(gql, admin_token, name="c", type="reporting")
    await models.Task(name="plain", type="data_processing").insert()

    async def names(filter: dict[str, Any]) -> list[str]:
        body = await gql(
            "query($f: AutomationFilter) { automations(filter: $f) { name } }",
            {"f": filter},
            admin_token,
        )
        return sorted(a["name"] for a in body["data"]["automations"])

    assert await names({}) == ["a", "b", "c"]
    assert await names({"status": "ACTIVE", "type": "data_processing"}) == ["a"]
    assert await names({"status": "PAUSED"}) == ["b"]
    assert await names({"type": "reporting"}) == ["c"]
    assert len(await names({"limit": 2})) == 2
    assert len(await names({"limit": 2, "offset": 2})) == 1
    refused = await gql("{ automations(filter: {limit: 0}) { id } }", token=admin_token)
    assert ext(refused)["field"] == "limit"


async def test_update_pause_and_resume(gql: GraphQLClient, admin_token: str) -> None:
    automation = await _create(gql, admin_token)
    replaced = await gql(
        UPDATE,
        {
            "id": automation["id"],
            "input": {"name": "Hourly", "triggers": [{"type": "SCHEDULE", "value": "0 * * * *"}]},
        },
        admin_token,
    )
    hourly = replaced["data"]["updateAutomation"]
    assert hourly["name"] == "Hourly"
    assert [t["value"] for t in hourly["triggers"]] == ["0 * * * *"]
    assert datetime.fromisoformat(hourly["nextRun"]).minute == 0

    paused = await gql(UPDATE, {"id": automation["id"], "input": {"enabled": False}}, admin_token)
    assert paused["data"]["updateAutomation"]["status"] == "PAUSED"
    assert paused["data"]["updateAutomation"]["nextRun"] is None
    stored = await models.Task.get(automation["id"])
    assert stored is not None and stored.next_run is None and not stored.enabled

    # A stale next trigger (as left by a long pause) is recomputed on resume.
    stored.triggers[0].next_trigger = utcnow().replace(year=2020)
    await stored.save()
    resumed = await gql(UPDATE, {"id": automation["id"], "input": {"enabled": True}}, admin_token)
    assert resumed["data"]["updateAutomation"]["status"] == "ACTIVE"
    assert datetime.fromisoformat(resumed["data"]["updateAutomation"]["nextRun"]) > utcnow()


async def test_bad_input_changes_nothing(gql: GraphQLClient, admin_token: str) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"triggers": [{"type": "SCHEDULE", "value": "every day"}]}, "triggers.0.value"),
        ({"triggers": [{"type": "EVENT", "value": "has spaces"}]}, "triggers.0.value"),
        ({"triggers": [{"type": "INTERVAL", "value": "0"}]}, "triggers.0.value"),
        ({"triggers": []}, "triggers"),
        ({"steps": []}, "steps"),
        ({"steps": [{"name": "s", "type": "x"}, {"name": "s", "type": "y"}]}, "steps.1.name"),
        ({"steps": [{"name": "s", "type": "x", "parameters": [1]}]}, "steps.0.parameters"),
        ({"name": "n" * 1000}, "name"),
    ]
    for overrides, field in cases:
        body = await gql(CREATE, {"input": {**SEED_AUTOMATION, **overrides}}, admin_token)
        assert (ext(body)["code"], ext(body)["field"]) == ("VALIDATION_ERROR", field), overrides
    assert await models.Task.find({}).count() == 0

    automation = await _create(gql, admin_token)
    before = await models.Task.get(automation["id"])
    assert before is not None
    for overrides, field in cases:
        body = await gql(UPDATE, {"id": automation["id"], "input": overrides}, admin_token)
        assert (ext(body)["code"], ext(body)["field"]) == ("VALIDATION_ERROR", field), overrides
    after = await models.Task.get(automation["id"])
    assert after is not None and after.model_dump() == before.model_dump()


async def test_success_rate_and_last_run_from_statistics(
    gql: GraphQLClient, admin_token: str
) -> None:
    automation = await _create(gql, admin_token)
    ran = utcnow().replace(microsecond=0)
    await models.Task.get_pymongo_collection().update_one(
        {"_id": automation["id"]},
        {
            "$set": {
                "statistics.total_runs": 20,
                "statistics.successful_runs": 19,
                "statistics.failed_runs": 1,
                "last_run": ran,
            }
        },
    )
    body = await gql(
        "query($id: ID!) { automation(id: $id) { successRate lastRun statistics { totalRuns } } }",
        {"id": automation["id"]},
        admin_token,
    )
    assert body["data"]["automation"]["successRate"] == 0.95
    assert datetime.fromisoformat(body["data"]["automation"]["lastRun"]) == ran
    assert body["data"]["automation"]["statistics"]["totalRuns"] == 20


async def test_delete_and_unknown_ids(gql: GraphQLClient, admin_token: str) -> None:
    automation = await _create(gql, admin_token)
    plain = models.Task(name="plain")
    await plain.insert()
    for op in [
        'mutation { deleteAutomation(id: "task_missing") }',
        f'mutation {{ deleteAutomation(id: "{plain.id}") }}',
        'mutation { updateAutomation(id: "task_missing", input: {name: "x"}) { id } }',
        f'{{ automation(id: "{plain.id}") {{ id }} }}',
    ]:
        assert error_codes(await gql(op, token=admin_token)) == ["RESOURCE_NOT_FOUND"], op
    assert await models.Task.get(plain.id) is not None
    deleted = await gql(
        "mutation($id: ID!) { deleteAutomation(id: $id) }", {"id": automation["id"]}, admin_token
    )
    assert deleted["data"]["deleteAutomation"] is True
    assert await models.Task.get(automation["id"]) is None


async def test_scopes(gql: GraphQLClient, settings: Settings) -> None:
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="user_tasks_reader")
    assert "errors" not in await gql("{ automations { id } }", token=reader)
    refused = await gql(CREATE, {"input": SEED_AUTOMATION}, reader)
    assert error_codes(refused) == ["AUTHORIZATION_DENIED"]


async def test_event_trigger_fires_a_run(gql: GraphQLClient, admin_token: str) -> None:
    """End to end with the scheduler: a matching event creates one queued run."""
    automation = await _create(gql, admin_token)
    await asyncio.sleep(1.5)  # let the scheduler record where its event window starts
    await emit("DATA_SOURCE_UPDATED", {"source": "api"})
    for _ in range(100):
        runs = await models.Task.find({"parent_id": automation["id"]}).to_list()
        if runs:
            break
        await asyncio.sleep(0.1)
    assert len(runs) == 1
    assert runs[0].parameters["steps"][0]["name"] == "data_extraction"
    assert runs[0].parameters["trigger"]["type"] == "event"


async def test_pausing_is_one_change_whose_event_names_it(
    gql: GraphQLClient, admin_token: str
) -> None:
    """The automation's own fields change with the rest in one unit of work, so its event lists
    them (they used to be saved after the event, as a second write of the whole document)."""
    automation = await _create(gql, admin_token)
    paused = await gql(
        UPDATE, {"id": automation["id"], "input": {"enabled": False, "name": "Paused"}}, admin_token
    )
    assert paused["data"]["updateAutomation"]["status"] == "PAUSED"
    events = await models.Event.find(
        {"task_id": automation["id"], "payload.change": "updated"}
    ).to_list()
    assert [e.payload["fields"] for e in events] == [["enabled", "name", "next_run"]]
