"""System logic: validated CRUD, components, consciousness level and OCTOSPINE's counts."""

from __future__ import annotations

import asyncio
import copy
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axonql import __version__, models
from axonql.errors import Conflict, NotFound, ValidationError
from axonql.models.base import utcnow
from axonql.models.system import (
    SERVER_SYSTEM_ID,
    STOPPED_STATUSES,
    Component,
    MetricName,
    SystemStatus,
)
from axonql.models.task import TaskStatus
from axonql.services import latest_metrics
from axonql.services import validation as v
from axonql.services.changes import changed_fields, fields_of
from axonql.services.components import active_count
from axonql.services.events import Change, atomically, emit
from axonql.services.listing import Listing, name_search
from axonql.services.loaders import Loaders
from axonql.services.lookup import fetch
from axonql.services.query_filters import contains
from axonql.settings import Settings

MAX_COMPONENTS = 500
MAX_CONFIG_DEPTH = 6
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class SystemFilterArgs:
    status: SystemStatus | None = None
    kind: str | None = None
    tags: list[str] | None = None
    environment: str | None = None
    min_consciousness_level: float | None = None
    max_consciousness_level: float | None = None
    search: str | None = None


def system_query(f: SystemFilterArgs) -> dict[str, Any]:
    """The MongoDB filter for a SystemFilter."""
    query: dict[str, Any] = {}
    if f.status is not None:
        query["status"] = f.status.value
    if f.kind:
        query["kind"] = f.kind
    if f.environment:
        query["environment"] = f.environment
    if f.tags:
        query["tags"] = {"$all": f.tags}
    level: dict[str, float] = {}
    if f.min_consciousness_level is not None:
        level["$gte"] = f.min_consciousness_level
    if f.max_consciousness_level is not None:
        level["$lte"] = f.max_consciousness_level
    if level:
        query["consciousness_level"] = level
    if f.search:
        query["name"] = contains(f.search)
    return query


SYSTEMS: Listing[models.System, SystemFilterArgs] = Listing(
    models.System, system_query, id_prefix="sys", searched=name_search(models.SystemName)
)


@dataclass
class ComponentDraft:
    """A component as reported; unset measurements keep their stored value on upsert."""

    component_id: str
    type: str | None = None
    state: str | None = None
    health_score: float | None = None
    response_time_ms: float | None = None
    throughput: float | None = None
    error_rate: float | None = None
    configuration: Any = None
    last_heartbeat: datetime | None = None


def _component_changes(draft: ComponentDraft) -> dict[str, Any]:
    """The validated fields a report sets; a report is also a heartbeat."""
    changes: dict[str, Any] = {}
    if draft.type is not None:
        changes["type"] = v.text("type", draft.type, 100)
    if draft.state is not None:
        changes["state"] = v.text("state", draft.state, 50)
    if draft.health_score is not None:
        changes["health_score"] = v.number_in("healthScore", draft.health_score, 0.0, 1.0)
    if draft.response_time_ms is not None:
        changes["response_time_ms"] = v.number_in("responseTimeMs", draft.response_time_ms, 0, 1e9)
    if draft.throughput is not None:
        changes["throughput"] = v.number_in("throughput", draft.throughput, 0, 1e12)
    if draft.error_rate is not None:
        changes["error_rate"] = v.number_in("errorRate", draft.error_rate, 0.0, 1.0)
    if draft.configuration is not None:
        changes["configuration"] = v.json_object("configuration", draft.configuration)
    changes["last_heartbeat"] = draft.last_heartbeat or utcnow()
    return changes


def _component(draft: ComponentDraft) -> Component:
    cid = v.client_id("componentId", draft.component_id)
    return Component(component_id=cid, **_component_changes(draft))


@dataclass
class SystemDraft:
    """Fields of a create or update; None leaves a field unchanged."""

    name: str | None = None
    kind: str | None = None
    status: SystemStatus | None = None
    version: str | None = None
    environment: str | None = None
    description: str | None = None
    consciousness_level: float | None = None
    awareness_state: str | None = None
    config: Any = None
    config_patch: Any = None
    tags: list[str] | None = None
    components: list[ComponentDraft] | None = None


