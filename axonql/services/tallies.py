"""Maintained counts, so totals and statistics never count a collection per request.

Counted: tasks per (automation or not, status, type, priority), with the summed duration of
completed ones; agents per status; memories per pool; the queue's heads (tasks queued per
priority and where the oldest of them starts, see `QueueHead`); and each collection's oldest
and newest `created_at` (where newest-first pages start their windows, see `pagination`).

The counts follow the events: a unit of work (`services.events`) turns its events into deltas
(`deltas_of`), adds those its services counted without an event (threats, agents' run
statistics), and writes them to its own shard (`models.Tally`, `shard_slots`) in one command
of the transaction that commits the events, so a count moves exactly when its event commits
and concurrent writers do not meet on one document. Every change to a counted
quantity emits an event carrying what its deltas need (`status` and `previous`, `type`,
`automation`, `duration`; a memory's `pool` and `previous_pool`); `rebuild()` recounts from
the documents, for an existing database and after bulk imports that bypass the services (demo
seeding, benchmarks) — never per request.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from beanie import Document
from pymongo import UpdateOne

from axonql import models
from axonql.models.agent import AgentStatus
from axonql.models.base import utcnow
from axonql.models.tally import SHARDS
from axonql.models.task import TaskStatus

TASKS = "task_cells"
"""Renamed from "tasks" when priority joined the cells: a database counted without priorities
has no tallies of this kind, so a starting instance recounts it (`ensure`)."""
LEGACY_KINDS = ("tasks", "name_grams#filled", "memory_terms#filled")
"""Kinds `rebuild` removes: the others are fill marks of kept words since renamed
(`task_names#filled`) or rewritten (`memory_terms#filled.2`)."""
AGENTS = "agents"
MEMORIES = "memories"
THREATS = "threats"
SYSTEMS = "systems"  # per owning system: tasks and their confidence (consciousness)
AGENT_RUNS = "agent_runs"  # agents' run statistics summed (agentStatistics)
QUEUE = "queue_heads"
"""Queued tasks per priority (see `QueueHead`)."""
QUEUE_LOWS = "queue_lows"
"""Per priority, a `created_at` at or below the oldest queued task's (`lows`), where a claim
starts reading the queue, and how far the first ones reach (`spreads`, one document). Apart
from the counts, which claims write: raising the lows meets only the writes that queue."""
MEMORY_DAYS = "memory_days"
"""Memories per day of creation (UTC), owning system and type, one kind per day
(`memory_day_kind`): `newPatternsToday` reads one day's shards, however many memories are
stored. Days before yesterday are never read again; the scheduler's pass deletes their shards
(`forget_past_days`)."""
_RUN_FIELDS = {
    "ok": "successful_tasks",
    "bad": "failed_tasks",
    "total": "total_tasks_completed",
    "means": "average_task_duration",
}
_DONE = TaskStatus.COMPLETED.value
_QUEUED = TaskStatus.QUEUED.value
QUEUE_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)  # a low for a task whose `created_at` is unknown
_CREATIONS = frozenset({"created", "scheduled"})  # a task inserted (a scheduled run is one)


def _escape(text: str) -> str:
    """A string usable inside a field name (no `.`, no leading `$`, no `|`)."""
    return text.replace("%", "%25").replace(".", "%2E").replace("$", "%24").replace("|", "%7C")


def _unescape(text: str) -> str:
    return text.replace("%7C", "|").replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def task_cell(automation: bool, status: str, type_: str, priority: str) -> str:
    """The cell counting tasks of one kind: `a=0|s=queued|t=process|p=high`."""
    return f"a={int(automation)}|s={_escape(status)}|t={_escape(type_)}|p={_escape(priority)}"


def threat_cell(status: str, severity: str, type_: str) -> str:
    """The cell counting threats of one kind: `s=detected|v=high|t=errors`."""
    return f"s={_escape(status)}|v={_escape(severity)}|t={_escape(type_)}"


def threat_deltas(
    before: str | None, after: str | None, *, seconds: float = 0.0, seen: datetime | None = None
) -> Deltas:
    """A threat leaving the cell `before` for `after` (None: inserted / deleted), with the
    resolution seconds it brings to `after` and its `created_at` when inserted."""
    deltas = Deltas()
    if before is not None:
        deltas.add(THREATS, before, -1)
    if after is not None:
        deltas.add(THREATS, after, 1)
        if seconds:
            deltas.add_sum(THREATS, after, seconds)
    if seen is not None:
        deltas.seen[THREATS] = seen
    return deltas


@dataclass(frozen=True)
class TaskCell:
    automation: bool
    status: str
    type: str
    priority: str


def _parse_task_cell(cell: str) -> TaskCell:
    auto, status, type_, priority = (part.split("=", 1)[1] for part in cell.split("|"))
    return TaskCell(auto == "1", _unescape(status), _unescape(type_), _unescape(priority))


@dataclass
class Deltas:
    """What one event changes: per kind, counts and sums per cell, and a created_at seen."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    sums: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    seen: dict[str, datetime] = field(default_factory=dict)
    lows: dict[str, dict[str, datetime]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, kind: str, cell: str, by: int) -> None:
        self.counts[kind][cell] = self.counts[kind].get(cell, 0) + by

    def add_sum(self, kind: str, cell: str, by: float) -> None:
        self.sums[kind][cell] = self.sums[kind].get(cell, 0.0) + by

    def low(self, kind: str, cell: str, at: datetime) -> None:
        """Keep the cell's low at or below `at`."""
        mine = self.lows[kind].get(cell)
        self.lows[kind][cell] = at if mine is None else min(mine, at)

    def merge(self, other: Deltas) -> None:
        """Add `other`'s changes to these."""
        for kind, cells in other.counts.items():
            for cell, by in cells.items():
                self.add(kind, cell, by)
        for kind, sums in other.sums.items():
            for cell, total in sums.items():
                self.add_sum(kind, cell, total)
        for kind, seen in other.seen.items():
            mine = self.seen.get(kind)
            self.seen[kind] = seen if mine is None else max(mine, seen)
        for kind, lows in other.lows.items():
            for cell, at in lows.items():
                self.low(kind, cell, at)


