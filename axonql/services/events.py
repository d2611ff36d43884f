"""Appends state changes to the persisted event log and hands them to the fan-out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql.models import Event
from axonql.subscriptions import log, realtime

DEFAULT_RETENTION = timedelta(days=7)


async def emit(
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    retention: timedelta | None = None,
    **subjects: str | None,
) -> Event:
    """Persist one event; subjects are `task_id=…`, `agent_id=…` and the like."""
    service = realtime.current()
    if retention is None:
        retention = service.retention if service is not None else DEFAULT_RETENTION
    event = await log.append(str(event_type), payload or {}, subjects, retention)
    await realtime.publish(event)
    return event