def patch_config(config: dict[str, Any], patch: Any) -> dict[str, Any]:
    """`config` with dot-path keys set (`{"limits.max_agents": 50}`); a null value removes."""
    changes = v.json_object("configPatch", patch, dotted_keys=True)  # its keys are paths
    result = copy.deepcopy(config)
    for path, value in changes.items():
        segments = path.split(".")
        name = f"configPatch.{path[:100]}"
        if len(segments) > MAX_CONFIG_DEPTH or not all(_PATH_SEGMENT.match(s) for s in segments):
            raise ValidationError(
                "config paths are up to 6 dot-separated names of letters, digits, _ and -",
                field=name,
            )
        node = result
        for segment in segments[:-1]:
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise ValidationError(f"{segment} is not an object", field=name)
            node = child
        if value is None:
            node.pop(segments[-1], None)
        else:
            node[segments[-1]] = value
    return v.json_object("config", result)


def _apply(settings: Settings, system: models.System, draft: SystemDraft) -> None:
    if draft.name is not None:
        system.name = v.text("name", draft.name, settings.max_name_length)
    if draft.kind is not None:
        system.kind = v.text("kind", draft.kind, 100)
    if draft.status is not None:
        system.status = draft.status
    if draft.version is not None:
        system.version = v.text("version", draft.version, 50)
    if draft.environment is not None:
        system.environment = v.text("environment", draft.environment, 50)
    if draft.description is not None:
        system.description = v.text(
            "description", draft.description, settings.max_text_length, required=False
        )
    if draft.consciousness_level is not None:
        system.consciousness_level = v.consciousness_level(draft.consciousness_level)
    if draft.awareness_state is not None:
        system.awareness_state = v.text("awarenessState", draft.awareness_state, 50)
    if draft.config is not None:
        system.config = v.json_object("config", draft.config)
    if draft.config_patch is not None:
        system.config = patch_config(system.config, draft.config_patch)
    if draft.tags is not None:
        system.tags = v.strings("tags", draft.tags)
    if draft.components is not None:
        if len(draft.components) > MAX_COMPONENTS:
            raise ValidationError(f"at most {MAX_COMPONENTS} components", field="components")
        built: dict[str, Component] = {}
        for item in draft.components:
            comp = _component(item)
            built[comp.component_id] = comp
        system.components = list(built.values())


async def get_system(system_id: str | None) -> models.System:
    """A stored system; no id means this server's own System."""
    wanted = system_id or SERVER_SYSTEM_ID
    return await fetch(models.System, wanted, "system")


async def create_system(
    settings: Settings, draft: SystemDraft, system_id: str | None = None
) -> models.System:
    system = models.System(name="")
    if system_id is not None:
        system.id = v.client_id("id", system_id)
    draft.name = draft.name if draft.name is not None else ""
    _apply(settings, system, draft)

    async def write(unit: Change) -> None:
        await system.insert(session=unit.session)
        sent_before = await latest_metrics.fill([system.id], session=unit.session)
        system.latest_metrics = sent_before[system.id]
        await emit("SYSTEM_STATE_CHANGED", _summary(system, "created"), system_id=system.id)

    await atomically(write)
    return system


async def update_system(settings: Settings, system_id: str, draft: SystemDraft) -> models.System:
    system = await get_system(system_id)
    before = fields_of(system)
    _apply(settings, system, draft)
    summary = {**_summary(system, "updated"), "fields": changed_fields(before, system)}

    async def write(unit: Change) -> None:
        await system.save(session=unit.session)
        await emit("SYSTEM_STATE_CHANGED", summary, system_id=system.id)

    await atomically(write)
    return system