def _task_deltas(event: models.Event, deltas: Deltas) -> None:
    p = event.payload
    change = p.get("change")
    automation = bool(p.get("automation", False))
    type_ = str(p.get("type") or "")
    priority = str(p.get("priority") or "")
    status = p.get("status")
    if not isinstance(status, str) or "type" not in p:
        return  # an event from before tallies (or not about the counted fields)
    cell = task_cell(automation, status, type_, priority)
    duration = p.get("duration")
    queued = priority if status == _QUEUED else None
    if change in _CREATIONS:
        deltas.add(TASKS, cell, 1)
        deltas.seen[TASKS] = event.created_at
        _queue_move(event, deltas, None, queued)
        return
    if change == "deleted":
        deltas.add(TASKS, cell, -1)
        if status == _DONE and isinstance(duration, int | float):
            deltas.add_sum(TASKS, cell, -float(duration))
        _queue_move(event, deltas, queued, None)
        return
    previous = p.get("previous", status)
    previous_type = str(p.get("previous_type", type_) or "")
    previous_priority = str(p.get("previous_priority", priority) or "")
    if previous == status and previous_type == type_ and previous_priority == priority:
        return
    before = task_cell(automation, str(previous), previous_type, previous_priority)
    deltas.add(TASKS, before, -1)
    deltas.add(TASKS, cell, 1)
    _queue_move(event, deltas, previous_priority if previous == _QUEUED else None, queued)
    if isinstance(duration, int | float):
        if previous == _DONE:
            deltas.add_sum(TASKS, before, -float(duration))
        if status == _DONE:
            deltas.add_sum(TASKS, cell, float(duration))


def _queue_move(event: models.Event, deltas: Deltas, left: str | None, entered: str | None) -> None:
    """The queue's heads: a task that left the queue of priority `left` counts -1 there; one
    that entered that of `entered` counts +1 and lowers its low to the task's `created_at`
    (from the event's snapshot)."""
    if left:
        deltas.add(QUEUE, left, -1)
    if entered:
        deltas.add(QUEUE, entered, 1)
        created = (event.snapshots.get("task") or {}).get("created_at")
        deltas.low(QUEUE_LOWS, entered, created if isinstance(created, datetime) else QUEUE_FLOOR)


