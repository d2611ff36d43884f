"""Resume with `after`: every event exactly once, in order, across forced disconnects."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pymongo.errors import OperationFailure

from axonql import models
from axonql.models.event import event_id
from axonql.services.events import emit
from axonql.settings import Settings
from axonql.subscriptions import log as event_log
from tests.support import (
    RunningServer,
    server_in_both_modes,  # noqa: F401  (every test: both modes)
)
from tests.test_subscriptions import wait_for_subscribers
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription

STREAM = """
subscription($after: ID) {
  events(types: [LOG_ENTRY], after: $after) { id payload }
}"""


async def produce(count: int, pause: float) -> list[str]:
    """Emit `count` log entries while subscribers come and go; returns their ids."""
    ids: list[str] = []
    for n in range(count):
        event = await emit("LOG_ENTRY", {"level": "info", "message": f"m{n}", "n": n})
        ids.append(event.id)
        await asyncio.sleep(pause)
    return ids


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_resume_after_forced_disconnects_while_events_flow(
    server: RunningServer, admin_token: str, protocol: str
) -> None:
    url = f"{server.ws_url}/graphql"
    total = 240
    received: list[str] = []
    subscription = await RawSubscription.open(url, admin_token, STREAM, protocol=protocol)
    await wait_for_subscribers(server, 1)
    producer = asyncio.create_task(produce(total, 0.002))
    for cut in (40, 110, 170):
        while len(received) < cut:
            received.append((await subscription.next_data())["events"]["id"])
        subscription.abort()  # vanish mid-stream; events keep being committed meanwhile
        await asyncio.sleep(0.05)
        subscription = await RawSubscription.open(
            url, admin_token, STREAM, {"after": received[-1]}, protocol=protocol
        )
    emitted = await asyncio.wait_for(producer, 60)
    while len(received) < total:
        received.append((await asyncio.wait_for(subscription.next_data(), 10))["events"]["id"])
    await subscription.close()
    assert received == emitted  # nothing missing, nothing twice, commit order


async def test_resume_replays_then_continues_live(server: RunningServer, admin_token: str) -> None:
    before = [await emit("LOG_ENTRY", {"n": n}) for n in range(5)]
    subscription = await RawSubscription.open(
        f"{server.ws_url}/graphql", admin_token, STREAM, {"after": before[1].id}
    )
    replayed = [(await subscription.next_data())["events"]["id"] for _ in range(3)]
    assert replayed == [e.id for e in before[2:]]
    live = await emit("LOG_ENTRY", {"n": 5})
    assert (await subscription.next_data())["events"]["id"] == live.id
    await subscription.close()


async def test_resume_point_past_retention_is_refused(
    server: RunningServer, admin_token: str
) -> None:
    events = [await emit("LOG_ENTRY", {"n": n}) for n in range(4)]
    await models.Event.find(models.Event.seq <= events[1].seq).delete()  # what TTL would do
    subscription = await RawSubscription.open(
        f"{server.ws_url}/graphql", admin_token, STREAM, {"after": events[0].id}
    )
    message = await subscription.next_message()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "RESUME_POINT_EXPIRED"
    await subscription.close()


async def test_event_ids_follow_commit_order_and_expire_by_ttl(settings: Settings) -> None:
    concurrent = await asyncio.gather(*(emit("LOG_ENTRY", {"n": n}) for n in range(30)))
    stored = await models.Event.find({}).sort("+seq").to_list()
    assert [e.id for e in stored] == sorted(e.id for e in concurrent)
    assert len({e.seq for e in stored}) == 30
    event = stored[0]
    retention = event.expires_at - event.created_at
    assert abs(retention - timedelta(seconds=settings.event_retention_seconds)) < timedelta(
        seconds=1
    )
    indexes = await models.Event.get_pymongo_collection().index_information()
    ttl = [i for i in indexes.values() if i.get("expireAfterSeconds") == 0]
    assert ttl and ttl[0]["key"] == [("expires_at", 1)]
    with pytest.raises(OperationFailure):  # ids are unique by construction
        await models.Event.get_pymongo_collection().insert_one(
            {"_id": "evt_dupe", "seq": event.seq, "type": "X"}
        )


async def test_a_fresh_resume_point_is_retained_while_the_next_number_is_in_flight() -> None:
    """A stream that starts from a resume point read a moment ago, where the log holds nothing
    near it, is not refused while a writer holds the next number uncommitted. (Refusing it
    made a SynapticOS alert stream end with RESUME_POINT_EXPIRED now and then, in CI.)"""
    await event_log.last_seq()
    await models.Event.delete_all()  # the events before the resume point have expired
    taken = await event_log.take(1)  # a writer's number: its transaction commits in 0.1 s
    after = taken - 1  # the resume point a stream read just before

    async def commit_later() -> None:
        await asyncio.sleep(0.1)
        await models.Event.get_pymongo_collection().insert_one(
            {"_id": event_id(taken), "seq": taken, "type": "LOG_ENTRY", "payload": {}}
        )

    writer = asyncio.create_task(commit_later())
    assert await event_log.retained(after)
    await writer