async def delete_system(system_id: str) -> bool:
    if system_id == SERVER_SYSTEM_ID:
        raise Conflict("the server's own system cannot be deleted", details={"id": system_id})
    system = await get_system(system_id)

    async def write(unit: Change) -> None:
        await system.delete(session=unit.session)
        await emit("SYSTEM_STATE_CHANGED", {"change": "deleted"}, system_id=system_id)

    await atomically(write)
    # its samples can be many: removed after, outside the transaction (a retry finishes it)
    await models.MetricSample.get_pymongo_collection().delete_many({"system_id": system_id})
    return True


def _summary(system: models.System, change: str) -> dict[str, Any]:
    return {"change": change, "name": system.name, "status": system.status.value}


async def upsert_component(system_id: str, draft: ComponentDraft) -> models.System:
    """Add a component or update the one with its id, atomically (reports may race)."""
    cid = v.client_id("componentId", draft.component_id)
    changes = _component_changes(draft)
    collection = models.System.get_pymongo_collection()
    for _ in range(3):
        now = utcnow()
        updated = await collection.update_one(
            {"_id": system_id, "components.component_id": cid},
            {
                "$set": {
                    **{f"components.$.{k}": val for k, val in changes.items()},
                    "updated_at": now,
                }
            },
        )
        if updated.matched_count:
            break
        pushed = await collection.update_one(
            {
                "_id": system_id,
                "components.component_id": {"$ne": cid},
                f"components.{MAX_COMPONENTS - 1}": {"$exists": False},
            },
            {
                "$push": {"components": Component(component_id=cid, **changes).model_dump()},
                "$set": {"updated_at": now},
            },
        )
        if pushed.matched_count:
            break
        system = await get_system(system_id)
        if len(system.components) >= MAX_COMPONENTS:
            raise ValidationError(f"at most {MAX_COMPONENTS} components", field="componentId")
    else:
        raise Conflict(f"component {cid} kept changing concurrently; retry")
    await _record_component_metrics(system_id, cid, changes)
    await emit(
        "SYSTEM_STATE_CHANGED",
        {"change": "component_upserted", "component_id": cid, "state": changes.get("state")},
        system_id=system_id,
    )
    return await get_system(system_id)


COMPONENT_METRICS = {
    "response_time_ms": MetricName.RESPONSE_TIME,
    "throughput": MetricName.THROUGHPUT,
    "error_rate": MetricName.ERROR_RATE,
}


async def _record_component_metrics(system_id: str, cid: str, changes: dict[str, Any]) -> None:
    """Reported measurements also become samples, so `metrics(componentId:)` can chart them."""
    samples = [
        models.MetricSample(
            system_id=system_id,
            component_id=cid,
            metric=name.value,
            value=changes[key],
            timestamp=changes["last_heartbeat"],
        )
        for key, name in COMPONENT_METRICS.items()
        if key in changes
    ]
    await latest_metrics.store(samples)


async def remove_component(system_id: str, component_id: str) -> models.System:
    removed = await models.System.get_pymongo_collection().update_one(
        {"_id": system_id, "components.component_id": component_id},
        {"$pull": {"components": {"component_id": component_id}}, "$set": {"updated_at": utcnow()}},
    )
    if not removed.matched_count:
        await get_system(system_id)
        raise NotFound(
            f"component {component_id} not found in system {system_id}",
            details={"system_id": system_id, "component_id": component_id},
        )
    await emit(
        "SYSTEM_STATE_CHANGED",
        {"change": "component_removed", "component_id": component_id},
        system_id=system_id,
    )
    return await get_system(system_id)


async def update_consciousness(
    system_id: str | None, level: float | None, awareness_state: str | None
) -> models.System:
    """Validate first, then store and emit `CONSCIOUSNESS_UPDATE` with the previous level."""
    if level is None and awareness_state is None:
        raise ValidationError("give a level, an awarenessState or both", field="level")
    checked_level = None if level is None else v.consciousness_level(level, field="level")
    checked_state = (
        None if awareness_state is None else v.text("awarenessState", awareness_state, 50)
    )
    system = await get_system(system_id)
    previous = system.consciousness_level
    if checked_level is not None:
        system.consciousness_level = checked_level
    if checked_state is not None:
        system.awareness_state = checked_state

    async def write(unit: Change) -> None:
        await system.save(session=unit.session)
        await emit(
            "CONSCIOUSNESS_UPDATE",
            {
                "consciousness_level": system.consciousness_level,
                "previous_level": previous,
                "awareness_state": system.awareness_state,
            },
            system_id=system.id,
        )

    await atomically(write)
    return system