def _agent_deltas(event: models.Event, deltas: Deltas) -> None:
    p = event.payload
    change = p.get("change")
    status = p.get("status")
    if not isinstance(status, str):
        return
    if change == "created":
        deltas.add(AGENTS, f"s={_escape(status)}", 1)
        deltas.seen[AGENTS] = event.created_at
        deltas.add(AGENT_RUNS, "agents", 1)  # a new agent's statistics are zeros
    elif change == "deleted":
        deltas.add(AGENTS, f"s={_escape(status)}", -1)
        deltas.add(AGENT_RUNS, "agents", -1)
    elif isinstance(p.get("previous"), str) and p["previous"] != status:
        deltas.add(AGENTS, f"s={_escape(p['previous'])}", -1)
        deltas.add(AGENTS, f"s={_escape(status)}", 1)


def agent_run_deltas(
    *, ok: int = 0, bad: int = 0, total: int = 0, mean_change: float = 0.0
) -> Deltas:
    """Agents' summed run statistics moved by one finished run (or a deleted agent's, negated):
    successes, failures, runs, and the change of that agent's mean duration."""
    deltas = Deltas()
    for cell, by in (("ok", ok), ("bad", bad), ("total", total)):
        if by:
            deltas.add(AGENT_RUNS, cell, by)
    if mean_change:
        deltas.add_sum(AGENT_RUNS, "means", mean_change)
    return deltas


@dataclass(frozen=True)
class AgentRuns:
    """Run statistics summed over all agents; `mean` averages the agents' mean durations."""

    completed: int
    failed: int
    finished: int
    mean: float


async def agent_runs() -> AgentRuns:
    totals = await read(AGENT_RUNS)
    agents = totals.counts.get("agents", 0)
    mean = totals.sums.get("means", 0.0) / agents if agents > 0 else 0.0
    c = totals.counts
    return AgentRuns(c.get("ok", 0), c.get("bad", 0), c.get("total", 0), mean)


def memory_cell(system: str | None, pool: str, type_: str | None) -> str:
    """The cell counting memories of one owning system, pool and type."""
    return f"o={_escape(system or '')}|p={_escape(pool)}|y={_escape(type_ or '')}"


def memory_fields(memory: models.Memory, prefix: str = "") -> dict[str, Any]:
    """What a memory event carries for the tallies (`previous_` for what it was before; the
    day it was created does not change)."""
    fields: dict[str, Any] = {
        f"{prefix}pool": memory.pool,
        f"{prefix}type": memory.type,
        f"{prefix}owner_system": memory.owner_system_id,
    }
    if not prefix:
        created = memory.created_at
        fields["day"] = (created.replace(tzinfo=created.tzinfo or UTC)).date().isoformat()
    return fields


def memory_day_kind(day: date) -> str:
    """The kind counting the memories created on `day` (UTC)."""
    return f"{MEMORY_DAYS}:{day.isoformat()}"


async def forget_past_days(today: date) -> int:
    """Delete the memory-day shards of the days before yesterday (yesterday's stays: a memory
    of it deleted just after midnight still moves its count); how many were deleted.

    Kinds sort by date, so those days are one range of the `kind` index, empty most times.
    """
    before = memory_day_kind(today - timedelta(days=1))
    past = {"kind": {"$gte": f"{MEMORY_DAYS}:", "$lt": before}}
    return int((await _collection().delete_many(past)).deleted_count)


def _memory_day_cell(system: str | None, type_: str | None) -> str:
    return f"o={_escape(system or '')}|y={_escape(type_ or '')}"


def _memory_deltas(event: models.Event, deltas: Deltas) -> None:
    """A memory stored, deleted or moved (owner, pool, type) counts in its cells: per owner,
    pool and type (`MEMORIES`), and per owner and type on its day of creation (`MEMORY_DAYS`;
    a move within a cell nets to nothing, which is not written)."""
    p = event.payload
    if not isinstance(p.get("pool"), str):
        return  # not about a memory's pool (or from before tallies)
    now = (p.get("owner_system"), p["pool"], p.get("type"))
    before = (p.get("previous_owner_system"), p.get("previous_pool"), p.get("previous_type"))
    if event.type == "MEMORY_STORED":
        left, entered = None, now
        deltas.seen[MEMORIES] = event.created_at
    elif p.get("change") == "deleted":
        left, entered = now, None
    elif isinstance(before[1], str):
        left, entered = before, now
    else:
        return
    try:
        day: str | None = memory_day_kind(date.fromisoformat(str(p.get("day"))))
    except ValueError:
        day = None  # an event from before the days were counted
    for shape, by in ((left, -1), (entered, 1)):
        if shape is None:
            continue
        system, pool, type_ = shape
        deltas.add(MEMORIES, memory_cell(system, str(pool), type_), by)
        if day is not None:
            deltas.add(day, _memory_day_cell(system, type_), by)


