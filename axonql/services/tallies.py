"""Maintained counts, so totals and statistics never count a collection per request.

Counted: tasks per (automation or not, status, type), with the summed duration of completed
ones; agents per status; and each collection's oldest and newest `created_at` (where newest-
first pages start their windows, see `pagination`).

The counts follow the events: `record(event, session)` turns one event into deltas and adds
them to one randomly chosen shard (`models.Tally`) in the transaction that commits the event,
so a count moves exactly when its event commits and concurrent writers rarely meet on one
document. `services.events.emit` hands `record` to the event log. Every change to a counted
quantity emits an event carrying what its deltas need (`status` and `previous`, `type`,
`automation`, `duration`); `rebuild()` recounts from the documents, for an existing database
and after bulk imports that bypass the services (demo seeding, benchmarks) — never per request.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from axonql import models
from axonql.models.agent import AgentStatus
from axonql.models.task import TaskStatus

SHARDS = 16
TASKS = "tasks"
AGENTS = "agents"
_DONE = TaskStatus.COMPLETED.value
_CREATIONS = frozenset({"created", "scheduled"})  # a task inserted (a scheduled run is one)


def _escape(text: str) -> str:
    """A string usable inside a field name (no `.`, no leading `$`, no `|`)."""
    return text.replace("%", "%25").replace(".", "%2E").replace("$", "%24").replace("|", "%7C")


def _unescape(text: str) -> str:
    return text.replace("%7C", "|").replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def task_cell(automation: bool, status: str, type_: str) -> str:
    """The cell counting tasks of one kind: `a=0|s=queued|t=process`."""
    return f"a={int(automation)}|s={_escape(status)}|t={_escape(type_)}"


def _parse_task_cell(cell: str) -> tuple[bool, str, str]:
    auto, status, type_ = (part.split("=", 1)[1] for part in cell.split("|"))
    return auto == "1", _unescape(status), _unescape(type_)


@dataclass
class Deltas:
    """What one event changes: per kind, counts and sums per cell, and a created_at seen."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    sums: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    seen: dict[str, datetime] = field(default_factory=dict)

    def add(self, kind: str, cell: str, by: int) -> None:
        self.counts[kind][cell] = self.counts[kind].get(cell, 0) + by

    def add_sum(self, kind: str, cell: str, by: float) -> None:
        self.sums[kind][cell] = self.sums[kind].get(cell, 0.0) + by


def _task_deltas(event: models.Event, deltas: Deltas) -> None:
    p = event.payload
    change = p.get("change")
    automation = bool(p.get("automation", False))
    type_ = str(p.get("type") or "")
    status = p.get("status")
    if not isinstance(status, str) or "type" not in p:
        return  # an event from before tallies (or not about the counted fields)
    cell = task_cell(automation, status, type_)
    duration = p.get("duration")
    if change in _CREATIONS:
        deltas.add(TASKS, cell, 1)
        deltas.seen[TASKS] = event.created_at
        return
    if change == "deleted":
        deltas.add(TASKS, cell, -1)
        if status == _DONE and isinstance(duration, int | float):
            deltas.add_sum(TASKS, cell, -float(duration))
        return
    previous = p.get("previous", status)
    previous_type = str(p.get("previous_type", type_) or "")
    if previous == status and previous_type == type_:
        return
    before = task_cell(automation, str(previous), previous_type)
    deltas.add(TASKS, before, -1)
    deltas.add(TASKS, cell, 1)
    if isinstance(duration, int | float):
        if previous == _DONE:
            deltas.add_sum(TASKS, before, -float(duration))
        if status == _DONE:
            deltas.add_sum(TASKS, cell, float(duration))


def _agent_deltas(event: models.Event, deltas: Deltas) -> None:
    p = event.payload
    change = p.get("change")
    status = p.get("status")
    if not isinstance(status, str):
        return
    if change == "created":
        deltas.add(AGENTS, f"s={_escape(status)}", 1)
        deltas.seen[AGENTS] = event.created_at
    elif change == "deleted":
        deltas.add(AGENTS, f"s={_escape(status)}", -1)
    elif isinstance(p.get("previous"), str) and p["previous"] != status:
        deltas.add(AGENTS, f"s={_escape(p['previous'])}", -1)
        deltas.add(AGENTS, f"s={_escape(status)}", 1)


def deltas_of(event: models.Event) -> Deltas:
    """The counts one event changes (nothing for most event types)."""
    deltas = Deltas()
    if event.type == "TASK_STATE_CHANGED":
        _task_deltas(event, deltas)
    elif event.type == "AGENT_STATUS":
        _agent_deltas(event, deltas)
    return deltas


def _collection() -> Any:
    return models.Tally.get_pymongo_collection()


async def record(event: models.Event, session: Any = None) -> None:
    """Add the event's deltas to one shard, in the caller's transaction (`session`)."""
    deltas = deltas_of(event)
    for kind in set(deltas.counts) | set(deltas.sums) | set(deltas.seen):
        inc: dict[str, Any] = {f"counts.{c}": n for c, n in deltas.counts[kind].items() if n}
        inc.update({f"sums.{c}": s for c, s in deltas.sums[kind].items() if s})
        update: dict[str, Any] = {"$setOnInsert": {"kind": kind}}
        if inc:
            update["$inc"] = inc
        seen = deltas.seen.get(kind)
        if seen is not None:
            update["$min"] = {"oldest": seen}
            update["$max"] = {"newest": seen}
        if len(update) == 1:
            continue
        shard = f"{kind}#{random.randrange(SHARDS)}"  # spreads writes; not a secret
        await _collection().update_one({"_id": shard}, update, upsert=True, session=session)