def uptime_seconds(system_id: str, started_at: datetime, process_started_at: float) -> float:
    """Seconds since a system started; the server's own row counts from this process's start."""
    if system_id == SERVER_SYSTEM_ID:
        return round(time.time() - process_started_at, 3)
    return round((utcnow() - started_at).total_seconds(), 3)


async def system_tasks(
    loaders: Loaders, system_id: str, status: TaskStatus | None, limit: int
) -> list[models.Task]:
    """A system's tasks (automations aside), newest first; one query for every system asked."""
    where: dict[str, object] = {"is_automation": False}
    if status is not None:
        where["status"] = status.value
    loader = loaders.by_field(
        models.Task, "system_id", where=where, sort=[("created_at", -1), ("_id", -1)]
    )
    tasks: list[models.Task] = await loader.load(system_id)
    return tasks[:limit]


@dataclass
class ApplicationCounts:
    total: int
    running: int
    stopped: int


async def application_counts(system: models.System) -> ApplicationCounts:
    """For the server: the other registered systems by status; otherwise its components."""
    if system.id != SERVER_SYSTEM_ID:
        stopped = len(system.components) - active_count(c.state for c in system.components)
        total = len(system.components)
        return ApplicationCounts(total=total, running=total - stopped, stopped=stopped)
    collection = models.System.get_pymongo_collection()
    others = {"_id": {"$ne": SERVER_SYSTEM_ID}}
    total = await collection.count_documents(others)
    stopped = await collection.count_documents(
        {**others, "status": {"$in": [s.value for s in STOPPED_STATUSES]}}
    )
    return ApplicationCounts(total=total, running=total - stopped, stopped=stopped)


@dataclass
class HealthReport:
    status: str
    timestamp: datetime
    version: str
    uptime: float
    database: str
    cache: str
    queue: str


async def _ping_database(client: Any, timeout: float) -> bool:
    try:
        await asyncio.wait_for(client.admin.command("ping"), timeout)
    except Exception:
        return False
    return True


async def _ping_fanout(url: str, timeout: float) -> str:
    """The pub/sub backend: in-process memory is up while we are; Redis must answer PING."""
    if url.startswith("memory://"):
        return "healthy"
    if not url.startswith(("redis://", "rediss://")):
        return "unknown"
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        await asyncio.wait_for(client.ping(), timeout)
    except Exception:
        return "unhealthy"
    finally:
        await client.aclose()
    return "healthy"


async def _queue_health() -> str:
    """Degraded while running tasks hold leases that have already expired (stuck work)."""
    stuck = await models.Task.get_pymongo_collection().count_documents(
        {"status": "running", "lease_expires_at": {"$lt": utcnow()}}, limit=1
    )
    return "degraded" if stuck else "healthy"


async def check_health(
    client: Any, settings: Settings, started_at: float, *, timeout: float = 2.0
) -> HealthReport:
    """Ping the database and the fan-out backend for real; the queue lives in the database."""
    database_up = await _ping_database(client, timeout)
    cache = await _ping_fanout(settings.broadcast_url, timeout)
    queue = await _queue_health() if database_up else "unhealthy"
    if not database_up:
        status = "unhealthy"
    elif cache == "healthy" and queue == "healthy":
        status = "healthy"
    else:
        status = "degraded"
    return HealthReport(
        status=status,
        timestamp=utcnow(),
        version=__version__,
        uptime=round(time.time() - started_at, 3),
        database="healthy" if database_up else "unhealthy",
        cache=cache,
        queue=queue,
    )