def _task_cell_of_system(system: str, learning: bool, status: str) -> str:
    return f"task|o={_escape(system)}|l={int(learning)}|s={_escape(status)}"


def _system_task_deltas(event: models.Event, deltas: Deltas) -> None:
    """Per owning system, the tasks (not automations) per status, learning or not, and the
    confidence of completed ones (consciousness status)."""
    p = event.payload
    status = p.get("status")
    if not isinstance(status, str) or "system" not in p or p.get("automation"):
        return
    system = str(p.get("system") or "")
    learning = p.get("type") == "learning"
    cell = _task_cell_of_system(system, learning, status)
    given = p.get("confidence")
    confidence = float(given) if isinstance(given, int | float) else None

    def confident(owner: str, by: int) -> None:
        if confidence is not None:
            deltas.add(SYSTEMS, f"conf|o={_escape(owner)}", by)
            deltas.add_sum(SYSTEMS, f"conf|o={_escape(owner)}", by * confidence)

    change = p.get("change")
    if change in _CREATIONS or change == "deleted":
        by = 1 if change in _CREATIONS else -1
        deltas.add(SYSTEMS, cell, by)
        if status == _DONE:
            confident(system, by)
        return
    previous = str(p.get("previous", status))
    was_learning = p.get("previous_type", p.get("type")) == "learning"
    was_system = str(p.get("previous_system", system) or "")
    before = _task_cell_of_system(was_system, was_learning, previous)
    if before == cell:
        return
    deltas.add(SYSTEMS, before, -1)
    deltas.add(SYSTEMS, cell, 1)
    if previous == _DONE:
        confident(was_system, -1)
    if status == _DONE:
        confident(system, 1)


def deltas_of(event: models.Event) -> Deltas:
    """The counts one event changes (nothing for most event types)."""
    deltas = Deltas()
    if event.type == "TASK_STATE_CHANGED":
        _task_deltas(event, deltas)
        _system_task_deltas(event, deltas)
    elif event.type == "AGENT_STATUS":
        _agent_deltas(event, deltas)
    elif event.type in ("MEMORY_STORED", "MEMORY_UPDATED"):
        _memory_deltas(event, deltas)
    return deltas


def _collection() -> Any:
    return models.Tally.get_pymongo_collection()


def _update(kind: str, deltas: Deltas) -> dict[str, Any] | None:
    inc: dict[str, Any] = {f"counts.{c}": n for c, n in deltas.counts[kind].items() if n}
    inc.update({f"sums.{c}": s for c, s in deltas.sums[kind].items() if s})
    update: dict[str, Any] = {"$setOnInsert": {"kind": kind}}
    if inc:
        update["$inc"] = inc
    lowest: dict[str, Any] = {f"lows.{c}": at for c, at in deltas.lows[kind].items()}
    seen = deltas.seen.get(kind)
    if seen is not None:
        lowest["oldest"] = seen
        update["$max"] = {"newest": seen}
    if lowest:
        update["$min"] = lowest
    return update if len(update) > 1 else None


async def apply(deltas: Deltas, session: Any = None, shard: int | None = None) -> None:
    """Add `deltas` to shard `shard` of each kind (a random one when None), in one command of
    the caller's transaction (`session`)."""
    if shard is None:
        shard = random.randrange(SHARDS)  # spreads writes; not a secret
    kinds = sorted(set(deltas.counts) | set(deltas.sums) | set(deltas.seen) | set(deltas.lows))
    writes = [
        UpdateOne({"_id": f"{kind}#{shard}"}, update, upsert=True)
        for kind in kinds
        if (update := _update(kind, deltas)) is not None
    ]
    if writes:
        await _collection().bulk_write(writes, ordered=True, session=session)


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
class QueueHead:
    """One priority's queued tasks: how many, a `created_at` at or below the oldest's, and how
    far past it the oldest few reached when the head was last advanced (to size a claim's
    first window; None: not known).

    A task entering the queue lowers `low` to its `created_at` in the transaction that queues
    it; only `queue_heads.advance` raises it, to the oldest task still queued.
    """

    count: int
    low: datetime | None
    spread: timedelta | None = None


async def queue_heads(session: Any = None) -> dict[str, QueueHead]:
    """Per priority, the queued tasks' count, low and spread, read from the shards (in
    `session`)."""
    counted, lowered = await _queue_shards(session)
    return _heads(counted, lowered)