@dataclass(frozen=True)
class Totals:
    """One kind's counts summed over its shards."""

    counts: dict[str, int]
    sums: dict[str, float]
    oldest: datetime | None
    newest: datetime | None


async def read(kind: str) -> Totals:
    """The sum of a kind's shards (an indexed equality: at most `SHARDS` small documents)."""
    counts: dict[str, int] = defaultdict(int)
    sums: dict[str, float] = defaultdict(float)
    oldest: datetime | None = None
    newest: datetime | None = None
    async for shard in _collection().find({"kind": kind}):
        for cell, n in (shard.get("counts") or {}).items():
            counts[cell] += int(n)
        for cell, s in (shard.get("sums") or {}).items():
            sums[cell] += float(s)
        if shard.get("oldest") is not None:
            oldest = shard["oldest"] if oldest is None else min(oldest, shard["oldest"])
        if shard.get("newest") is not None:
            newest = shard["newest"] if newest is None else max(newest, shard["newest"])
    return Totals(dict(counts), dict(sums), oldest, newest)


@dataclass(frozen=True)
class TaskCounts:
    """Tasks of a subset per status, and the summed duration of the completed ones."""

    by_status: dict[str, int]
    completed_seconds: float


async def task_counts(
    automation: bool | None, statuses: list[str] | None, type_: str | None
) -> TaskCounts:
    """Counts of the tasks with this automation flag (None: both), statuses and type."""
    totals = await read(TASKS)
    by_status: dict[str, int] = defaultdict(int)
    seconds = 0.0
    for cell, n in totals.counts.items():
        auto, status, kind = _parse_task_cell(cell)
        if automation is not None and auto != automation:
            continue
        if (statuses is not None and status not in statuses) or (
            type_ is not None and kind != type_
        ):
            continue
        by_status[status] += n
        seconds += totals.sums.get(cell, 0.0)
    return TaskCounts(dict(by_status), seconds)


async def mean_completed_seconds(types: list[str]) -> list[float | None]:
    """Mean run time of the completed tasks of each type (None: none completed), one read."""
    totals = await read(TASKS)
    finished: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    for cell, n in totals.counts.items():
        _, status, kind = _parse_task_cell(cell)
        if status == _DONE:
            finished[kind] += n
            seconds[kind] += totals.sums.get(cell, 0.0)
    return [seconds[t] / finished[t] if finished[t] > 0 else None for t in types]


async def agent_counts() -> dict[str, int]:
    """Agents per status."""
    totals = await read(AGENTS)
    return {_unescape(cell[2:]): n for cell, n in totals.counts.items()}


async def created_span(kind: str) -> tuple[datetime | None, datetime | None]:
    """The oldest and newest `created_at` recorded for a collection (None when unknown).

    `oldest` is never later than the oldest document's while every insert emits its event or
    is followed by `rebuild`; a deletion leaves it earlier, which only widens a window.
    """
    totals = await read(kind)
    return totals.oldest, totals.newest


async def _grouped(collection: Any, group_id: Any, extra: dict[str, Any]) -> list[dict[str, Any]]:
    pipeline = [{"$group": {"_id": group_id, "n": {"$sum": 1}, **extra}}]
    rows: list[dict[str, Any]] = await (await collection.aggregate(pipeline)).to_list()
    return rows


async def rebuild() -> None:
    """Recount every tally from the documents (a full scan: at startup or after bulk imports).

    Run it while nothing else writes the counted collections; a write that commits during the
    recount may be counted twice or not at all.
    """
    tasks = await _grouped(
        models.Task.get_pymongo_collection(),
        {"a": "$is_automation", "s": "$status", "t": "$type"},
        {
            "d": {
                "$sum": {
                    "$cond": [
                        {"$eq": ["$status", _DONE]},
                        {"$ifNull": ["$statistics.average_duration", 0]},
                        0,
                    ]
                }
            },
            "oldest": {"$min": "$created_at"},
            "newest": {"$max": "$created_at"},
        },
    )
    agents = await _grouped(
        models.Agent.get_pymongo_collection(),
        "$status",
        {"oldest": {"$min": "$created_at"}, "newest": {"$max": "$created_at"}},
    )
    task_doc = _fresh(TASKS, tasks)
    for row in tasks:
        key = row["_id"]
        cell = task_cell(
            bool(key.get("a")), str(key.get("s") or TaskStatus.CREATED), str(key.get("t") or "")
        )
        task_doc["counts"][cell] = task_doc["counts"].get(cell, 0) + int(row["n"])
        if row.get("d"):
            task_doc["sums"][cell] = task_doc["sums"].get(cell, 0.0) + float(row["d"])
    agent_doc = _fresh(AGENTS, agents)
    for row in agents:
        cell = f"s={_escape(str(row['_id'] or AgentStatus.IDLE))}"
        agent_doc["counts"][cell] = agent_doc["counts"].get(cell, 0) + int(row["n"])
    collection = _collection()
    for doc in (task_doc, agent_doc):
        await collection.delete_many({"kind": doc["kind"]})
        await collection.insert_one(doc)


async def ensure() -> None:
    """At start: count a database that has documents but no tallies yet (one written before
    tallies existed, or restored from a dump). Instances starting together may both count."""
    if await _collection().find_one({}) is not None:
        return
    for model in (models.Task, models.Agent):
        if await model.get_pymongo_collection().find_one({}) is not None:
            await rebuild()
            return


def _fresh(kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    oldest = [r["oldest"] for r in rows if r.get("oldest") is not None]
    newest = [r["newest"] for r in rows if r.get("newest") is not None]
    return {
        "_id": f"{kind}#0",
        "kind": kind,
        "counts": {},
        "sums": {},
        "oldest": min(oldest) if oldest else None,
        "newest": max(newest) if newest else None,
    }
