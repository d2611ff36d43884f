"""SynapticOS's consciousness metrics series, from stored events, generations and sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.services.events import emit
from tests.support import GraphQLClient, error_codes

SERIES = """query($start: DateTime, $end: DateTime, $interval: String!, $component: String) {
  consciousnessMetrics(startTime: $start, endTime: $end, interval: $interval,
                       componentId: $component) {
    timestamp consciousnessLevel eventProcessingRate neuralEvolutionCycles activeUsers
  }
}"""


async def _update_at(when: datetime, level: float, previous: float) -> None:
    event = await emit(
        "CONSCIOUSNESS_UPDATE",
        {"consciousness_level": level, "previous_level": previous},
        system_id="axonql",
    )
    await models.Event.get_pymongo_collection().update_one(
        {"_id": event.id}, {"$set": {"created_at": when}}
    )


async def test_series_per_hour(gql: GraphQLClient, admin_token: str) -> None:
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    hour = timedelta(hours=1)
    await _update_at(start + timedelta(minutes=10), 0.6, 0.5)
    await _update_at(start + 2 * hour + timedelta(minutes=5), 0.9, 0.6)
    for minutes in (5, 50):
        await models.GenerationRecord(
            population_id="p",
            generation=1,
            best_fitness=1,
            average_fitness=1,
            diversity=0,
            created_at=start + hour + timedelta(minutes=minutes),
        ).insert()
    await models.LearningSession(
        user_id="u1",
        started_at=start + hour + timedelta(minutes=30),
        ended_at=start + 2 * hour + timedelta(minutes=1),
        status="ended",
    ).insert()
    await models.LearningSession(user_id="u2", started_at=start + 2 * hour).insert()
    body = await gql(
        SERIES,
        {"start": start.isoformat(), "end": (start + 3 * hour).isoformat(), "interval": "1h"},
        admin_token,
    )
    assert "errors" not in body, body
    points: list[dict[str, Any]] = body["data"]["consciousnessMetrics"]
    assert [p["consciousnessLevel"] for p in points] == [0.6, 0.6, 0.9]
    assert [p["neuralEvolutionCycles"] for p in points] == [0, 2, 0]
    assert [p["activeUsers"] for p in points] == [0, 1, 2]
    assert points[0]["eventProcessingRate"] == round(1 / 3600, 6)
    assert points[2]["eventProcessingRate"] == round(1 / 3600, 6)


async def test_series_bad_input(gql: GraphQLClient, admin_token: str) -> None:
    now = utcnow()
    backwards = await gql(
        SERIES,
        {"start": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat(), "interval": "1h"},
        admin_token,
    )
    assert error_codes(backwards) == ["VALIDATION_ERROR"]
    too_many = await gql(
        SERIES, {"start": (now - timedelta(days=30)).isoformat(), "interval": "1m"}, admin_token
    )
    assert error_codes(too_many) == ["VALIDATION_ERROR"]
    assert too_many["errors"][0]["extensions"]["field"] == "interval"
    unknown = await gql(SERIES, {"interval": "1h", "component": "nope"}, admin_token)
    assert error_codes(unknown) == ["RESOURCE_NOT_FOUND"]
    default = await gql(SERIES, {"interval": "6h"}, admin_token)
    assert len(default["data"]["consciousnessMetrics"]) == 4