async def _queue_shards(session: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shards of the queue's counts and of its lows (the spreads' document among them),
    in one read: each claim makes it."""
    shards = (
        await _collection().find({"kind": {"$in": [QUEUE, QUEUE_LOWS]}}, session=session).to_list()
    )
    counted = [shard for shard in shards if shard.get("kind") == QUEUE]
    lowered = [shard for shard in shards if shard.get("kind") == QUEUE_LOWS]
    return counted, lowered


def _heads(counted: list[dict[str, Any]], lowered: list[dict[str, Any]]) -> dict[str, QueueHead]:
    counts: dict[str, int] = defaultdict(int)
    lows: dict[str, datetime] = {}
    spreads: dict[str, float] = {}
    for shard in counted:
        for cell, n in (shard.get("counts") or {}).items():
            counts[cell] += int(n)
    for shard in lowered:
        for cell, at in (shard.get("lows") or {}).items():
            lows[cell] = at if cell not in lows else min(lows[cell], at)
        spreads.update(shard.get("spreads") or {})
    return {
        cell: QueueHead(
            n, lows.get(cell), timedelta(seconds=spreads[cell]) if cell in spreads else None
        )
        for cell, n in counts.items()
    }


@dataclass(frozen=True)
class HeadMove:
    """Where one priority's head goes: its new low and spread."""

    low: datetime
    spread: timedelta | None


Locate = Callable[[str, QueueHead], Awaitable[HeadMove | None]]
"""Where a priority's head (with tasks queued) goes; None: leave it."""


async def advance_queue(locate: Locate, session: Any = None) -> int:
    """Move the queue's heads: each priority with tasks queued to where `locate` finds it, and
    drop the low of one with none. Raises the low in every shard of the lows below the new one
    (only those), and notes the spreads that changed (in one document of their own, which only
    this writes); how many documents it wrote."""
    counted, lowered = await _queue_shards(session)
    moves: dict[str, HeadMove | None] = {}
    for priority, head in _heads(counted, lowered).items():
        if head.count <= 0:
            moves[priority] = None
        elif (move := await locate(priority, head)) is not None:
            moves[priority] = move
    spreads_id = f"{QUEUE_LOWS}#spreads"
    writes = []
    noted: dict[str, Any] = {}
    for shard in lowered:
        if shard["_id"] == spreads_id:
            noted = shard.get("spreads") or {}
        update: dict[str, Any] = {}
        for cell, at in (shard.get("lows") or {}).items():
            if cell not in moves:
                continue
            move = moves[cell]
            if move is None:
                update.setdefault("$unset", {})[f"lows.{cell}"] = ""
            elif at < move.low:
                update.setdefault("$max", {})[f"lows.{cell}"] = move.low
        if update:
            writes.append(UpdateOne({"_id": shard["_id"]}, update))
    spreads = {
        cell: move.spread.total_seconds()
        for cell, move in moves.items()
        if move is not None and move.spread is not None
    }
    changed = {cell for cell in moves if _worth_noting(spreads.get(cell), noted.get(cell))}
    if changed:
        note: dict[str, Any] = {"$setOnInsert": {"kind": QUEUE_LOWS}}
        if kept := {f"spreads.{cell}": spreads[cell] for cell in changed if cell in spreads}:
            note["$set"] = kept
        if gone := {f"spreads.{cell}": "" for cell in changed if cell not in spreads}:
            note["$unset"] = gone
        writes.append(UpdateOne({"_id": spreads_id}, note, upsert=True))
    if writes:
        await _collection().bulk_write(writes, ordered=True, session=session)
    return len(writes)


def _worth_noting(spread: float | None, noted: float | None) -> bool:
    """Whether a spread is worth writing over the noted one: new, gone, or off by more than
    2× (within that, a claim's first window is at most twice as wide or narrow)."""
    if spread is None or noted is None:
        return spread != noted
    return not noted / 2 <= spread <= noted * 2


@dataclass(frozen=True)
class TaskCounts:
    """Tasks of a subset per status, and the summed duration of the completed ones."""

    by_status: dict[str, int]
    completed_seconds: float


