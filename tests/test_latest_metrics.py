"""Each System's newest CPU/memory/disk sample, kept on the System document (#11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql import models
from axonql.app import create_app
from axonql.models.base import utcnow
from axonql.services import latest_metrics
from axonql.settings import Settings
from tests.support import GraphQLClient, RunningServer, extra_server

READ = """query($id: ID!) { system(id: $id) { metrics { cpuUsage memoryUsage diskUsage } } }"""


NOW = utcnow().replace(microsecond=0)  # samples are placed from one instant: "as old" is equal


def sample(system_id: str, metric: str, value: float, seconds_ago: float) -> models.MetricSample:
    at = NOW - timedelta(seconds=seconds_ago)
    return models.MetricSample(system_id=system_id, metric=metric, value=value, timestamp=at)


async def read(gql: GraphQLClient, token: str, system_id: str) -> dict[str, Any]:
    body = await gql(READ, {"id": system_id}, token)
    assert "errors" not in body, body
    return dict(body["data"]["system"]["metrics"])


async def test_an_older_sample_stored_later_leaves_the_latest_alone(
    gql: GraphQLClient, admin_token: str
) -> None:
    await models.System(id="sys_a", name="A").insert()
    await latest_metrics.store([sample("sys_a", "cpu_usage", 50.0, 10)])
    await latest_metrics.store([sample("sys_a", "cpu_usage", 10.0, 60)])  # older, later
    await latest_metrics.store([sample("sys_a", "cpu_usage", 20.0, 10)])  # as old, later
    assert await read(gql, admin_token, "sys_a") == {
        "cpuUsage": 50.0,
        "memoryUsage": None,
        "diskUsage": None,
    }
    # one batch out of order: its newest sample per series wins; other series are not kept
    await latest_metrics.store(
        [
            sample("sys_a", "memory_usage", 70.0, 1),
            sample("sys_a", "cpu_usage", 60.0, 5),
            sample("sys_a", "memory_usage", 30.0, 30),
            sample("sys_a", "response_time", 9.0, 0),
        ]
    )
    assert await read(gql, admin_token, "sys_a") == {
        "cpuUsage": 60.0,
        "memoryUsage": 70.0,
        "diskUsage": None,
    }
    stored = await models.System.get_pymongo_collection().find_one({"_id": "sys_a"})
    assert stored is not None and sorted(stored["latest_metrics"]) == ["cpu_usage", "memory_usage"]


async def test_a_system_saved_from_an_earlier_read_keeps_its_newer_latest(
    gql: GraphQLClient, admin_token: str
) -> None:
    """The latest values are never part of a whole-document write (insert, save)."""
    await models.System(id="sys_b", name="B").insert()
    stale = await models.System.get("sys_b")
    assert stale is not None and stale.latest_metrics == {}
    await latest_metrics.store([sample("sys_b", "disk_usage", 42.0, 1)])
    stale.description = "edited meanwhile"
    await stale.save()
    assert (await read(gql, admin_token, "sys_b"))["diskUsage"] == 42.0


async def test_a_system_created_after_its_samples_shows_them(
    gql: GraphQLClient, admin_token: str
) -> None:
    await latest_metrics.store([sample("sys_c", "cpu_usage", 5.0, 1)])
    body = await gql(
        """mutation { createSystem(input: {id: "sys_c", name: "C"})
             { metrics { cpuUsage } } }""",
        token=admin_token,
    )
    assert body["data"]["createSystem"]["metrics"] == {"cpuUsage": 5.0}, body
    assert (await read(gql, admin_token, "sys_c"))["cpuUsage"] == 5.0


async def test_pruned_series_have_no_latest_value(gql: GraphQLClient, admin_token: str) -> None:
    await models.System(id="sys_d", name="D").insert()
    await latest_metrics.store(
        [sample("sys_d", "cpu_usage", 1.0, 7200), sample("sys_d", "memory_usage", 2.0, 60)]
    )
    cutoff = NOW - timedelta(hours=1)
    await models.MetricSample.find({"timestamp": {"$lt": cutoff}}).delete()  # as the sampler
    await latest_metrics.forget_before(cutoff)
    assert await read(gql, admin_token, "sys_d") == {
        "cpuUsage": None,
        "memoryUsage": 2.0,
        "diskUsage": None,
    }


async def test_start_up_fills_a_database_written_without_latest_values(
    gql: GraphQLClient, admin_token: str, server: RunningServer, settings: Settings
) -> None:
    """Systems and samples stored as an older version did (no `latest_metrics`): a starting
    instance works out each system's newest sample per series, once."""
    systems = models.System.get_pymongo_collection()
    for system_id in ("sys_old", "sys_quiet"):
        await models.System(id=system_id, name=system_id).insert()  # writes no latest values
    await models.MetricSample.insert_many(
        [
            sample("sys_old", metric, float(i), seconds_ago=i)
            for i in range(1, 40)
            for metric in ("cpu_usage", "memory_usage", "response_time")
        ]
        + [sample("sys_old", "disk_usage", 3.0, 9 * 86400)]
        + [sample("sys_old", "disk_usage", 7.0, 3 * 86400)]
        + [sample("elsewhere", "disk_usage", 99.0, 0)]
    )
    stored = await systems.find_one({"_id": "sys_old"})
    assert stored is not None and "latest_metrics" not in stored
    assert (await read(gql, admin_token, "sys_old"))["cpuUsage"] is None  # not filled yet

    async with extra_server(create_app(settings), server):
        pass  # its lifespan runs the start-up fill
    assert await read(gql, admin_token, "sys_old") == {
        "cpuUsage": 1.0,
        "memoryUsage": 1.0,
        "diskUsage": 7.0,  # days old: found by a wider look back
    }
    quiet = await systems.find_one({"_id": "sys_quiet"})
    assert quiet is not None and quiet["latest_metrics"] == {}  # filled: not read again
    filled = await models.System.get("sys_old")
    assert filled is not None and set(filled.latest_metrics) == {
        "cpu_usage",
        "memory_usage",
        "disk_usage",
    }
    assert filled.latest_metrics["disk_usage"].at == NOW - timedelta(days=3)
