"""OCTOSPINE's messages on `/ws`: subscribe to event names, receive `{type, data}`.

    → {"action": "subscribe", "events": ["task.progress"], "filters": {"task_id": "task_…"}}
    ← {"type": "subscribed", "data": {"events": [...], "filters": {...}}}
    ← {"type": "task.progress", "data": {task_id, progress, status, timestamp}}
    ← {"type": "alert.new", "data": {alert_id, severity, message, timestamp}}
    ← {"type": "log.entry", "data": {level, message, timestamp, context: {task_id, agent_id}}}
    ← {"type": "system.status", "data": {timestamp, status, metrics: {cpu_usage, …}}}
    → {"action": "unsubscribe", "events": [...]}

`system.status` is the server's status and host metrics, sent at once and then every
`AXONQL_WS_STATUS_INTERVAL_SECONDS`; the others follow GraphQL subscriptions. Subscribing to
an event name again replaces its filters. `filters` accepts `task_id` and `agent_id`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from axonql.errors import clip
from axonql.rest_compat.bridges.session import (
    BridgeFailure,
    Session,
    iso,
    resume_point,
    subscription,
)
from axonql.rest_compat.envelopes import Failure
from axonql.subscriptions.types import EventType

TASKS = subscription("taskUpdated", {"id": "ID"})
ALERTS = subscription("systemAlerts", {})
LOGS = subscription("logEntries", {"taskId": "ID", "agentId": "ID"})
STATUS = """
query BridgeStatus {
  system { status metrics { cpuUsage memoryUsage diskUsage } }
}"""
TASK_NOW = "query BridgeTask($id: ID!) { task(id: $id) { progress status } }"

EVENTS = ("system.status", "task.progress", "alert.new", "log.entry")
FILTERS = {"task_id": ("task.progress", "log.entry"), "agent_id": ("log.entry",)}


def _invalid(message: str, **details: Any) -> BridgeFailure:
    return BridgeFailure(Failure(400, "VALIDATION_ERROR", message, details))


def requested(message: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The event names and filters of a (un)subscribe message, validated."""
    events = message.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise _invalid("events must be a non-empty list of event names", field="events")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:  # quoted clipped: a megabyte of event name is not sent back
        raise _invalid(
            f"unknown events: {clip(', '.join(clip(e) for e in unknown[:10]))}",
            field="events",
            allowed=list(EVENTS),
        )
    filters = message.get("filters") or {}
    if not isinstance(filters, dict):
        raise _invalid("filters must be an object", field="filters")
    for key, value in filters.items():
        if key not in FILTERS:
            raise _invalid(f"unknown filter {clip(key)}", field="filters", allowed=sorted(FILTERS))
        if not isinstance(value, str) or not value:
            raise _invalid(f"filter {key} must be a non-empty string", field="filters")
    return list(dict.fromkeys(events)), {str(k): str(v) for k, v in filters.items()}


def _task_progress(
    session: Session,
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]:
    async def translate(event: dict[str, Any]) -> dict[str, Any] | None:
        payload = event["payload"]
        progress, status = payload.get("progress"), payload.get("status")
        if event["type"] != EventType.TASK_PROGRESS:
            if status is None:
                return None  # a deletion: nothing to report as progress
            # State changes carry no progress: read the task's own (as the caller).
            try:
                task = (await session.execute(TASK_NOW, {"id": event["taskId"]}))["task"]
            except BridgeFailure:
                return None  # deleted meanwhile: its deletion is not progress either
            progress = task["progress"]
        return {
            "type": "task.progress",
            "data": {
                "task_id": event["taskId"],
                "progress": progress,
                "status": str(status).lower(),
                "timestamp": iso(event["createdAt"]),
            },
        }

    return translate


async def alert_new(event: dict[str, Any]) -> dict[str, Any]:
    payload = event["payload"]
    return {
        "type": "alert.new",
        "data": {
            "alert_id": event["id"],
            "severity": payload.get("severity"),
            "message": payload.get("message"),
            "timestamp": iso(event["createdAt"]),
        },
    }


async def log_entry(event: dict[str, Any]) -> dict[str, Any]:
    payload = event["payload"]
    context = dict(payload.get("context") or {})
    for key, field in (("task_id", "taskId"), ("agent_id", "agentId")):
        if event.get(field) is not None:
            context[key] = event[field]
    return {
        "type": "log.entry",
        "data": {
            "level": payload.get("level"),
            "message": payload.get("message"),
            "timestamp": iso(event["createdAt"]),
            "context": context,
        },
    }


def _system_status(session: Session) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    async def produce() -> dict[str, Any]:
        system = (await session.execute(STATUS))["system"] or {}
        metrics = system.get("metrics") or {}
        return {
            "type": "system.status",
            "data": {
                "timestamp": iso(None),
                "status": str(system.get("status", "")).lower(),
                "metrics": {
                    "cpu_usage": metrics.get("cpuUsage"),
                    "memory_usage": metrics.get("memoryUsage"),
                    "disk_usage": metrics.get("diskUsage"),
                },
            },
        }

    return produce


async def subscribe(session: Session, message: dict[str, Any]) -> None:
    """Start (or restart with new filters) each requested event stream, then acknowledge."""
    events, filters = requested(message)
    after = await resume_point()
    task_id, agent_id = filters.get("task_id"), filters.get("agent_id")
    for name in events:
        if name == "system.status":
            interval = session.settings.ws_status_interval_seconds
            session.poll(name, interval, _system_status(session))
        elif name == "task.progress":
            variables = {"after": after, "id": task_id}
            session.follow(name, TASKS, "taskUpdated", variables, _task_progress(session))
        elif name == "alert.new":
            session.follow(name, ALERTS, "systemAlerts", {"after": after}, alert_new)
        else:
            variables = {"after": after, "taskId": task_id, "agentId": agent_id}
            session.follow(name, LOGS, "logEntries", variables, log_entry)
    await session.send({"type": "subscribed", "data": {"events": events, "filters": filters}})


async def unsubscribe(session: Session, message: dict[str, Any]) -> None:
    events, _ = requested({"events": message.get("events")})
    for name in events:
        session.stop(name)
    await session.send({"type": "unsubscribed", "data": {"events": events}})