async def task_counts(
    automation: bool | None,
    statuses: list[str] | None,
    type_: str | None,
    priority: str | None = None,
) -> TaskCounts:
    """Counts of the tasks with this automation flag (None: both), statuses, type and
    priority (None: any)."""
    totals = await read(TASKS)
    by_status: dict[str, int] = defaultdict(int)
    seconds = 0.0
    for cell, n in totals.counts.items():
        kind = _parse_task_cell(cell)
        if automation is not None and kind.automation != automation:
            continue
        if (statuses is not None and kind.status not in statuses) or (
            type_ is not None and kind.type != type_
        ):
            continue
        if priority is not None and kind.priority != priority:
            continue
        by_status[kind.status] += n
        seconds += totals.sums.get(cell, 0.0)
    return TaskCounts(dict(by_status), seconds)


async def mean_completed_seconds(types: list[str]) -> list[float | None]:
    """Mean run time of the completed tasks of each type (None: none completed), one read."""
    totals = await read(TASKS)
    finished: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    for cell, n in totals.counts.items():
        kind = _parse_task_cell(cell)
        if kind.status == _DONE:
            finished[kind.type] += n
            seconds[kind.type] += totals.sums.get(cell, 0.0)
    return [seconds[t] / finished[t] if finished[t] > 0 else None for t in types]


async def agent_counts() -> dict[str, int]:
    """Agents per status."""
    totals = await read(AGENTS)
    return {_unescape(cell[2:]): n for cell, n in totals.counts.items()}


@dataclass(frozen=True)
class MemoryCount:
    system: str
    pool: str
    type: str
    n: int


async def memory_cells() -> list[MemoryCount]:
    """Memories per owning system ("" for none), pool and type."""
    totals = await read(MEMORIES)
    found = []
    for cell, n in totals.counts.items():
        system, pool, type_ = (_unescape(part.split("=", 1)[1]) for part in cell.split("|"))
        found.append(MemoryCount(system, pool, type_, n))
    return found


@dataclass(frozen=True)
class MemoriesOfDay:
    """Memories created on one day of one owning system ("" for none) and type."""

    system: str
    type: str
    n: int


async def memories_created_on(day: date) -> list[MemoriesOfDay]:
    """Memories created on `day` (UTC), per owning system and type: one day's shards."""
    found = []
    for cell, n in (await read(memory_day_kind(day))).counts.items():
        system, type_ = (_unescape(part.split("=", 1)[1]) for part in cell.split("|"))
        found.append(MemoriesOfDay(system, type_, n))
    return found


async def memory_counts() -> dict[str, int]:
    """Memories per pool."""
    counts: dict[str, int] = defaultdict(int)
    for cell in await memory_cells():
        counts[cell.pool] += cell.n
    return dict(counts)


@dataclass(frozen=True)
class SystemTasks:
    """Tasks (not automations) of a system, or of all (None): per status, learning ones per
    status, and the completed ones' confidence (how many have one, and its sum)."""

    by_status: dict[str, int]
    learning: dict[str, int]
    confident: int
    confidence: float


async def system_tasks(system: str | None) -> SystemTasks:
    totals = await read(SYSTEMS)
    by_status: dict[str, int] = defaultdict(int)
    learning: dict[str, int] = defaultdict(int)
    confident, confidence = 0, 0.0
    for cell, n in totals.counts.items():
        parts = dict(part.split("=", 1) for part in cell.split("|")[1:])
        if system is not None and _unescape(parts["o"]) != system:
            continue
        if cell.startswith("conf|"):
            confident += n
            confidence += totals.sums.get(cell, 0.0)
            continue
        status = _unescape(parts["s"])
        by_status[status] += n
        if parts["l"] == "1":
            learning[status] += n
    return SystemTasks(dict(by_status), dict(learning), confident, confidence)


@dataclass(frozen=True)
class ThreatCounts:
    """Threats of a subset: how many per status, and the resolution seconds summed (every
    resolved threat has a resolution time)."""

    by_status: dict[str, int]
    resolution_seconds: float


async def threat_counts(
    status: str | None = None, severity: str | None = None, type_: str | None = None
) -> ThreatCounts:
    """Counts of the threats with this status, severity and type (None: any)."""
    totals = await read(THREATS)
    wanted = (status, severity, type_)
    by_status: dict[str, int] = defaultdict(int)
    seconds = 0.0
    for cell, n in totals.counts.items():
        found = tuple(_unescape(part.split("=", 1)[1]) for part in cell.split("|"))
        if any(w is not None and w != f for w, f in zip(wanted, found, strict=True)):
            continue
        s = found[0]
        by_status[s] += n
        seconds += totals.sums.get(cell, 0.0)
    return ThreatCounts(dict(by_status), seconds)


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


