"""A change and its event commit together: SIGKILL the embedded database and the server over
and over under concurrent writers, and afterwards every acknowledged change is stored with its
event, and no event exists for a change that is not stored."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

from axonql.database import EmbeddedServer
from tests.test_restart import ServeProcess, wait_gone

WRITERS = 8
KILLS = 5
WRITE_SECONDS = 1.5  # of writing between two kills
CREATE = "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }"
QUEUE = "mutation($id: ID!) { queueTask(id: $id) { id status } }"


class Target:
    """Where the writers send their mutations: the current server, with a token that outlives
    restarts (the development secret lives in the data dir)."""

    def __init__(self) -> None:
        self.url = ""
        self.token = ""


async def _mutation(
    http: httpx.AsyncClient, target: Target, query: str, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """The mutation's data when the server acknowledged it; None for any failure."""
    try:
        r = await http.post(
            target.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {target.token}"},
        )
        body = r.json()
    except (httpx.HTTPError, ValueError):
        return None
    if r.status_code != 200 or body.get("errors") or not body.get("data"):
        return None
    data: dict[str, Any] = body["data"]
    return data


async def _writer(
    n: int, target: Target, stop: asyncio.Event, created: set[str], queued: set[str]
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        i = 0
        while not stop.is_set():
            i += 1
            made = await _mutation(http, target, CREATE, {"i": {"name": f"w{n}-{i}"}})
            if made is None:
                await asyncio.sleep(0.05)
                continue
            task_id = made["createTask"]["id"]
            created.add(task_id)
            done = await _mutation(http, target, QUEUE, {"id": task_id})
            if done is not None and done["queueTask"]["status"] == "QUEUED":
                queued.add(task_id)


def _kill_both(data_dir: Path, server: ServeProcess) -> None:
    """SIGKILL the database process, then the server: neither gets to finish anything."""
    database_pid = int(json.loads((data_dir / "embedded.json").read_text())["pid"])
    os.kill(database_pid, signal.SIGKILL)
    server.process.kill()
    server.process.wait()
    server.log.close()
    assert wait_gone(database_pid)


def _stored(data_dir: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Tasks (id → status) and task events, read straight from the database files."""
    embedded = EmbeddedServer(data_dir)
    embedded.start()
    try:
        client: MongoClient[dict[str, Any]] = MongoClient(embedded.client_url(), tz_aware=True)
        with client:
            db = client["axonql"]
            tasks = {doc["_id"]: doc["status"] for doc in db["tasks"].find({}, {"status": 1})}
            events = list(
                db["events"].find({"type": "TASK_STATE_CHANGED"}, {"task_id": 1, "payload": 1})
            )
    finally:
        embedded.stop()
    return tasks, events


async def test_acknowledged_changes_keep_their_events_across_kills(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    target = Target()
    server = ServeProcess(data_dir)
    await asyncio.to_thread(server.wait_until_serving)
    target.url, target.token = server.url, await asyncio.to_thread(server.login)
    stop = asyncio.Event()
    created: set[str] = set()
    queued: set[str] = set()
    writers = [
        asyncio.create_task(_writer(n, target, stop, created, queued)) for n in range(WRITERS)
    ]
    try:
        for _ in range(KILLS):
            await asyncio.sleep(WRITE_SECONDS)
            _kill_both(data_dir, server)
            server = ServeProcess(data_dir)
            await asyncio.to_thread(server.wait_until_serving)
            target.url = server.url
        await asyncio.sleep(WRITE_SECONDS)
    finally:
        stop.set()
        await asyncio.gather(*writers)
        assert await asyncio.to_thread(server.terminate), server.output()

    tasks, events = await asyncio.to_thread(_stored, data_dir)
    changes = Counter((e["task_id"], e["payload"]["change"]) for e in events)
    assert len(queued) >= 40, f"too little work done to show anything ({len(queued)} queued)"
    # Every acknowledged change is stored, with its event.
    assert not {t for t in created if t not in tasks or (t, "created") not in changes}
    assert not {t for t in queued if tasks.get(t) != "queued" or (t, "queued") not in changes}
    # No change without its event, no event without its change, and none twice.
    assert not {t for t in tasks if (t, "created") not in changes}
    assert not {t for t, s in tasks.items() if s == "queued" and (t, "queued") not in changes}
    assert not {t for t, _ in changes if t not in tasks}
    assert not {t for (t, c) in changes if c == "queued" and tasks[t] != "queued"}
    assert max(changes.values()) == 1
    print(  # the figures, for a reader of the run (-s)
        f"{KILLS} kills: {len(created)} creates and {len(queued)} queues acknowledged;"
        f" {len(tasks)} tasks and {len(events)} task events stored"
    )