# A completed task's run time as `lifecycle.counted` gives it to the events: completion minus
# start when both are stored, else the task's recorded average.
_RUN_SECONDS = {
    "$cond": [
        {
            "$and": [
                {"$ne": [{"$ifNull": ["$started_at", None]}, None]},
                {"$ne": [{"$ifNull": ["$completed_at", None]}, None]},
            ]
        },
        {"$max": [0, {"$divide": [{"$subtract": ["$completed_at", "$started_at"]}, 1000]}]},
        {"$ifNull": ["$statistics.average_duration", 0]},
    ]
}


async def rebuild() -> None:
    """Recount every tally from the documents (a full scan: at startup or after bulk imports).

    Run it while nothing else writes the counted collections; a write that commits during the
    recount may be counted twice or not at all.
    """
    tasks = await _grouped(
        models.Task.get_pymongo_collection(),
        {"a": "$is_automation", "s": "$status", "t": "$type", "p": "$priority"},
        {
            "d": {
                "$sum": {
                    "$cond": [
                        {"$eq": ["$status", _DONE]},
                        _RUN_SECONDS,
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
            bool(key.get("a")),
            str(key.get("s") or TaskStatus.CREATED),
            str(key.get("t") or ""),
            str(key.get("p") or ""),
        )
        task_doc["counts"][cell] = task_doc["counts"].get(cell, 0) + int(row["n"])
        if row.get("d"):
            task_doc["sums"][cell] = task_doc["sums"].get(cell, 0.0) + float(row["d"])
    queue_doc: dict[str, Any] = {"_id": f"{QUEUE}#0", "kind": QUEUE, "counts": {}, "sums": {}}
    lows_doc: dict[str, Any] = {"_id": f"{QUEUE_LOWS}#0", "kind": QUEUE_LOWS, "lows": {}}
    for row in tasks:
        key = row["_id"]
        priority = str(key.get("p") or "")
        if key.get("s") != _QUEUED or not priority:
            continue
        queue_doc["counts"][priority] = queue_doc["counts"].get(priority, 0) + int(row["n"])
        oldest = row.get("oldest") or QUEUE_FLOOR
        low = lows_doc["lows"].get(priority)
        lows_doc["lows"][priority] = oldest if low is None else min(low, oldest)
    agent_doc = _fresh(AGENTS, agents)
    for row in agents:
        cell = f"s={_escape(str(row['_id'] or AgentStatus.IDLE))}"
        agent_doc["counts"][cell] = agent_doc["counts"].get(cell, 0) + int(row["n"])
    memories = await _grouped(
        models.Memory.get_pymongo_collection(),
        {"o": "$owner_system_id", "p": "$pool", "y": "$type"},
        {"oldest": {"$min": "$created_at"}, "newest": {"$max": "$created_at"}},
    )
    memory_doc = _fresh(MEMORIES, memories)
    for row in memories:
        key = row["_id"]
        cell = memory_cell(key.get("o"), str(key.get("p") or ""), key.get("y"))
        memory_doc["counts"][cell] = memory_doc["counts"].get(cell, 0) + int(row["n"])
    day_doc = await _memory_day_doc(utcnow().date())
    system_doc = await _system_tasks_doc()
    runs = await (
        await models.Agent.get_pymongo_collection().aggregate(
            [
                {
                    "$group": {
                        "_id": None,
                        "agents": {"$sum": 1},
                        **{k: {"$sum": f"$statistics.{f}"} for k, f in _RUN_FIELDS.items()},
                    }
                }
            ]
        )
    ).to_list()
    row = runs[0] if runs else {}
    runs_doc: dict[str, Any] = {
        "_id": f"{AGENT_RUNS}#0",
        "kind": AGENT_RUNS,
        "counts": {k: int(row.get(k) or 0) for k in ("agents", "ok", "bad", "total")},
        "sums": {"means": float(row.get("means") or 0.0)},
    }
    threats = await _grouped(
        models.Threat.get_pymongo_collection(),
        {"s": "$status", "v": "$severity", "t": "$type"},
        {
            "d": {"$sum": {"$ifNull": ["$resolution_time", 0]}},
            "oldest": {"$min": "$created_at"},
            "newest": {"$max": "$created_at"},
        },
    )
    threat_doc = _fresh(THREATS, threats)
    for row in threats:
        key = row["_id"]
        cell = threat_cell(
            str(key.get("s") or ""), str(key.get("v") or ""), str(key.get("t") or "")
        )
        threat_doc["counts"][cell] = threat_doc["counts"].get(cell, 0) + int(row["n"])
        if row.get("d"):
            threat_doc["sums"][cell] = threat_doc["sums"].get(cell, 0.0) + float(row["d"])
    collection = _collection()
    for legacy in LEGACY_KINDS:
        await collection.delete_many({"kind": legacy})
    for doc in (
        task_doc,
        queue_doc,
        lows_doc,
        agent_doc,
        memory_doc,
        day_doc,
        threat_doc,
        system_doc,
        runs_doc,
    ):
        await collection.delete_many({"kind": doc["kind"]})
        await collection.insert_one(doc)


async def _memory_day_doc(day: date) -> dict[str, Any]:
    """The day's `MEMORY_DAYS` shard recounted from the memories created on it (earlier days
    are not read again: only today's count is asked for)."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    pipeline: list[dict[str, Any]] = [
        {"$match": {"created_at": {"$gte": start, "$lt": start + timedelta(days=1)}}},
        {"$group": {"_id": {"o": "$owner_system_id", "y": "$type"}, "n": {"$sum": 1}}},
    ]
    rows = await (await models.Memory.get_pymongo_collection().aggregate(pipeline)).to_list()
    kind = memory_day_kind(day)
    doc: dict[str, Any] = {"_id": f"{kind}#0", "kind": kind, "counts": {}, "sums": {}}
    for row in rows:
        cell = _memory_day_cell(row["_id"].get("o"), row["_id"].get("y"))
        doc["counts"][cell] = doc["counts"].get(cell, 0) + int(row["n"])
    return doc


async def _system_tasks_doc() -> dict[str, Any]:
    """The SYSTEMS shard recounted from the tasks."""
    tasks = models.Task.get_pymongo_collection()
    rows = await _grouped(
        tasks,
        {
            "o": "$system_id",
            "t": "$type",
            "s": "$status",
            "a": "$is_automation",
        },
        {},
    )
    confident = await (
        await tasks.aggregate(
            [
                {"$match": {"status": _DONE, "result.confidence": {"$type": "number"}}},
                {
                    "$group": {
                        "_id": {"o": "$system_id", "a": "$is_automation"},
                        "n": {"$sum": 1},
                        "c": {"$sum": "$result.confidence"},
                    }
                },
            ]
        )
    ).to_list()
    doc: dict[str, Any] = {"_id": f"{SYSTEMS}#0", "kind": SYSTEMS, "counts": {}, "sums": {}}
    for row in rows:
        key = row["_id"]
        if key.get("a"):
            continue
        learning = key.get("t") == "learning"
        cell = _task_cell_of_system(str(key.get("o") or ""), learning, str(key.get("s")))
        doc["counts"][cell] = doc["counts"].get(cell, 0) + int(row["n"])
    for row in confident:
        key = row["_id"]
        if key.get("a"):
            continue
        cell = f"conf|o={_escape(str(key.get('o') or ''))}"
        doc["counts"][cell] = doc["counts"].get(cell, 0) + int(row["n"])
        doc["sums"][cell] = doc["sums"].get(cell, 0.0) + float(row["c"])
    return doc


async def ensure() -> None:
    """At start: count a database that has documents of a kind with no tallies yet (one
    written before that kind was counted, or restored from a dump). Instances starting
    together may both count."""
    today = utcnow().date()
    since_midnight = {"created_at": {"$gte": datetime.combine(today, time.min, tzinfo=UTC)}}
    counted: tuple[tuple[str, type[Document], dict[str, Any]], ...] = (
        (TASKS, models.Task, {}),
        (QUEUE, models.Task, {}),
        (QUEUE_LOWS, models.Task, {}),
        (AGENTS, models.Agent, {}),
        (MEMORIES, models.Memory, {}),
        (memory_day_kind(today), models.Memory, since_midnight),
        (THREATS, models.Threat, {}),
        (SYSTEMS, models.Task, {}),
        (AGENT_RUNS, models.Agent, {}),
    )
    for kind, model, counted_documents in counted:
        if await _collection().find_one({"kind": kind}) is not None:
            continue
        if await model.get_pymongo_collection().find_one(counted_documents) is not None:
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
